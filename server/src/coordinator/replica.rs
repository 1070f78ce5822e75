//! The read-mostly picture of the coordinator's decisions every node keeps: routes of open
//! conversations, presences, queue numbers.
//!
//! The hot path (messages, receipts, typing) and REST reads consult it without asking the
//! actor. On the leader the actor writes it directly; on the other nodes it follows the
//! leader's [`ReplicaUpdate`]s, published in order before any frame that depends on them (so
//! an attendant told "assigned" can already write). A replica may lag or miss updates after a
//! bus gap, so its *negative* answers are checked against the store by its readers (see
//! `ws::messaging::open_route`): it may be stale, never wrongly refusing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chimpassist_protocol::{
    AttendantId, ConversationId, CustomerId, CustomerPresence, Presence, QueueId, QueueObservations,
};

use super::Route;
use super::wire::ReplicaUpdate;

#[derive(Debug, Default)]
struct Maps {
    routes: HashMap<ConversationId, Route>,
    /// Queue numbers as last computed, with the EWT of a newcomer.
    observations: HashMap<QueueId, (QueueObservations, u32)>,
    /// Only those not `gone`.
    customers: HashMap<CustomerId, CustomerPresence>,
    /// Only those not `offline`.
    attendants: HashMap<AttendantId, Presence>,
}

/// Shared handle; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Replica {
    maps: Arc<RwLock<Maps>>,
}

impl Replica {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Maps> {
        self.maps.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn route(&self, conversation: &ConversationId) -> Option<Route> {
        self.read().routes.get(conversation).cloned()
    }

    /// The attendant holding the customer's open conversation, if any (a scan of the open
    /// conversations: called for rare events such as a page change, not per message).
    pub fn holder_of_customer(&self, customer: &CustomerId) -> Option<AttendantId> {
        self.read()
            .routes
            .values()
            .find(|r| r.customer == *customer && r.attendant.is_some())
            .and_then(|r| r.attendant.clone())
    }

    pub fn observations(&self, queue: &QueueId) -> Option<(QueueObservations, u32)> {
        self.read().observations.get(queue).cloned()
    }

    pub fn customer(&self, customer: &CustomerId) -> CustomerPresence {
        self.read()
            .customers
            .get(customer)
            .copied()
            .unwrap_or_default()
    }

    pub fn attendant(&self, attendant: &AttendantId) -> Presence {
        self.read()
            .attendants
            .get(attendant)
            .copied()
            .unwrap_or(Presence::Offline)
    }

    /// Applies updates in order; `reset` first forgets everything.
    pub fn apply(&self, reset: bool, updates: &[ReplicaUpdate]) {
        let mut maps = self.write();
        if reset {
            *maps = Maps::default();
        }
        for update in updates {
            match update {
                ReplicaUpdate::Route {
                    conversation,
                    route,
                } => match route {
                    Some(route) => {
                        maps.routes.insert(*conversation, route.clone());
                    }
                    None => {
                        maps.routes.remove(conversation);
                    }
                },
                ReplicaUpdate::Customer { customer, presence } => {
                    if *presence == CustomerPresence::Gone {
                        maps.customers.remove(customer);
                    } else {
                        maps.customers.insert(customer.clone(), *presence);
                    }
                }
                ReplicaUpdate::Attendant {
                    attendant,
                    presence,
                } => {
                    if *presence == Presence::Offline {
                        maps.attendants.remove(attendant);
                    } else {
                        maps.attendants.insert(attendant.clone(), *presence);
                    }
                }
                ReplicaUpdate::Queue {
                    queue,
                    observations,
                    ewt_seconds,
                } => {
                    maps.observations
                        .insert(queue.clone(), (observations.clone(), *ewt_seconds));
                }
            }
        }
    }

