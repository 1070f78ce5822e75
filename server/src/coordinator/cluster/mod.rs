//! One coordinator for the whole cluster: who leads, and how requests reach the leader.
//!
//! # Leadership
//! In a cluster (`MQTT_BROKER_HOST` set, nodes sharing one MongoDB), the node holding the
//! store's `coordinator` lease runs the actor; the others follow. Every node claims the lease
//! each `lease / 5`: the holder renews it, the others learn who holds it, and when the holder
//! stops renewing (it died, or lost the store) the first claim after `lease` ms takes it over
//! with a higher term and rebuilds the actor from the store. A leader that cannot renew steps
//! down once its lease may have run out. A single node (no broker) leads from the start,
//! without a lease.
//!
//! The lease is about *liveness*, not safety: every decision is a compare-and-set in the store
//! (which also checks capacity atomically), so even two nodes briefly both believing they
//! lead cannot give a conversation twice or overfill an attendant.
//!
//! # Requests
//! Every request of this node goes through one ordered outbox: into the actor's inbox when this
//! node leads, over the bus to the leader otherwise. A call waits for the leader's answer; it
//! is sent again after a change of leader only when that is harmless
//! ([`Request::is_idempotent`]), else answered `unavailable`. With no leader known, calls
//! wait for one (up to [`Shared::call_deadline`]).
//!
//! # Sockets
//! The outbox keeps this node's socket counts per customer and attendant and reports each
//! change as an absolute count; it sends all of them ([`Request::NodeSnapshot`]) when it first
//! hears a reign (or a new epoch of one) announced — the leader announces itself every tick —,
//! after a gap in the bus, and after a report could not be sent. The leader forgets the
//! sockets of a node it has not heard from for `lease` ms (followers send [`Request::Alive`]
//! every tick), and never while its own bus is down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chimpassist_protocol::{AttendantId, CustomerId, CustomerView};
use chimpassist_store::Store;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod election;
mod inbound;
mod outbox;

use super::error::CoordError;
use super::replica::Replica;
use super::wire::{ClusterMessage, NodeId, Request, Response};
use super::{Limits, Timing};
use crate::bus::Bus;

/// The store lease whose holder coordinates.
const LEASE: &str = "coordinator";
/// Requests queued for the actor before senders wait.
const INBOX: usize = 4096;
/// Entries per snapshot part (each part is one bus message).
const SNAPSHOT_PART: usize = 500;

/// How this node finds its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The only node: it leads, no lease.
    Solo,
    /// One of several nodes sharing the store and a bus: the lease holder leads.
    Cluster { lease: Duration },
}

/// Who leads, as this node knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderRef {
    pub node: NodeId,
    pub term: u64,
}

/// What reaches the actor.
#[derive(Debug)]
pub(crate) enum Input {
    /// From this node; `reply` when it wants an answer.
    Local {
        request: Request,
        reply: Option<oneshot::Sender<Response>>,
    },
    /// From another node over the bus; answered over the bus when `id` is set.
    Remote {
        from: NodeId,
        id: Option<u64>,
        request: Request,
    },
    /// This node's bus had a gap: reports from other nodes may be lost.
    BusGap,
}

/// This node's reign: the actor's inbox while it leads.
#[derive(Clone, Debug)]
struct Reign {
    term: u64,
    inbox: mpsc::Sender<Input>,
    stop: CancellationToken,
}

/// This node's sockets, as reported to the leader.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    customers: HashMap<CustomerId, (CustomerView, u32)>,
    attendants: HashMap<AttendantId, u32>,
    /// A report may not have reached the leader: send a snapshot at the next chance.
    dirty: bool,
}

/// What became of handing a request on.
enum Sent {
    /// Handed on; the answer comes here (a closed channel: the leader changed meanwhile).
    /// `id`: the call's entry among the pending ones, when it went over the bus.
    Waiting(oneshot::Receiver<Response>, Option<u64>),
    /// Handed on, no answer wanted.
    Told,
    /// Not handed on: no leader known (or it just stepped down).
    NoLeader,
    /// Not handed on: the bus refused it.
    Unreachable(String),
}

