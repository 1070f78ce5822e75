//! Who is connected, cluster-wide: the nodes' socket reports turned into customers and
//! attendants arriving and leaving.

use chimpassist_protocol::{AttendantId, CustomerId, CustomerPresence, Presence};
use chimpassist_store::{Attendant, Customer};
use tokio::time::Instant;

use super::actor::Actor;
use super::model::{AttendantState, CustomerState};
use super::nodes::Changes;
use super::wire::{Connections, NodeId, Response};

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
                let delta = self.nodes.set_attendant(node, &attendant.id, count, now);
                let id = attendant.id.clone();
                self.attendant_sockets(Some(attendant), &id, delta, presence)
                    .await;
            }
        }
    }

    /// Sockets lost with a node (or missing from its snapshot).
    pub(super) async fn apply_changes(&mut self, changes: Changes) {
        for (id, delta) in changes.customers {
            self.customer_sockets(None, &id, delta, CustomerPresence::Gone)
                .await;
        }
        for (id, delta) in changes.attendants {
            self.attendant_sockets(None, &id, delta, Presence::Offline)
                .await;
        }
    }

    /// A customer's sockets across the cluster changed by `delta`. The first one makes them
    /// present (as `hint` says, when a node remembers it from a previous leader; else
    /// active); with the last one gone, the session keep-alive starts counting.
    async fn customer_sockets(
        &mut self,
        record: Option<Customer>,
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
    async fn attendant_sockets(
        &mut self,
        record: Option<Attendant>,
        id: &AttendantId,
        delta: i64,
        hint: Presence,
    ) {
        let now = Instant::now();
        if let Some(record) = &record {
            let state = self
                .model
                .attendants
                .entry(id.clone())
                .or_insert_with(|| AttendantState::new(record.clone(), now));
            state.record = record.clone();
        }
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
        if before == 0 && state.connections > 0 && state.presence == Presence::Offline {
            state.presence = if hint == Presence::Away {
                Presence::Away
            } else {
                Presence::Online
            };
            self.sync_attendant_presence(id);
        }
        if delta > 0 {
            self.assign_waiting().await;
        }
    }

    /// What an attendant's new socket starts with: their presence and every open
    /// conversation.
    pub(super) fn welcome(&self, id: &AttendantId) -> Response {
        let presence = self
            .model
            .attendants
            .get(id)
            .map_or(Presence::Offline, |a| a.presence);
        let mut conversations: Vec<_> = self
            .model
            .conversations
            .keys()
            .filter_map(|c| self.view(*c))
            .collect();
        conversations.sort_by_key(|v| (v.requested_at, v.id));
        Response::Welcome {
            presence,
            conversations,
        }
    }
}
