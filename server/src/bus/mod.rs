//! The bus carries what must reach connections, possibly held by other nodes.
//!
//! Every node subscribes and hands each event to its [`crate::hub::Hub`], which delivers it
//! to the matching local connections. Durability never depends on the bus: messages are
//! stored before they are published, and a client that misses an event resumes from the
//! store by seq.

mod local;

use std::sync::Arc;

use async_trait::async_trait;
use chimpassist_protocol::{AttendantId, CustomerId, ServerToAttendant, ServerToCustomer};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

pub use local::LocalBus;

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
    /// Every connected attendant.
    AllAttendants { frame: ServerToAttendant },
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

/// A publish/subscribe channel between nodes.
///
/// # Guarantees
/// - Events from one publisher reach each subscriber in publish order.
/// - At most once: a subscriber that falls too far behind gets
///   [`broadcast::error::RecvError::Lagged`] and must treat every connection as possibly
///   stale (the hub closes them, clients reconnect and resume from the store).
#[async_trait]
pub trait Bus: Send + Sync + 'static {
    async fn publish(&self, event: BusEvent) -> Result<(), BusError>;
    fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>>;
}
