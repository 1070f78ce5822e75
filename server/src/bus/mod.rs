//! The bus carries what must reach connections, possibly held by other nodes, and the
//! coordinators' own messages between nodes ([`BusEvent::Cluster`], opaque here: their
//! vocabulary is the coordinator's, which sits above the bus).
//!
//! Every node subscribes and hands each event to its [`crate::delivery::Hub`], which delivers it
//! to the matching local connections. Durability never depends on the bus: messages are
//! stored before they are published, and a client that misses an event resumes from the
//! store by seq.
//!
//! Two implementations keep the same guarantees (checked by one suite, [`conformance`]):
//! [`LocalBus`] for a single node, the default, and [`MqttBus`] through an MQTT broker for a
//! cluster (`MQTT_BROKER_HOST`).
//!
//! # Gaps
//! A bus never hides a loss. Whenever a subscriber may have missed events — it fell behind,
//! or its node lost the broker, or another node's events were lost on their way — its next
//! [`Subscription::recv`] answers [`RecvError::Gap`]. The hub then closes this node's
//! connections, and their clients reconnect and resume from the store by seq: nothing
//! acknowledged is lost, nothing is shown twice.

#[cfg(any(test, feature = "bus-conformance"))]
pub mod conformance;
mod local;
#[cfg(any(test, feature = "test-services"))]
pub mod mosquitto;
mod mqtt;
mod mqtt_settings;
mod room;

use std::sync::Arc;

use async_trait::async_trait;
use chimpassist_protocol::{AttendantId, CustomerId, ServerToAttendant, ServerToCustomer};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::revoke::{CloseReason, Sessions};

pub use local::LocalBus;
pub use mqtt::{Link, MqttBus};
pub use mqtt_settings::{BaseTopic, BrokerAddress, MqttSettings, MqttSettingsError};

/// One thing to deliver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum BusEvent {
    /// Every connection of one customer.
    Customer {
        customer: CustomerId,
        frame: ServerToCustomer,
    },
    /// Every connection of one attendant.
    Attendant {
        attendant: AttendantId,
        frame: ServerToAttendant,
    },
    /// Every connected attendant (those a conversation's update concerns: see the hub).
    AllAttendants { frame: ServerToAttendant },
    /// Cut sockets of one attendant, wherever they are (their session ended or their rights
    /// changed).
    Revoke {
        attendant: AttendantId,
        sessions: Sessions,
        reason: CloseReason,
    },
    /// Cut every socket of one customer, wherever they are (their data was erased).
    CutCustomer {
        customer: CustomerId,
        reason: CloseReason,
    },
    /// The coordinators of the nodes (never to a connection).
    Cluster { message: ClusterPayload },
}

/// A message between the coordinators of the nodes, as JSON. The bus carries it intact
/// without reading it: what it says, and its parsing, belong to the coordinator
/// (`coordinator::wire`), so the bus depends on nothing above it. On MQTT it crosses the
/// broker as the JSON object it is, nested in the event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClusterPayload(serde_json::Value);

impl ClusterPayload {
    /// `message` as JSON.
    pub fn encode<T: Serialize>(message: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_value(message).map(Self)
    }

    /// The message, parsed as the reader's vocabulary.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.0)
    }
}

impl From<serde_json::Value> for ClusterPayload {
    fn from(json: serde_json::Value) -> Self {
        Self(json)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The event reached this node's subscribers but maybe not the other nodes (the broker
    /// is unreachable or not keeping up). Their subscribers are told of a gap.
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

/// Why a subscriber may have missed events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapCause {
    /// The subscriber fell this many events behind its bus.
    Lagged(u64),
    /// This node was cut off from the others for a while (it lost the broker, or another
    /// node's events were lost on their way), and receives again.
    Interrupted,
}

impl std::fmt::Display for GapCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lagged(missed) => write!(f, "the subscriber lagged {missed} events behind"),
            Self::Interrupted => f.write_str("the bus was interrupted"),
        }
    }
}

