//! Queue and assignment rules: least-loaded auto assignment, capacity under concurrency,
//! manual FIFO, lapsed attendants, transfer.

use std::collections::HashMap;

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_lapsed_attendants_chat_goes_back_to_the_queue_and_to_another_attendant() {
    let app = spawn_app_with(|c| c.attendant_keep_alive_ms = 300).await;
    let admin = app.admin().await;
    let (first_id, first_login) = app.create_attendant(&admin, "First", 2).await;
    let (second_id, second_login) = app.create_attendant(&admin, "Second", 2).await;
    let mut first = app.attendant(&first_login).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    assert_eq!(
        customer.expect("assigned").await["attendant"]["id"],
        first_id.as_str()
    );
    first.expect("assigned").await;
    customer.say(&conversation, "are you there?").await;

    let mut second = app.attendant(&second_login).await;
    first.close().await; // the first attendant's browser dies

    // Back to the queue and, the second attendant being free, out of it in the same
    // decision: the customer's state goes straight to the second attendant.
    let reassigned = customer.expect("assigned").await;
    assert_eq!(reassigned["attendant"]["id"], second_id.as_str());
    let state = customer
        .wait_for("the new state", |f| {
            f["type"] == "conversation"
                && f["conversation"]["attendant"]["id"] == second_id.as_str()
        })
        .await;
    assert_eq!(state["conversation"]["id"], conversation.as_str());
    assert_eq!(state["conversation"]["status"], "assigned");
    let given = second.expect("assigned").await;
    assert_eq!(given["conversation"]["id"], conversation.as_str());
    // the history is all there for the new attendant
    second
        .send(json!({"type": "history", "conversation": conversation}))
        .await;
    let history = second.expect("history").await;
    assert_eq!(history["messages"][0]["text"], "are you there?");
}

#[tokio::test]
async fn auto_assignment_goes_to_the_least_loaded_attendant() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (a_id, a_login) = app.create_attendant(&admin, "Ann", 3).await;
    let (b_id, b_login) = app.create_attendant(&admin, "Ben", 3).await;
    let _a = app.attendant(&a_login).await;
    let _b = app.attendant(&b_login).await;
    let mut counts: HashMap<String, u32> = HashMap::new();
    let mut customers = Vec::new();
    for _ in 0..4 {
        let mut c = app.customer(None).await;
        start_chat(&mut c).await;
        let assigned = c.expect("assigned").await;
        *counts
            .entry(assigned["attendant"]["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
        customers.push(c);
    }
    assert_eq!(counts.get(&a_id), Some(&2), "{counts:?}");
    assert_eq!(counts.get(&b_id), Some(&2), "{counts:?}");
}

#[tokio::test]
async fn a_hundred_concurrent_requests_never_exceed_any_capacity() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut attendants = Vec::new();
    for (name, capacity) in [("Cap1", 5), ("Cap2", 3), ("Cap3", 7)] {
        let (id, login) = app.create_attendant(&admin, name, capacity).await;
        attendants.push((id, capacity, app.attendant(&login).await));
    }
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move {
                let mut c = app.customer(None).await;
                start_chat(&mut c).await;
                c
            })
        })
        .collect();
    let mut customers = Vec::new();
    for t in tasks {
        customers.push(t.await.unwrap());
    }
    // Every assignment is announced to all attendants; count what the store says instead.
    let mut total = 0;
    for (id, capacity, ws) in &mut attendants {
        let mut held = 0u32;
        let mut seen = std::collections::HashSet::new();
        while held < *capacity {
            let frame = ws.expect("assigned").await;
            assert!(
                seen.insert(frame["conversation"]["id"].clone()),
                "assigned twice"
            );
            held += 1;
        }
        let sessions: Value = app
            .get(&format!("/attendant/{id}/sessions"), &admin)
            .await
            .json()
            .await
            .unwrap();
        let open = sessions
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "assigned" || c["status"] == "active")
            .count();
        assert_eq!(
            open as u32, *capacity,
            "{id} holds {open}, capacity {capacity}"
        );
        total += open;
    }
    assert_eq!(total, 15);
    // The numbers are announced a few times a second, not after every request: the last
    // announcement says what the store says.
    let (_, _, first) = &mut attendants[0];
    first
        .wait_for("the final queue numbers", |f| {
            f["type"] == "queue"
                && f["observations"]["chat"]["waiting"] == 85
                && f["observations"]["availableAgents"] == 0
        })
        .await;
    let stats: Value = app
        .get("/api/stats/default?key=observations", &Auth::None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["observations"]["chat"]["waiting"], 85);
    assert_eq!(stats["observations"]["availableAgents"], 0);
}

#[tokio::test]
async fn manual_mode_hands_out_the_oldest_waiting_conversation_first() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.put_queue(&admin, "default", "manual").await;
    let mut attendant = app.attendant(&admin).await;
    let mut order = Vec::new();
    let mut customers = Vec::new();
    for _ in 0..3 {
        let mut c = app.customer(None).await;
        order.push(start_chat(&mut c).await);
        let position = c.expect("queue_status").await;
        assert_eq!(position["position"], order.len());
        customers.push(c);
    }
    for expected in &order[..2] {
        attendant.send(json!({"type": "next_customer"})).await;
        let given = attendant.expect("assigned").await;
        assert_eq!(&given["conversation"]["id"], expected.as_str());
    }
    // the third moved up to first place
    let moved = customers[2]
        .wait_for("position 1", |f| {
            f["type"] == "queue_status" && f["position"] == 1
        })
        .await;
    assert_eq!(moved["conversation"], order[2].as_str());
}

