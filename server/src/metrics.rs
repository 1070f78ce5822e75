//! Prometheus metrics (`GET /metrics`).

use std::sync::Mutex;

use chimpassist_protocol::ErrorCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    kind: String,
}

impl KindLabel {
    pub fn new(kind: impl Into<String>) -> Self {
        Self { kind: kind.into() }
    }
}

/// Counters by kind (a limit, a reason), shared with whatever counts them.
pub type KindCounters = Family<KindLabel, Counter>;

/// The server's counters and gauges.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub messages_stored: Counter,
    pub messages_duplicate: Counter,
    /// Gaps in the bus (each cut this node's connections).
    pub bus_gaps: Counter,
    /// Connections cut because their queue of frames that must arrive was full.
    pub connections_cut_slow: Counter,
    /// State frames dropped for a newer one of the same state queued behind them.
    pub outbound_coalesced: Counter,
    /// 1 while this node coordinates (set when the metrics are read).
    pub coordinator_leading: Gauge,
    /// argon2 verifications run for logins (known account or not: one each).
    pub password_checks: Counter,
    /// Open client connections, HTTP and WebSocket (set when the metrics are read).
    pub open_connections: Gauge,
    rejected: Family<CodeLabel, Counter>,
    connections: Family<KindLabel, Gauge>,
}

/// Decrements the connection gauge when dropped.
#[derive(Debug)]
pub struct ConnectionGauge(Gauge);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chimpassist");
        let messages_stored = Counter::default();
        let messages_duplicate = Counter::default();
        let bus_gaps = Counter::default();
        let connections_cut_slow = Counter::default();
        let outbound_coalesced = Counter::default();
        let coordinator_leading = Gauge::default();
        let password_checks = Counter::default();
        let open_connections = Gauge::default();
        let rejected = Family::<CodeLabel, Counter>::default();
        let connections = Family::<KindLabel, Gauge>::default();
        registry.register(
            "messages_stored",
            "Chat messages durably stored",
            messages_stored.clone(),
        );
        registry.register(
            "messages_duplicate",
            "Resent messages answered with the original ack",
            messages_duplicate.clone(),
        );
        registry.register(
            "bus_gaps",
            "Times this node may have missed bus events and cut its connections",
            bus_gaps.clone(),
        );
        registry.register(
            "connections_cut_slow",
            "WebSocket connections cut (1013) because they read too slowly for what must reach them",
            connections_cut_slow.clone(),
        );
        registry.register(
            "outbound_coalesced",
            "State frames (a conversation's view, queue numbers, a position) dropped for a newer one queued behind them",
            outbound_coalesced.clone(),
        );
        registry.register(
            "coordinator_leading",
            "1 while this node runs the coordinator (always, for a single node)",
            coordinator_leading.clone(),
        );
        registry.register(
            "password_checks",
            "Password verifications for logins (an unknown login costs one too)",
            password_checks.clone(),
        );
        registry.register(
            "open_connections",
            "Open client connections, HTTP and WebSocket",
            open_connections.clone(),
        );
        registry.register(
            "frames_rejected",
            "Client frames answered with an error, by code",
            rejected.clone(),
        );
        registry.register(
            "websocket_connections",
            "Open WebSocket connections, by kind",
            connections.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            messages_stored,
            messages_duplicate,
            bus_gaps,
            connections_cut_slow,
            outbound_coalesced,
            coordinator_leading,
            password_checks,
            open_connections,
            rejected,
            connections,
        }
    }
}

impl Metrics {
    pub fn rejected(&self, code: ErrorCode) {
        self.rejected
            .get_or_create(&CodeLabel {
                code: code.as_str().to_owned(),
            })
            .inc();
    }

    pub fn connection(&self, kind: &str) -> ConnectionGauge {
        let gauge = self
            .connections
            .get_or_create(&KindLabel { kind: kind.into() })
            .clone();
        gauge.inc();
        ConnectionGauge(gauge)
    }

    /// Adds the edge's counters: requests refused by each rate limit, connections refused.
    pub fn register_edge(&self, throttled: &KindCounters, refused: &KindCounters) {
        let mut registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        registry.register(
            "throttled",
            "Requests refused by a per-network rate limit, by limit",
            throttled.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections refused at accept (server or address full), by reason",
            refused.clone(),
        );
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
