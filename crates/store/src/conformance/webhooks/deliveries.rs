//! Deliveries: fan-out to endpoints, claims, attempts, the log, redelivery and pruning.

use super::*;

/// Fan-out gives each endpoint the events it takes, once, however many nodes run it.
pub async fn fan_out_is_once_per_event_and_endpoint(store: Arc<dyn Store>) {
    let all = add_endpoint(&*store, T::ALL).await;
    let messages = add_endpoint(&*store, &[T::MessageCreated]).await;
    let disabled = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0).await;
    two_events(&*store, T0 + 10).await;
    let subs = subscribed(&[&all, &messages]);
    let taken = concurrently(4, |_| {
        let (store, subs) = (store.clone(), subs.clone());
        async move { store.fan_out_events(&subs, 1_000).await.expect("fan out") }
    })
    .await;
    assert!(
        taken.iter().sum::<u64>() >= 4,
        "every event taken: {taken:?}"
    );
    assert_eq!(
        store.fan_out_events(&subs, 1_000).await.unwrap(),
        0,
        "nothing left"
    );
    assert_eq!(claim(&*store, "a", &[&all], LATER).await.len(), 4);
    assert_eq!(claim(&*store, "a", &[&messages], LATER).await.len(), 2);
    assert!(
        claim(&*store, "a", &[&disabled], LATER).await.is_empty(),
        "not subscribed then"
    );
}

/// A claimed delivery goes to one holder until its claim runs out; only the holder moves it
/// on; a retry waits for its time; done and failed ones are not handed out again.
pub async fn claims_hand_each_delivery_to_one_holder(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, T::ALL).await;
    for i in 0..10 {
        two_events(&*store, T0 + i * 10).await;
    }
    store
        .fan_out_events(&subscribed(&[&hook]), 1_000)
        .await
        .unwrap();
    assert!(
        claim(&*store, "early", &[&hook], T0 - 1).await.is_empty(),
        "not due yet"
    );
    let hooks = [hook.id];
    let batches = concurrently(8, |i| {
        let store = store.clone();
        async move {
            store
                .claim_deliveries(&format!("node-{i}"), &hooks, LATER, LEASE, 4)
                .await
                .expect("claim")
        }
    })
    .await;
    let ids: Vec<WebhookEventId> = batches.iter().flatten().map(|d| d.event.id).collect();
    let distinct: BTreeSet<_> = ids.iter().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (20, 20),
        "each delivery claimed once"
    );
    assert!(
        claim(&*store, "late", &[&hook], LATER + 1).await.is_empty(),
        "all claimed"
    );

    // The claims run out: another node takes them over, and the first can no longer finish.
    let expired = LATER + LEASE as i64;
    let taken = claim(&*store, "rescuer", &[&hook], expired).await;
    assert_eq!(taken.len(), 20, "expired claims are handed out again");
    let [a, b, c] = [&taken[0], &taken[1], &taken[2]];
    assert!(
        !finish(
            &*store,
            "node-0",
            attempt(a, expired, Some(200), DeliveryNext::Done)
        )
        .await
    );
    let retry_at = expired + 5_000;
    assert!(
        finish(
            &*store,
            "rescuer",
            attempt(a, expired, Some(503), DeliveryNext::RetryAt(retry_at))
        )
        .await
    );
    assert!(
        finish(
            &*store,
            "rescuer",
            attempt(b, expired, Some(200), DeliveryNext::Done)
        )
        .await
    );
    assert!(
        finish(
            &*store,
            "rescuer",
            attempt(c, expired, Some(500), DeliveryNext::GiveUp)
        )
        .await
    );
    // Released by the retry, yet not due before its time; the rest are still claimed.
    assert!(claim(&*store, "x", &[&hook], retry_at - 1).await.is_empty());
    let again = claim(&*store, "x", &[&hook], retry_at).await;
    assert_eq!(again.len(), 1, "only the retry is due");
    assert_eq!(
        (again[0].event.id, again[0].attempt),
        (a.event.id, 2),
        "second attempt"
    );
    let much_later = retry_at + 10 * LEASE as i64;
    let rest = claim(&*store, "y", &[&hook], much_later).await;
    let rest: BTreeSet<_> = rest.iter().map(|d| d.event.id).collect();
    assert_eq!(rest.len(), 18, "done and failed are never handed out again");
    assert!(!rest.contains(&b.event.id) && !rest.contains(&c.event.id));
}

