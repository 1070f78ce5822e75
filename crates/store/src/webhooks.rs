//! Records of outgoing webhooks: endpoints, the outbox of events, deliveries and their log.
//!
//! # The outbox
//! Every write that causes an event records it in the same atomic write (see
//! [`crate::events`] for which write records what), so an event exists exactly when its
//! change does: a crash between the change and the delivery loses nothing, and a write that
//! fails or is a duplicate records nothing.
//!
//! Delivery then goes in two steps, both safe to run on every node at once:
//! 1. **Fan-out** ([`crate::Store::fan_out_events`]): each recorded event becomes one delivery
//!    per endpoint subscribed to it at that moment (a delivery's key is `(event, endpoint)`,
//!    so two nodes fanning out the same event make one delivery).
//! 2. **Claims** ([`crate::Store::claim_deliveries`]): a node claims due deliveries for a
//!    while; a claimed delivery is not handed to anyone else until the claim runs out, so in
//!    a cluster each attempt is made once. A node that dies mid-attempt leaves a claim that
//!    runs out, and the delivery is tried again (at least once, never lost).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chimpassist_protocol::webhook::{AttemptOutcome, WebhookEventType};
use chimpassist_protocol::{AttemptId, TimestampMs, WebhookEventId, WebhookId};

/// Which event types a store records ([`crate::Store::record_events`]): every type until
/// told otherwise, so no event is missed before the dispatcher has looked at the endpoints.
///
/// Why: an event costs about as much to write as the message that causes it (measured: 256
/// concurrent durable appends went from ~30,000/s to ~16,500/s on the embedded store when
/// every message also wrote its event), and most servers subscribe to few types or none.
#[derive(Clone, Debug)]
pub struct Recording(Arc<AtomicU32>);

impl Default for Recording {
    fn default() -> Self {
        Self(Arc::new(AtomicU32::new(u32::MAX)))
    }
}

impl Recording {
    fn bit(kind: WebhookEventType) -> u32 {
        let index = WebhookEventType::ALL.iter().position(|k| *k == kind);
        1 << index.unwrap_or(31)
    }

    /// Records these types from now on, and no others.
    pub fn set(&self, types: &[WebhookEventType]) {
        let mask = types.iter().fold(0, |mask, kind| mask | Self::bit(*kind));
        self.0.store(mask, Ordering::Relaxed);
    }

    pub fn wants(&self, kind: WebhookEventType) -> bool {
        self.0.load(Ordering::Relaxed) & Self::bit(kind) != 0
    }

    /// `event` if its type is recorded.
    pub fn keep(&self, event: RecordedEvent) -> Option<RecordedEvent> {
        self.wants(event.kind).then_some(event)
    }
}

/// An endpoint as stored, secrets included (they never leave the server but in the one
/// answer that creates or rotates them, and `Debug` leaves them out, so no log line can
/// carry one).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookId,
    pub url: String,
    pub events: Vec<WebhookEventType>,
    pub enabled: bool,
    pub description: Option<String>,
    pub created_at: TimestampMs,
    /// `whsec_…`: signs every delivery.
    pub secret: String,
    /// A rotated-out secret that also signs until its time is up (zero-downtime rotation).
    pub previous_secret: Option<PreviousSecret>,
    /// Why the server disabled it (`410 Gone`, failing for days); `None` when an admin did,
    /// or when enabled.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; `None` after a success.
    pub failing_since: Option<TimestampMs>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .field("created_at", &self.created_at)
            .field("disabled_reason", &self.disabled_reason)
            .field("failing_since", &self.failing_since)
            .finish_non_exhaustive()
    }
}

/// See [`WebhookEndpoint::previous_secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    pub secret: String,
    pub until: TimestampMs,
}

impl std::fmt::Debug for PreviousSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviousSecret")
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// A change of an endpoint's health, from a delivery's outcome
/// ([`crate::Store::webhook_health`]): applied to the stored record alone, so it never
/// undoes an admin's concurrent edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HealthChange {
    /// A delivery succeeded: the failure streak ends.
    Succeeded,
    /// A delivery failed at `at`: the streak starts there unless it already runs.
    Failed { at: TimestampMs },
    /// Stop delivering (`enabled` off) and say why.
    Disable { reason: String },
}

/// An event as the outbox keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: WebhookEventId,
    pub kind: WebhookEventType,
    /// When the change happened.
    pub at: TimestampMs,
    /// The event's `data`, as JSON text (see [`chimpassist_protocol::webhook::WebhookEvent`]).
    pub data: String,
}

/// Subscribers that are not endpoints but the server itself: e-mail to visitors goes through
/// the same outbox, so a mail is recorded in the very write that causes it (a resolve, a
/// reply) and is sent at least once, with the same claims, retries and log. Their deliveries
/// have no row in `webhooks`, and pruning keeps them all the same.
pub mod internal {
    use chimpassist_protocol::WebhookId;
    use uuid::Uuid;

