//! A rush of chat requests: every assignment reaches its attendant and its customer, every
//! waiting customer learns their true place, nobody's socket is cut, and a desk that takes
//! `batch` frames is told the queue in a few frames instead of one per change.

use std::collections::{HashMap, HashSet};

use crate::helpers::*;
use serde_json::{Value, json};

const REQUESTS: usize = 100;
/// Four attendants of capacity 5 and one (the batching desk) of 10.
const ASSIGNED: usize = 30;

/// The state frames a desk keeps the newest of.
fn is_state(frame: &Value) -> bool {
    matches!(
        frame["type"].as_str(),
        Some("conversation" | "withdrawn" | "queue")
    )
}

#[tokio::test]
async fn a_rush_is_assigned_told_and_coalesced_without_cutting_anyone() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut desks = Vec::new();
    for name in ["Ana", "Bea", "Cid", "Dan"] {
        let (_, login) = app.create_attendant(&admin, name, 5).await;
        desks.push(app.attendant(&login).await);
    }
    let (_, login) = app.create_attendant(&admin, "Eva", 10).await;
    let mut batching = app.attendant_batching(&login).await;

    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let app = std::sync::Arc::clone(&app);
            tokio::spawn(async move {
                let mut c = app.customer(None).await;
                c.send(json!({"type": "start_chat"})).await;
                let view = c
                    .wait_for("its conversation", |f| f["type"] == "conversation")
                    .await["conversation"]
                    .clone();
                let requested = view["requested_at"].as_u64().expect("requested_at");
                (view["id"].as_str().expect("id").to_owned(), requested, c)
            })
        })
        .collect();
    let mut customers = Vec::new();
    for t in tasks {
        customers.push(t.await.expect("customer"));
    }

    // Every assignment reaches its attendant.
    let mut assigned = HashSet::new();
    for (desk, capacity) in desks.iter_mut().map(|d| (d, 5)) {
        for _ in 0..capacity {
            let frame = desk.expect("assigned").await;
            assigned.insert(frame["conversation"]["id"].as_str().unwrap().to_owned());
        }
    }

    // The batching desk: its own assignments, and the whole queue in few frames, each
    // batch holding only state and each piece of state at most once.
    let mut shown: HashMap<String, String> = HashMap::new();
    let (mut own, mut state_frames) = (0, 0);
    while own < 10 || shown.len() < REQUESTS || !settled(&shown) {
        let frame = batching.next().await;
        let members = match frame["type"].as_str() {
            Some("assigned") => {
                own += 1;
                assigned.insert(frame["conversation"]["id"].as_str().unwrap().to_owned());
                continue;
            }
            Some("batch") => frame["frames"].as_array().expect("frames").clone(),
            _ if is_state(&frame) => vec![frame],
            _ => continue,
        };
        state_frames += 1;
        let mut keys = HashSet::new();
        for member in members {
            assert!(is_state(&member), "only state is batched: {member}");
            let key = match member["type"].as_str() {
                Some("queue") => format!("queue {}", member["queue"]),
                Some("withdrawn") => member["conversation"].as_str().unwrap().to_owned(),
                _ => member["conversation"]["id"].as_str().unwrap().to_owned(),
            };
            assert!(keys.insert(key), "a piece of state twice in one batch");
            if member["type"] == "conversation" {
                let view = &member["conversation"];
                shown.insert(
                    view["id"].as_str().unwrap().to_owned(),
                    view["status"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    assert_eq!(assigned.len(), ASSIGNED);
    assert!(
        state_frames < REQUESTS,
        "{state_frames} state frames for {REQUESTS} new conversations: not coalesced"
    );

    // Customers: the assigned are told so; the others learn their place, oldest first.
    let mut waiting: Vec<(u64, String, usize)> = Vec::new();
    for (i, (id, requested, customer)) in customers.iter_mut().enumerate() {
        if assigned.contains(id.as_str()) {
            customer.expect("assigned").await;
        } else {
            waiting.push((*requested, id.clone(), i));
        }
    }
    waiting.sort();
    for (place, (_, id, i)) in waiting.iter().enumerate() {
        let expected = place + 1;
        customers[*i]
            .2
            .wait_for("its final place", |f| {
                f["type"] == "queue_status"
                    && f["conversation"] == id.as_str()
                    && f["position"] == expected
            })
            .await;
    }

    // Nobody was cut.
    for desk in desks.iter_mut().chain(std::iter::once(&mut batching)) {
        assert!(desk.answers().await, "an attendant's socket was cut");
    }
    for (_, _, customer) in &mut customers {
        assert!(customer.answers().await, "a customer's socket was cut");
    }
}

/// All conversations shown, exactly [`ASSIGNED`] of them taken, the rest queued.
fn settled(shown: &HashMap<String, String>) -> bool {
    let queued = shown.values().filter(|s| *s == "queued").count();
    shown.len() == REQUESTS && queued == REQUESTS - ASSIGNED
}
