//! The actor: loads state, then handles commands and the keep-alive sweep one at a time.

use std::sync::Arc;
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, ConversationStatus, CustomerId, CustomerPresence, ErrorCode, Presence, QueueId,
    ServerToAttendant,
};
use chimpassist_store::Store;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::model::{AttendantState, ConvState, CustomerState, Model, QueueState};
use super::{Command, Observations, Presences, Route, Routes, Timing};
use crate::bus::{Bus, BusEvent};
use crate::error::{AppError, AppResult};

pub(crate) struct Actor {
    pub(super) model: Model,
    pub(super) store: Arc<dyn Store>,
    pub(super) bus: Arc<dyn Bus>,
    pub(super) timing: Timing,
    pub(super) routes: Routes,
    pub(super) observations: Observations,
    pub(super) presences: Presences,
}

impl Actor {
    /// Rebuilds the model: queues and attendants from the store, open conversations with
    /// their customers. Nobody is connected yet, so every attendant starts offline and every
    /// customer "gone since now": the keep-alives then decide, as for any disconnect.
    pub(super) async fn load(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        timing: Timing,
        routes: Routes,
        observations: Observations,
        presences: Presences,
    ) -> AppResult<Self> {
        let now = Instant::now();
        let mut model = Model::default();
        for queue in store.list_queues().await? {
            model
                .queues
                .insert(queue.id.clone(), QueueState::new(queue));
        }
        for attendant in store.list_attendants().await? {
            model
                .attendants
                .insert(attendant.id.clone(), AttendantState::new(attendant, now));
        }
        for record in store.list_open_conversations().await? {
            let Some(customer) = store.get_customer(&record.customer_id).await? else {
                tracing::error!(conversation = %record.id, "open conversation without customer");
                continue;
            };
            model
                .customers
                .entry(customer.id.clone())
                .or_insert(CustomerState {
                    connections: 0,
                    gone_since: Some(now),
                    presence: CustomerPresence::Gone,
                });
            match (&record.attendant_id, record.status) {
                (Some(a), ConversationStatus::Assigned | ConversationStatus::Active) => {
                    if let Some(state) = model.attendants.get_mut(a) {
                        state.open.insert(record.id);
                    }
                }
                _ => {
                    if let Some(q) = model.queues.get_mut(&record.queue_id) {
                        q.waiting.insert((record.requested_at, record.id));
                    }
                }
            }
            model
                .conversations
                .insert(record.id, ConvState { record, customer });
        }
        let actor = Self {
            model,
            store,
            bus,
            timing,
            routes,
            observations,
            presences,
        };
        for id in actor
            .model
            .conversations
            .keys()
            .copied()
            .collect::<Vec<_>>()
        {
            actor.sync_route(id);
        }
        actor.refresh_observations().await;
        Ok(actor)
    }

