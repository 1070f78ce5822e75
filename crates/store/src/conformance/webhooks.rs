//! Webhooks: endpoints, the outbox that writes fill, fan-out, claims, the log, redelivery
//! and pruning. Every `now` is explicit, so nothing depends on the wall clock.

use std::collections::BTreeSet;
use std::sync::Arc;

use chimpassist_protocol::webhook::{MessageEventData, WebhookEventType as T};
use chimpassist_protocol::{
    AttemptId, CallEndReason, CallId, CallMedia, CallRecord, CallbackId, ConversationStatus, Party,
    QueueId, Rating, WebhookEventId, WebhookId,
};

use super::support::*;
use crate::{
    AttendantChange, Callback, ClaimedDelivery, Customer, DeliveryAttempt, DeliveryNext,
    HealthChange, PreviousSecret, Store, Subscription, WebhookEndpoint,
};

const LEASE: u64 = 60_000;
/// Later than every event of a check: everything fanned out is due.
const LATER: i64 = T0 + 1_000_000;

fn endpoint(url: &str, events: &[T], created_at: i64) -> WebhookEndpoint {
    WebhookEndpoint {
        id: WebhookId::new(),
        url: url.to_owned(),
        events: events.to_vec(),
        enabled: true,
        description: Some("CRM".to_owned()),
        created_at,
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        previous_secret: None,
        disabled_reason: None,
        failing_since: None,
    }
}

async fn add_endpoint(store: &dyn Store, events: &[T]) -> WebhookEndpoint {
    let e = endpoint("https://crm.example.com/hooks", events, T0);
    store
        .create_webhook(e.clone())
        .await
        .expect("create_webhook");
    e
}

fn subscribed(endpoints: &[&WebhookEndpoint]) -> Vec<Subscription> {
    endpoints
        .iter()
        .map(|e| Subscription {
            endpoint: e.id,
            events: e.events.clone(),
        })
        .collect()
}

async fn claim(
    store: &dyn Store,
    holder: &str,
    to: &[&WebhookEndpoint],
    now: i64,
) -> Vec<ClaimedDelivery> {
    let ids: Vec<WebhookId> = to.iter().map(|e| e.id).collect();
    store
        .claim_deliveries(holder, &ids, now, LEASE, 1_000)
        .await
        .expect("claim_deliveries")
}

fn attempt(
    d: &ClaimedDelivery,
    at: i64,
    status: Option<u16>,
    next: DeliveryNext,
) -> DeliveryAttempt {
    DeliveryAttempt {
        id: AttemptId::new(),
        endpoint: d.endpoint,
        event: d.event.id,
        kind: d.event.kind,
        attempt: d.attempt,
        at,
        status,
        duration_ms: 12,
        error: status.filter(|s| *s >= 400).map(|s| format!("HTTP {s}")),
        next,
    }
}

async fn finish(store: &dyn Store, holder: &str, a: DeliveryAttempt) -> bool {
    store
        .finish_attempt(holder, a)
        .await
        .expect("finish_attempt")
}

/// One customer message in a fresh conversation: two events (`conversation.created`,
/// `message.created`).
async fn two_events(store: &dyn Store, at: i64) {
    let conv = queued_conversation(store, at).await;
    store
        .append_message(customer_message(
            conv.id,
            &conv.customer_id,
            "hello",
            at + 1,
        ))
        .await
        .expect("append");
}

