//! A bot as a queue's first responder, driven the way a site's integration drives it: told by
//! signed webhooks, answering with an API token (post as the bot, hand over, resolve).

use std::time::Duration;

use chimpassist_server::config::Schedule;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A server that may send webhooks to the test's receiver on 127.0.0.1.
async fn app() -> TestApp {
    spawn_app_with(|c| {
        c.webhook_allow_private_destinations = true;
        c.webhook_poll_ms = 50;
        c.webhook_retry_schedule = Schedule(vec![Duration::ZERO, Duration::from_millis(200)]);
    })
    .await
}

/// A token with `scopes` as a bearer credential.
async fn token(app: &TestApp, admin: &Auth, name: &str, scopes: Value) -> Auth {
    app.api_token(admin, name, scopes).await.1
}

async fn status_of(app: &TestApp, admin: &Auth, conversation: &str) -> Value {
    json_of(
        app.get(&format!("/api/conversations/{conversation}"), admin)
            .await,
    )
    .await
}

/// The next event of `kind` the receiver gets.
async fn event(receiver: &mut Receiver, kind: &str) -> Value {
    loop {
        let got = receiver.next().await.json();
        if got["type"] == kind {
            return got;
        }
    }
}

#[tokio::test]
async fn a_bot_answers_first_then_hands_the_customer_to_a_person() {
    let app = app().await;
    let mut receiver = Receiver::start().await;
    let admin = app.admin().await;
    app.subscribe(
        &admin,
        &receiver,
        json!(["conversation.created", "message.created"]),
    )
    .await;
    let queue = app
        .put_queue_with(
            &admin,
            "default",
            json!({"mode": "auto", "bot": {"name": "  Chimpbot ", "timeout_secs": 3600}}),
        )
        .await;
    assert_eq!(
        queue["bot"],
        json!({"name": "Chimpbot", "timeout_secs": 3600})
    );
    let bot = token(
        &app,
        &admin,
        "FAQ bot",
        json!(["messages:write", "conversations:manage"]),
    )
    .await;
    let (_, alice_auth) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&alice_auth).await;

    // The customer asks; the bot holds the conversation, people are not offered it.
    let mut customer = app
        .customer(Some(json!({"id": "ana-1", "name": "Ana"})))
        .await;
    let conversation = start_chat(&mut customer).await;
    let created = event(&mut receiver, "conversation.created").await;
    assert_eq!(created["data"]["conversation"]["id"], conversation.as_str());

    // The bot answers the webhook, twice (a webhook may come twice): one message.
    let client_id = Uuid::new_v4().to_string();
    let answer =
        json!({"text": "Hi! I am the shop's bot. Ask me anything.", "client_id": client_id});
    let path = format!("/api/conversations/{conversation}/messages");
    let posted = app.post(&path, &bot, answer.clone()).await;
    assert_eq!(posted.status(), 201, "{:?}", posted.text().await);
    let posted = json_of(posted).await;
    assert_eq!(posted["from"]["party"], "bot");
    assert_eq!(posted["from"]["name"], "Chimpbot");
    let again = app.post(&path, &bot, answer).await;
    assert_eq!(again.status(), 200);
    assert_eq!(json_of(again).await["seq"], posted["seq"]);
    let shown = message_seq(&mut customer, posted["seq"].as_u64().unwrap()).await;
    assert_eq!(shown["message"]["from"]["party"], "bot");
    assert_eq!(shown["message"]["from"]["name"], "Chimpbot");
    // A page opened again (a second tab) shows the bot answering too.
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let again = app
        .customer_with(
            Some(json!({"id": "ana-1", "name": "Ana"})),
            Some(&token),
            json!([]),
        )
        .await;
    assert_eq!(again.welcome["conversation"]["id"], conversation.as_str());
    assert_eq!(again.welcome["conversation"]["bot"], "Chimpbot");
    let held = status_of(&app, &admin, &conversation).await;
    assert_eq!(held["status"], "queued");
    assert_eq!(held["attendant"], Value::Null);
    assert!(
        !alice
            .pending_frames()
            .iter()
            .any(|f| f["type"] == "assigned"),
        "nobody is offered a conversation the bot holds"
    );

    // The customer wants a person; the bot hears it and hands over.
    customer.say(&conversation, "I want a person").await;
    let asked = loop {
        let message = event(&mut receiver, "message.created").await;
        if message["data"]["sender"]["party"] == "customer" {
            break message;
        }
    };
    assert_eq!(asked["data"]["text"], "I want a person");
    let handoff = format!("/api/conversations/{conversation}/handoff");
    assert_eq!(app.post(&handoff, &bot, json!({})).await.status(), 204);
    let assigned = alice.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
    assert_eq!(assigned["conversation"]["bot"], Value::Null);
    customer.expect("assigned").await;
    // Alice reads what the bot said.
    let history = json_of(
        app.get(&format!("/session/{conversation}/messages"), &alice_auth)
            .await,
    )
    .await;
    let mut said: Vec<_> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["seq"].as_u64().unwrap(),
                m["from"]["party"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    said.sort();
    let parties: Vec<_> = said.into_iter().map(|(_, party)| party).collect();
    assert_eq!(parties, ["bot", "customer"]);

    // Handed over once: the bot holds it no more.
    let twice = app.post(&handoff, &bot, json!({})).await;
    assert_eq!(twice.status(), 409);
    assert_eq!(json_of(twice).await["code"], "conflict");
}

