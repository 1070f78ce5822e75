//! Live connections of this node, and delivery to them.
//!
//! Each event becomes one [`Outbound`], shared by all its recipients (so it is encoded once,
//! by the first of their writers to send it). A connection
//! whose outbound queue is full is too slow: it is cut (its client reconnects and resumes
//! from the store) instead of slowing everyone else down.
//!
//! An attendant's connection knows its session and what its attendant may see: events about
//! conversations for everyone (`AllAttendants`) reach only those who may see them, and a
//! conversation that leaves someone's sight is withdrawn from their lists; a revocation cuts
//! the connections of the sessions it names.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationView, CustomerId, ServerToAttendant,
};
use chimpassist_store::Visibility;
use prometheus_client::metrics::counter::Counter;
use tokio_util::sync::CancellationToken;

use super::Outbound;
use super::outbox::{OutboxRx, OutboxTx, Push, STATE_CAP, outbox};
use crate::bus::BusEvent;
use crate::revoke::{CloseReason, SessionRef, Sessions};

/// A connection's cut switch: cancelled once, with the first reason given.
#[derive(Clone, Debug, Default)]
pub struct Kill {
    token: CancellationToken,
    reason: Arc<OnceLock<CloseReason>>,
}

impl Kill {
    /// Cuts the connection; a later cut does not change the reason.
    pub fn cut(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Resolves once the connection is cut (or [`Kill::cancel`]led).
    pub async fn cut_off(&self) {
        self.token.cancelled().await;
    }

    /// Ends the connection without a reason (it is closing anyway).
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Why it was cut, if it was.
    pub fn reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }
}

/// What the hub knows of an attendant's connection.
#[derive(Debug)]
pub struct Desk {
    session: SessionRef,
    /// What the attendant may see; fixed for the connection's life (a change of role or
    /// queues cuts it).
    sees: Visibility,
    /// Conversations this connection was shown and may still see.
    shown: Mutex<HashSet<ConversationId>>,
}

impl Desk {
    pub fn new(session: SessionRef, sees: Visibility) -> Self {
        Self {
            session,
            sees,
            shown: Mutex::new(HashSet::new()),
        }
    }

    /// Whether live lists show `view` to this attendant: in their queues or theirs.
    pub fn may_see(&self, view: &ConversationView) -> bool {
        self.sees
            .allows_in(&view.queue, view.attendant.as_ref().map(|a| &a.id), &[])
    }

    /// Remembers conversations shown outside the hub (the welcome).
    pub fn shown(&self, ids: impl IntoIterator<Item = ConversationId>) {
        self.shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(ids);
    }

    /// What this connection gets of an update about `view`: the update, a withdrawal (it
    /// was shown and may not see it any more), or nothing.
    fn filter(&self, view: &ConversationView) -> Seen {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        if self.may_see(view) {
            // An ended conversation is shown its end and forgotten: the set stays the size of
            // what is open.
            if view.status.is_open() {
                shown.insert(view.id);
            } else {
                shown.remove(&view.id);
            }
            Seen::Update
        } else if shown.remove(&view.id) {
            Seen::Withdrawn
        } else {
            Seen::Nothing
        }
    }
}

enum Seen {
    Update,
    Withdrawn,
    Nothing,
}

#[derive(Clone, Debug)]
struct Conn {
    id: u64,
    tx: OutboxTx,
    kill: Kill,
    /// Attendant connections only.
    desk: Option<Arc<Desk>>,
}

type Registry<K> = RwLock<HashMap<K, Vec<Conn>>>;

/// Connections by customer and by attendant.
#[derive(Debug, Default)]
pub struct Hub {
    customers: Registry<CustomerId>,
    attendants: Registry<AttendantId>,
    next_id: AtomicU64,
    slow_cut: Counter,
    coalesced: Counter,
}

/// A registered connection; unregisters itself when dropped.
#[derive(Debug)]
pub struct Registration {
    hub: Arc<Hub>,
    key: Key,
    id: u64,
    /// Cut when the hub cuts this connection (too slow, stale, revoked).
    pub kill: Kill,
    /// The connection's own queue, for direct replies (acks, errors, history).
    pub tx: OutboxTx,
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

    /// A hub that counts slow cuts and coalesced frames in these (shared with `/metrics`).
    pub fn counting(slow_cut: Counter, coalesced: Counter) -> Arc<Self> {
        Arc::new(Self {
            slow_cut,
            coalesced,
            ..Self::default()
        })
    }

