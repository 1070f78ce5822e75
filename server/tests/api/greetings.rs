//! Proactive greetings: admins keep the rules (checked, ordered, audited), every page reads
//! the enabled ones publicly, and a visitor's answer opens a chat whose first message is the
//! greeting, stored once however often the widget resends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn pricing_rule() -> Value {
    json!({
        "name": "Pricing page", "path": "/pricing*", "delay_seconds": 30,
        "frequency": "once_per_day", "only_when_online": true,
        "text": "Questions about our plans?", "from": "  Ana from Sales ",
    })
}

/// The public rules; `{"rules": []}` for a `204` (none).
async fn public(app: &TestApp) -> Value {
    let response = app.get("/api/greetings", &Auth::None).await;
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=60",
        "browsers keep it a minute"
    );
    match response.status().as_u16() {
        204 => {
            assert_eq!(response.text().await.unwrap(), "", "no body");
            json!({"rules": []})
        }
        200 => json_of(response).await,
        other => panic!("status {other}"),
    }
}

#[tokio::test]
async fn admins_keep_the_rules_and_pages_read_the_enabled_ones() {
    let app = spawn_app_with(|c| c.cache_seconds = 0).await;
    let admin = app.admin().await;
    assert_eq!(public(&app).await, json!({"rules": []}));

    let created = app
        .post("/api/greeting-rules", &admin, pricing_rule())
        .await;
    assert_eq!(created.status(), 201);
    let pricing = json_of(created).await;
    assert_eq!(pricing["from"], "Ana from Sales", "names are trimmed");
    assert_eq!(pricing["enabled"], true, "enabled unless said");
    let about = json_of(
        app.post(
            "/api/greeting-rules",
            &admin,
            json!({"name": "About", "path": "/about", "text": "Hi!", "from": "Team", "enabled": false}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (
            &about["delay_seconds"],
            &about["frequency"],
            &about["only_when_online"]
        ),
        (&json!(0), &json!("once_per_day"), &json!(false)),
        "defaults"
    );

    let listed = json_of(app.get("/api/greeting-rules", &admin).await).await;
    assert_eq!(
        listed,
        json!([pricing.clone(), about.clone()]),
        "oldest first"
    );
    let shown = public(&app).await;
    assert_eq!(
        shown,
        json!({"rules": [{
            "id": pricing["id"], "path": "/pricing*", "delay_seconds": 30,
            "frequency": "once_per_day", "only_when_online": true,
            "text": "Questions about our plans?", "from": "Ana from Sales",
        }]}),
        "only enabled rules, without their admin names"
    );

    // Enabling a rule shows it at once on this node (its cache is forgotten).
    let mut body = about.clone();
    body["enabled"] = json!(true);
    let path = format!("/api/greeting-rules/{}", about["id"].as_str().unwrap());
    let updated = app.send(Method::PUT, &path, &admin, body).await;
    assert_eq!(updated.status(), 200);
    assert_eq!(public(&app).await["rules"].as_array().unwrap().len(), 2);
    let deleted = app.send(Method::DELETE, &path, &admin, json!({})).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.send(Method::DELETE, &path, &admin, json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(public(&app).await["rules"].as_array().unwrap().len(), 1);

    let audit = json_of(app.get("/api/audit", &admin).await).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("greeting."))
        .collect();
    assert_eq!(
        actions,
        [
            "greeting.deleted",
            "greeting.updated",
            "greeting.created",
            "greeting.created"
        ]
    );

    // Only admins.
    let (_, alice) = app.create_attendant(&admin, "Alice", 3).await;
    assert_eq!(app.get("/api/greeting-rules", &alice).await.status(), 403);
    let refused = app
        .post("/api/greeting-rules", &alice, pricing_rule())
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn a_bad_rule_is_refused_with_the_field_named() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (change, code, says) in [
        (
            json!({"path": "pricing"}),
            "invalid_field",
            "path must start with",
        ),
        (json!({"path": "/a b"}), "invalid_field", "spaces"),
        (
            json!({"delay_seconds": 3601}),
            "invalid_field",
            "delay_seconds",
        ),
        (json!({"name": " "}), "invalid_field", "name must be"),
        (json!({"from": ""}), "invalid_field", "from must be"),
        (json!({"text": "x".repeat(501)}), "text_too_long", "500"),
        (json!({"frequency": "hourly"}), "invalid_field", "frequency"),
    ] {
        let mut body = pricing_rule();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let refused = app.post("/api/greeting-rules", &admin, body).await;
        assert_eq!(refused.status(), 400, "{change}");
        let error = json_of(refused).await;
        assert_eq!(error["code"], code, "{change}");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{change}: {error}"
        );
    }
    let bogus = app
        .send(
            Method::PUT,
            "/api/greeting-rules/not-a-uuid",
            &admin,
            pricing_rule(),
        )
        .await;
    assert_eq!(bogus.status(), 400);
    let ghost = format!("/api/greeting-rules/{}", uuid::Uuid::new_v4());
    let missing = app.send(Method::PUT, &ghost, &admin, pricing_rule()).await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn an_answer_opens_a_chat_that_starts_with_the_greeting() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let rule = json_of(
        app.post("/api/greeting-rules", &admin, pricing_rule())
            .await,
    )
    .await;
    let (_, alice_auth) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&alice_auth).await;
    let mut visitor = app.customer(None).await;

    let client_id = uuid::Uuid::new_v4().to_string();
    let answer = json!({
        "type": "say", "greeting": rule["id"], "client_id": client_id,
        "text": "Is there a student discount?",
    });
    visitor.send(answer.clone()).await;
    let ack = visitor.wait_for("ack", |f| f["type"] == "ack").await;
    assert_eq!(
        (&ack["client_id"], &ack["seq"]),
        (&json!(client_id), &json!(2))
    );
    let conversation = ack["conversation"].as_str().unwrap().to_owned();
    let greeting = message_seq(&mut visitor, 1).await;
    assert_eq!(
        (
            &greeting["message"]["text"],
            &greeting["message"]["from"]["party"],
            &greeting["message"]["from"]["name"]
        ),
        (
            &json!("Questions about our plans?"),
            &json!("bot"),
            &json!("Ana from Sales")
        ),
        "the greeting, as the team's, from the store"
    );

    // The attendant gets the conversation and reads both, greeting first.
    alice.expect("assigned").await;
    let read = json_of(
        app.get(&format!("/session/{conversation}/messages"), &alice_auth)
            .await,
    )
    .await;
    let mut said: Vec<(u64, &str)> = read["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["seq"].as_u64().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    said.sort();
    let texts: Vec<&str> = said.into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts,
        ["Questions about our plans?", "Is there a student discount?"]
    );

    // The widget sends again after a reconnect: nothing stored twice.
    visitor.send(answer).await;
    let again = visitor.wait_for("ack again", |f| f["type"] == "ack").await;
    assert_eq!(again["seq"], 2);
    let read = json_of(
        app.get(&format!("/session/{conversation}/messages"), &alice_auth)
            .await,
    )
    .await;
    assert_eq!(read["messages"].as_array().unwrap().len(), 2);

    // A second answer in the open chat: the answer alone, no second greeting.
    visitor
        .send(json!({
            "type": "say", "greeting": rule["id"],
            "client_id": uuid::Uuid::new_v4(), "text": "And for teams?",
        }))
        .await;
    let third = visitor
        .wait_for("third answer", |f| {
            (f["type"] == "ack" && f["seq"] != 2) || f["type"] == "error"
        })
        .await;
    assert_eq!(third["seq"], 3, "{third}");
    assert_eq!(third["conversation"], conversation.as_str());
}

