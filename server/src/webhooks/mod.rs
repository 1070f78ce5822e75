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
