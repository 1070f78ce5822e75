//! The site's own endpoints, played by small HTTP servers inside the test: the statistics
//! endpoints behind the proxy and the authentication hook. Also the callback flow.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::helpers::*;

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: Router) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap()
}

type Seen = Arc<Mutex<Vec<(String, std::collections::HashMap<String, String>)>>>;

async fn fake_statistics(seen: Seen) -> url::Url {
    async fn info(
        State(seen): State<Seen>,
        Path((customer, kind)): Path<(String, String)>,
        Query(query): Query<std::collections::HashMap<String, String>>,
    ) -> Result<Json<Value>, StatusCode> {
        seen.lock()
            .unwrap()
            .push((format!("{customer}/{kind}"), query));
        match kind.as_str() {
            "contactInfo" => Ok(Json(
                json!([{"label": "e-mail", "value": "user@email.com"}]),
            )),
            "statistics" => Ok(Json(json!([{"label": "Total items bought", "value": "7"}]))),
            _ => Err(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
    serve(
        Router::new()
            .route("/chimpassist/{customer}/{kind}", get(info))
            .with_state(seen),
    )
    .await
}

/// `hex(HMAC-SHA256(secret, id))`: the proof a site's backend puts in `userData.hash`.
fn hmac_proof(secret: &[u8], id: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A customer with a conversation, as the widget makes one; returns its record id.
async fn customer_with_chat(app: &TestApp, user: Value) -> String {
    let mut customer = app.customer(Some(user)).await;
    start_chat(&mut customer).await;
    customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_statistics_proxy_asks_about_the_verified_site_id_with_the_attendant_and_range() {
    let seen: Seen = Arc::default();
    let endpoint = fake_statistics(Arc::clone(&seen)).await;
    let app = spawn_app_with(|c| {
        c.statistics_base_endpoint = Some(endpoint.as_str().parse().unwrap());
        c.identity_secret = Some("site-secret".to_owned().into());
    })
    .await;
    let admin = app.admin().await;
    let proof = hmac_proof(b"site-secret", "298301");
    let verified =
        customer_with_chat(&app, json!({"id": "298301", "name": "Ana", "hash": proof})).await;
    let contact = app
        .get(&format!("/api/customers/{verified}/contactInfo"), &admin)
        .await;
    assert_eq!(contact.status(), 200);
    assert_eq!(
        contact.json::<Value>().await.unwrap()[0]["value"],
        "user@email.com"
    );
    let stats = app
        .get(
            &format!("/api/customers/{verified}/statistics?range=7d"),
            &admin,
        )
        .await;
    assert_eq!(stats.json::<Value>().await.unwrap()[0]["value"], "7");
    {
        let seen = seen.lock().unwrap();
        // The site's own id, which its endpoints know the person by; never ours.
        assert_eq!(seen[0].0, "298301/contactInfo");
        assert_eq!(seen[0].1["attendant"], "admin");
        let start = &seen[1].1["start_date_time"];
        assert_eq!(start.len(), 17, "{start}");
        assert_eq!(&start[8..9], "-");
        assert!(seen[1].1["end_date_time"] > *start);
    }
    // cached: a second call does not reach the endpoint
    app.get(&format!("/api/customers/{verified}/contactInfo"), &admin)
        .await;
    assert_eq!(seen.lock().unwrap().len(), 2);
    let failed = app
        .get(&format!("/api/customers/{verified}/additionalInfo"), &admin)
        .await;
    assert_eq!(failed.status(), 502);
    assert_eq!(
        failed.json::<Value>().await.unwrap()["code"],
        "upstream_failed"
    );
    assert_eq!(
        app.get(
            &format!("/api/customers/{verified}/contactInfo"),
            &Auth::None
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn the_statistics_proxy_never_leaves_its_path_nor_asks_about_unverified_or_unseen_customers()
{
    let seen: Seen = Arc::default();
    let endpoint = fake_statistics(Arc::clone(&seen)).await;
    let app = spawn_app_with(|c| {
        c.statistics_base_endpoint = Some(endpoint.as_str().parse().unwrap());
        c.identity_secret = Some("site-secret".to_owned().into());
    })
    .await;
    let admin = app.admin().await;
    // Security review, finding 8: `.`, `..` and ids nobody stored reached the upstream.
    for path in [
        "/api/customers/../contactInfo",
        "/api/customers/%2e%2e/statistics?range=7d",
        "/api/customers/./additionalInfo",
        "/api/customers/c-123/contactInfo",
    ] {
        let response = reqwest::Client::builder()
            .build()
            .unwrap()
            .get(app.url(path))
            .header("cookie", cookie(&admin))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // An unverified id is whatever the visitor's page says: no statistics for it.
    let claimed = customer_with_chat(&app, json!({"id": "298301", "name": "Mallory"})).await;
    let refused = app
        .get(&format!("/api/customers/{claimed}/contactInfo"), &admin)
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["code"],
        "verification_required"
    );
    // A verified site id full of path syntax stays one segment.
    let odd_id = "a/../b?x#y";
    let proof = hmac_proof(b"site-secret", odd_id);
    let odd = customer_with_chat(&app, json!({"id": odd_id, "hash": proof})).await;
    // An attendant who sees none of the customer's conversations is refused.
    let admin_id = "admin";
    app.put_queue(&admin, "billing", "auto").await;
    let (_, cleo) = app
        .create_attendant_with(&admin, "Cleo", json!({"queues": ["billing"]}))
        .await;
    let unseen = app
        .get(&format!("/api/customers/{odd}/contactInfo"), &cleo)
        .await;
    assert_eq!(unseen.status(), 403);
    assert_eq!(
        app.get(&format!("/api/customers/{odd}/contactInfo"), &admin)
            .await
            .status(),
        200
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.len(),
        1,
        "only the one allowed call went out: {seen:?}"
    );
    assert_eq!(
        seen[0].0, "a/../b?x#y/contactInfo",
        "one segment, decoded by the upstream"
    );
    assert_eq!(seen[0].1["attendant"], admin_id);
}

#[tokio::test]
async fn unverified_statistics_can_be_allowed_by_the_operator() {
    let seen: Seen = Arc::default();
    let endpoint = fake_statistics(Arc::clone(&seen)).await;
    let app = spawn_app_with(|c| {
        c.statistics_base_endpoint = Some(endpoint.as_str().parse().unwrap());
        c.allow_unverified_statistics = true;
    })
    .await;
    let admin = app.admin().await;
    let claimed = customer_with_chat(&app, json!({"id": "77", "name": "Bea"})).await;
    let response = app
        .get(&format!("/api/customers/{claimed}/contactInfo"), &admin)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(seen.lock().unwrap()[0].0, "77/contactInfo");
}

fn cookie(auth: &Auth) -> String {
    match auth {
        Auth::Cookie(c) => c.clone(),
        other => panic!("not a cookie: {other:?}"),
    }
}

#[tokio::test]
async fn the_statistics_proxy_says_when_it_is_not_configured() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let response = app.get("/api/customers/1/contactInfo", &admin).await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "not_configured"
    );
}

#[tokio::test]
async fn attendants_can_log_in_through_the_authentication_hook() {
    async fn auth(Json(body): Json<Value>) -> Result<Json<Value>, StatusCode> {
        match (body["email"].as_str(), body["password"].as_str()) {
            (Some("ana@shop.com"), Some("right")) => Ok(Json(json!({
                "id": 9999999, "name": "Ana Support", "email": "ana@shop.com",
                "avatarURL": "https://cdn.example.com/ana.png", "type": "support/firstLevel"
            }))),
            (Some("ana@shop.com"), _) => Err(StatusCode::UNAUTHORIZED),
            _ => Err(StatusCode::NOT_FOUND),
        }
    }
    let endpoint = serve(Router::new().route("/chimpassist/auth", post(auth))).await;
    let app =
        spawn_app_with(|c| c.authentication_endpoint = Some(endpoint.as_str().parse().unwrap()))
            .await;
    let ana = app.login("ana@shop.com", "right").await;
    let me: Value = app.get("/api/me", &ana).await.json().await.unwrap();
    assert_eq!(me["name"], "Ana Support");
    assert_eq!(me["role"], "attendant");
    for (email, password) in [("ana@shop.com", "wrong"), ("nobody@shop.com", "x")] {
        let response = app
            .post(
                "/api/login",
                &Auth::None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(response.status(), 401, "{email}");
    }
    // the local admin still logs in locally
    app.admin().await;
}

#[tokio::test]
async fn callbacks_are_stored_listed_and_marked_done() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/callback",
            &Auth::None,
            json!({"name": "Ana", "phone": "+55 61 99676 8989", "preferred_time": "after 18h", "note": "about my order"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/api/callbacks", &Auth::None).await.status(), 401);
    let admin = app.admin().await;
    let open: Value = app
        .get("/api/callbacks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["callbacks"][0]["id"], id.as_str());
    assert_eq!(open["callbacks"][0]["note"], "about my order");
    assert_eq!(open["next"], Value::Null);
    let done: Value = app
        .post(&format!("/api/callbacks/{id}/done"), &admin, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["done_by"], "admin");
    let open: Value = app
        .get("/api/callbacks", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(open["callbacks"].as_array().unwrap().is_empty());
    for state in ["all", "done"] {
        let listed: Value = app
            .get(&format!("/api/callbacks?state={state}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed["callbacks"].as_array().unwrap().len(), 1, "{state}");
    }
}

#[tokio::test]
async fn callbacks_are_listed_a_page_at_a_time() {
    let app = spawn_app().await;
    for i in 0..7 {
        let created = app
            .post(
                "/api/callback",
                &Auth::None,
                json!({"name": format!("Visitor {i}"), "email": format!("v{i}@example.com")}),
            )
            .await;
        assert_eq!(created.status(), 201);
    }
    let admin = app.admin().await;
    let mut names = Vec::new();
    let mut path = "/api/callbacks?limit=3".to_owned();
    loop {
        let page: Value = app.get(&path, &admin).await.json().await.unwrap();
        let callbacks = page["callbacks"].as_array().unwrap();
        assert!(callbacks.len() <= 3);
        names.extend(
            callbacks
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/api/callbacks?limit=3&before={next}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Visitor {i}")).collect();
    assert_eq!(names, expected, "newest first, each once");
    let too_many = app.get("/api/callbacks?limit=1000", &admin).await;
    let page: Value = too_many.json().await.unwrap();
    assert_eq!(
        page["callbacks"].as_array().unwrap().len(),
        7,
        "limit clamped to 100"
    );
    let bad = app.get("/api/callbacks?before=nonsense", &admin).await;
    assert_eq!(bad.status(), 400);
    let bad = app.get("/api/callbacks?state=maybe", &admin).await;
    assert_eq!(bad.status(), 400);
}
