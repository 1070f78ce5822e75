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
/// The server's own subscribers (e-mail, `crate::mail`) are always among them.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    recorded: Arc<tokio::sync::Mutex<Option<Vec<WebhookEventType>>>>,
    internal: Arc<Vec<Subscription>>,
}

impl Recorder {
    /// A recorder that also records what `internal` subscribers take.
    pub fn with_internal(internal: Vec<Subscription>) -> Self {
        Self {
            recorded: Default::default(),
            internal: Arc::new(internal),
        }
    }

    /// The enabled endpoints' subscriptions and the internal ones: what a fan-out must
    /// cover (a fan-out marks its events done, so one that left a subscriber out would lose
    /// its deliveries).
    pub fn subscriptions(&self, endpoints: &[WebhookEndpoint]) -> Vec<Subscription> {
        let mut all = Subscription::of_enabled(endpoints);
        all.extend(self.internal.iter().cloned());
        all
    }

    /// Reads the endpoints, records what the enabled ones take, and returns them.
    pub async fn refresh(&self, store: &dyn Store) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut recorded = self.recorded.lock().await;
        let endpoints = store.list_webhooks().await?;
        let subscriptions = self.subscriptions(&endpoints);
        let types = chimpassist_store::subscribed_types(&subscriptions);
        store.record_events(&types);
        if recorded.as_ref() != Some(&types) {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            tracing::info!(types = %names.join(","), "webhook event types recorded");
            *recorded = Some(types);
        }
        Ok(endpoints)
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
}