/// Endpoints are kept whole, listed oldest first, edited, health-changed without touching
/// anything else, and deleted.
pub async fn webhook_endpoints_lifecycle(store: Arc<dyn Store>) {
    let mut first = endpoint("https://a.example.com/h", &[T::MessageCreated], T0);
    first.previous_secret = Some(PreviousSecret {
        secret: "whsec_b2xk".to_owned(),
        until: T0 + 5,
    });
    let second = endpoint("https://b.example.com/h", &T::ALL[..3], T0 + 1);
    store
        .create_webhook(second.clone())
        .await
        .expect("create second");
    store
        .create_webhook(first.clone())
        .await
        .expect("create first");
    assert_err(
        store.create_webhook(first.clone()).await,
        "Conflict",
        "a taken id",
    );
    assert_eq!(
        store.get_webhook(&first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.list_webhooks().await.unwrap(),
        vec![first.clone(), second.clone()]
    );

    let mut edited = first.clone();
    edited.url = "https://a.example.com/v2".to_owned();
    edited.events = vec![T::CsatSubmitted, T::CallEnded];
    edited.previous_secret = None;
    edited.description = None;
    store.update_webhook(edited.clone()).await.expect("update");
    assert_eq!(
        store.get_webhook(&first.id).await.unwrap(),
        Some(edited.clone())
    );

    let health = |change| store.webhook_health(&first.id, change);
    health(HealthChange::Failed { at: T0 + 10 }).await.unwrap();
    health(HealthChange::Failed { at: T0 + 20 }).await.unwrap();
    let now = store.get_webhook(&first.id).await.unwrap().unwrap();
    assert_eq!(now.failing_since, Some(T0 + 10), "a streak keeps its start");
    assert_eq!(now.url, edited.url, "health leaves the rest alone");
    health(HealthChange::Succeeded).await.unwrap();
    assert_eq!(
        store
            .get_webhook(&first.id)
            .await
            .unwrap()
            .unwrap()
            .failing_since,
        None
    );
    health(HealthChange::Disable {
        reason: "410 Gone".to_owned(),
    })
    .await
    .unwrap();
    let now = store.get_webhook(&first.id).await.unwrap().unwrap();
    assert!(!now.enabled);
    assert_eq!(now.disabled_reason.as_deref(), Some("410 Gone"));
    store
        .webhook_health(&WebhookId::new(), HealthChange::Succeeded)
        .await
        .expect("health of a deleted endpoint is no error");

    store.delete_webhook(&first.id).await.expect("delete");
    assert_eq!(store.get_webhook(&first.id).await.unwrap(), None);
    assert_eq!(store.list_webhooks().await.unwrap(), vec![second]);
    assert_err(
        store.delete_webhook(&first.id).await,
        "NotFound",
        "delete twice",
    );
    let mut ghost = first;
    ghost.id = WebhookId::new();
    assert_err(
        store.update_webhook(ghost).await,
        "NotFound",
        "update absent",
    );
}

/// Each write records the event the table in `events` names, exactly once: a resend and a
/// refused transition record nothing, accepting an assignment records nothing.
pub async fn every_change_records_its_event_once(store: Arc<dyn Store>) {
    use ConversationStatus::*;
    let hook = add_endpoint(&*store, T::ALL).await;
    let (ann, bob) = (
        new_attendant(&*store, 5).await,
        new_attendant(&*store, 5).await,
    );
    let conv = queued_conversation(&*store, T0).await;
    assign(&*store, conv.id, &ann.id, T0 + 1).await;
    let accept = transition(conv.id, &[Assigned], Active, AttendantChange::Keep, T0 + 2);
    store.transition(accept).await.expect("accept");
    let refused = transition(
        conv.id,
        &[Queued],
        Assigned,
        AttendantChange::Set(bob.id.clone()),
        T0 + 3,
    );
    assert!(store.transition(refused).await.is_err(), "refused");
    let hand_over = transition(
        conv.id,
        &[Active],
        Assigned,
        AttendantChange::Set(bob.id.clone()),
        T0 + 4,
    );
    store.transition(hand_over).await.expect("transfer");
    let message = customer_message(conv.id, &conv.customer_id, "where is my order?", T0 + 5);
    store.append_message(message.clone()).await.expect("append");
    assert!(
        store
            .append_message(message)
            .await
            .expect("resend")
            .duplicate
    );
    let mut call = customer_message(conv.id, &conv.customer_id, "Voice call", T0 + 6);
    call.call = Some(CallRecord {
        call_id: CallId::new(),
        media: CallMedia::Voice,
        started_by: Party::Customer,
        invited_at: T0 + 6,
        answered_at: None,
        ended_at: T0 + 6,
        reason: CallEndReason::Missed,
    });
    store.append_message(call).await.expect("call record");
    resolve(&*store, conv.id, T0 + 7).await;
    let rating = Rating {
        score: 5,
        comment: Some("quick".to_owned()),
    };
    store
        .set_rating(&conv.id, rating, T0 + 8)
        .await
        .expect("rate");
    let reopen = transition(conv.id, &[Resolved], Queued, AttendantChange::Clear, T0 + 9);
    store.transition(reopen).await.expect("reopen");
    let expire = transition(conv.id, &[Queued], Expired, AttendantChange::Keep, T0 + 10);
    store.transition(expire).await.expect("expire");
    store
        .create_callback(callback(T0 + 11))
        .await
        .expect("callback");
    let attributes: chimpassist_protocol::AttributeChanges =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).expect("attributes");
    store
        .update_customer_attributes(&conv.customer_id, &attributes, T0 + 12)
        .await
        .expect("attributes");

    let fanned = store
        .fan_out_events(&subscribed(&[&hook]), 1_000)
        .await
        .unwrap();
    assert_eq!(fanned, 11, "events recorded");
    let claimed = claim(&*store, "node-a", &[&hook], LATER).await;
    let kinds: Vec<T> = claimed.iter().map(|d| d.event.kind).collect();
    assert_eq!(
        kinds,
        vec![
            T::ConversationCreated,
            T::ConversationAssigned,
            T::ConversationTransferred,
            T::MessageCreated,
            T::CallEnded,
            T::ConversationResolved,
            T::CsatSubmitted,
            T::ConversationReopened,
            T::ConversationEnded,
            T::CallbackRequested,
            T::ContactUpdated,
        ],
        "in the order they happened, each once"
    );
    let updated: serde_json::Value = serde_json::from_str(&claimed[10].event.data).unwrap();
    assert_eq!(updated["attributes"], serde_json::json!({"plan": "pro"}));
    assert_eq!(updated["customer_id"], conv.customer_id.as_str());

    let message = &claimed[3].event;
    let data: MessageEventData = serde_json::from_str(&message.data).expect("message data");
    assert_eq!(
        (data.text.as_str(), data.seq, message.at),
        ("where is my order?", 1, T0 + 5)
    );
    assert!(claimed.iter().all(|d| d.attempt == 1), "first attempts");
    let ids: BTreeSet<WebhookEventId> = claimed.iter().map(|d| d.event.id).collect();
    assert_eq!(ids.len(), claimed.len(), "distinct event ids");
}

