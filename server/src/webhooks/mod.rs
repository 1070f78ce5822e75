//! Outgoing webhooks: signed (Standard Webhooks v1), at least once, from the store's outbox.
//!
//! - [`sign`]: secrets and signatures;
//! - [`guard`]: the SSRF guard and the HTTP client that enforces it;
//! - [`policy`]: what an attempt's answer means (retry when, give up, disable);
//! - [`dispatch`]: the task that delivers;
//! - [`endpoints`]: what an admin may save as an endpoint.
//!
//! Which change records which event is the store's (`chimpassist_store::events`).

pub mod dispatch;
pub mod endpoints;
pub mod guard;
pub mod policy;
pub mod sign;

use std::time::Duration;

pub use dispatch::Dispatcher;

use std::sync::Arc;

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_store::{Store, StoreResult, Subscription, WebhookEndpoint};

/// Keeps the event types this node's writes record (`Store::record_events`) in step with
/// the enabled endpoints. The dispatcher refreshes it every round (so an endpoint saved on
/// another node counts here within `WEBHOOK_POLL_MS`), the admin API right after saving or
/// deleting one (so the next change on this node is recorded). One refresh at a time: a
/// refresh that read the endpoints before a save cannot overwrite one that read them after.
/// A change of what this node records is logged (`webhook event types recorded`), so an
/// operator — or a test — sees when a node started recording an endpoint's events.
///
/// The server's own subscribers (e-mail, `crate::mail`) are among them: this node's own when
/// it mails, else those a mailing node's beacon announces (`crate::mail::beacon`).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    recorded: Arc<tokio::sync::Mutex<Option<Vec<WebhookEventType>>>>,
    /// This node's internal subscribers; `None` on a node that does not mail.
    own: Option<Arc<Vec<Subscription>>>,
    /// A node of a cluster that does not mail reads the beacon each round; a single node
    /// without mail has no one to learn it from, and reads nothing.
    relays: bool,
}

impl Recorder {
    /// A recorder of a node whose `own` internal subscribers take events.
    pub fn with_internal(own: Vec<Subscription>) -> Self {
        Self {
            own: Some(Arc::new(own)),
            ..Self::default()
        }
    }

    /// A recorder of a cluster's node that does not mail: it relays mail's events while a
    /// mailing node's beacon holds.
    pub fn relaying() -> Self {
        Self {
            relays: true,
            ..Self::default()
        }
    }

    /// The internal subscriptions now: this node's, or the beacon's.
    async fn internal(&self, store: &dyn Store) -> StoreResult<Vec<Subscription>> {
        Ok(match &self.own {
            Some(own) => own.to_vec(),
            None if self.relays => {
                let beacon = store.setting(crate::mail::beacon::KEY).await?;
                crate::mail::beacon::read(beacon.as_deref(), crate::views::now_ms())
            }
            None => Vec::new(),
        })
    }

    /// Reads the endpoints, records what the enabled ones and the internal subscribers take,
    /// and returns the endpoints and every subscription: what a fan-out must cover (a
    /// fan-out marks its events done, so one that left a subscriber out would lose its
    /// deliveries).
    pub async fn refresh(
        &self,
        store: &dyn Store,
    ) -> StoreResult<(Vec<WebhookEndpoint>, Vec<Subscription>)> {
        let mut recorded = self.recorded.lock().await;
        let endpoints = store.list_webhooks().await?;
        let internal = self.internal(store).await?;
        let relaying = self.own.is_none() && !internal.is_empty();
        let mut subscriptions = Subscription::of_enabled(&endpoints);
        subscriptions.extend(internal);
        let types = chimpassist_store::subscribed_types(&subscriptions);
        store.record_events(&types);
        if recorded.as_ref() != Some(&types) {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            tracing::info!(types = %names.join(","), "webhook event types recorded");
            if relaying {
                tracing::warn!(
                    "another node mails visitors but this one has no SMTP_URL: it records and \
                     hands on mail's events, and only mailing nodes send; give every node the \
                     same mail settings"
                );
            }
            *recorded = Some(types);
        }
        Ok((endpoints, subscriptions))
    }
}

/// The dispatcher's settings (from `Config::webhooks`).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Delays before each attempt (the first is usually 0).
    pub schedule: Vec<Duration>,
    /// Longest a receiver may take to answer.
    pub timeout: Duration,
    /// An endpoint failing this long is disabled.
    pub disable_after: Duration,
    /// Let webhooks go to loopback/private/link-local addresses (tests, closed networks).
    pub allow_private: bool,
    /// How often a node looks for new events and due retries.
    pub poll: Duration,
    /// How long delivered events and the delivery log are kept.
    pub keep_events: Duration,
    /// Other nodes share the outbox (`MQTT_BROKER_HOST`): a mailing node lights the mail
    /// beacon for them (`crate::mail::beacon`).
    pub clustered: bool,
}
