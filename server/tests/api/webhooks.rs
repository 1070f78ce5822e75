//! Webhooks through the real server and a real receiver: signatures a receiver can check,
//! retries on the schedule and `Retry-After`, `410` disabling, secret rotation, the SSRF
//! guard, the delivery log and redelivery, and who may manage endpoints.

use std::time::Duration;

use chimpassist_server::config::Schedule;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// A server that may send to 127.0.0.1 (the receiver) and retries quickly.
async fn app() -> TestApp {
    spawn_app_with(|c| {
        c.webhook_allow_private_destinations = true;
        c.webhook_poll_ms = 50;
        let soon = Duration::from_millis(200);
        c.webhook_retry_schedule = Schedule(vec![Duration::ZERO, soon, soon, soon]);
    })
    .await
}

async fn request_callback(app: &TestApp, name: &str) {
    let asked = app
        .post(
            "/api/callback",
            &Auth::None,
            json!({"name": name, "phone": "+55 11 5555-0000"}),
        )
        .await;
    assert_eq!(asked.status(), 201, "callback request");
}

async fn log(app: &TestApp, admin: &Auth, id: &str) -> Vec<Value> {
    let log: Value = app
        .get(&format!("/api/webhooks/{id}/deliveries"), admin)
        .await
        .json()
        .await
        .unwrap();
    log["attempts"].as_array().expect("attempts").clone()
}

/// The delivery log once it holds `n` attempts. The receiver has a delivery as soon as it
/// answers; the dispatcher records the attempt (and the endpoint's health, first) just after,
/// so a test that read the log at once could find it a step behind.
async fn log_of(app: &TestApp, admin: &Auth, id: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut every = tokio::time::interval(std::time::Duration::from_millis(20));
    loop {
        let attempts = log(app, admin, id).await;
        if attempts.len() >= n {
            return attempts;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} attempts recorded",
            attempts.len()
        );
        every.tick().await;
    }
}

async fn endpoint(app: &TestApp, admin: &Auth, id: &str) -> Value {
    let all: Value = app.get("/api/webhooks", admin).await.json().await.unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .expect("the endpoint")
        .clone()
}

