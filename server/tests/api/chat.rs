//! A whole conversation: request, assignment, messages with acks, receipts, typing,
//! deduplicated resends, exact resume.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_customer_and_an_auto_assigned_attendant_chat_with_acks_receipts_and_typing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (attendant_id, login) = app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = app.attendant(&login).await;
    assert_eq!(alice.welcome["presence"], "online");

    let mut customer = app
        .customer(Some(
            json!({"id": "298301", "name": "Ana", "avatarURL": "https://cdn.example.com/a.png"}),
        ))
        .await;
    assert_eq!(customer.welcome["customer"]["name"], "Ana");
    assert_eq!(customer.welcome["customer"]["verified"], false);
    let conversation = start_chat(&mut customer).await;

    let assigned = customer.expect("assigned").await;
    assert_eq!(assigned["attendant"]["id"], attendant_id.as_str());
    let given = alice.expect("assigned").await;
    assert_eq!(given["conversation"]["id"], conversation.as_str());
    assert_eq!(given["conversation"]["customer"]["verified"], false);

    let ack1 = customer.say(&conversation, "hello, I need help").await;
    assert_eq!(ack1["seq"], 1);
    let seen = alice
        .wait_for("message 1", |f| {
            f["type"] == "message" && f["message"]["seq"] == 1
        })
        .await;
    assert_eq!(seen["message"]["text"], "hello, I need help");
    assert_eq!(seen["message"]["from"]["party"], "customer");

    alice
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    let typing = customer.expect("typing").await;
    assert_eq!(typing["state"], "composing");

    let ack2 = alice.say(&conversation, "Hi Ana, how can I help?").await;
    assert_eq!(ack2["seq"], 2);
    let reply = customer
        .wait_for("message 2", |f| {
            f["type"] == "message" && f["message"]["seq"] == 2
        })
        .await;
    assert_eq!(reply["message"]["from"]["party"], "attendant");
    // the first reply makes the conversation active
    let active = customer
        .wait_for("active", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "active"
        })
        .await;
    assert_eq!(
        active["conversation"]["attendant"]["id"],
        attendant_id.as_str()
    );

    customer.send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 2})).await;
    let receipt = alice.expect("receipt").await;
    assert_eq!(receipt["receipts"]["customer_read"], 2);
    alice
        .send(json!({"type": "typing", "conversation": conversation, "state": "paused"}))
        .await;
    alice.send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 1})).await;
    let receipt = customer
        .wait_for("attendant read", |f| {
            f["type"] == "receipt" && f["receipts"]["attendant_read"] == 1
        })
        .await;
    assert_eq!(receipt["receipts"]["customer_read"], 2);

    customer
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    assert_eq!(alice.expect("typing").await["state"], "composing");

    // history over REST, newest first, for the customer's own token
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let page: Value = app
        .get(
            &format!("/session/{conversation}/messages"),
            &Auth::Bearer(token),
        )
        .await
        .json()
        .await
        .unwrap();
    let seqs: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].clone())
        .collect();
    assert_eq!(seqs, vec![json!(2), json!(1)]);

    // resolving ends it for both, then the customer rates it
    alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    customer
        .send(json!({"type": "rate", "conversation": conversation, "rating": {"score": 5, "comment": "great"}}))
        .await;
    let rated = alice
        .wait_for("rating", |f| {
            f["type"] == "conversation" && f["conversation"]["rating"]["score"] == 5
        })
        .await;
    assert_eq!(rated["conversation"]["rating"]["comment"], "great");

    // a new customer message reopens it into the queue, and it is assigned again
    customer.say(&conversation, "one more thing").await;
    alice
        .wait_for("reassigned", |f| {
            f["type"] == "assigned" && f["conversation"]["id"] == conversation.as_str()
        })
        .await;
}

#[tokio::test]
async fn a_resend_with_the_same_client_id_is_acked_once_and_stored_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;

    let frame = json!({"type": "send", "conversation": conversation,
        "client_id": "0191e0a4-1111-7000-8000-000000000001", "text": "only once"});
    customer.send(frame.clone()).await;
    customer.send(frame).await;
    let first = customer.expect("ack").await;
    let second = customer.expect("ack").await;
    assert_eq!(first["seq"], 1);
    assert_eq!(second["seq"], 1, "a resend must get the same seq");
    assert_eq!(first["timestamp"], second["timestamp"]);

    let ack = customer.say(&conversation, "next").await;
    assert_eq!(ack["seq"], 2, "no second message was created");
    // the attendant saw seq 1 once, then seq 2
    let m1 = attendant.expect("message").await;
    let m2 = attendant.expect("message").await;
    assert_eq!(
        (m1["message"]["seq"].clone(), m2["message"]["seq"].clone()),
        (json!(1), json!(2))
    );
}

