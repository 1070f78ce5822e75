//! Every anonymous way in is limited per client network, and logins cannot be guessed at
//! (security review, findings 4 and 7): refusals are `429` JSON with `Retry-After`, decided
//! before any work (a password hash, a new record) is done.

use serde_json::{Value, json};

use crate::helpers::*;

/// `chimpassist_password_checks_total` now.
async fn password_checks(app: &TestApp) -> u64 {
    let text = app.get("/metrics", &Auth::None).await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("chimpassist_password_checks_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no password check counter in {text}"))
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/login",
        &Auth::None,
        json!({"email": email, "password": password}),
    )
    .await
}

/// Asserts a `429 rate_limited` with a `Retry-After` of at least a second, in the header and
/// the body alike; returns the body.
async fn assert_throttled(response: reqwest::Response, what: &str) -> Value {
    assert_eq!(response.status(), 429, "{what}");
    let header: u64 = response
        .headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(header >= 1, "{what}: Retry-After {header}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{what}");
    assert_eq!(body["retry_after_seconds"], header, "{what}");
    body
}

#[tokio::test]
async fn an_account_is_locked_after_five_failures_before_any_password_is_checked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_attendant(&admin, "Bob", 3).await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, "bob@example.com", "guess").await.status(),
            401
        );
    }
    let checked = password_checks(&app).await;
    // Even the right password: the lock is decided before hashing anything.
    assert_throttled(
        sign_in(&app, "bob@example.com", "secret-pass").await,
        "locked account",
    )
    .await;
    assert_eq!(password_checks(&app).await, checked, "no hash was computed");
    // Another account is not affected.
    assert_eq!(sign_in(&app, "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn sign_ins_are_limited_per_network_whatever_the_account() {
    let app = spawn_app_with(|c| c.logins_per_minute_per_ip = 3).await;
    for login in ["a@example.com", "b@example.com", "c@example.com"] {
        assert_eq!(sign_in(&app, login, "x").await.status(), 401);
    }
    let checked = password_checks(&app).await;
    assert_throttled(sign_in(&app, "d@example.com", "x").await, "fourth sign-in").await;
    assert_eq!(password_checks(&app).await, checked);
}

#[tokio::test]
async fn unknown_logins_cost_a_password_check_and_disabled_accounts_look_like_wrong_passwords() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (bob_id, _) = app.create_attendant(&admin, "Bob", 3).await;

    // Security review: an unknown login answered in 0.3 ms, a known one in ~25 ms.
    let before = password_checks(&app).await;
    let unknown = sign_in(&app, "nobody-here@example.com", "x").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(password_checks(&app).await, before + 1);
    let wrong = sign_in(&app, "bob@example.com", "x").await;
    assert_eq!(password_checks(&app).await, before + 2);
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap(), wrong);

    // And the disabled account with its right password: the same answer, no oracle.
    let disabled = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{bob_id}"),
            &admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    let right = sign_in(&app, "bob@example.com", "secret-pass").await;
    assert_eq!(right.status(), 401);
    assert_eq!(right.json::<Value>().await.unwrap(), wrong);

    // The times, for the record (not asserted: the counter above is the proof).
    let mut known = Vec::new();
    let mut nobody = Vec::new();
    for i in 0..4 {
        let t = std::time::Instant::now();
        sign_in(&app, "admin", &format!("wrong-{i}")).await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        sign_in(&app, &format!("nobody-{i}@example.com"), "x").await;
        nobody.push(t.elapsed());
    }
    known.sort();
    nobody.sort();
    eprintln!(
        "wrong password for a known login: median {:?}; unknown login: median {:?}",
        known[2], nobody[2]
    );
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_refused_at_once_instead_of_queued_and_a_real_one_still_passes() {
    let app = spawn_app().await;
    app.admin().await;
    // Distinct unknown logins: no account backoff, only the hashing queue decides.
    let attempts = (0..120).map(|i| {
        let app = &app;
        async move { sign_in(app, &format!("flood-{i}@example.com"), "x").await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let mut busy = 0;
    for answer in answers {
        match answer.status().as_u16() {
            401 => {}
            503 => {
                assert!(answer.headers().contains_key("retry-after"));
                assert_eq!(answer.json::<Value>().await.unwrap()["code"], "unavailable");
                busy += 1;
            }
            other => panic!("a flooded login answered {other}"),
        }
    }
    eprintln!("120 concurrent sign-ins: {busy} answered 503 busy");
    assert!(busy > 0, "the hashing queue is bounded");
    assert_eq!(sign_in(&app, "admin", ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn new_visitors_chat_requests_and_callbacks_are_limited_per_network() {
    let app = spawn_app_with(|c| {
        c.new_customers_per_minute_per_ip = 2;
        c.chats_per_minute_per_ip = 3;
        c.callbacks_per_minute_per_ip = 1;
    })
    .await;
    // POST /session: two new identities, then refused; a known browser still gets its own.
    let first: Value = app
        .post("/session", &Auth::None, json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.post("/session", &Auth::None, json!({})).await.status(),
        200
    );
    assert_throttled(
        app.post("/session", &Auth::None, json!({})).await,
        "third new visitor",
    )
    .await;
    let again = app
        .post("/session", &Auth::None, json!({"token": first["token"]}))
        .await;
    assert_eq!(again.status(), 200, "a returning browser is no new visitor");
    // The widget's `hello` without a token is the same limit.
    let url = format!("ws://127.0.0.1:{}/ws/customer", app.port);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(
            json!({"type": "hello", "protocol": 1}).to_string().into(),
        ))
        .await
        .unwrap();
    let refused = loop {
        match socket.next().await.expect("a frame").unwrap() {
            tokio_tungstenite::tungstenite::Message::Text(text) => {
                break serde_json::from_str::<Value>(&text).unwrap();
            }
            _ => continue,
        }
    };
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "rate_limited");
    assert!(refused["retry_after_seconds"].as_u64().unwrap() >= 1);

    // start_chat: three a minute from one network.
    let mut visitor = app
        .customer_with(None, first["token"].as_str(), json!([]))
        .await;
    start_chat(&mut visitor).await;
    // Asking again (the widget does after a reload) answers nothing new, but counts.
    for _ in 0..2 {
        visitor.send(json!({"type": "start_chat"})).await;
    }
    visitor.send(json!({"type": "start_chat"})).await;
    let error = visitor.expect("error").await;
    assert_eq!(error["code"], "rate_limited");

    // POST /api/callback: one a minute here.
    let callback = json!({"name": "Ana", "phone": "+55 61 99676 8989"});
    assert_eq!(
        app.post("/api/callback", &Auth::None, callback.clone())
            .await
            .status(),
        201
    );
    assert_throttled(
        app.post("/api/callback", &Auth::None, callback).await,
        "second callback",
    )
    .await;
}

#[tokio::test]
async fn a_network_may_hold_only_so_many_open_conversations() {
    let app = spawn_app_with(|c| c.max_open_conversations_per_ip = 2).await;
    let mut a = app.customer(None).await;
    let mut b = app.customer(None).await;
    let mut c = app.customer(None).await;
    let first = start_chat(&mut a).await;
    start_chat(&mut b).await;
    c.send(json!({"type": "start_chat"})).await;
    let refused = c.expect("error").await;
    assert_eq!(refused["code"], "rate_limited");
    assert!(refused["message"].as_str().unwrap().contains("open"));
    // One ends: room for another.
    a.send(json!({"type": "end_chat", "conversation": first}))
        .await;
    a.wait_for("ended", |f| {
        f["type"] == "conversation" && f["conversation"]["status"] == "abandoned"
    })
    .await;
    start_chat(&mut c).await;
}

#[tokio::test]
async fn every_request_is_limited_and_a_forwarded_address_counts_only_from_a_trusted_proxy() {
    let app = spawn_app_with(|c| c.requests_per_minute_per_ip = 3).await;
    for _ in 0..3 {
        assert_eq!(app.get("/healthz", &Auth::None).await.status(), 200);
    }
    assert_throttled(app.get("/healthz", &Auth::None).await, "fourth request").await;
    // A client cannot escape by naming another address.
    let spoofed = reqwest::Client::new()
        .get(app.url("/healthz"))
        .header("x-forwarded-for", "203.0.113.50")
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);

    // Behind a trusted proxy, each forwarded client has its own bucket.
    let proxied = spawn_app_with(|c| {
        c.callbacks_per_minute_per_ip = 1;
        c.trusted_proxies = chimpassist_server::edge::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let callback = |client: &'static str| {
        reqwest::Client::new()
            .post(proxied.url("/api/callback"))
            .header("x-forwarded-for", client)
            .json(&json!({"name": "Ana", "email": "ana@example.com"}))
            .send()
    };
    assert_eq!(callback("198.51.100.1").await.unwrap().status(), 201);
    assert_eq!(callback("198.51.100.2").await.unwrap().status(), 201);
    assert_eq!(callback("198.51.100.1").await.unwrap().status(), 429);
}