/// What [`Subscription::recv`] answers instead of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecvError {
    /// Events may have been missed since the previous one: treat every connection as stale.
    /// Later events arrive as usual.
    #[error("events may have been missed: {0}")]
    Gap(GapCause),
    /// The bus is gone; no event will come.
    #[error("the bus is closed")]
    Closed,
}

/// What a bus hands its local subscribers.
#[derive(Clone, Debug)]
enum Delivery {
    Event(Arc<BusEvent>),
    Gap,
}

/// One subscriber's view of a bus: every event published after [`Bus::subscribe`], in order,
/// or a [`RecvError::Gap`] where some may be missing.
#[derive(Debug)]
pub struct Subscription {
    deliveries: broadcast::Receiver<Delivery>,
    room: Arc<room::Room>,
}

impl Subscription {
    /// The next event, or a gap; waits for one.
    pub async fn recv(&mut self) -> Result<Arc<BusEvent>, RecvError> {
        match self.deliveries.recv().await {
            Ok(Delivery::Event(event)) => {
                self.room.taken(self.deliveries.len());
                Ok(event)
            }
            Ok(Delivery::Gap) => Err(RecvError::Gap(GapCause::Interrupted)),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                Err(RecvError::Gap(GapCause::Lagged(missed)))
            }
            Err(broadcast::error::RecvError::Closed) => Err(RecvError::Closed),
        }
    }
}

/// This node's side of a bus: hands events and gaps to every local subscriber.
#[derive(Debug)]
struct Fanout {
    sender: broadcast::Sender<Delivery>,
    room: Arc<room::Room>,
}

impl Fanout {
    /// `capacity` deliveries may be queued per subscriber before it lags.
    fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self {
            sender,
            room: Arc::new(room::Room::new(capacity)),
        }
    }

    /// Waits while this node's slowest subscriber is far behind: see [`Bus::room`].
    async fn room(&self) {
        self.room.wait(|| self.sender.len()).await;
    }

    fn event(&self, event: Arc<BusEvent>) {
        // No subscriber is not an error: nobody is connected to receive it.
        let _ = self.sender.send(Delivery::Event(event));
    }

    fn gap(&self) {
        let _ = self.sender.send(Delivery::Gap);
    }

    fn subscribe(&self) -> Subscription {
        Subscription {
            deliveries: self.sender.subscribe(),
            room: Arc::clone(&self.room),
        }
    }
}

/// A publish/subscribe channel between nodes.
///
/// # Guarantees
/// - Every subscriber of every node gets each event at most once, and only events published
///   after it subscribed.
/// - Events from one publisher reach each subscriber in publish order.
/// - Nothing is dropped silently: a subscriber that may have missed events (it fell too far
///   behind, or the nodes were cut off from each other) gets [`RecvError::Gap`] before the
///   events that follow; it must treat every connection as possibly stale (the hub closes
///   them, clients reconnect and resume from the store).
/// - `publish` never waits long: when the other nodes cannot be reached it still delivers to
///   this node's subscribers and answers [`BusError::Unavailable`].
/// - [`Bus::room`] waits while this node's slowest subscriber has 1,024 events (or a quarter
///   of its queue, if less) still to take, until it is down to half that, and never longer
///   than a second.
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    async fn publish(&self, event: BusEvent) -> Result<(), BusError>;
    /// Flow control for busy publishers: waits until this node's subscribers have room (see
    /// the guarantees). Connections call it before they publish, so a burst from many of
    /// them slows down instead of making the delivery task lag into a gap. The coordinator
    /// does not: the delivery task waits on it, and it must never wait on the delivery task.
    async fn room(&self);
    fn subscribe(&self) -> Subscription;
    /// True when events published now reach every node (for `/readyz`).
    fn is_ready(&self) -> bool;
}