    fn register(
        self: &Arc<Self>,
        key: Key,
        desk: Option<Arc<Desk>>,
        queue: usize,
    ) -> (Registration, OutboxRx) {
        let (tx, rx) = outbox(queue, STATE_CAP);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let kill = Kill::default();
        let conn = Conn {
            id,
            tx: tx.clone(),
            kill: kill.clone(),
            desk,
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
    ) -> (Registration, OutboxRx) {
        self.register(Key::Customer(customer), None, queue)
    }

    pub fn register_attendant(
        self: &Arc<Self>,
        attendant: AttendantId,
        desk: Arc<Desk>,
        queue: usize,
    ) -> (Registration, OutboxRx) {
        self.register(Key::Attendant(attendant), Some(desk), queue)
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
        self.slow_cut.get()
    }

    /// State frames dropped because a newer one of the same state was queued behind them,
    /// since start.
    pub fn coalesced(&self) -> u64 {
        self.coalesced.get()
    }

    /// Delivers one bus event to the matching local connections.
    pub fn deliver(&self, event: &BusEvent) {
        match event {
            BusEvent::Customer { customer, frame } => {
                let out = Outbound::from(frame.clone());
                if let Some(conns) = read(&self.customers).get(customer) {
                    conns.iter().for_each(|c| self.push(c, &out));
                }
            }
            BusEvent::Attendant { attendant, frame } => {
                let out = Outbound::from(frame.clone());
                let assigned = match frame {
                    ServerToAttendant::Assigned { conversation } => Some(conversation.id),
                    _ => None,
                };
                if let Some(conns) = read(&self.attendants).get(attendant) {
                    for c in conns {
                        if let (Some(id), Some(desk)) = (assigned, &c.desk) {
                            desk.shown([id]);
                        }
                        self.push(c, &out);
                    }
                }
            }
            BusEvent::AllAttendants { frame } => self.to_all_attendants(frame),
            BusEvent::Revoke {
                attendant,
                sessions,
                reason,
            } => self.cut_attendant(attendant, sessions, *reason),
            BusEvent::CutCustomer { customer, reason } => {
                if let Some(conns) = read(&self.customers).get(customer) {
                    conns.iter().for_each(|c| c.kill.cut(*reason));
                }
            }
            BusEvent::Cluster { .. } => {}
        }
    }

    /// A frame for every attendant; one about a conversation only to those who may see it
    /// (and a withdrawal to those it just left).
    fn to_all_attendants(&self, frame: &ServerToAttendant) {
        let out = Outbound::from(frame.clone());
        let ServerToAttendant::Conversation { conversation: view } = frame else {
            read(&self.attendants)
                .values()
                .flatten()
                .for_each(|c| self.push(c, &out));
            return;
        };
        let withdrawn = OnceLock::new();
        for c in read(&self.attendants).values().flatten() {
            let seen = c
                .desk
                .as_ref()
                .map_or(Seen::Update, |desk| desk.filter(view));
            match seen {
                Seen::Update => self.push(c, &out),
                Seen::Withdrawn => {
                    let frame = withdrawn.get_or_init(|| {
                        Outbound::from(ServerToAttendant::Withdrawn {
                            conversation: view.id,
                        })
                    });
                    self.push(c, frame);
                }
                Seen::Nothing => {}
            }
        }
    }

    /// Cuts the connections of `attendant`'s `sessions` on this node.
    pub fn cut_attendant(&self, attendant: &AttendantId, sessions: &Sessions, reason: CloseReason) {
        if let Some(conns) = read(&self.attendants).get(attendant) {
            conns
                .iter()
                .filter(|c| {
                    c.desk
                        .as_ref()
                        .is_some_and(|d| sessions.includes(&d.session))
                })
                .for_each(|c| c.kill.cut(reason));
        }
    }

    /// Cuts every connection (after a gap in the bus: they may have missed events).
    pub fn cut_all(&self) {
        read(&self.customers)
            .values()
            .chain(read(&self.attendants).values())
            .flatten()
            .for_each(|c| c.kill.cut(CloseReason::Stale));
    }

    fn push(&self, conn: &Conn, out: &Outbound) {
        match conn.tx.try_push(out.clone()) {
            Push::Queued | Push::Closed => {}
            Push::Coalesced => {
                self.coalesced.inc();
            }
            Push::Full => {
                self.slow_cut.inc();
                conn.kill.cut(CloseReason::TooSlow);
            }
        }
    }
}

fn read<K>(registry: &Registry<K>) -> std::sync::RwLockReadGuard<'_, HashMap<K, Vec<Conn>>> {
    registry.read().unwrap_or_else(|p| p.into_inner())
}