#[tokio::test]
async fn a_reconnecting_customer_gets_exactly_what_it_missed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app
        .customer(Some(json!({"id": "u-1", "name": "Bea"})))
        .await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;
    for text in ["one", "two", "three"] {
        customer.say(&conversation, text).await;
    }
    customer.close().await;

    attendant.say(&conversation, "four").await;
    attendant.say(&conversation, "five").await;

    let mut back = app
        .customer_with(
            Some(json!({"id": "u-1", "name": "Bea"})),
            Some(&token),
            json!([{"conversation": conversation, "last_seq": 3}]),
        )
        .await;
    assert_eq!(back.welcome["customer"]["id"], customer_id(&back));
    assert_eq!(
        back.welcome["conversation"]["id"],
        conversation.as_str(),
        "same conversation after reconnect"
    );
    let four = back.expect("message").await;
    let five = back.expect("message").await;
    assert_eq!(
        (
            four["message"]["seq"].clone(),
            five["message"]["seq"].clone()
        ),
        (json!(4), json!(5))
    );
    assert_eq!(five["message"]["text"], "five");
    // live again, nothing replayed twice
    attendant.say(&conversation, "six").await;
    let six = back.expect("message").await;
    assert_eq!(six["message"]["seq"], 6);
}

fn customer_id(ws: &Ws) -> String {
    ws.welcome["customer"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_customer_far_behind_is_told_to_resync() {
    let app = spawn_app_with(|c| c.rate_limit_per_second = 10_000).await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;
    for i in 0..510 {
        attendant.say(&conversation, &format!("m{i}")).await;
    }
    let mut back = app
        .customer_with(
            None,
            Some(&token),
            json!([{"conversation": conversation, "last_seq": 2}]),
        )
        .await;
    let resync = back.expect("resync").await;
    assert_eq!(resync["latest_seq"], 510);
}

#[tokio::test]
async fn every_connection_of_a_participant_gets_each_message() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut tab1 = app.attendant(&admin).await;
    let mut tab2 = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    tab1.expect("assigned").await;
    tab2.expect("assigned").await;
    customer.say(&conversation, "to both tabs").await;
    assert_eq!(
        tab1.expect("message").await["message"]["text"],
        "to both tabs"
    );
    assert_eq!(
        tab2.expect("message").await["message"]["text"],
        "to both tabs"
    );
}

#[tokio::test]
async fn graceful_restart_keeps_every_acknowledged_message() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;
    for i in 1..=20 {
        customer.say(&conversation, &format!("m{i}")).await;
    }
    let dir = app.stop().await;
    let config = test_config(dir.path());
    let app = start(config, dir).await;
    let page: Value = app
        .get(
            &format!("/session/{conversation}/messages?limit=50"),
            &Auth::Bearer(token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 20);
    assert_eq!(page["messages"][0]["text"], "m20");
}

/// A customer that sends without waiting for acks (a pasted list, resends after a reconnect)
/// gets an answer to every send in the order it sent them: each new message stored with the
/// next seq in that order, a resend answered with the original's seq, a send to a foreign
/// conversation refused with its client id. The attendant gets the messages in that order,
/// and a frame after the sends (`end_chat`) takes effect after all of them.
#[tokio::test]
async fn sends_without_waiting_are_answered_stored_and_delivered_in_send_order() {
    let app = spawn_app_with(|c| c.rate_limit_per_second = 10_000).await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;

    let ids: Vec<String> = (0..60).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let nowhere = uuid::Uuid::new_v4().to_string();
    for (i, id) in ids.iter().enumerate() {
        let (client_id, target, text) = match i {
            20 => (&ids[5], &conversation, "m5".to_owned()),
            30 => (id, &nowhere, format!("m{i}")),
            _ => (id, &conversation, format!("m{i}")),
        };
        customer
            .send(json!({"type": "send", "conversation": target, "client_id": client_id, "text": text}))
            .await;
    }
    customer
        .send(json!({"type": "end_chat", "conversation": conversation}))
        .await;

    let mut answers = Vec::new();
    while answers.len() < ids.len() {
        let frame = customer.next().await;
        assert!(
            !(frame["type"] == "conversation" && frame["conversation"]["status"] == "resolved"),
            "the chat ended before every send was answered: {answers:?}"
        );
        if frame["type"] == "ack" || frame["type"] == "error" {
            answers.push(frame);
        }
    }
    let mut fresh = 0;
    let mut texts = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        match i {
            20 => {
                assert_eq!(answer["type"], "ack", "the resend: {answer}");
                assert_eq!(answer["client_id"], ids[5].as_str());
                assert_eq!(answer["seq"], 6, "a resend gets the original's seq");
            }
            30 => {
                assert_eq!(answer["type"], "error", "the foreign send: {answer}");
                assert_eq!(answer["code"], "not_found");
                assert_eq!(answer["client_id"], ids[30].as_str());
            }
            _ => {
                fresh += 1;
                assert_eq!(answer["type"], "ack", "send {i}: {answer}");
                assert_eq!(
                    answer["client_id"],
                    ids[i].as_str(),
                    "answer {i} out of order"
                );
                assert_eq!(answer["seq"], fresh, "send {i}");
                texts.push(format!("m{i}"));
            }
        }
    }
    customer
        .wait_for("the chat ended", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;

    for (n, text) in texts.iter().enumerate() {
        let message = attendant.expect("message").await;
        assert_eq!(message["message"]["seq"], n as u64 + 1);
        assert_eq!(message["message"]["text"], text.as_str());
    }
}
