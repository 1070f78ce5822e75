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

#[tokio::test]
async fn the_statistics_proxy_passes_the_attendant_and_date_range_and_reports_failures() {
    let seen: Seen = Arc::default();
    let endpoint = fake_statistics(Arc::clone(&seen)).await;
    let app = spawn_app_with(|c| c.statistics_base_endpoint = Some(endpoint)).await;
    let admin = app.admin().await;
    let contact = app.get("/api/customers/298301/contactInfo", &admin).await;
    assert_eq!(contact.status(), 200);
    assert_eq!(
        contact.json::<Value>().await.unwrap()[0]["value"],
        "user@email.com"
    );
    let stats = app
        .get("/api/customers/298301/statistics?range=7d", &admin)
        .await;
    assert_eq!(stats.json::<Value>().await.unwrap()[0]["value"], "7");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].0, "298301/contactInfo");
        assert_eq!(seen[0].1["attendant"], "admin");
        let start = &seen[1].1["start_date_time"];
        assert_eq!(start.len(), 17, "{start}");
        assert_eq!(&start[8..9], "-");
        assert!(seen[1].1["end_date_time"] > *start);
    }
    // cached: a second call does not reach the endpoint
    app.get("/api/customers/298301/contactInfo", &admin).await;
    assert_eq!(seen.lock().unwrap().len(), 2);
    let failed = app
        .get("/api/customers/298301/additionalInfo", &admin)
        .await;
    assert_eq!(failed.status(), 502);
    assert_eq!(
        failed.json::<Value>().await.unwrap()["code"],
        "upstream_failed"
    );
    assert_eq!(
        app.get("/api/customers/298301/contactInfo", &Auth::None)
            .await
            .status(),
        401
    );
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
    let app = spawn_app_with(|c| c.authentication_endpoint = Some(endpoint)).await;
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
    assert_eq!(open[0]["id"], id.as_str());
    assert_eq!(open[0]["note"], "about my order");
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
    assert!(open.as_array().unwrap().is_empty());
    let all: Value = app
        .get("/api/callbacks?all=true", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1);
}