#[tokio::test]
async fn next_customer_with_nobody_waiting_is_a_typed_error() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    attendant.send(json!({"type": "next_customer"})).await;
    assert_eq!(attendant.expect("error").await["code"], "queue_empty");
}

#[tokio::test]
async fn a_conversation_can_be_transferred_to_another_attendant() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (a_id, a_login) = app.create_attendant(&admin, "From", 2).await;
    let mut a = app.attendant(&a_login).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    a.expect("assigned").await;
    let (b_id, b_login) = app.create_attendant(&admin, "To", 2).await;
    let mut b = app.attendant(&b_login).await;
    a.send(json!({"type": "transfer", "conversation": conversation, "to": {"attendant": b_id}}))
        .await;
    let unassigned = a.expect("unassigned").await;
    assert_eq!(unassigned["conversation"], conversation.as_str());
    b.expect("assigned").await;
    assert_eq!(
        customer
            .wait_for("new attendant", |f| f["type"] == "assigned"
                && f["attendant"]["id"] == b_id.as_str())
            .await["attendant"]["id"],
        b_id.as_str()
    );
    // the old attendant can no longer write
    a.send(json!({"type": "send", "conversation": conversation, "client_id": uuid::Uuid::new_v4(), "text": "x"})).await;
    assert_eq!(a.expect("error").await["code"], "forbidden");
    assert_ne!(a_id, b_id);
}

#[tokio::test]
async fn a_customer_gone_too_long_expires_the_conversation() {
    let app = spawn_app_with(|c| c.session_keep_alive_ms = 300).await;
    let admin = app.admin().await;
    let mut attendant = app.attendant(&admin).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    attendant.expect("assigned").await;
    customer.close().await;
    assert_eq!(attendant.expect("customer_presence").await["state"], "gone");
    let ended = attendant
        .wait_for("expired", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "expired"
        })
        .await;
    assert_eq!(ended["conversation"]["id"], conversation.as_str());
}

#[tokio::test]
async fn a_conversation_can_be_transferred_to_another_queue() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.put_queue(&admin, "billing", "auto").await;
    let (_, first_login) = app.create_attendant(&admin, "Generalist", 2).await;
    let (billing_id, billing_login) = app.create_attendant(&admin, "Biller", 2).await;
    let patch = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{billing_id}"),
            &admin,
            json!({"queues": ["billing"]}),
        )
        .await;
    assert_eq!(patch.status(), 200);
    let mut first = app.attendant(&first_login).await;
    let mut biller = app.attendant(&billing_login).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    first.expect("assigned").await;
    first
        .send(json!({"type": "transfer", "conversation": conversation, "to": {"queue": "billing"}}))
        .await;
    let given = biller.expect("assigned").await;
    assert_eq!(given["conversation"]["id"], conversation.as_str());
    assert_eq!(given["conversation"]["queue"], "billing");
    assert_eq!(
        first.expect("unassigned").await["conversation"],
        conversation.as_str()
    );
}

/// The leader decides on its picture of the store; when a conversation was changed behind
/// its back (another writer, as a deposed node could be), the store refuses the decision:
/// the attendant gets a clear error, everyone is told the state the store holds, and the
/// leader decides on that from then on (the attendant's capacity is free again).
#[tokio::test]
async fn a_decision_the_store_refuses_fails_clearly_and_the_store_wins() {
    use chimpassist_protocol::{ConversationId, ConversationStatus};
    use chimpassist_store::{AttendantChange, SqliteStore, Store, Transition};

    let app = spawn_app().await;
    let admin = app.admin().await;
    let (ann_id, ann_login) = app.create_attendant(&admin, "Ann", 1).await;
    let mut ann = app.attendant(&ann_login).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    ann.expect("assigned").await;

    let other = SqliteStore::open_in(app.dir.path()).expect("a second writer");
    let id = ConversationId::parse(&conversation).expect("conversation id");
    other
        .transition(Transition {
            id,
            from: vec![ConversationStatus::Assigned],
            to: ConversationStatus::Expired,
            attendant: AttendantChange::Keep,
            at: 1_800_000_000_000,
            capacity: None,
            queue: None,
            requested_at: None,
        })
        .await
        .expect("expired behind the leader's back");
    other.close().await;

    ann.send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    let error = ann.expect("error").await;
    assert_eq!(error["code"], "conflict", "{error}");
    let truth = customer
        .wait_for("the stored state", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "expired"
        })
        .await;
    assert_eq!(truth["conversation"]["id"], conversation.as_str());

    // Ann's one seat is free again: the next customer is hers.
    let mut next = app.customer(None).await;
    start_chat(&mut next).await;
    let assigned = next.expect("assigned").await;
    assert_eq!(assigned["attendant"]["id"], ann_id.as_str());
}