#[tokio::test]
async fn an_answer_to_a_rule_gone_meanwhile_still_reaches_the_desk() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut visitor = app.customer(None).await;
    // An unknown rule (deleted since the page read it), and a forged one: the visitor's
    // words go, no greeting is made up.
    visitor
        .send(json!({
            "type": "say", "greeting": uuid::Uuid::new_v4(),
            "client_id": uuid::Uuid::new_v4(), "text": "Hello?",
        }))
        .await;
    let ack = visitor.wait_for("ack", |f| f["type"] == "ack").await;
    assert_eq!(ack["seq"], 1, "the answer alone");

    // An empty answer is refused like an empty message, naming its client id.
    let client_id = uuid::Uuid::new_v4().to_string();
    visitor
        .send(json!({
            "type": "say", "greeting": uuid::Uuid::new_v4(),
            "client_id": client_id, "text": "",
        }))
        .await;
    let error = visitor.wait_for("error", |f| f["type"] == "error").await;
    assert_eq!(error["code"], "empty_text", "{error}");
    assert!(visitor.answers().await, "the socket goes on");
    drop(admin);
}

#[tokio::test]
async fn said_from_the_page_a_message_starts_the_chat_or_joins_the_open_one() {
    let app = spawn_app().await;
    let mut visitor = app.customer(None).await;
    // `ChimpAssist.sendMessage`: no greeting, the text alone.
    visitor
        .send(json!({"type": "say", "client_id": uuid::Uuid::new_v4(), "text": "Order 42?"}))
        .await;
    let first = visitor.wait_for("ack", |f| f["type"] == "ack").await;
    assert_eq!(first["seq"], 1);
    visitor
        .send(json!({"type": "say", "client_id": uuid::Uuid::new_v4(), "text": "Still there?"}))
        .await;
    let second = visitor
        .wait_for("second ack", |f| f["type"] == "ack" && f["seq"] != 1)
        .await;
    assert_eq!(
        (&second["seq"], &second["conversation"]),
        (&json!(2), &first["conversation"]),
        "the open chat"
    );
}