    /// The transcript a visitor asked for, sent when the conversation is resolved.
    pub fn mail_transcripts() -> WebhookId {
        WebhookId::from(Uuid::from_u128(0x1))
    }

    /// A reply the visitor left before reading, sent once they have been gone a while.
    pub fn mail_replies() -> WebhookId {
        WebhookId::from(Uuid::from_u128(0x2))
    }

    /// Every internal subscriber.
    pub fn all() -> [WebhookId; 2] {
        [mail_transcripts(), mail_replies()]
    }
}

/// Which events an endpoint takes, for [`crate::Store::fan_out_events`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: WebhookId,
    pub events: Vec<WebhookEventType>,
    /// A delivery is first due this long after its event (0 for endpoints; the reply mail
    /// waits for the visitor to have gone).
    pub delay_ms: i64,
}

impl Subscription {
    /// The subscriptions of the enabled endpoints among `endpoints`.
    pub fn of_enabled(endpoints: &[WebhookEndpoint]) -> Vec<Self> {
        endpoints
            .iter()
            .filter(|e| e.enabled)
            .map(|e| Self {
                endpoint: e.id,
                events: e.events.clone(),
                delay_ms: 0,
            })
            .collect()
    }
}

/// Every event type some of `subscriptions` take (what a store should record).
pub fn subscribed_types(subscriptions: &[Subscription]) -> Vec<WebhookEventType> {
    let mut types: Vec<WebhookEventType> = subscriptions
        .iter()
        .flat_map(|s| s.events.iter().copied())
        .collect();
    types.sort();
    types.dedup();
    types
}

/// A delivery handed to one node by [`crate::Store::claim_deliveries`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub endpoint: WebhookId,
    pub event: RecordedEvent,
    /// The number this attempt will have: 1 for the first.
    pub attempt: u32,
}

/// What happens to a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryNext {
    /// Delivered: never tried again (unless redelivered).
    Done,
    /// Try again at this time.
    RetryAt(TimestampMs),
    /// Failed for good: not tried again (unless redelivered).
    GiveUp,
}

impl DeliveryNext {
    /// The log's word for it.
    pub fn outcome(self) -> AttemptOutcome {
        match self {
            Self::Done => AttemptOutcome::Delivered,
            Self::RetryAt(_) => AttemptOutcome::Retrying,
            Self::GiveUp => AttemptOutcome::Failed,
        }
    }

    pub fn retry_at(self) -> Option<TimestampMs> {
        match self {
            Self::RetryAt(at) => Some(at),
            _ => None,
        }
    }
}

/// One attempt, as the delivery log keeps it ([`crate::Store::finish_attempt`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: AttemptId,
    pub endpoint: WebhookId,
    pub event: WebhookEventId,
    pub kind: WebhookEventType,
    pub attempt: u32,
    pub at: TimestampMs,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub next: DeliveryNext,
}

impl DeliveryAttempt {
    /// The record of the attempt made on `claimed` at `at`, with a fresh id.
    pub fn of(
        claimed: &ClaimedDelivery,
        at: TimestampMs,
        status: Option<u16>,
        duration_ms: u64,
        error: Option<String>,
        next: DeliveryNext,
    ) -> Self {
        Self {
            id: AttemptId::new(),
            endpoint: claimed.endpoint,
            event: claimed.event.id,
            kind: claimed.event.kind,
            attempt: claimed.attempt,
            at,
            status,
            duration_ms,
            error,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_never_shows_a_secret() {
        let endpoint = WebhookEndpoint {
            id: WebhookId::new(),
            url: "https://crm.example.com/in".into(),
            events: vec![WebhookEventType::MessageCreated],
            enabled: true,
            description: None,
            created_at: 0,
            secret: "whsec_current".into(),
            previous_secret: Some(PreviousSecret {
                secret: "whsec_previous".into(),
                until: 1,
            }),
            disabled_reason: None,
            failing_since: None,
        };
        let shown = format!("{endpoint:?} {:?}", endpoint.previous_secret);
        assert!(!shown.contains("whsec_"), "{shown}");
        assert!(shown.contains("crm.example.com"));
    }

    #[test]
    fn recording_follows_the_last_types_given() {
        let recording = Recording::default();
        assert!(
            WebhookEventType::ALL.iter().all(|k| recording.wants(*k)),
            "all at first"
        );
        recording.set(&[WebhookEventType::CsatSubmitted]);
        assert!(recording.wants(WebhookEventType::CsatSubmitted));
        assert!(!recording.wants(WebhookEventType::MessageCreated));
        recording.set(&[]);
        assert!(!recording.wants(WebhookEventType::CsatSubmitted));
    }
}