/// What the coordinator handle, the election and the bus deliveries share.
pub(crate) struct Shared {
    pub(crate) me: NodeId,
    pub(crate) mode: Mode,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) timing: Timing,
    pub(crate) limits: Limits,
    pub(crate) replica: Replica,
    leader: watch::Sender<Option<LeaderRef>>,
    reign: Mutex<Option<Reign>>,
    /// Calls sent to another node, by id: the node and where the answer goes.
    pending: Mutex<HashMap<u64, (NodeId, oneshot::Sender<Response>)>>,
    next_id: AtomicU64,
    outbox: tokio::sync::Mutex<Outbox>,
    /// The last reign announcement heard (leader, term, epoch): a new one asks for a snapshot.
    announced: Mutex<Option<(NodeId, u64, u64)>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("me", &self.me)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        timing: Timing,
        mode: Mode,
        limits: Limits,
    ) -> Arc<Self> {
        Arc::new(Self {
            me: NodeId::random(),
            mode,
            store,
            bus,
            timing,
            limits,
            replica: Replica::default(),
            leader: watch::Sender::new(None),
            reign: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            outbox: tokio::sync::Mutex::new(Outbox::default()),
            announced: Mutex::new(None),
        })
    }

    pub(crate) fn clustered(&self) -> bool {
        matches!(self.mode, Mode::Cluster { .. })
    }

    /// How long a silent node keeps its sockets counted, and how long a lease lasts.
    pub(crate) fn lease(&self) -> Duration {
        match self.mode {
            Mode::Solo => Duration::MAX,
            Mode::Cluster { lease } => lease,
        }
    }

    /// How long a call waits for a leader and its answer.
    fn call_deadline(&self) -> Duration {
        match self.mode {
            Mode::Solo => Duration::from_secs(30),
            Mode::Cluster { lease } => (lease * 3).max(Duration::from_secs(10)),
        }
    }

    pub(crate) fn leader(&self) -> Option<LeaderRef> {
        self.leader.borrow().clone()
    }

    pub(crate) fn is_leader(&self) -> bool {
        self.reign
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn current_reign(&self) -> Option<Reign> {
        self.reign.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records who leads. Calls waiting on another node get their channel closed: they may
    /// have been decided or not.
    fn set_leader(&self, leader: Option<LeaderRef>) {
        let changed = self.leader.send_if_modified(|now| {
            let changed = *now != leader;
            *now = leader.clone();
            changed
        });
        if changed {
            match &leader {
                Some(l) => {
                    tracing::info!(leader = %l.node, term = l.term, "the cluster's coordinator")
                }
                None => tracing::info!("no coordinator known"),
            }
            let node = leader.map(|l| l.node);
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|_, (to, _)| Some(&*to) == node.as_ref());
        }
    }

    /// Hands a request on: to the actor when this node leads, to the leader over the bus
    /// otherwise. Callers hold the outbox, which keeps this node's requests in order.
    async fn hand_on(&self, request: Request, wants_answer: bool) -> Sent {
        if let Some(reign) = self.current_reign() {
            let (reply, answer) = if wants_answer {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            } else {
                (None, None)
            };
            if reign
                .inbox
                .send(Input::Local { request, reply })
                .await
                .is_err()
            {
                return Sent::NoLeader;
            }
            return answer.map_or(Sent::Told, |answer| Sent::Waiting(answer, None));
        }
        let Some(leader) = self.leader() else {
            return Sent::NoLeader;
        };
        if leader.node == self.me {
            // We were leading a moment ago and stepped down.
            return Sent::NoLeader;
        }
        let mut answer = None;
        let id = wants_answer.then(|| {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, (leader.node.clone(), tx));
            answer = Some(rx);
            id
        });
        let message = ClusterMessage::Request {
            from: self.me.clone(),
            to: leader.node,
            id,
            request: Box::new(request),
        };
        let sent = match message.to_event() {
            Ok(event) => self.bus.publish(event).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = sent {
            if let Some(id) = id {
                self.forget_pending(id);
            }
            return Sent::Unreachable(error);
        }
        answer.map_or(Sent::Told, |answer| Sent::Waiting(answer, id))
    }

    fn forget_pending(&self, id: u64) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Sends a request that wants no answer; it is dropped when no leader can be reached
    /// (socket counts are repaired by the next snapshot).
    pub(crate) async fn tell(&self, request: Request) {
        let mut outbox = self.outbox.lock().await;
        self.tell_locked(&mut outbox, request).await;
    }

    async fn tell_locked(&self, outbox: &mut Outbox, request: Request) {
        let counts = matches!(request, Request::Connections { .. });
        match self.hand_on(request, false).await {
            Sent::Told | Sent::Waiting(..) => {}
            Sent::NoLeader | Sent::Unreachable(_) => outbox.dirty |= counts,
        }
    }

    /// Sends `request` and waits for the answer (see [`Self::call_with`]).
    pub(crate) async fn call(&self, request: Request) -> Response {
        self.call_with(|_| request.clone()).await
    }

    /// Sends a request built from the outbox's current state and waits for the answer;
    /// rebuilt and sent again after a change of leader when that is harmless.
    async fn call_with(&self, build: impl Fn(&Outbox) -> Request) -> Response {
        let deadline = Instant::now() + self.call_deadline();
        let mut leaders = self.leader.subscribe();
        loop {
            leaders.mark_unchanged();
            let (sent, idempotent) = {
                let outbox = self.outbox.lock().await;
                let request = build(&outbox);
                let idempotent = request.is_idempotent();
                (self.hand_on(request, true).await, idempotent)
            };
            match sent {
                Sent::Waiting(answer, id) => {
                    match tokio::time::timeout_at(deadline, answer).await {
                        Ok(Ok(Response::NotLeader)) => {}
                        Ok(Ok(response)) => return response,
                        Ok(Err(_)) if idempotent => {}
                        Ok(Err(_)) => {
                            return unavailable(
                                "the coordinator changed while deciding; look again and retry",
                            );
                        }
                        Err(_) => {
                            if let Some(id) = id {
                                self.forget_pending(id);
                            }
                            return unavailable("the coordinator did not answer in time");
                        }
                    }
                }
                Sent::Told => return Response::Done,
                Sent::NoLeader => {}
                Sent::Unreachable(why) => {
                    return unavailable(&format!("the coordinator cannot be reached: {why}"));
                }
            }
            // Try again once the leader changes (or becomes known).
            let changed = tokio::time::timeout_at(deadline, leaders.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return unavailable("no coordinator is available right now; retry shortly");
            }
        }
    }
}

fn unavailable(message: &str) -> Response {
    Response::Failed {
        error: CoordError::Unavailable(message.into()).into(),
    }
}
