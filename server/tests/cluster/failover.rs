//! Nodes, the coordinator and the broker failing under a chat.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::{BUS_DOWN, BUS_UP, Cluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_coordinating_node_moves_its_attendant_to_the_other_and_the_chat_goes_on() {
    let cluster = Cluster::start().await;
    let two = cluster.node().await;
    let first_leader = two.leading().await;
    let one = cluster.node().await;
    one.follows(&first_leader).await;

    let admin = one.app.admin().await;
    let (alice_id, login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = two.app.attendant(&login).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;
    customer.say(&conversation, "before").await;
    message_seq(&mut alice, 1).await;
    alice.say(&conversation, "reply before").await;
    message_seq(&mut customer, 2).await;
    // Her first reply made it `active`: with that write done, the kill below interrupts no
    // transaction. (One it did interrupt would hold its documents until the database's
    // transaction lifetime runs out — 60 s by default — see docs/operations.md, "Known gaps".)
    alice
        .wait_for("active", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "active"
        })
        .await;

    two.kill().await;
    // The customer's node stores and acks while nobody coordinates.
    assert_eq!(
        customer.say(&conversation, "while it was down").await["seq"],
        3
    );
    let second_leader = one.leading().await;
    assert_ne!(second_leader, first_leader);

    // The attendant's client reconnects to node one, from where it left off.
    let mut alice = one
        .app
        .attendant_with(
            &login,
            json!([{"conversation": conversation, "last_seq": 2}]),
        )
        .await;
    let held = alice.welcome["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|c| c["id"] == conversation.as_str())
        .expect("the conversation is still open")
        .clone();
    assert_eq!(
        held["attendant"]["id"],
        alice_id.as_str(),
        "still hers, not re-queued"
    );
    let missed = message_seq(&mut alice, 3).await;
    assert_eq!(missed["message"]["text"], "while it was down");
    assert_eq!(alice.say(&conversation, "back on node one").await["seq"], 4);
    let got = message_seq(&mut customer, 4).await;
    assert_eq!(got["message"]["text"], "back on node one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_follower_s_attendant_loses_her_chats_after_her_keep_alive() {
    let cluster = Cluster::start().await;
    let keep_alive = [("ATTENDANT_KEEP_ALIVE_TIME", "1500")];
    let (one, two) = cluster.pair_with(&keep_alive).await;
    let admin = one.app.admin().await;
    let (_, alice_login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let (bob_id, bob_login) = one.app.create_attendant(&admin, "Bob", 2).await;
    let mut alice = two.app.attendant(&alice_login).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;
    customer.expect("assigned").await;

    // Node two dies with Alice's only socket: the leader stops hearing from it, forgets its
    // sockets, and once her keep-alive lapses the conversation goes back to the queue.
    two.kill().await;
    let requeued = customer
        .wait_for("re-queued", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == conversation.as_str()
                && f["conversation"]["status"] == "queued"
        })
        .await;
    assert!(requeued["conversation"]["attendant"].is_null());
    let mut bob = one.app.attendant(&bob_login).await;
    let assigned = bob.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
    let taken = customer.expect("assigned").await;
    assert_eq!(taken["attendant"]["id"], bob_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_broker_outage_every_node_sees_the_cluster_as_it_is() {
    let mut cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
    let admin = one.app.admin().await;
    let (alice_id, alice_login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let (_, bob_login) = one.app.create_attendant(&admin, "Bob", 2).await;
    let mut alice = one.app.attendant(&alice_login).await;

    let (marks_one, marks_two) = (one.log.mark(), two.log.mark());
    cluster.broker.stop().await;
    one.log.said(marks_one, BUS_DOWN).await;
    two.log.said(marks_two, BUS_DOWN).await;
    // Decided by the leader while node two cannot hear it.
    alice
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    alice
        .wait_for("away", |f| {
            f["type"] == "presence" && f["presence"] == "away"
        })
        .await;
    let (marks_one, marks_two) = (one.log.mark(), two.log.mark());
    cluster
        .broker
        .start_again()
        .await
        .unwrap_or_else(|why| panic!("{why}"));
    one.log.said(marks_one, BUS_UP).await;
    two.log.said(marks_two, BUS_UP).await;
    one.assert_ready().await;
    two.assert_ready().await;

    // Node two learns what it missed: its replica is copied whole again, and Alice is away
    // there (its replica, read by the directory).
    two.log
        .said(marks_two, "replica copied whole from the coordinator")
        .await;
    let body: Value = two
        .app
        .get("/api/attendants/directory", &admin)
        .await
        .json()
        .await
        .expect("json");
    let alice_there = body
        .as_array()
        .and_then(|all| all.iter().find(|a| a["id"] == alice_id.as_str()))
        .expect("Alice in the directory");
    assert_eq!(alice_there["presence"], "away");
    // And the leader knows who is connected on node two: Bob, there, gets the next chat.
    let mut bob = two.app.attendant(&bob_login).await;
    let mut customer = two.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    let assigned = bob.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
}
