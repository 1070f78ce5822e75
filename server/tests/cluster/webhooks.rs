//! Two nodes deliver each webhook event once: both look for due deliveries every 20 ms, and
//! the store's claims give each attempt to one of them.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::Cluster;
use crate::helpers::*;

const EVENTS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_event_once() {
    let cluster = Cluster::start().await;
    let settings = [
        ("WEBHOOK_ALLOW_PRIVATE_DESTINATIONS", "true"),
        ("WEBHOOK_POLL_MS", "20"),
    ];
    let (one, two) = cluster.pair_with(&settings).await;
    let mut receiver = Receiver::start().await;
    let admin = one.app.admin().await;
    let before = two.log.mark();
    let (webhook, _) = one
        .app
        .subscribe(&admin, &receiver, json!(["callback.requested"]))
        .await;
    // Node two records the endpoint's events from its next round on (node one at once, as
    // the endpoint was saved there): wait for it, or its first requests record nothing.
    two.log
        .wait(before, "node two recording callback.requested", |f| {
            f["message"] == "webhook event types recorded" && f["types"] == "callback.requested"
        })
        .await;
    let (mark_one, mark_two) = (one.log.mark(), two.log.mark());
    for i in 0..EVENTS {
        let node = if i % 2 == 0 { &one } else { &two };
        let asked = node
            .app
            .post(
                "/api/callback",
                &Auth::None,
                json!({"name": format!("visitor {i}"), "phone": "+55 11 5555-0000"}),
            )
            .await;
        assert_eq!(asked.status(), 201);
    }
    let mut ids = BTreeSet::new();
    for _ in 0..EVENTS {
        let got = receiver.next().await;
        assert!(got.verified);
        assert!(
            ids.insert(got.id.clone()),
            "event {} delivered twice",
            got.id
        );
    }
    // A node logs an attempt once it has recorded it: wait for each event's, on either node.
    for id in &ids {
        let attempted = |f: &Value| f["message"] == "webhook attempt" && f["event"] == id.as_str();
        tokio::select! {
            _ = one.log.wait(mark_one, "the attempt", attempted) => {}
            _ = two.log.wait(mark_two, "the attempt", attempted) => {}
        }
    }
    let attempt = |f: &Value| f["message"] == "webhook attempt";
    let (by_one, by_two) = (
        one.log.entries(mark_one, attempt),
        two.log.entries(mark_two, attempt),
    );
    let attempted: Vec<&str> = by_one
        .iter()
        .chain(&by_two)
        .map(|f| f["event"].as_str().expect("event id"))
        .collect();
    assert_eq!(
        attempted.len(),
        EVENTS,
        "one attempt per event across both nodes"
    );
    assert_eq!(attempted.iter().collect::<BTreeSet<_>>().len(), EVENTS);
    let log: Value = two
        .app
        .get(
            &format!("/api/webhooks/{webhook}/deliveries?limit=200"),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        log["attempts"].as_array().unwrap().len(),
        EVENTS,
        "the shared log agrees"
    );
    eprintln!(
        "attempts by node one: {}, by node two: {}",
        by_one.len(),
        by_two.len()
    );
}
