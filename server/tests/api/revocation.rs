//! A revoked right is gone from open sockets too (security review, findings 1 and 6): logout,
//! a password change, an admin's reset, disabling, a new role or new queues close the
//! account's sockets with their close code, at once; a socket whose session ends any other
//! way is closed at its next check.
//!
//! The heartbeat is a minute here, so a close seen within [`WAIT`] was pushed by the cut,
//! not found by the socket's own periodic check (the last test covers that one).

use std::time::Instant;

use serde_json::{Value, json};

use crate::helpers::*;

const SESSION_ENDED: u16 = 4401;
const RIGHTS_CHANGED: u16 = 4403;

async fn app() -> TestApp {
    spawn_app_with(|c| c.heartbeat_seconds = 60).await
}

/// Logs `email` in again: another device's session.
async fn another_session(app: &TestApp, email: &str) -> Auth {
    app.login(email, "secret-pass").await
}

/// The status a refused attendant socket gets (the upgrade is answered with it).
async fn refused(app: &TestApp, auth: &Auth) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = app
        .url("/ws/attendant")
        .replacen("http", "ws", 1)
        .into_client_request()
        .unwrap();
    if let Auth::Cookie(cookie) = auth {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("the socket opened: {other:?}"),
    }
}

async fn patch(app: &TestApp, admin: &Auth, id: &str, body: Value) {
    let response = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{id}"),
            admin,
            body,
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn logging_out_closes_every_tab_of_that_session_and_no_other_device() {
    let app = app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let phone = another_session(&app, "bob@example.com").await;
    let mut tab_a = app.attendant(&bob).await;
    let mut tab_b = app.attendant(&bob).await;
    let mut on_phone = app.attendant(&phone).await;

    let asked = Instant::now();
    assert_eq!(app.post("/api/logout", &bob, json!({})).await.status(), 204);
    assert_eq!(tab_a.closed().await, Some(SESSION_ENDED));
    assert_eq!(tab_b.closed().await, Some(SESSION_ENDED));
    eprintln!("logout → both tabs closed in {:?}", asked.elapsed());
    assert!(
        on_phone.answers().await,
        "another device's session lives on"
    );
    assert_eq!(refused(&app, &bob).await, 401);
}

#[tokio::test]
async fn changing_ones_own_password_ends_every_other_session_of_the_account() {
    let app = app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let stolen = another_session(&app, "bob@example.com").await;
    let mut here = app.attendant(&bob).await;
    let mut thief = app.attendant(&stolen).await;

    let changed = app
        .post(
            "/api/me/password",
            &bob,
            json!({"current": "secret-pass", "new": "a brand new secret"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(thief.closed().await, Some(SESSION_ENDED));
    assert_eq!(app.get("/api/me", &stolen).await.status(), 401);
    assert_eq!(refused(&app, &stolen).await, 401);
    // Where it was changed, the session goes on.
    assert!(here.answers().await);
    assert_eq!(app.get("/api/me", &bob).await.status(), 200);
}

#[tokio::test]
async fn a_disabled_account_loses_its_sockets_its_sessions_and_its_conversations() {
    let app = app().await;
    let admin = app.admin().await;
    let (bob_id, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let mut desk = app.attendant(&bob).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    let assigned = desk.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());

    patch(&app, &admin, &bob_id, json!({"disabled": true})).await;
    assert_eq!(desk.closed().await, Some(SESSION_ENDED));
    // What he held went back to the queue, nobody holds it.
    let requeued = customer
        .wait_for("requeued", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "queued"
        })
        .await;
    assert!(requeued["conversation"]["attendant"].is_null());
    assert_eq!(refused(&app, &bob).await, 401);
    // Signing in again answers exactly like a wrong password.
    let again = app
        .post(
            "/api/login",
            &Auth::None,
            json!({"email": "bob@example.com", "password": "secret-pass"}),
        )
        .await;
    assert_eq!(again.status(), 401);
    assert_eq!(
        again.json::<Value>().await.unwrap()["code"],
        "invalid_credentials"
    );
}

#[tokio::test]
async fn an_admins_password_reset_closes_every_socket_of_the_account() {
    let app = app().await;
    let admin = app.admin().await;
    let (carl_id, carl) = app.create_attendant(&admin, "Carl", 3).await;
    let phone = another_session(&app, "carl@example.com").await;
    let mut desk = app.attendant(&carl).await;
    let mut on_phone = app.attendant(&phone).await;
    let reset = app
        .post(
            &format!("/api/attendants/{carl_id}/password"),
            &admin,
            json!({"password": "temporary-one"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    assert_eq!(desk.closed().await, Some(SESSION_ENDED));
    assert_eq!(on_phone.closed().await, Some(SESSION_ENDED));
    assert_eq!(refused(&app, &carl).await, 401);
}

#[tokio::test]
async fn a_new_role_or_new_queues_close_the_socket_and_the_next_one_acts_on_them() {
    let app = app().await;
    let admin = app.admin().await;
    let (eve_id, eve) = app
        .create_attendant_with(&admin, "Eve", json!({"role": "admin"}))
        .await;
    let (bob_id, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let mut bob_desk = app.attendant(&bob).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    bob_desk.expect("assigned").await;
    let mut eve_desk = app.attendant(&eve).await;

    patch(&app, &admin, &eve_id, json!({"role": "attendant"})).await;
    assert_eq!(eve_desk.closed().await, Some(RIGHTS_CHANGED));
    // Her session is still hers; the new socket acts as what she is now.
    let mut eve_desk = app.attendant(&eve).await;
    assert_eq!(eve_desk.welcome["me"]["role"], "attendant");
    for frame in [
        json!({"type": "resolve", "conversation": conversation}),
        json!({"type": "transfer", "conversation": conversation, "to": {"queue": "default"}}),
    ] {
        eve_desk.send(frame.clone()).await;
        assert_eq!(
            eve_desk.expect("error").await["code"],
            "forbidden",
            "{frame}"
        );
    }

    app.put_queue(&admin, "billing", "auto").await;
    patch(
        &app,
        &admin,
        &bob_id,
        json!({"queues": ["default", "billing"]}),
    )
    .await;
    assert_eq!(bob_desk.closed().await, Some(RIGHTS_CHANGED));
    let bob_desk = app.attendant(&bob).await;
    assert_eq!(
        bob_desk.welcome["me"]["queues"],
        json!(["default", "billing"])
    );
}

#[tokio::test]
async fn a_socket_whose_session_expired_or_vanished_is_closed_at_its_next_check() {
    let app = spawn_app_with(|c| c.heartbeat_seconds = 1).await;
    let admin = app.admin().await;
    let (bob_id, bob) = app.create_attendant(&admin, "Bob", 3).await;
    let (_, carl) = app.create_attendant(&admin, "Carl", 3).await;
    let mut bob_desk = app.attendant(&bob).await;
    let mut carl_desk = app.attendant(&carl).await;
    // Behind the server's back: no request, no bus event says so.
    let db = rusqlite::Connection::open(app.dir.path().join("chimpassist.sqlite3")).unwrap();
    let expired = db
        .execute(
            "UPDATE auth_sessions SET expires_at = 0 WHERE attendant_id = ?1",
            [&bob_id],
        )
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(bob_desk.closed().await, Some(SESSION_ENDED));
    db.execute(
        "DELETE FROM auth_sessions WHERE attendant_id != 'admin'",
        [],
    )
    .unwrap();
    assert_eq!(carl_desk.closed().await, Some(SESSION_ENDED));
}
