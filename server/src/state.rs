//! What every handler shares.

use std::sync::Arc;

use chimpassist_store::Store;
use tokio_util::sync::CancellationToken;

use crate::auth::Auth;
use crate::bus::Bus;
use crate::cache::Caches;
use crate::config::Config;
use crate::coordinator::Coordinator;
use crate::delivery::Delivery;
use crate::edge::Edge;
use crate::metrics::Metrics;

/// Application state, behind an `Arc` in axum's `State`.
pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    /// The message path and this node's connections.
    pub delivery: Delivery,
    pub coordinator: Coordinator,
    pub auth: Auth,
    pub metrics: Metrics,
    pub http: reqwest::Client,
    /// Queue numbers and statistics answers, kept `CACHE_SECONDS`.
    pub upstream: Caches,
    /// Client addresses, connection slots, rate limits.
    pub edge: Arc<Edge>,
    /// File rules and download links.
    pub attachments: crate::attachments::Attachments,
    /// The STUN and TURN servers calls use, and their credentials.
    pub ice: crate::calls::IceSettings,
    /// Which webhook events this node's writes record.
    pub webhooks: crate::webhooks::Recorder,
    /// Checks the links in mails to visitors (`api::mail`); works whether or not mail is on,
    /// so a link sent before mail was turned off still opens its chat.
    pub mail_links: crate::mail::links::Links,
    /// Fires when the server begins shutting down.
    pub stop: CancellationToken,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
