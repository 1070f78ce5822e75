//! What every connection and request passes before the API: who it comes from ([`client`]),
//! how many connections it may hold ([`listen`]), how fast it may ask ([`throttle`]).
//!
//! Every anonymous way in is limited per client network: any HTTP request at all
//! (`REQUESTS_PER_MINUTE_PER_IP`), and tighter, the ones that create something — a customer
//! identity (`POST /session`, a customer `hello` without a token), a conversation
//! (`start_chat`), a callback request, a login attempt.

pub mod client;
pub mod listen;
pub mod throttle;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::ErrorCode;

use crate::error::AppError;
use crate::metrics::KindCounters;
pub use client::{ClientIp, TrustedProxies};
pub use listen::{ConnectionSlot, Slots};
pub use throttle::{KeyedLimit, LoginBackoff};

/// The edge's settings, as numbers: `Config::edge_limits` fills them from the flags, so the
/// edge does not depend on the configuration's shape.
#[derive(Clone, Debug)]
pub struct Limits {
    pub trusted_proxies: TrustedProxies,
    pub max_connections_per_ip: u32,
    pub requests_per_minute_per_ip: u32,
    pub new_customers_per_minute_per_ip: u32,
    pub chats_per_minute_per_ip: u32,
    pub callbacks_per_minute_per_ip: u32,
    pub logins_per_minute_per_ip: u32,
    pub uploads_per_minute_per_ip: u32,
    pub upload_timeout: Duration,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
}

/// The per-network limits of one node.
#[derive(Debug)]
pub struct Throttles {
    /// Any HTTP request (WebSocket frames have their own per-connection limit).
    pub requests: KeyedLimit,
    /// New customer identities: `POST /session` or a customer `hello` that creates a record.
    pub customers: KeyedLimit,
    /// `start_chat` frames.
    pub chats: KeyedLimit,
    /// `POST /api/callback`.
    pub callbacks: KeyedLimit,
    /// `POST /api/login`, counted before any password is hashed.
    pub logins: KeyedLimit,
    /// Customers' `POST /api/attachments`.
    pub uploads: KeyedLimit,
    /// Failed logins per account.
    pub accounts: LoginBackoff,
}

impl Throttles {
    pub fn new(config: &Limits, refused: &KindCounters) -> Self {
        Self {
            requests: KeyedLimit::per_minute(
                "requests",
                config.requests_per_minute_per_ip,
                refused,
            ),
            customers: KeyedLimit::per_minute(
                "new visitors",
                config.new_customers_per_minute_per_ip,
                refused,
            ),
            chats: KeyedLimit::per_minute("chat requests", config.chats_per_minute_per_ip, refused),
            callbacks: KeyedLimit::per_minute(
                "callback requests",
                config.callbacks_per_minute_per_ip,
                refused,
            ),
            logins: KeyedLimit::per_minute(
                "sign-in attempts",
                config.logins_per_minute_per_ip,
                refused,
            ),
            uploads: KeyedLimit::per_minute(
                "file uploads",
                config.uploads_per_minute_per_ip,
                refused,
            ),
            accounts: LoginBackoff::default(),
        }
    }

    /// Forgets clients that are back to a full bucket (memory stays bounded by recent ones).
    fn forget_idle(&self) {
        for limit in [
            &self.requests,
            &self.customers,
            &self.chats,
            &self.callbacks,
            &self.logins,
            &self.uploads,
        ] {
            limit.forget_idle();
        }
        self.accounts.forget_idle(tokio::time::Instant::now());
    }
}

/// The edge of one node, shared by the accept loop, the middleware and the handlers.
#[derive(Debug)]
pub struct Edge {
    pub trusted: TrustedProxies,
    pub slots: Arc<Slots>,
    pub throttles: Throttles,
    pub header_read_timeout: Duration,
    pub request_timeout: Duration,
    /// For `POST /api/attachments` instead of `request_timeout`.
    pub upload_timeout: Duration,
    /// Requests refused per limit (exported as `chimpassist_throttled`).
    pub throttled: KindCounters,
}

impl Edge {
    /// `cap`: the most connections at once (already fitted to the open-files limit).
    pub fn new(limits: &Limits, cap: usize) -> Arc<Self> {
        let throttled = KindCounters::default();
        Arc::new(Self {
            trusted: limits.trusted_proxies.clone(),
            slots: Slots::new(
                cap,
                limits.max_connections_per_ip,
                limits.trusted_proxies.clone(),
            ),
            throttles: Throttles::new(limits, &throttled),
            throttled,
            header_read_timeout: limits.header_read_timeout,
            request_timeout: limits.request_timeout,
            upload_timeout: limits.upload_timeout,
        })
    }

    pub fn listen_settings(&self) -> listen::Settings {
        listen::Settings {
            slots: Arc::clone(&self.slots),
            header_read_timeout: self.header_read_timeout,
        }
    }

    /// Forgets idle clients every minute until `stop`.
    pub fn spawn_janitor(self: &Arc<Self>, stop: tokio_util::sync::CancellationToken) {
        let edge = Arc::clone(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    _ = every.tick() => edge.throttles.forget_idle(),
                    () = stop.cancelled() => break,
                }
            }
        });
    }
}

/// Middleware on every request: records the [`ClientIp`], applies the per-network request
/// limit, and answers `408 timeout` when a request (its body included) takes longer than
/// `REQUEST_TIMEOUT_SECONDS`. A WebSocket's handler returns at the upgrade, so the socket
/// itself is not timed.
pub async fn guard(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let peer = client::peer(request.extensions()).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let ip = ClientIp::of(peer, request.headers(), &edge.trusted);
    request.extensions_mut().insert(ip);
    if let Err(refused) = edge.throttles.requests.check(ip) {
        return refused.into_response();
    }
    // An upload's body is large; everything else is small and must come quickly.
    let limit = if request.uri().path() == crate::attachments::UPLOAD_PATH {
        edge.upload_timeout
    } else {
        edge.request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::client(
            ErrorCode::Timeout,
            format!(
                "the request took longer than {} s (a body sent too slowly?)",
                limit.as_secs()
            ),
        )
        .into_response(),
    }
}
