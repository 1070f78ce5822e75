//! The audit log: admin actions recorded with who, what and on which record, listed newest
//! first a page at a time, for admins only, without secrets.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn audit(app: &TestApp, auth: &Auth, query: &str) -> Value {
    let page = app.get(&format!("/api/audit{query}"), auth).await;
    assert_eq!(page.status(), 200);
    page.json().await.unwrap()
}

#[tokio::test]
async fn admin_actions_are_logged_newest_first_without_secrets() {
    let app = spawn_app_with(|c| c.webhook_allow_private_destinations = true).await;
    let admin = app.admin().await;
    let (alice, _) = app.create_attendant(&admin, "Alice", 2).await;
    let promoted = app
        .send(
            Method::PATCH,
            &format!("/api/attendants/{alice}"),
            &admin,
            json!({"role": "admin", "capacity": 5}),
        )
        .await;
    assert_eq!(promoted.status(), 200);
    let reset = app
        .post(
            &format!("/api/attendants/{alice}/password"),
            &admin,
            json!({"password": "another-secret-pass"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    app.put_queue(&admin, "billing", "auto").await;
    let canned = app
        .post(
            "/api/canned",
            &admin,
            json!({"shortcut": "hi", "text": "Hello!"}),
        )
        .await;
    assert_eq!(canned.status(), 201);
    let receiver = Receiver::start().await;
    let (hook, _) = app
        .subscribe(&admin, &receiver, json!(["message.created"]))
        .await;
    let rotated = app
        .post(&format!("/api/webhooks/{hook}/rotate"), &admin, json!({}))
        .await;
    assert_eq!(rotated.status(), 200);
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/webhooks/{hook}"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(deleted.status(), 204);

    let text = app.get("/api/audit", &admin).await.text().await.unwrap();
    assert!(
        !text.contains("whsec_") && !text.contains("another-secret-pass"),
        "{text}"
    );
    let log = audit(&app, &admin, "").await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "webhook.deleted",
            "webhook.secret_rotated",
            "webhook.created",
            "canned.created",
            "queue.saved",
            "attendant.password_reset",
            "attendant.updated",
            "attendant.created",
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["actor"]["id"] == "admin" && e["at"].is_i64())
    );
    let (updated, created) = (&entries[6], &entries[7]);
    assert_eq!(
        (updated["target"].as_str(), created["target"].as_str()),
        (Some(alice.as_str()), Some(alice.as_str()))
    );
    assert_eq!(
        updated["summary"],
        "role: attendant → admin; capacity: 2 → 5"
    );
    assert_eq!(
        (entries[0]["target"].as_str(), entries[4]["target"].as_str()),
        (Some(hook.as_str()), Some("billing"))
    );

    // A page at a time: the cursor goes on where the last page stopped.
    let first = audit(&app, &admin, "?limit=3").await;
    let next = first["next"].as_str().expect("a next page");
    let second = audit(&app, &admin, &format!("?limit=3&before={next}")).await;
    let paged: Vec<&Value> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["entries"].as_array().unwrap())
        .collect();
    assert_eq!(paged, entries[..6].iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, bob) = app.create_attendant(&admin, "Bob", 2).await;
    assert_eq!(app.get("/api/audit", &bob).await.status(), 403);
    assert_eq!(app.get("/api/audit", &Auth::None).await.status(), 401);
    assert_eq!(
        app.get("/api/audit?before=nope", &admin).await.status(),
        400
    );
}
