//! The retention period: a conversation ended longer ago than `CONVERSATION_RETENTION` loses
//! its transcript, notes and files to the background sweep; open conversations keep theirs,
//! and the ended one stays in the reports.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

/// The transcript of `conversation` as `auth` reads it.
async fn transcript(app: &TestApp, auth: &Auth, conversation: &str) -> Vec<Value> {
    let page = json_of(
        app.get(&format!("/session/{conversation}/messages"), auth)
            .await,
    )
    .await;
    page["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn ended_conversations_lose_their_content_after_the_retention_period() {
    let app = spawn_app_with(|c| {
        c.conversation_retention = Some(Duration::from_millis(300));
        c.retention_sweep_every = Duration::from_millis(50);
    })
    .await;
    let mut chat = app.ana_with_alice().await;
    chat.customer
        .say(&chat.conversation, "my card is 4111")
        .await;
    let note = app
        .post(
            &format!("/api/conversations/{}/notes", chat.conversation),
            &chat.alice_auth,
            json!({"text": "asked twice"}),
        )
        .await;
    assert_eq!(note.status(), 201);
    // A second customer whose conversation stays open.
    let mut bea = app
        .customer(Some(json!({"id": "bea-1", "name": "Bea"})))
        .await;
    let open = start_chat(&mut bea).await;
    bea.expect("assigned").await;
    bea.say(&open, "still here").await;

    chat.alice
        .send(json!({"type": "resolve", "conversation": chat.conversation}))
        .await;
    chat.customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    assert_eq!(
        transcript(&app, &chat.alice_auth, &chat.conversation)
            .await
            .len(),
        1,
        "kept until the period has passed"
    );

    // The sweep runs on its own: wait (bounded) for the period and a round to pass.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut every = tokio::time::interval(Duration::from_millis(50));
    while !transcript(&app, &chat.alice_auth, &chat.conversation)
        .await
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweep never emptied it"
        );
        every.tick().await;
    }
    let notes = json_of(
        app.get(
            &format!("/api/conversations/{}/notes", chat.conversation),
            &chat.alice_auth,
        )
        .await,
    )
    .await;
    assert_eq!(notes, json!([]), "its notes went too");
    let hits = json_of(app.get("/api/search?q=4111", &chat.admin).await).await;
    assert_eq!(hits, json!([]), "search finds nothing of it");
    // The conversation itself stays, resolved, for the reports.
    let left = json_of(
        app.get(
            &format!("/api/conversations/{}", chat.conversation),
            &chat.admin,
        )
        .await,
    )
    .await;
    assert_eq!(left["status"], "resolved");
    // The open one keeps everything.
    let kept = transcript(&app, &chat.admin, &open).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["text"], "still here");
}
