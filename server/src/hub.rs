//! Live connections of this node, and delivery to them.
//!
//! Each event is serialized once and the bytes shared by all its recipients. A connection
//! whose outbound queue is full is too slow: it is cut (its client reconnects and resumes
//! from the store) instead of slowing everyone else down.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::ws::Utf8Bytes;
use chimpassist_protocol::{
    AttendantId, ConversationId, CustomerId, Seq, ServerToAttendant, ServerToCustomer, encode,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::bus::BusEvent;

/// A frame on its way to one connection.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub text: Utf8Bytes,
    /// Set for chat messages, so a resuming connection can drop what it already replayed.
    pub message: Option<(ConversationId, Seq)>,
    /// An `assigned` frame: the attendant's connection adds the conversation's last message
    /// and receipts before sending it (ws/details.rs), so the coordinator never waits on
    /// those reads.
    pub assigned: bool,
}

#[derive(Clone, Debug)]
struct Conn {
    id: u64,
    tx: mpsc::Sender<Outbound>,
    kill: CancellationToken,
}

type Registry<K> = RwLock<HashMap<K, Vec<Conn>>>;

/// Connections by customer and by attendant.
#[derive(Debug, Default)]
pub struct Hub {
    customers: Registry<CustomerId>,
    attendants: Registry<AttendantId>,
    next_id: AtomicU64,
    slow_cut: AtomicU64,
}

/// A registered connection; unregisters itself when dropped.
#[derive(Debug)]
pub struct Registration {
    hub: Arc<Hub>,
    key: Key,
    id: u64,
    /// Cancelled when the hub cuts this connection (too slow).
    pub kill: CancellationToken,
    /// The connection's own queue, for direct replies (acks, errors, history).
    pub tx: mpsc::Sender<Outbound>,
}

#[derive(Debug, Clone)]
enum Key {
    Customer(CustomerId),
    Attendant(AttendantId),
}

impl Drop for Registration {
    fn drop(&mut self) {
        match &self.key {
            Key::Customer(c) => remove(&self.hub.customers, c, self.id),
            Key::Attendant(a) => remove(&self.hub.attendants, a, self.id),
        }
    }
}

fn remove<K: Eq + Hash>(registry: &Registry<K>, key: &K, id: u64) {
    let mut map = registry.write().unwrap_or_else(|p| p.into_inner());
    if let Some(conns) = map.get_mut(key) {
        conns.retain(|c| c.id != id);
        if conns.is_empty() {
            map.remove(key);
        }
    }
}

fn insert<K: Eq + Hash>(registry: &Registry<K>, key: K, conn: Conn) {
    registry
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_default()
        .push(conn);
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn register(
        self: &Arc<Self>,
        key: Key,
        queue: usize,
    ) -> (Registration, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(queue);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let kill = CancellationToken::new();
        let conn = Conn {
            id,
            tx: tx.clone(),
            kill: kill.clone(),
        };
        match &key {
            Key::Customer(c) => insert(&self.customers, c.clone(), conn),
            Key::Attendant(a) => insert(&self.attendants, a.clone(), conn),
        }
        let registration = Registration {
            hub: Arc::clone(self),
            key,
            id,
            kill,
            tx,
        };
        (registration, rx)
    }

    pub fn register_customer(
        self: &Arc<Self>,
        customer: CustomerId,
        queue: usize,
    ) -> (Registration, mpsc::Receiver<Outbound>) {
        self.register(Key::Customer(customer), queue)
    }

    pub fn register_attendant(
        self: &Arc<Self>,
        attendant: AttendantId,
        queue: usize,
    ) -> (Registration, mpsc::Receiver<Outbound>) {
        self.register(Key::Attendant(attendant), queue)
    }

    /// Number of live connections of a customer on this node.
    pub fn customer_connections(&self, customer: &CustomerId) -> usize {
        read(&self.customers).get(customer).map_or(0, Vec::len)
    }

    pub fn attendant_connections(&self, attendant: &AttendantId) -> usize {
        read(&self.attendants).get(attendant).map_or(0, Vec::len)
    }

    /// (customers, attendants) connected to this node.
    pub fn counts(&self) -> (usize, usize) {
        let c = read(&self.customers).values().map(Vec::len).sum();
        let a = read(&self.attendants).values().map(Vec::len).sum();
        (c, a)
    }

    /// Connections cut for being too slow, since start.
    pub fn slow_cut(&self) -> u64 {
        self.slow_cut.load(Ordering::Relaxed)
    }

    /// Delivers one bus event to the matching local connections.
    pub fn deliver(&self, event: &BusEvent) {
        match event {
            BusEvent::Customer { customer, frame } => {
                let out = outbound_customer(frame);
                if let Some(conns) = read(&self.customers).get(customer) {
                    conns.iter().for_each(|c| self.push(c, &out));
                }
            }
            BusEvent::Attendant { attendant, frame } => {
                let out = outbound_attendant(frame);
                if let Some(conns) = read(&self.attendants).get(attendant) {
                    conns.iter().for_each(|c| self.push(c, &out));
                }
            }
            BusEvent::AllAttendants { frame } => {
                let out = outbound_attendant(frame);
                read(&self.attendants)
                    .values()
                    .flatten()
                    .for_each(|c| self.push(c, &out));
            }
            BusEvent::Cluster { .. } => {}
        }
    }

    /// Cuts every connection (after a gap in the bus: they may have missed events).
    pub fn cut_all(&self) {
        read(&self.customers)
            .values()
            .chain(read(&self.attendants).values())
            .flatten()
            .for_each(|c| c.kill.cancel());
    }

    fn push(&self, conn: &Conn, out: &Outbound) {
        match conn.tx.try_send(out.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.slow_cut.fetch_add(1, Ordering::Relaxed);
                conn.kill.cancel();
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

fn read<K>(registry: &Registry<K>) -> std::sync::RwLockReadGuard<'_, HashMap<K, Vec<Conn>>> {
    registry.read().unwrap_or_else(|p| p.into_inner())
}

pub fn outbound_customer(frame: &ServerToCustomer) -> Outbound {
    let message = match frame {
        ServerToCustomer::Message { message } => Some((message.conversation, message.seq)),
        _ => None,
    };
    Outbound {
        text: encode(frame).into(),
        message,
        assigned: false,
    }
}

pub fn outbound_attendant(frame: &ServerToAttendant) -> Outbound {
    let message = match frame {
        ServerToAttendant::Message { message } => Some((message.conversation, message.seq)),
        _ => None,
    };
    Outbound {
        text: encode(frame).into(),
        message,
        assigned: matches!(frame, ServerToAttendant::Assigned { .. }),
    }
}
