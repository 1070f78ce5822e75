//! Who may do what: anonymous, customer A vs customer B, attendant, admin.

use crate::helpers::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn the_authorization_matrix_holds() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (attendant_id, attendant) = app.create_attendant(&admin, "Plain", 3).await;
    let _online = app.attendant(&admin).await;

    let mut a = app
        .customer(Some(json!({"id": "A", "name": "Alice"})))
        .await;
    let a_token = Auth::Bearer(a.welcome["token"].as_str().unwrap().to_owned());
    let a_id = a.welcome["customer"]["id"].as_str().unwrap().to_owned();
    let a_conv = start_chat(&mut a).await;
    a.say(&a_conv, "private to A").await;
    let b = app.customer(Some(json!({"id": "B", "name": "Bob"}))).await;
    let b_token = Auth::Bearer(b.welcome["token"].as_str().unwrap().to_owned());

    let customer_routes = [
        format!("/customer/{a_id}/messages"),
        format!("/customer/{a_id}/sessions/last"),
        format!("/session/{a_conv}/messages"),
    ];
    for path in &customer_routes {
        assert_eq!(
            app.get(path, &Auth::None).await.status(),
            401,
            "anonymous {path}"
        );
        assert_eq!(app.get(path, &a_token).await.status(), 200, "owner {path}");
        assert_eq!(
            app.get(path, &b_token).await.status(),
            404,
            "other customer {path}"
        );
        assert_eq!(
            app.get(path, &attendant).await.status(),
            200,
            "attendant {path}"
        );
    }
    let forged = Auth::Bearer(format!("{}x", a.welcome["token"].as_str().unwrap()));
    assert_eq!(app.get(&customer_routes[0], &forged).await.status(), 401);

    let attendant_routes = [
        "/config/attendant",
        "/api/me",
        "/api/queues",
        "/api/callbacks",
    ];
    for path in attendant_routes {
        assert_eq!(
            app.get(path, &Auth::None).await.status(),
            401,
            "anonymous {path}"
        );
        assert_eq!(
            app.get(path, &a_token).await.status(),
            401,
            "customer {path}"
        );
        assert_eq!(
            app.get(path, &attendant).await.status(),
            200,
            "attendant {path}"
        );
    }
    assert_eq!(
        app.get("/attendant/admin/sessions", &attendant)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get(&format!("/attendant/{attendant_id}/sessions"), &attendant)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get(&format!("/attendant/{attendant_id}/sessions"), &admin)
            .await
            .status(),
        200
    );

    assert_eq!(app.get("/api/attendants", &Auth::None).await.status(), 401);
    assert_eq!(app.get("/api/attendants", &attendant).await.status(), 403);
    assert_eq!(app.get("/api/attendants", &admin).await.status(), 200);
    let create = app
        .post(
            "/api/attendants",
            &attendant,
            json!({"email": "x@y.com", "name": "X", "password": "12345678"}),
        )
        .await;
    assert_eq!(create.status(), 403);

    // customer B cannot write into or read A's conversation over the socket either
    let mut b = b;
    b.send(json!({"type": "send", "conversation": a_conv, "client_id": uuid::Uuid::new_v4(), "text": "hi"})).await;
    assert_eq!(b.expect("error").await["code"], "not_found");
    b.send(json!({"type": "history", "conversation": a_conv}))
        .await;
    assert_eq!(b.expect("error").await["code"], "not_found");
    b.send(json!({"type": "end_chat", "conversation": a_conv}))
        .await;
    assert_eq!(b.expect("error").await["code"], "conflict");
}