    /// Everything, as updates that rebuild it from empty.
    pub fn snapshot(&self) -> Vec<ReplicaUpdate> {
        let maps = self.read();
        let routes = maps.routes.iter().map(|(id, r)| ReplicaUpdate::Route {
            conversation: *id,
            route: Some(r.clone()),
        });
        let customers = maps
            .customers
            .iter()
            .map(|(id, p)| ReplicaUpdate::Customer {
                customer: id.clone(),
                presence: *p,
            });
        let attendants = maps
            .attendants
            .iter()
            .map(|(id, p)| ReplicaUpdate::Attendant {
                attendant: id.clone(),
                presence: *p,
            });
        let queues = maps
            .observations
            .iter()
            .map(|(id, (o, ewt))| ReplicaUpdate::Queue {
                queue: id.clone(),
                observations: o.clone(),
                ewt_seconds: *ewt,
            });
        routes
            .chain(customers)
            .chain(attendants)
            .chain(queues)
            .collect()
    }
}

/// The leader's side: writes the replica at once and keeps the updates for the followers
/// until the actor publishes them.
#[derive(Debug)]
pub(super) struct ReplicaWriter {
    pub(super) replica: Replica,
    /// Whether other nodes follow (a single node publishes nothing).
    clustered: bool,
    /// Behind a lock only so that `&self` methods of the actor may record changes.
    pending: Mutex<Vec<ReplicaUpdate>>,
}

impl ReplicaWriter {
    pub(super) fn new(replica: Replica, clustered: bool) -> Self {
        Self {
            replica,
            clustered,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Forgets everything (a new reign rebuilds it from the store).
    pub(super) fn reset(&self) {
        self.replica.apply(true, &[]);
        self.pending().clear();
    }

    pub(super) fn set(&self, update: ReplicaUpdate) {
        self.replica.apply(false, std::slice::from_ref(&update));
        if self.clustered {
            self.pending().push(update);
        }
    }

    /// The updates not yet published.
    pub(super) fn take_pending(&self) -> Vec<ReplicaUpdate> {
        std::mem::take(&mut *self.pending())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<ReplicaUpdate>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn clustered(&self) -> bool {
        self.clustered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::ConversationStatus;

    fn route(customer: &str) -> Route {
        Route {
            customer: CustomerId::parse(customer).unwrap(),
            attendant: Some(AttendantId::parse("ada").unwrap()),
            status: ConversationStatus::Assigned,
            bot: None,
        }
    }

    #[test]
    fn a_snapshot_rebuilds_the_same_picture_elsewhere() {
        let leader = Replica::default();
        let writer = ReplicaWriter::new(leader.clone(), true);
        let (a, b) = (ConversationId::new(), ConversationId::new());
        writer.set(ReplicaUpdate::Route {
            conversation: a,
            route: Some(route("grace")),
        });
        writer.set(ReplicaUpdate::Route {
            conversation: b,
            route: Some(route("alan")),
        });
        writer.set(ReplicaUpdate::Route {
            conversation: a,
            route: None,
        });
        writer.set(ReplicaUpdate::Attendant {
            attendant: AttendantId::parse("ada").unwrap(),
            presence: Presence::Away,
        });
        assert_eq!(writer.take_pending().len(), 4);
        assert!(writer.take_pending().is_empty());

        let follower = Replica::default();
        follower.apply(
            false,
            &[ReplicaUpdate::Route {
                conversation: a,
                route: Some(route("stale")),
            }],
        );
        follower.apply(true, &leader.snapshot());
        assert_eq!(
            follower.route(&a),
            None,
            "the reset dropped the stale route"
        );
        assert_eq!(follower.route(&b), Some(route("alan")));
        assert_eq!(
            follower.attendant(&AttendantId::parse("ada").unwrap()),
            Presence::Away
        );
        assert_eq!(
            follower.customer(&CustomerId::parse("grace").unwrap()),
            CustomerPresence::Gone
        );
    }

    #[test]
    fn a_single_node_keeps_nothing_to_publish() {
        let writer = ReplicaWriter::new(Replica::default(), false);
        writer.set(ReplicaUpdate::Customer {
            customer: CustomerId::parse("grace").unwrap(),
            presence: CustomerPresence::Active,
        });
        assert!(writer.take_pending().is_empty());
        assert_eq!(
            writer
                .replica
                .customer(&CustomerId::parse("grace").unwrap()),
            CustomerPresence::Active
        );
    }
}
