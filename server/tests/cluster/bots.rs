//! A bot across nodes: the hold lives with the coordinating node, yet a bot answering through
//! the other node is shown as answering there, and its handoff, asked there, reaches the
//! attendant wherever she is.

use serde_json::{Value, json};

use crate::Cluster;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_answering_through_the_other_node_holds_then_hands_over() {
    let cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
    let admin = one.app.admin().await;
    one.app
        .put_queue_with(
            &admin,
            "default",
            json!({"mode": "auto", "bot": {"name": "Chimpbot", "timeout_secs": 3600}}),
        )
        .await;
    let (_, bot) = one
        .app
        .api_token(
            &admin,
            "FAQ bot",
            json!(["messages:write", "conversations:manage"]),
        )
        .await;
    let (_, login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = one.app.attendant(&login).await;

    // The customer is on the follower; the leader holds the conversation for the bot.
    let user = json!({"id": "ana-1", "name": "Ana"});
    let mut customer = two.app.customer(Some(user.clone())).await;
    let conversation = start_chat(&mut customer).await;
    let posted = two
        .app
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            &bot,
            json!({"text": "Hi, I am a bot"}),
        )
        .await;
    assert_eq!(posted.status(), 201);
    let shown = message_seq(&mut customer, 1).await;
    assert_eq!(shown["message"]["from"]["party"], "bot");
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let again = two
        .app
        .customer_with(Some(user), Some(&token), json!([]))
        .await;
    assert_eq!(
        again.welcome["conversation"]["bot"], "Chimpbot",
        "the follower's replica knows the bot holds it"
    );
    assert!(
        !alice
            .pending_frames()
            .iter()
            .any(|f: &Value| f["type"] == "assigned"),
        "not offered to people while the bot holds it"
    );

    // Handed over through the follower: the leader gives it to Alice.
    let handoff = two
        .app
        .post(
            &format!("/api/conversations/{conversation}/handoff"),
            &bot,
            json!({}),
        )
        .await;
    assert_eq!(handoff.status(), 204);
    let assigned = alice.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
    customer.expect("assigned").await;
}