#[tokio::test]
async fn a_chat_reaches_a_receiver_as_signed_events_it_can_verify() {
    let app = app().await;
    let mut receiver = Receiver::start().await;
    let admin = app.admin().await;
    let events = json!([
        "conversation.created",
        "conversation.assigned",
        "message.created"
    ]);
    let (id, _) = app.subscribe(&admin, &receiver, events).await;

    let mut chat = app.ana_with_alice().await;
    chat.customer
        .say(&chat.conversation, "where is my order?")
        .await;
    let mut got = [
        receiver.next().await,
        receiver.next().await,
        receiver.next().await,
    ];
    // Attempts run side by side: arrival order is not event order (each carries its time, to
    // the millisecond, so two may tie: the message is put last by its type, not its time).
    let at = |r: &Received| {
        let text = r.json()["timestamp"].as_str().unwrap().to_owned();
        text.parse::<jiff::Timestamp>().expect("RFC 3339")
    };
    got.sort_by_key(|r| (r.json()["type"] == "message.created", at(r)));
    let types: Vec<Value> = got.iter().map(|r| r.json()["type"].clone()).collect();
    assert!(
        types.contains(&json!("conversation.created"))
            && types.contains(&json!("conversation.assigned"))
    );
    assert_eq!(types[2], "message.created");
    assert!(
        at(&got[2]) >= at(&got[0]) && at(&got[2]) >= at(&got[1]),
        "the message came last"
    );
    assert!(
        got.iter().all(|r| r.verified && r.status == 204),
        "signed with the secret"
    );
    let ids: std::collections::BTreeSet<_> = got.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 3, "one webhook-id per event");
    let message = got[2].json();
    assert_eq!(
        message["data"]["conversation_id"],
        chat.conversation.as_str()
    );
    assert_eq!(message["data"]["text"], "where is my order?");
    assert_eq!(message["data"]["sender"]["party"], "customer");
    let assigned = got
        .iter()
        .find(|r| r.json()["type"] == "conversation.assigned")
        .unwrap()
        .json();
    assert_eq!(
        assigned["data"]["conversation"]["attendant_id"],
        chat.alice_id.as_str()
    );
    assert!(got.iter().all(|r| r.body.len() < 20_000));

    // A tampered body fails the receiver's check; the genuine one passes again.
    let tampered = got[2].body.replace("where is my order?", "refund me twice");
    assert_eq!(receiver.replay(&got[2], &tampered).await, 401);
    assert_eq!(receiver.replay(&got[2], &got[2].body).await, 204);

    // The admin sees the attempts, never the secret.
    let listed = app.get("/api/webhooks", &admin).await.text().await.unwrap();
    assert!(!listed.contains("whsec_"), "{listed}");
    let attempts = log_of(&app, &admin, &id, 3).await;
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts
            .iter()
            .all(|a| a["outcome"] == "delivered" && a["status"] == 204 && a["attempt"] == 1)
    );

    // Redelivery sends the same event (same webhook-id) again.
    let event = got[2].id.clone();
    let again = app
        .post(
            &format!("/api/webhooks/{id}/deliveries/{event}/redeliver"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 202);
    let redelivered = receiver.next().await;
    assert_eq!(
        (redelivered.id, redelivered.body),
        (event, got[2].body.clone())
    );
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_the_event_when_it_is_back_and_retry_after_is_honoured() {
    let app = app().await;
    let mut receiver = Receiver::start().await;
    let admin = app.admin().await;
    let (id, _) = app
        .subscribe(&admin, &receiver, json!(["callback.requested"]))
        .await;
    receiver.then([Reply::Status(503), Reply::Later(429, 1), Reply::Status(502)]);
    request_callback(&app, "Ana").await;
    let tries = [
        receiver.next().await,
        receiver.next().await,
        receiver.next().await,
        receiver.next().await,
    ];
    let statuses: Vec<u16> = tries.iter().map(|t| t.status).collect();
    assert_eq!(statuses, [503, 429, 502, 204]);
    assert!(
        tries
            .iter()
            .all(|t| t.id == tries[0].id && t.body == tries[0].body),
        "one event, the same id"
    );
    assert_eq!(tries[0].json()["data"]["name"], "Ana");
    let waited = tries[2].at - tries[1].at;
    assert!(
        waited >= std::time::Duration::from_secs(1),
        "Retry-After: 1 honoured: {waited:?}"
    );

    let attempts = log_of(&app, &admin, &id, 4).await; // newest first
    let outcomes: Vec<(&Value, &Value, &Value)> = attempts
        .iter()
        .map(|a| (&a["attempt"], &a["status"], &a["outcome"]))
        .collect();
    assert_eq!(
        outcomes,
        [
            (&json!(4), &json!(204), &json!("delivered")),
            (&json!(3), &json!(502), &json!("retrying")),
            (&json!(2), &json!(429), &json!("retrying")),
            (&json!(1), &json!(503), &json!("retrying")),
        ]
    );
    assert!(attempts[1]["next_attempt_at"].is_i64() && attempts[1]["error"] == "HTTP 502");
    assert!(
        endpoint(&app, &admin, &id)
            .await
            .get("failing_since")
            .is_none(),
        "a success ends the streak"
    );
}

#[tokio::test]
async fn a_spent_schedule_gives_up_and_gone_disables_the_endpoint() {
    let app = app().await;
    let mut receiver = Receiver::start().await;
    let admin = app.admin().await;
    let (id, _) = app
        .subscribe(&admin, &receiver, json!(["callback.requested"]))
        .await;
    receiver.then([Reply::Status(500); 4]);
    request_callback(&app, "Ana").await;
    for _ in 0..4 {
        assert_eq!(receiver.next().await.status, 500);
    }
    let attempts = log_of(&app, &admin, &id, 4).await;
    assert_eq!(
        (attempts.len(), &attempts[0]["outcome"]),
        (4, &json!("failed")),
        "four attempts, then no more"
    );
    assert!(
        endpoint(&app, &admin, &id).await["failing_since"].is_i64(),
        "failing, still enabled"
    );

    // A second endpoint tells when the next round ran: the dispatcher records an attempt's
    // outcome before it starts the round that fans out a later event.
    let mut witness = Receiver::start().await;
    app.subscribe(&admin, &witness, json!(["callback.requested"]))
        .await;
    receiver.then([Reply::Status(410)]);
    request_callback(&app, "Bia").await;
    assert_eq!(receiver.next().await.status, 410);
    assert_eq!(witness.next().await.json()["data"]["name"], "Bia");
    request_callback(&app, "Dani").await;
    assert_eq!(witness.next().await.json()["data"]["name"], "Dani");
    let disabled = endpoint(&app, &admin, &id).await;
    assert_eq!(disabled["enabled"], false);
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    // Enabled again by the admin: the reason and the streak go.
    let enabled: Value = app
        .send(
            Method::PATCH,
            &format!("/api/webhooks/{id}"),
            &admin,
            json!({"enabled": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enabled["enabled"], true);
    assert!(enabled.get("disabled_reason").is_none() && enabled.get("failing_since").is_none());
    request_callback(&app, "Cris").await;
    assert_eq!(receiver.next().await.json()["data"]["name"], "Cris");
}

#[tokio::test]
async fn a_rotated_secret_overlaps_so_receivers_switch_without_missing_one() {
    let app = app().await;
    let mut receiver = Receiver::start().await;
    let admin = app.admin().await;
    let (id, old) = app
        .subscribe(&admin, &receiver, json!(["callback.requested"]))
        .await;
    let rotated: Value = app
        .post(
            &format!("/api/webhooks/{id}/rotate"),
            &admin,
            json!({"overlap_minutes": 60}),
        )
        .await
        .json()
        .await
        .unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["webhook"]["previous_secret_until"].is_i64());
    receiver.trust_only(&old);
    request_callback(&app, "Ana").await;
    let first = receiver.next().await;
    assert!(
        first.verified,
        "the old secret still verifies during the overlap"
    );
    assert_eq!(
        first.signature.split(' ').count(),
        2,
        "both signatures sent"
    );
    receiver.trust_only(&new);
    request_callback(&app, "Bia").await;
    assert!(receiver.next().await.verified, "and so does the new one");

    let ended: Value = app
        .post(
            &format!("/api/webhooks/{id}/rotate"),
            &admin,
            json!({"overlap_minutes": 0}),
        )
        .await
        .json()
        .await
        .unwrap();
    receiver.trust_only(&new);
    request_callback(&app, "Cris").await;
    let last = receiver.next().await;
    assert!(
        !last.verified,
        "no overlap: the replaced secret no longer signs"
    );
    assert_eq!(last.signature.split(' ').count(), 1);
    assert!(ended["webhook"].get("previous_secret_until").is_none());
}

#[tokio::test]
async fn internal_destinations_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
    ] {
        let refused = app
            .post(
                "/api/webhooks",
                &admin,
                json!({"url": url, "events": ["message.created"]}),
            )
            .await;
        assert_eq!(refused.status(), 400, "{url}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["code"], "invalid_field");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("destination refused"),
            "{url}: {body}"
        );
    }
    for (body, why) in [
        (
            json!({"url": "ftp://example.com/", "events": ["message.created"]}),
            "scheme",
        ),
        (
            json!({"url": "https://example.com/", "events": []}),
            "no events",
        ),
        (
            json!({"url": "https://example.com/", "events": ["message.deleted"]}),
            "unknown event",
        ),
        (
            json!({"url": "https://u:p@example.com/", "events": ["message.created"]}),
            "credentials",
        ),
    ] {
        let refused = app.post("/api/webhooks", &admin, body).await;
        assert_eq!(refused.status(), 400, "{why}");
    }
    assert_eq!(
        app.get("/api/webhooks", &admin)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
}

#[tokio::test]
async fn only_admins_manage_endpoints() {
    let app = app().await;
    let admin = app.admin().await;
    let (_, alice) = app.create_attendant(&admin, "Alice", 2).await;
    for auth in [&alice, &Auth::None] {
        let expected = if matches!(auth, Auth::None) { 401 } else { 403 };
        assert_eq!(app.get("/api/webhooks", auth).await.status(), expected);
        let create = app
            .post(
                "/api/webhooks",
                auth,
                json!({"url": "https://example.com/", "events": ["message.created"]}),
            )
            .await;
        assert_eq!(create.status(), expected);
    }
    let receiver = Receiver::start().await;
    let (id, _) = app
        .subscribe(&admin, &receiver, json!(["message.created"]))
        .await;
    let path = format!("/api/webhooks/{id}");
    assert_eq!(
        app.send(Method::DELETE, &path, &alice, json!({}))
            .await
            .status(),
        403
    );
    let ghost =
        format!("/api/webhooks/{id}/deliveries/0190a5f1-0000-7000-8000-000000000000/redeliver");
    assert_eq!(app.post(&ghost, &admin, json!({})).await.status(), 404);
    assert_eq!(
        app.send(Method::DELETE, &path, &admin, json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.send(Method::DELETE, &path, &admin, json!({}))
            .await
            .status(),
        404
    );
}
