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

/// The server's counters and gauges.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub messages_stored: Counter,
    pub messages_duplicate: Counter,
    /// Gaps in the bus (each cut this node's connections).
    pub bus_gaps: Counter,
    /// 1 while this node coordinates (set when the metrics are read).
    pub coordinator_leading: Gauge,
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
        let coordinator_leading = Gauge::default();
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
            "coordinator_leading",
            "1 while this node runs the coordinator (always, for a single node)",
            coordinator_leading.clone(),
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
            coordinator_leading,
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

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