#[tokio::test]
async fn people_get_the_conversation_when_the_bot_is_silent_or_taken_off() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, alice_auth) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&alice_auth).await;
    app.put_queue_with(
        &admin,
        "default",
        json!({"mode": "auto", "bot": {"name": "Chimpbot", "timeout_secs": 1}}),
    )
    .await;

    // Nobody answers as the bot: after its second, the conversation goes to Alice.
    let mut ana = app.customer(Some(json!({"id": "ana-1"}))).await;
    ana.send(json!({"type": "start_chat"})).await;
    let first = ana
        .wait_for("the conversation", |f| f["type"] == "conversation")
        .await;
    assert_eq!(first["conversation"]["bot"], "Chimpbot");
    let id = first["conversation"]["id"].as_str().unwrap().to_owned();
    let assigned = alice.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], id.as_str());
    ana.expect("assigned").await;

    // A long hold, then the queue's bot is taken off: the held conversation goes to people.
    app.put_queue_with(
        &admin,
        "default",
        json!({"mode": "auto", "bot": {"name": "Chimpbot", "timeout_secs": 86400}}),
    )
    .await;
    let mut bea = app.customer(Some(json!({"id": "bea-1"}))).await;
    let held = start_chat(&mut bea).await;
    assert_eq!(status_of(&app, &admin, &held).await["status"], "queued");
    app.put_queue_with(&admin, "default", json!({"mode": "auto"}))
        .await;
    let assigned = alice
        .wait_for("bea's conversation", |f| {
            f["type"] == "assigned" && f["conversation"]["id"] == held.as_str()
        })
        .await;
    assert_eq!(assigned["conversation"]["bot"], Value::Null);
}

#[tokio::test]
async fn a_bot_resolves_and_its_routes_take_only_tokens_with_their_scope() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.put_queue_with(
        &admin,
        "default",
        json!({"mode": "auto", "bot": {"name": "Chimpbot", "timeout_secs": 600}}),
    )
    .await;
    let writer = token(&app, &admin, "writer", json!(["messages:write"])).await;
    let manager = token(&app, &admin, "manager", json!(["conversations:manage"])).await;
    let mut ana = app.customer(Some(json!({"id": "ana-1"}))).await;
    let conversation = start_chat(&mut ana).await;
    let messages = format!("/api/conversations/{conversation}/messages");
    let resolve = format!("/api/conversations/{conversation}/resolve");

    // People answer from the back-office, not as bots: a session is refused.
    let by_session = app.post(&messages, &admin, json!({"text": "hi"})).await;
    assert_eq!(by_session.status(), 401);
    assert_eq!(app.post(&resolve, &writer, json!({})).await.status(), 403);
    for (body, code) in [
        (json!({"text": "  "}), "invalid_field"),
        (json!({"text": "hi", "name": ""}), "invalid_field"),
        (json!({"text": "x".repeat(5_000)}), "text_too_long"),
        (json!({}), "missing_field"),
    ] {
        let refused = app.post(&messages, &writer, body).await;
        assert_eq!(refused.status(), 400);
        assert_eq!(json_of(refused).await["code"], code);
    }
    let named = app
        .post(
            &messages,
            &writer,
            json!({"text": "One moment", "name": "Order desk"}),
        )
        .await;
    assert_eq!(named.status(), 201);
    assert_eq!(json_of(named).await["from"]["name"], "Order desk");

    // Resolved by the bot: the customer sees it end; nothing more can be posted.
    assert_eq!(app.post(&resolve, &manager, json!({})).await.status(), 204);
    ana.wait_for("resolved", |f| {
        f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
    })
    .await;
    let late = app
        .post(&messages, &writer, json!({"text": "still there?"}))
        .await;
    assert_eq!(late.status(), 409);
    assert_eq!(app.post(&resolve, &manager, json!({})).await.status(), 409);
    let unknown = format!("/api/conversations/{}/messages", Uuid::now_v7());
    assert_eq!(
        app.post(&unknown, &writer, json!({"text": "hi"}))
            .await
            .status(),
        404
    );

    // A bot name out of bounds is refused on the queue.
    let bad = app
        .send(
            reqwest::Method::PUT,
            "/api/queues/default",
            &admin,
            json!({"id": "default", "name": "Default", "mode": "auto",
                   "bot": {"name": "Chimpbot", "timeout_secs": 0}}),
        )
        .await;
    assert_eq!(bad.status(), 400);
}
