//! Erasing a customer (`DELETE /api/contacts/{id}`, admins): their sockets close with 4410,
//! their open conversation ends, and nothing of them stays reachable — history, transcripts,
//! search, their export, their files' links, their token — while the reports still count the
//! conversation under "Erased customer"; a signed `contact.erased` webhook goes out and the
//! audit log says who erased which id, without personal data.

use serde_json::{Value, json};

use super::*;

async fn erase(app: &TestApp, auth: &Auth, customer: &str) -> reqwest::Response {
    let path = format!("/api/contacts/{customer}");
    app.send(reqwest::Method::DELETE, &path, auth, json!({}))
        .await
}

#[tokio::test]
async fn erasure_leaves_nothing_of_the_customer_reachable() {
    let Chat {
        app,
        admin,
        mut alice,
        alice_auth,
        mut customer,
        customer_auth,
        conversation,
    } = a_chat_with(|c| {
        c.webhook_allow_private_destinations = true;
        c.webhook_poll_ms = 50;
    })
    .await;
    let mut receiver = Receiver::start().await;
    app.subscribe(&admin, &receiver, json!(["contact.erased"]))
        .await;
    let ana = customer.welcome["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    customer.say(&conversation, "zebulon 4111 1111").await;
    let file = uploaded(&app, &customer_auth, &conversation, "id.pdf", pdf()).await;
    send_files(&mut customer, &conversation, None, &[&file]).await;
    let shown = message_with_files(&mut alice).await;
    let link = shown["attachments"][0]["url"]
        .as_str()
        .expect("a link")
        .to_owned();
    assert_eq!(fetch(&app, &link).await.status(), 200);
    let note = app
        .post(
            &format!("/api/conversations/{conversation}/notes"),
            &alice_auth,
            json!({"text": "zebulon is rude"}),
        )
        .await;
    assert_eq!(note.status(), 201);

    // Erased while the conversation is still open.
    let erased = erase(&app, &admin, &ana).await;
    assert_eq!(erased.status(), 200);
    assert_eq!(
        json_of(erased).await,
        json!({"conversations": 1, "messages": 2, "notes": 1, "files": 1, "callbacks": 0})
    );
    assert_eq!(
        customer.closed().await,
        Some(4410),
        "their socket is closed"
    );
    alice
        .wait_for("the conversation ended", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == conversation.as_str()
                && !["queued", "assigned", "active"]
                    .contains(&f["conversation"]["status"].as_str().unwrap_or(""))
        })
        .await;

    // Nothing of them is reachable.
    let history = json_of(app.get(&format!("/customer/{ana}/messages"), &admin).await).await;
    assert_eq!(history["messages"], json!([]), "{history}");
    let transcript = json_of(
        app.get(&format!("/session/{conversation}/messages"), &admin)
            .await,
    )
    .await;
    assert_eq!(transcript["messages"], json!([]));
    let hits = json_of(app.get("/api/search?q=zebulon", &admin).await).await;
    assert_eq!(hits, json!([]));
    assert_eq!(
        app.get(&format!("/api/contacts/{ana}/export"), &admin)
            .await
            .status(),
        404
    );
    assert_eq!(fetch(&app, &link).await.status(), 404, "the file's link");
    let own = app
        .get(&format!("/customer/{ana}/messages"), &customer_auth)
        .await;
    assert_eq!(own.status(), 401, "their old token names no one");
    let notes = json_of(
        app.get(&format!("/api/conversations/{conversation}/notes"), &admin)
            .await,
    )
    .await;
    assert_eq!(notes, json!([]));

    // The reports still count it, under the placeholder.
    let now = chrono_like_now();
    let period = format!("from={}&to={}", now - 86_400_000, now + 86_400_000);
    let rows = json_of(
        app.get(&format!("/api/reports/conversations?{period}"), &admin)
            .await,
    )
    .await;
    assert_eq!(rows["total"], 1, "{rows}");
    assert_eq!(
        rows["conversations"][0]["customer_name"], "Erased customer",
        "{rows}"
    );
    assert_eq!(
        rows["conversations"][0]["customer_messages"], 2,
        "still counted"
    );
    let csv = app
        .get(&format!("/api/reports/conversations.csv?{period}"), &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("Ana") && !csv.contains(&ana), "{csv}");

    // The site is told, signed; the log says who erased which id, and nothing more.
    let told = receiver.next().await;
    assert!(told.verified);
    let body: Value = told.json();
    assert_eq!(body["type"], "contact.erased");
    assert_eq!(body["data"]["customer_id"], ana.as_str());
    assert_eq!(body["data"]["site_id"], "ana-1");
    let log = json_of(app.get("/api/audit", &admin).await).await;
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "contact.erased");
    assert_eq!(entry["target"], ana.as_str());
    assert_eq!(entry["actor"]["id"], "admin");
    let text = log.to_string();
    assert!(!text.contains("zebulon") && !text.contains("Ana"), "{text}");

    let again = erase(&app, &admin, &ana).await;
    assert_eq!(again.status(), 404);
    let by_alice = erase(&app, &alice_auth, &ana).await;
    assert_eq!(by_alice.status(), 403);
}

fn chrono_like_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
