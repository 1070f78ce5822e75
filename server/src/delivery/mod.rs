//! Delivery: from a stored message (or any other server frame) to every connection that must
//! show it, on every node. The API and the WebSocket handlers both call down into it; it
//! calls neither.
//!
//! The path: [`send`] stores, then [`publish`]es a [`BusEvent`]; every node's
//! task ([`Delivery::spawn`]) hands each event to its [`Hub`], which gives each matching connection one shared
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
//! - **No one waits for a slow connection, and a rush does not cut anyone.** A connection's
//!   queue ([`outbox`]) keeps only the newest pending frame of each piece of state (a
//!   conversation's view, a queue's counts, a waiting customer's position), so state that
//!   changes faster than a client reads costs it nothing; only frames that must all arrive
//!   (messages, acks, assignments…) fill it. A connection whose queue of those is full is cut
//!   (its client reconnects and resumes); after a gap in the bus every connection is cut.
//! - **Only who may see it.** Updates about conversations reach the attendants who may see
//!   them, and withdraw them from those who no longer may ([`hub::Desk`]).

pub mod enrich;
mod frame;
pub mod hub;
pub mod outbox;
mod send;

use std::sync::Arc;

use crate::attachments::Links;
use chimpassist_store::Store;
use prometheus_client::metrics::counter::Counter;
use tokio::task::JoinHandle;

use crate::bus::{Bus, BusEvent, RecvError};
use crate::coordinator::Coordinator;
use crate::metrics::Metrics;

pub use frame::{Answers, Frame, MAX_BATCH, Outbound, ServerFrame, StateKey, batch_text};
pub use hub::{Desk, Hub, Kill, Registration};
pub use send::{Author, Found, Sent, Submitted, attached, find_route, publish, record_receipt};

/// What the message path needs, and nothing else: the edges hold one (in the app state) and
/// pass it down, so this module never reaches back up for the whole state.
#[derive(Clone)]
pub struct Delivery {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn Bus>,
    pub coordinator: Coordinator,
    /// This node's connections.
    pub hub: Arc<Hub>,
    /// Mints the links of the files messages carry.
    pub links: Links,
    metrics: Counters,
}

/// The counters the message path moves (shared with `/metrics`).
#[derive(Clone)]
struct Counters {
    messages_stored: Counter,
    messages_duplicate: Counter,
    bus_gaps: Counter,
}

impl Delivery {
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        coordinator: Coordinator,
        metrics: &Metrics,
        links: Links,
    ) -> Self {
        Self {
            links,
            store,
            bus,
            coordinator,
            hub: Hub::counting(
                metrics.connections_cut_slow.clone(),
                metrics.outbound_coalesced.clone(),
            ),
            metrics: Counters {
                messages_stored: metrics.messages_stored.clone(),
                messages_duplicate: metrics.messages_duplicate.clone(),
                bus_gaps: metrics.bus_gaps.clone(),
            },
        }
    }

    /// Hands bus events to this node's hub, and the coordinator's own messages to it — in
    /// one task, so a replica update is applied before the frames published after it are
    /// delivered. After a gap in the bus (the hub lagged behind it, or the nodes were cut off
    /// from each other) connections may have missed events: they are cut, and clients resume
    /// from the store; the coordinator repairs its own picture.
    pub fn spawn(&self) -> JoinHandle<()> {
        let mut events = self.bus.subscribe();
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => match &*event {
                        BusEvent::Cluster { message } => this.coordinator.on_message(message).await,
                        _ => this.hub.deliver(&event),
                    },
                    Err(RecvError::Gap(cause)) => {
                        tracing::warn!(%cause, "gap in the bus; cutting connections");
                        this.metrics.bus_gaps.inc();
                        this.hub.cut_all();
                        this.coordinator.on_gap().await;
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}