    pub(super) async fn run(mut self, mut rx: mpsc::Receiver<Command>, stop: CancellationToken) {
        let shortest = self
            .timing
            .attendant_keep_alive
            .min(self.timing.session_keep_alive);
        let period = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut sweep = tokio::time::interval(period);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                command = rx.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                _ = sweep.tick() => self.sweep().await,
            }
        }
        tracing::debug!("coordinator stopped");
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::StartChat {
                customer,
                queue,
                subject,
                reply,
            } => {
                let _ = reply.send(self.start_chat(customer, queue, subject).await);
            }
            Command::EndChat {
                customer,
                conversation,
                reply,
            } => {
                let _ = reply.send(self.end_chat(&customer, conversation).await);
            }
            Command::CustomerConnected { customer } => self.customer_connected(customer).await,
            Command::CustomerDisconnected { customer } => {
                self.customer_disconnected(&customer).await;
            }
            Command::CustomerPresence { customer, state } => {
                self.customer_presence(&customer, state).await;
            }
            Command::CustomerWrote { conversation } => self.customer_wrote(conversation).await,
            Command::Rated { conversation } => self.rated(conversation).await,
            Command::AttendantConnected { attendant, reply } => {
                let _ = reply.send(self.attendant_connected(attendant).await);
            }
            Command::AttendantDisconnected { attendant } => {
                if let Some(a) = self.model.attendants.get_mut(&attendant) {
                    a.connections = a.connections.saturating_sub(1);
                    a.last_seen = Instant::now();
                }
            }
            Command::AttendantSeen { attendant } => {
                if let Some(a) = self.model.attendants.get_mut(&attendant) {
                    a.last_seen = Instant::now();
                }
            }
            Command::SetPresence {
                attendant,
                presence,
                reply,
            } => {
                let _ = reply.send(self.set_presence(&attendant, presence).await);
            }
            Command::AttendantReplied {
                attendant,
                conversation,
            } => self.attendant_replied(&attendant, conversation).await,
            Command::NextCustomer {
                attendant,
                queue,
                reply,
            } => {
                let _ = reply.send(self.next_customer(&attendant, queue).await);
            }
            Command::Transfer {
                by,
                conversation,
                to,
                reply,
            } => {
                let _ = reply.send(self.transfer(&by, conversation, to).await);
            }
            Command::Resolve {
                by,
                conversation,
                reply,
            } => {
                let _ = reply.send(self.resolve(&by, conversation).await);
            }
            Command::Reopen {
                by,
                conversation,
                reply,
            } => {
                let _ = reply.send(self.reopen(&by, conversation).await);
            }
            Command::AttendantChanged { attendant } => self.attendant_changed(attendant).await,
            Command::QueueChanged { queue } => {
                match self.model.queues.get_mut(&queue.id) {
                    Some(state) => state.config = queue,
                    None => {
                        self.model
                            .queues
                            .insert(queue.id.clone(), QueueState::new(queue));
                    }
                }
                self.assign_waiting().await;
            }
        }
    }

    /// Keep-alive sweep: lapsed attendants go offline and lose their conversations to the
    /// head of the queue; customers gone too long lose theirs (expired / abandoned).
    async fn sweep(&mut self) {
        let now = Instant::now();
        let lapsed: Vec<_> = self
            .model
            .attendants
            .values()
            .filter(|a| {
                a.connections == 0
                    && now.duration_since(a.last_seen) >= self.timing.attendant_keep_alive
                    && (a.presence != Presence::Offline || !a.open.is_empty())
            })
            .map(|a| a.record.id.clone())
            .collect();
        for id in lapsed {
            tracing::info!(attendant = %id, "attendant keep-alive lapsed");
            self.attendant_lapsed(&id).await;
        }
        let gone: Vec<_> = self
            .model
            .customers
            .iter()
            .filter(|(_, c)| {
                c.gone_since
                    .is_some_and(|t| now.duration_since(t) >= self.timing.session_keep_alive)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for customer in gone {
            self.customer_lapsed(&customer).await;
        }
    }

    /// Keeps the routes map in step with the model for one conversation.
    pub(super) fn sync_route(&self, id: chimpassist_protocol::ConversationId) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        match self.model.conversations.get(&id) {
            Some(c) => {
                routes.insert(
                    id,
                    Route {
                        customer: c.record.customer_id.clone(),
                        attendant: c.record.attendant_id.clone(),
                        status: c.record.status,
                    },
                );
            }
            None => {
                routes.remove(&id);
            }
        }
    }

    /// Keeps the presence board in step with the model for one customer.
    pub(super) fn sync_customer_presence(&self, id: &CustomerId) {
        let mut board = self.presences.write().unwrap_or_else(|p| p.into_inner());
        match self.model.customers.get(id).map(|c| c.presence) {
            Some(presence) if presence != CustomerPresence::Gone => {
                board.customers.insert(id.clone(), presence);
            }
            _ => {
                board.customers.remove(id);
            }
        }
    }

    /// Keeps the presence board in step with the model for one attendant.
    pub(super) fn sync_attendant_presence(&self, id: &AttendantId) {
        let mut board = self.presences.write().unwrap_or_else(|p| p.into_inner());
        match self.model.attendants.get(id).map(|a| a.presence) {
            Some(presence) if presence != Presence::Offline => {
                board.attendants.insert(id.clone(), presence);
            }
            _ => {
                board.attendants.remove(id);
            }
        }
    }

    /// Recomputes queue numbers; pushes changed positions to waiting customers and changed
    /// numbers to attendants.
    pub(super) async fn refresh_observations(&self) {
        let mut changed = Vec::new();
        {
            let mut shared = self.observations.write().unwrap_or_else(|p| p.into_inner());
            for id in self.model.queues.keys() {
                let waiting = self.model.queues.get(id).map_or(0, |q| q.waiting.len());
                let next = u32::try_from(waiting).unwrap_or(u32::MAX).saturating_add(1);
                let value = (
                    self.model.observations(id),
                    self.model.estimated_wait(id, next),
                );
                if shared.get(id) != Some(&value) {
                    changed.push((id.clone(), value.0.clone()));
                    shared.insert(id.clone(), value);
                }
            }
        }
        for (queue, observations) in changed {
            self.publish(BusEvent::AllAttendants {
                frame: ServerToAttendant::Queue {
                    queue,
                    observations,
                },
            })
            .await;
        }
    }

    /// Publishes in order. A failed publish is logged: clients resume from the store, so
    /// nothing durable is lost.
    pub(super) async fn publish(&self, event: BusEvent) {
        if let Err(e) = self.bus.publish(event).await {
            tracing::warn!(error = %e, "bus publish failed");
        }
    }

    pub(super) fn queue_config(&self, id: &QueueId) -> AppResult<chimpassist_store::Queue> {
        self.model
            .queues
            .get(id)
            .map(|q| q.config.clone())
            .ok_or_else(|| AppError::client(ErrorCode::NotFound, format!("queue `{id}` not found")))
    }
}