/// The log lists an endpoint's attempts newest first, page by page; redelivery makes an
/// event due again from attempt 1.
pub async fn delivery_log_pages_and_redeliver_restarts(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, T::ALL).await;
    let other = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0).await;
    store
        .fan_out_events(&subscribed(&[&hook, &other]), 1_000)
        .await
        .unwrap();
    let mut at = LATER;
    let mut logged = Vec::new();
    for round in 0..3 {
        for d in claim(&*store, "n", &[&hook], at).await {
            let next = if round == 2 {
                DeliveryNext::Done
            } else {
                DeliveryNext::RetryAt(at + 1)
            };
            let a = attempt(&d, at, Some(if round == 2 { 204 } else { 502 }), next);
            logged.push(a.clone());
            assert!(finish(&*store, "n", a).await);
        }
        at += 1;
    }
    assert_eq!(logged.len(), 6);
    logged.sort_by_key(|a| std::cmp::Reverse(a.id));
    let first = store.delivery_log(&hook.id, None, 4).await.unwrap();
    assert_eq!(first, logged[..4].to_vec(), "newest first");
    let rest = store
        .delivery_log(&hook.id, Some(first[3].id), 4)
        .await
        .unwrap();
    assert_eq!(rest, logged[4..].to_vec(), "the next page");
    assert!(
        store
            .delivery_log(&other.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(logged[0].attempt, 3, "attempts count up");

    let event = logged[0].event;
    store
        .redeliver(&hook.id, &event, at)
        .await
        .expect("redeliver");
    let again = claim(&*store, "n", &[&hook], at).await;
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].event.id, again[0].attempt),
        (event, 1),
        "a fresh schedule"
    );
    assert_err(
        store.redeliver(&hook.id, &WebhookEventId::new(), at).await,
        "NotFound",
        "unknown event",
    );
    assert_err(
        store.redeliver(&WebhookId::new(), &event, at).await,
        "NotFound",
        "unknown endpoint",
    );
}

/// Pruning forgets old events nothing waits for — never one still pending or not yet fanned
/// out — and old log entries.
pub async fn pruning_keeps_what_is_still_owed(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, &[T::ConversationCreated]).await;
    two_events(&*store, T0).await; // created → delivered below; message → no subscriber
    two_events(&*store, T0 + 100).await; // created → left pending
    store
        .fan_out_events(&subscribed(&[&hook]), 2)
        .await
        .unwrap(); // the first pair only
    let first = claim(&*store, "n", &[&hook], LATER).await;
    assert_eq!(first.len(), 1);
    assert!(
        finish(
            &*store,
            "n",
            attempt(&first[0], T0 + 50, Some(200), DeliveryNext::Done)
        )
        .await
    );
    store
        .fan_out_events(&subscribed(&[&hook]), 1)
        .await
        .unwrap(); // the second created
    two_events(&*store, T0 + 200).await; // never fanned out

    let pruned = store.prune_webhook_events(T0 + 1_000).await.unwrap();
    assert_eq!(pruned, 2, "the delivered event and the one nobody took");
    assert_err(
        store.redeliver(&hook.id, &first[0].event.id, LATER).await,
        "NotFound",
        "pruned",
    );
    assert!(
        store
            .delivery_log(&hook.id, None, 10)
            .await
            .unwrap()
            .is_empty(),
        "old log entries go"
    );
    assert_eq!(
        store
            .fan_out_events(&subscribed(&[&hook]), 100)
            .await
            .unwrap(),
        3,
        "unfanned kept"
    );
    let owed = claim(&*store, "n", &[&hook], LATER).await;
    assert_eq!(
        owed.len(),
        2,
        "the pending one and the newly fanned out one"
    );
}

/// The server's own subscribers (e-mail): a delivery is first due its subscription's delay
/// after the event, and pruning, which drops deliveries to endpoints that no longer exist,
/// keeps theirs (they never have an endpoint record).
pub async fn internal_subscribers_wait_their_delay_and_outlive_pruning(store: Arc<dyn Store>) {
    let replies = crate::webhooks::internal::mail_replies();
    let subs = [Subscription {
        endpoint: replies,
        events: vec![T::MessageCreated],
        delay_ms: 60_000,
    }];
    two_events(&*store, T0).await; // the message happens at T0 + 1
    assert_eq!(store.fan_out_events(&subs, 100).await.unwrap(), 2);
    let due = |now| {
        let store = store.clone();
        async move {
            store
                .claim_deliveries("n", &[replies], now, LEASE, 100)
                .await
                .expect("claim_deliveries")
        }
    };
    assert!(
        due(T0 + 60_000).await.is_empty(),
        "not due before the delay"
    );
    store.prune_webhook_events(T0 + 60_000).await.unwrap();
    let claimed = due(T0 + 60_001).await;
    assert_eq!(claimed.len(), 1, "kept by pruning, due after the delay");
    assert_eq!(claimed[0].event.kind, T::MessageCreated);
}