/// `contact.updated` names the site's id only when the site proved it.
pub async fn contact_updated_names_only_a_proven_site_id(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, &[T::ContactUpdated]).await;
    let claimed = store
        .create_customer(Customer {
            external_id: Some("claimed-1".to_owned()),
            ..customer_record()
        })
        .await
        .expect("create_customer");
    let proven = store
        .upsert_verified_customer(Customer {
            external_id: Some("proven-2".to_owned()),
            verified: true,
            ..customer_record()
        })
        .await
        .expect("upsert_verified_customer");
    let attributes: chimpassist_protocol::AttributeChanges =
        serde_json::from_value(serde_json::json!({"plan": "pro"})).expect("attributes");
    for (c, at) in [(&claimed, T0 + 1), (&proven, T0 + 2)] {
        store
            .update_customer_attributes(&c.id, &attributes, at)
            .await
            .expect("update_customer_attributes");
    }
    store
        .fan_out_events(&subscribed(&[&hook]), 1_000)
        .await
        .unwrap();
    let claimed_events = claim(&*store, "node-a", &[&hook], LATER).await;
    let site_ids: Vec<serde_json::Value> = claimed_events
        .iter()
        .map(|d| {
            let data: serde_json::Value = serde_json::from_str(&d.event.data).unwrap();
            data.get("site_id").cloned().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        site_ids,
        [serde_json::Value::Null, serde_json::json!("proven-2")],
        "an unproven id is not named: anyone can claim one"
    );
}

fn callback(created_at: i64) -> Callback {
    Callback {
        id: CallbackId::new(),
        queue_id: QueueId::default_queue(),
        customer_id: None,
        name: "Ana".to_owned(),
        phone: Some("+55 11 99999-0000".to_owned()),
        email: None,
        preferred_time: None,
        note: None,
        created_at,
        done_at: None,
        done_by: None,
    }
}

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

/// Deleting an endpoint drops its deliveries and its log, and only its own.
pub async fn deleting_an_endpoint_drops_its_deliveries(store: Arc<dyn Store>) {
    let gone = add_endpoint(&*store, T::ALL).await;
    let kept = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0).await;
    store
        .fan_out_events(&subscribed(&[&gone, &kept]), 100)
        .await
        .unwrap();
    let d = claim(&*store, "n", &[&gone], LATER).await;
    assert!(
        finish(
            &*store,
            "n",
            attempt(&d[0], LATER, Some(500), DeliveryNext::RetryAt(LATER))
        )
        .await
    );
    store.delete_webhook(&gone.id).await.unwrap();
    assert!(
        store
            .delivery_log(&gone.id, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(claim(&*store, "n", &[&gone], LATER + 1).await.is_empty());
    assert_eq!(claim(&*store, "n", &[&kept], LATER + 1).await.len(), 2);

    // A fan-out that read the endpoint before its deletion leaves deliveries nobody will
    // claim: pruning drops them, and their events with them.
    let late = add_endpoint(&*store, T::ALL).await;
    two_events(&*store, T0 + 10).await;
    let subs = subscribed(&[&late]);
    store.delete_webhook(&late.id).await.unwrap();
    store.fan_out_events(&subs, 100).await.unwrap();
    let pruned = store.prune_webhook_events(LATER).await.unwrap();
    assert_eq!(
        pruned, 2,
        "not kept for a ghost; the ones still owed to `kept` stay"
    );
}

/// A store records the event types it was last told to (all, until told), and no others.
pub async fn only_the_event_types_asked_for_are_recorded(store: Arc<dyn Store>) {
    let hook = add_endpoint(&*store, T::ALL).await;
    store.record_events(&[T::MessageCreated]);
    two_events(&*store, T0).await; // the conversation's creation is not recorded
    store.record_events(&[]);
    two_events(&*store, T0 + 10).await; // nothing is
    store.record_events(T::ALL);
    store
        .create_callback(callback(T0 + 20))
        .await
        .expect("callback");
    assert_eq!(
        store
            .fan_out_events(&subscribed(&[&hook]), 100)
            .await
            .unwrap(),
        2
    );
    let kinds: Vec<T> = claim(&*store, "n", &[&hook], LATER)
        .await
        .iter()
        .map(|d| d.event.kind)
        .collect();
    assert_eq!(kinds, [T::MessageCreated, T::CallbackRequested]);
}
