//! Delivery: from a stored message (or any other server frame) to every connection that must
//! show it, on every node. The API and the WebSocket handlers both call down into it; it
//! calls neither.
//!
//! The path: [`send`] stores, then [`publish`]es a [`BusEvent`]; every node's [`spawn`]ed
//! task hands each event to its [`Hub`], which gives each matching connection one shared
//! [`Outbound`]; an attendant connection's relay completes `assigned` frames ([`enrich`]);
//! the connection's writer encodes and sends.
//!
//! # Guarantees
//! - **Stored before published.** A frame about a message goes out only after the store
//!   answered; a client that misses it live (a cut connection, a bus gap, a failed publish)
//!   finds it when it resumes by seq. A failed publish is logged, never returned.
//! - **At most once per connection, in order per connection.** The hub pushes each event once
//!   to each matching connection's queue, in the order the bus delivers them; the `assigned`
//!   relay keeps that order.
//! - **Encoded once per event.** Recipients share one [`Outbound`]; the first writer to send it
//!   encodes it, the others send the same bytes. Until then it is a typed value.
//! - **No one waits for a slow connection.** A connection whose queue is full is cut (its
//!   client reconnects and resumes); after a gap in the bus every connection is cut.
//! - **Only who may see it.** Updates about conversations reach the attendants who may see
//!   them, and withdraw them from those who no longer may ([`hub::Desk`]).

pub mod enrich;
mod frame;
pub mod hub;
mod send;

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::bus::{BusEvent, RecvError};
use crate::state::AppState;

pub use frame::{Frame, Outbound, ServerFrame};
pub use hub::{Desk, Hub, Kill, Registration};
pub use send::{Author, Found, append_and_deliver, find_route, publish, record_receipt};

/// Hands bus events to this node's hub, and the coordinator's own messages to it — in one
/// task, so a replica update is applied before the frames published after it are delivered.
/// After a gap in the bus (the hub lagged behind it, or the nodes were cut off from each
/// other) connections may have missed events: they are cut, and clients resume from the
/// store; the coordinator repairs its own picture.
pub fn spawn(state: Arc<AppState>) -> JoinHandle<()> {
    let mut events = state.bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => match &*event {
                    BusEvent::Cluster { message } => state.coordinator.on_message(message).await,
                    _ => state.hub.deliver(&event),
                },
                Err(RecvError::Gap(cause)) => {
                    tracing::warn!(%cause, "gap in the bus; cutting connections");
                    state.metrics.bus_gaps.inc();
                    state.hub.cut_all();
                    state.coordinator.on_gap().await;
                }
                Err(RecvError::Closed) => break,
            }
        }
    })
}
