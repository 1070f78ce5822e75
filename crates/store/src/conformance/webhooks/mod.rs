//! Webhooks: endpoints (`endpoints`), the events writes record in the outbox (`recording`),
//! and their deliveries — fan-out, claims, the log, redelivery and pruning (`deliveries`).
//! Every `now` is explicit, so nothing depends on the wall clock. The fixtures they share
//! are here.

mod deliveries;
mod endpoints;
mod recording;

pub use deliveries::*;
pub use endpoints::*;
pub use recording::*;

use std::collections::BTreeSet;
use std::sync::Arc;

use chimpassist_protocol::webhook::{MessageEventData, WebhookEventType as T};
use chimpassist_protocol::{
    CallEndReason, CallId, CallMedia, CallRecord, CallbackId, ConversationStatus, Party, QueueId,
    Rating, WebhookEventId, WebhookId,
};

use super::support::*;
use crate::{
    AttendantChange, Callback, ClaimedDelivery, Customer, DeliveryAttempt, DeliveryNext,
    HealthChange, PreviousSecret, Store, Subscription, WebhookEndpoint,
};

pub(super) const LEASE: u64 = 60_000;

/// Later than every event of a check: everything fanned out is due.
pub(super) const LATER: i64 = T0 + 1_000_000;

pub(super) fn endpoint(url: &str, events: &[T], created_at: i64) -> WebhookEndpoint {
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

pub(super) async fn add_endpoint(store: &dyn Store, events: &[T]) -> WebhookEndpoint {
    let e = endpoint("https://crm.example.com/hooks", events, T0);
    store
        .create_webhook(e.clone())
        .await
        .expect("create_webhook");
    e
}

pub(super) fn subscribed(endpoints: &[&WebhookEndpoint]) -> Vec<Subscription> {
    endpoints
        .iter()
        .map(|e| Subscription {
            endpoint: e.id,
            events: e.events.clone(),
            delay_ms: 0,
        })
        .collect()
}

pub(super) async fn claim(
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

pub(super) fn attempt(
    d: &ClaimedDelivery,
    at: i64,
    status: Option<u16>,
    next: DeliveryNext,
) -> DeliveryAttempt {
    let error = status.filter(|s| *s >= 400).map(|s| format!("HTTP {s}"));
    DeliveryAttempt::of(d, at, status, 12, error, next)
}

pub(super) async fn finish(store: &dyn Store, holder: &str, a: DeliveryAttempt) -> bool {
    store
        .finish_attempt(holder, a)
        .await
        .expect("finish_attempt")
}

/// One customer message in a fresh conversation: two events (`conversation.created`,
/// `message.created`).
pub(super) async fn two_events(store: &dyn Store, at: i64) {
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
