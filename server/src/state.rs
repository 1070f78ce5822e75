//! What every handler shares.

use std::sync::Arc;

use chimpassist_store::Store;
use tokio_util::sync::CancellationToken;

use crate::api::upstream::UpstreamCache;
use crate::auth::Auth;
use crate::bus::Bus;
use crate::config::Config;
use crate::coordinator::Coordinator;
use crate::delivery::Hub;
use crate::edge::Edge;
use crate::metrics::Metrics;

/// Application state, behind an `Arc` in axum's `State`.
pub struct AppState {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub hub: Arc<Hub>,
    pub coordinator: Coordinator,
    pub auth: Auth,
    pub metrics: Metrics,
    pub http: reqwest::Client,
    /// The statistics proxy's cache. Its type lives in `api` (its only user): state knows
    /// that edge's type, nothing below calls it.
    pub upstream: UpstreamCache,
    /// Client addresses, connection slots, rate limits.
    pub edge: Arc<Edge>,
    /// Fires when the server begins shutting down.
    pub stop: CancellationToken,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
