//! Chatting across nodes.

use std::collections::{HashMap, HashSet};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::*;
use crate::{Cluster, frame_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_on_one_node_and_an_attendant_on_the_other_chat_as_on_one() {
    let cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
    let leader = one.leading().await;
    let seen = two.assert_ready().await;
    assert_eq!(
        (&seen["leader"], &seen["leading"]),
        (&json!(leader), &json!(false))
    );

    let admin = one.app.admin().await;
    let (_, login) = two.app.create_attendant(&admin, "Alice", 2).await;
    // The attendant's welcome is decided by the leader on node one, asked over the bus.
    let mut alice = two.app.attendant(&login).await;
    assert_eq!(alice.welcome["presence"], "online");
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    customer.expect("assigned").await;
    let assigned = alice.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());

    // Typing both ways.
    customer
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    let typing = alice
        .wait_for("typing", frame_for(&conversation, "typing"))
        .await;
    assert_eq!(typing["state"], "composing");
    alice
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    customer
        .wait_for("typing", frame_for(&conversation, "typing"))
        .await;

    // Messages and receipts both ways.
    assert_eq!(
        customer.say(&conversation, "hello from node one").await["seq"],
        1
    );
    let got = message_seq(&mut alice, 1).await;
    assert_eq!(got["message"]["text"], "hello from node one");
    alice
        .send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 1}))
        .await;
    let receipt = customer
        .wait_for("read receipt", |f| {
            f["type"] == "receipt" && f["receipts"]["attendant_read"] == 1
        })
        .await;
    assert_eq!(receipt["conversation"], conversation.as_str());
    assert_eq!(alice.say(&conversation, "hi from node two").await["seq"], 2);
    let got = message_seq(&mut customer, 2).await;
    assert_eq!(got["message"]["from"]["party"], "attendant");
    customer
        .send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 2}))
        .await;
    alice
        .wait_for("read receipt", |f| {
            f["type"] == "receipt" && f["receipts"]["customer_read"] == 2
        })
        .await;

    // Presence of the customer reaches the attendant; her resolve, asked on node two, is
    // decided on node one and reaches the customer there.
    customer
        .send(json!({"type": "presence", "state": "inactive"}))
        .await;
    let presence = alice
        .wait_for("customer presence", |f| {
            f["type"] == "customer_presence" && f["state"] == "inactive"
        })
        .await;
    assert!(presence["customer"].is_string());
    alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_chat_requests_over_two_nodes_never_exceed_any_attendant_s_capacity() {
    let cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
    let admin = one.app.admin().await;
    // The bootstrap admin takes chats too: away, so only these three do.
    let mut admin_socket = one.app.attendant(&admin).await;
    admin_socket
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    admin_socket
        .wait_for("away", |f| {
            f["type"] == "presence" && f["presence"] == "away"
        })
        .await;
    let capacities = [("Ann", 2u32, &one), ("Bob", 3, &two), ("Cyd", 4, &two)];
    let mut attendants = Vec::new();
    for (name, capacity, node) in capacities {
        let (id, login) = node.app.create_attendant(&admin, name, capacity).await;
        let socket = node.app.attendant(&login).await;
        attendants.push((id, capacity, socket, login));
    }

    let customers = join_all((0..50).map(|i| {
        let app = if i % 2 == 0 { &one.app } else { &two.app };
        async move {
            let mut customer = app.customer(None).await;
            customer.send(json!({"type": "start_chat"})).await;
            customer
        }
    }))
    .await;
    assert_eq!(customers.len(), 50);

    // Each attendant gets exactly their capacity.
    let mut held: HashMap<String, HashSet<String>> = HashMap::new();
    for (id, capacity, socket, _) in &mut attendants {
        for _ in 0..*capacity {
            let frame = socket.expect("assigned").await;
            let conversation = frame["conversation"]["id"].as_str().expect("id").to_owned();
            held.entry(id.clone()).or_default().insert(conversation);
        }
    }
    let total: usize = held.values().map(HashSet::len).sum();
    assert_eq!(total, 9, "2 + 3 + 4 assigned");

    // The coordinator's picture, as a new socket of Ann's sees it: 9 held, 41 waiting, and
    // nobody above capacity.
    let look = one.app.attendant(&attendants[0].3).await;
    let open = look.welcome["conversations"]
        .as_array()
        .expect("open")
        .clone();
    assert_eq!(open.len(), 50);
    let mut per_attendant: HashMap<String, u32> = HashMap::new();
    let mut waiting: Vec<(u64, String)> = Vec::new();
    for c in &open {
        match c["attendant"]["id"].as_str() {
            Some(a) => *per_attendant.entry(a.to_owned()).or_default() += 1,
            None => waiting.push((
                c["requested_at"].as_u64().expect("requested_at"),
                c["id"].as_str().expect("id").to_owned(),
            )),
        }
    }
    for (id, capacity, _, _) in &attendants {
        assert_eq!(per_attendant.get(id).copied(), Some(*capacity), "{id}");
    }
    assert_eq!(waiting.len(), 41);
    waiting.sort();
    look.close().await;

    // Each resolves one: the three oldest waiting are next, in request order.
    for (id, _, socket, _) in &mut attendants {
        let done = held[id.as_str()].iter().next().expect("one").clone();
        socket
            .send(json!({"type": "resolve", "conversation": done}))
            .await;
    }
    let mut next = HashSet::new();
    for (_, _, socket, _) in &mut attendants {
        let frame = socket.expect("assigned").await;
        next.insert(frame["conversation"]["id"].as_str().expect("id").to_owned());
    }
    let oldest: HashSet<String> = waiting.iter().take(3).map(|(_, id)| id.clone()).collect();
    assert_eq!(next, oldest, "first come, first served across nodes");
}
