//! Who is connected, cluster-wide: the nodes' socket reports turned into customers and
//! attendants arriving and leaving.

use chimpassist_protocol::{AttendantId, CustomerId, CustomerPresence, CustomerView, Presence};
use chimpassist_store::Visibility;
use tokio::time::Instant;

use super::actor::{Actor, failed};
use super::error::CoordError;
use super::model::CustomerState;
use super::nodes::Changes;
use super::wire::{AttendantCard, Connections, NodeId, Response};

impl Actor {
    /// A node's report on one customer's or attendant's sockets there.
    pub(super) async fn connections(&mut self, node: &NodeId, entry: Connections) {
        let now = Instant::now();
        match entry {
            Connections::Customer {
                customer,
                count,
                presence,
            } => {
                let delta = self.nodes.set_customer(node, &customer.id, count, now);
                let id = customer.id.clone();
                self.customer_sockets(Some(customer), &id, delta, presence)
                    .await;
            }
            Connections::Attendant {
                attendant,
                count,
                presence,
            } => {
                let delta = self.nodes.set_attendant(node, &attendant, count, now);
                if delta > 0 || !self.model.attendants.contains_key(&attendant) {
                    // A socket opened: its account as stored now, never as a node remembers
                    // it (a report may be older than the change that disabled the account).
                    self.reread_attendant(&attendant).await;
                }
                self.attendant_sockets(&attendant, delta, presence).await;
            }
        }
    }

    /// Takes the attendant's record from the store (an account made by the authentication
    /// hook at its first login is news to the coordinator). A read that fails keeps what
    /// the model has.
    async fn reread_attendant(&mut self, id: &AttendantId) {
        match self.store.get_attendant(id).await {
            Ok(Some(record)) => self.attendant_changed(AttendantCard::from(&record)).await,
            Ok(None) => tracing::warn!(attendant = %id, "a socket of an unknown attendant"),
            Err(e) => tracing::warn!(attendant = %id, error = %e, "attendant not re-read"),
        }
    }

    /// Sockets lost with a node (or missing from its snapshot).
    pub(super) async fn apply_changes(&mut self, changes: Changes) {
        for (id, delta) in changes.customers {
            self.customer_sockets(None, &id, delta, CustomerPresence::Gone)
                .await;
        }
        for (id, delta) in changes.attendants {
            self.attendant_sockets(&id, delta, Presence::Offline).await;
        }
    }

    /// A customer's sockets across the cluster changed by `delta`. The first one makes them
    /// present (as `hint` says, when a node remembers it from a previous leader; else
    /// active); with the last one gone, the session keep-alive starts counting.
    async fn customer_sockets(
        &mut self,
        record: Option<CustomerView>,
        id: &CustomerId,
        delta: i64,
        hint: CustomerPresence,
    ) {
        if let Some(customer) = record
            && let Some(open) = self.model.open_of(id)
            && let Some(c) = self.model.conversations.get_mut(&open)
        {
            c.customer = customer;
        }
        if delta > 0 {
            let state = self
                .model
                .customers
                .entry(id.clone())
                .or_insert(CustomerState {
                    connections: 0,
                    gone_since: None,
                    presence: CustomerPresence::Active,
                });
            let before = state.connections;
            state.connections += usize::try_from(delta).unwrap_or(usize::MAX);
            state.gone_since = None;
            if before == 0 {
                let presence = match hint {
                    CustomerPresence::Gone => CustomerPresence::Active,
                    other => other,
                };
                self.customer_presence(id, presence).await;
            }
            return;
        }
        if delta == 0 {
            return;
        }
        let Some(state) = self.model.customers.get_mut(id) else {
            return;
        };
        let lost = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
        state.connections = state.connections.saturating_sub(lost);
        if state.connections > 0 {
            return;
        }
        state.gone_since = Some(Instant::now());
        if self.model.open_of(id).is_none() {
            self.model.customers.remove(id);
            self.sync_customer_presence(id);
            return;
        }
        self.customer_presence(id, CustomerPresence::Gone).await;
    }

    /// An attendant's sockets across the cluster changed by `delta`. The first one brings an
    /// offline attendant online (or away, when a node remembers that from a previous leader)
    /// and may give them waiting conversations; after the last one the keep-alive counts.
    async fn attendant_sockets(&mut self, id: &AttendantId, delta: i64, hint: Presence) {
        let now = Instant::now();
        let Some(state) = self.model.attendants.get_mut(id) else {
            return;
        };
        state.last_seen = now;
        if delta < 0 {
            let lost = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
            state.connections = state.connections.saturating_sub(lost);
            return;
        }
        let before = state.connections;
        state.connections += usize::try_from(delta).unwrap_or(usize::MAX);
        if before == 0
            && state.connections > 0
            && state.presence == Presence::Offline
            && !state.record.disabled
        {
            state.presence = if hint == Presence::Away {
                Presence::Away
            } else {
                Presence::Online
            };
            self.sync_attendant_presence(id);
        }
        if delta > 0 {
            self.assign_waiting();
        }
    }

    /// What an attendant's new socket starts with: their presence and the open conversations
    /// they may see — those of their queues and their own (admins: all), as their record is
    /// now.
    pub(super) fn welcome(&self, id: &AttendantId) -> Response {
        let Some(state) = self.model.attendants.get(id).filter(|a| !a.record.disabled) else {
            return failed(CoordError::disabled());
        };
        let me = &state.record;
        let sees = Visibility::for_role(&me.id, me.role, &me.queues);
        let mut conversations: Vec<_> = self
            .model
            .conversations
            .values()
            .filter(|c| sees.allows(&c.record, &[]))
            .filter_map(|c| self.view(c.record.id))
            .collect();
        let presence = state.presence;
        conversations.sort_by_key(|v| (v.requested_at, v.id));
        Response::Welcome {
            presence,
            conversations,
        }
    }
}