#[tokio::test]
async fn the_attendant_socket_needs_a_session_and_a_same_origin() {
    let app = spawn_app().await;
    let url = format!("ws://127.0.0.1:{}/ws/attendant", app.port);
    let refused = tokio_tungstenite::connect_async(url.clone()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let admin = app.admin().await;
    let mut request = url.into_client_request().unwrap();
    if let Auth::Cookie(c) = &admin {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {other:?}"),
    }
}

/// Opens `/ws/attendant` with `auth` and `origin`; the HTTP status of a refusal, or 101.
async fn attendant_upgrade(app: &TestApp, auth: &Auth, origin: &str) -> u16 {
    let mut request = format!("ws://127.0.0.1:{}/ws/attendant", app.port)
        .into_client_request()
        .unwrap();
    if let Auth::Cookie(c) = auth {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_widgets_allowed_origins_never_open_the_attendant_socket() {
    // Security review, finding 2: a listed widget host got the attendant's socket (CSWSH).
    let app = spawn_app_with(|c| {
        c.allowed_origins = vec!["https://shop.example.com".into()];
        c.backoffice_origins = vec!["http://127.0.0.1:8080".into()];
    })
    .await;
    let admin = app.admin().await;
    let own = format!("http://127.0.0.1:{}", app.port);
    assert_eq!(attendant_upgrade(&app, &admin, &own).await, 101);
    for foreign in [
        "https://shop.example.com".to_owned(),
        // The scheme counts: this server was reached over http.
        format!("https://127.0.0.1:{}", app.port),
        format!("http://127.0.0.1:{}.evil.example", app.port),
        "null".to_owned(),
    ] {
        assert_eq!(
            attendant_upgrade(&app, &admin, &foreign).await,
            403,
            "{foreign}"
        );
    }
    // The development proxy's origin, named in its own setting.
    assert_eq!(
        attendant_upgrade(&app, &admin, "http://127.0.0.1:8080").await,
        101
    );
    // The customer socket still takes the widget's host.
    let mut request = format!("ws://127.0.0.1:{}/ws/customer", app.port)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "https://shop.example.com".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

#[tokio::test]
async fn logout_revokes_the_session_server_side() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(app.get("/api/me", &admin).await.status(), 200);
    assert_eq!(
        app.post("/api/logout", &admin, json!({})).await.status(),
        204
    );
    assert_eq!(
        app.get("/api/me", &admin).await.status(),
        401,
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn the_default_admin_must_change_its_password() {
    let app = spawn_app().await;
    let admin = app.login("admin", "admin").await;
    let me: Value = app.get("/api/me", &admin).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], true);
    // The server, not only the back-office, refuses everything else until then.
    for (path, body) in [
        (
            "/api/attendants",
            Some(json!({"email": "x@y.com", "name": "X", "password": "12345678"})),
        ),
        ("/api/queues", None),
        ("/api/callbacks", None),
        ("/config/attendant", None),
    ] {
        let response = match body {
            Some(body) => app.post(path, &admin, body).await,
            None => app.get(path, &admin).await,
        };
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "password_change_required",
            "{path}"
        );
    }
    let mut request = format!("ws://127.0.0.1:{}/ws/attendant", app.port)
        .into_client_request()
        .unwrap();
    if let Auth::Cookie(cookie) = &admin {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        other => panic!("the attendant socket opened for an unchanged password: {other:?}"),
    }
    let short = app
        .post(
            "/api/me/password",
            &admin,
            json!({"current": "admin", "new": "short"}),
        )
        .await;
    assert_eq!(short.status(), 400);
    let ok = app
        .post(
            "/api/me/password",
            &admin,
            json!({"current": "admin", "new": "a much better one"}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    let me: Value = app.get("/api/me", &admin).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], false);
    assert_eq!(
        app.post(
            "/api/login",
            &Auth::None,
            json!({"email": "admin", "password": "admin"})
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn production_mode_refuses_the_default_admin() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.production = true;
    let error = chimpassist_server::startup::Application::build(config)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ADMIN_EMAIL"), "{error}");
}

#[tokio::test]
async fn the_default_admin_is_never_created_on_an_address_others_can_reach() {
    // As the Docker image runs (HOST=0.0.0.0, no PRODUCTION): security review, finding 5.
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.host = "0.0.0.0".parse().unwrap();
    let error = chimpassist_server::startup::Application::build(config)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("ADMIN_PASSWORD"), "{error}");
    assert!(error.to_string().contains("0.0.0.0"), "{error}");
}

#[tokio::test]
async fn a_different_unverified_id_sees_none_of_the_first_ids_history() {
    let app = spawn_app().await;
    let mut first = app
        .customer(Some(json!({"id": "one", "name": "One"})))
        .await;
    let token = first.welcome["token"].as_str().unwrap().to_owned();
    let conv = start_chat(&mut first).await;
    first.say(&conv, "mine").await;
    // same browser (same token), the host page now says another user
    let second = app
        .customer_with(
            Some(json!({"id": "two", "name": "Two"})),
            Some(&token),
            json!([]),
        )
        .await;
    assert_ne!(
        second.welcome["customer"]["id"],
        first.welcome["customer"]["id"]
    );
    assert!(
        second.welcome["conversation"].is_null(),
        "no history of the first id"
    );
    assert_ne!(second.welcome["token"], token.as_str(), "the token rotates");
}

#[tokio::test]
async fn verified_identities_follow_the_person_across_browsers() {
    use hmac::{Hmac, Mac};
    let app = spawn_app_with(|c| c.identity_secret = Some("site-secret".to_owned().into())).await;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"site-secret").unwrap();
    mac.update(b"298301");
    let hash = hex::encode(mac.finalize().into_bytes());
    let user = json!({"id": "298301", "name": "Ana", "hash": hash});
    let mut laptop = app.customer(Some(user.clone())).await;
    assert_eq!(laptop.welcome["customer"]["verified"], true);
    let conv = start_chat(&mut laptop).await;
    let phone = app.customer(Some(user)).await; // another browser, no token
    assert_eq!(
        phone.welcome["customer"]["id"],
        laptop.welcome["customer"]["id"]
    );
    assert_eq!(phone.welcome["conversation"]["id"], conv.as_str());
    // a wrong hash is not verified
    let fake = app
        .customer(Some(json!({"id": "298301", "hash": "00"})))
        .await;
    assert_eq!(fake.welcome["customer"]["verified"], false);
    assert_ne!(
        fake.welcome["customer"]["id"],
        laptop.welcome["customer"]["id"]
    );
}

#[tokio::test]
async fn mandatory_verification_refuses_unproven_ids() {
    let app = spawn_app_with(|c| {
        c.identity_secret = Some("s".to_owned().into());
        c.require_verified_identity = true;
    })
    .await;
    let url = format!("ws://127.0.0.1:{}/ws/customer", app.port);
    let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    let (mut tx, mut rx) = stream.split();
    tx.send(tokio_tungstenite::tungstenite::Message::Text(
        json!({"type": "hello", "protocol": 1, "user": {"id": "42"}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let frame = rx.next().await.unwrap().unwrap();
    let value: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(value["code"], "verification_required");
    // guests without an id are still welcome
    let guest = app.customer(None).await;
    assert_eq!(guest.welcome["type"], "welcome");
}

#[tokio::test]
async fn verified_means_the_site_id_and_only_a_signed_token_verifies_the_profile() {
    // Security review, finding 11: a valid HMAC (which covers the id only) showed any name and
    // e-mail as verified.
    use hmac::{Hmac, Mac};
    let app = spawn_app_with(|c| c.identity_secret = Some("site-secret".to_owned().into())).await;
    let admin = app.admin().await;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"site-secret").unwrap();
    mac.update(b"42");
    let hash = hex::encode(mac.finalize().into_bytes());
    let mut mallory = app
        .customer(Some(json!({
            "id": "42", "name": "Alice Martin (CEO)", "email": "ceo@bigcorp.example", "hash": hash
        })))
        .await;
    let seen = &mallory.welcome["customer"];
    assert_eq!(seen["verified"], true, "the site id is proven");
    assert_eq!(seen["profile_verified"], false, "the name is only claimed");
    let conversation = start_chat(&mut mallory).await;
    let view: Value = app
        .get(&format!("/api/conversations/{conversation}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["customer"]["external_id"], "42");
    assert_eq!(view["customer"]["verified"], true);
    assert_eq!(view["customer"]["profile_verified"], false);

    // The expiring JWT may carry the profile: then that is what attendants see, verified, and
    // the page's own claims are ignored.
    #[derive(serde::Serialize)]
    struct Claims<'a> {
        sub: &'a str,
        exp: i64,
        name: &'a str,
        email: &'a str,
        avatar: &'a str,
    }
    let exp = chimpassist_server::views::now_ms() / 1000 + 600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &Claims {
            sub: "43",
            exp,
            name: "Ana Lima",
            email: "ana@shop.example",
            avatar: "https://cdn.example.com/ana.png",
        },
        &jsonwebtoken::EncodingKey::from_secret(b"site-secret"),
    )
    .unwrap();
    let ana = app
        .customer(Some(
            json!({"id": "43", "name": "Someone Else", "token": token}),
        ))
        .await;
    let seen = &ana.welcome["customer"];
    assert_eq!(seen["verified"], true);
    assert_eq!(seen["profile_verified"], true);
    assert_eq!(seen["name"], "Ana Lima");
    assert_eq!(seen["email"], "ana@shop.example");
    assert_eq!(seen["avatar_url"], "https://cdn.example.com/ana.png");
}
