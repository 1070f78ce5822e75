//! The actor: loads state, then handles requests and the keep-alive sweep one at a time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chimpassist_protocol::{
    AttendantId, ConversationStatus, CustomerId, CustomerPresence, Presence, QueueId,
};
use chimpassist_store::Store;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::announce::Pace;
use super::calls::Calls;
use super::cluster::{Input, Shared};
use super::error::{CoordError, CoordResult};
use super::model::{AttendantState, ConvState, CustomerState, Model, QueueState};
use super::nodes::NodeTable;
use super::replica::ReplicaWriter;
use super::round::{AnswerTo, MOST_REQUESTS, Round};
use super::wire::{AttendantCard, ClusterMessage, NodeId, ReplicaUpdate, Response};
use super::{Route, Timing};
use crate::bus::{Bus, BusEvent};

/// Replica updates per bus message when the whole replica is published.
const REPLICA_PART: usize = 1000;

pub(crate) struct Actor {
    pub(super) model: Model,
    pub(super) store: Arc<dyn Store>,
    pub(super) bus: Arc<dyn Bus>,
    pub(super) timing: Timing,
    pub(super) replica: ReplicaWriter,
    /// Sockets per node, as reported.
    pub(super) nodes: NodeTable,
    pub(super) shared: Arc<Shared>,
    pub(super) term: u64,
    /// Times this reign may have missed reports (bus gaps); announced with the term.
    epoch: u64,
    /// Last time the bus was seen not ready: silent nodes are forgotten only after it has
    /// been ready for a whole lease (else the silence may be ours).
    bus_unready_at: Instant,
    /// Queue positions and numbers owed to customers and attendants.
    pub(super) announce: Pace,
    /// Writes, events and answers held until the writes are durable.
    pub(super) round: Mutex<Round>,
    /// The calls going on.
    pub(super) calls: Calls,
}

impl Actor {
    /// Rebuilds the model: queues and attendants from the store, open conversations with
    /// their customers. Nobody is connected yet, so every attendant starts offline and every
    /// customer "gone since now": the nodes' reports and the keep-alives then decide.
    pub(super) async fn load(shared: Arc<Shared>, term: u64) -> CoordResult<Self> {
        let store = Arc::clone(&shared.store);
        let now = Instant::now();
        let mut model = Model::default();
        for queue in store.list_queues().await? {
            model
                .queues
                .insert(queue.id.clone(), QueueState::new(queue));
        }
        for attendant in store.list_attendants().await? {
            model.attendants.insert(
                attendant.id.clone(),
                AttendantState::new(AttendantCard::from(&attendant), now),
            );
        }
        for record in store.list_open_conversations().await? {
            let Some(customer) = store
                .get_customer(&record.customer_id)
                .await?
                .map(|c| crate::views::customer_view(&c))
            else {
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
            // A bot's hold lives in the leader's memory only: a new leader gives held
            // conversations to people at once (never later than the bot would have).
            model.open_conversation(ConvState {
                record,
                customer,
                client: None,
                bot: None,
            });
        }
        let replica = ReplicaWriter::new(shared.replica.clone(), shared.clustered());
        replica.reset();
        let actor = Self {
            model,
            store,
            bus: Arc::clone(&shared.bus),
            timing: shared.timing,
            replica,
            nodes: NodeTable::default(),
            term,
            // Random start: a node that leads again in the same term (its first attempt to
            // load failed) still announces a reign its followers have not heard.
            epoch: u64::from(rand::random::<u32>()) << 32,
            bus_unready_at: now,
            announce: Pace::new(now),
            round: Mutex::default(),
            calls: Calls::default(),
            shared,
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

    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<Input>, stop: CancellationToken) {
        let shortest = self
            .timing
            .attendant_keep_alive
            .min(self.timing.session_keep_alive)
            .min(self.shared.lease());
        let period = (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut sweep = tokio::time::interval(period);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The leader's heartbeat: followers learn who leads, and notice at once (by the bus's
        // numbering) when the leader's events were lost, even while it has nothing to say.
        let mut heartbeat = tokio::time::interval(self.shared.lease() / 5);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let announce_at = self.announce.due_at();
            tokio::select! {
                _ = stop.cancelled() => break,
                input = inbox.recv() => match input {
                    Some(input) => {
                        self.input(input).await;
                        // Whatever arrived meanwhile joins the round: one commit for all.
                        for _ in 1..MOST_REQUESTS {
                            match inbox.try_recv() {
                                Ok(input) => self.input(input).await,
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                _ = sweep.tick() => {
                    self.next_cause();
                    self.sweep().await;
                }
                _ = heartbeat.tick(), if self.replica.clustered() => self.announce_leader().await,
                _ = tokio::time::sleep_until(announce_at.unwrap_or_else(Instant::now)),
                    if announce_at.is_some() => {}
            }
            // Calls whose conversation this round closed or moved end with it.
            self.next_cause();
            self.settle_calls();
            self.next_cause();
            self.announce_if_due().await;
            self.end_round().await;
            self.flush_replica().await;
        }
        tracing::debug!(term = self.term, "coordinator stopped");
    }

    /// Handles one input; its answer is held with the round (see [`super::round`]).
    async fn input(&mut self, input: Input) {
        self.next_cause();
        match input {
            Input::Local { request, reply } => {
                let response = self.handle(&self.shared.me.clone(), request).await;
                if let Some(reply) = reply {
                    self.answer(AnswerTo::Local(reply), response);
                }
            }
            Input::Remote { from, id, request } => {
                self.nodes.heard(&from, Instant::now());
                let response = self.handle(&from, request).await;
                if let Some(id) = id {
                    self.answer(AnswerTo::Remote { node: from, id }, response);
                }
            }
            Input::BusGap => {
                // Reports from other nodes may be lost: ask everyone again, and give silent
                // nodes a fresh lease of life.
                self.epoch += 1;
                tracing::info!(
                    term = self.term,
                    epoch = self.epoch,
                    "bus gap: asking every node for its sockets"
                );
                self.nodes.heard_all(Instant::now());
                self.announce_reign().await;
            }
        }
    }

    /// Tells every node this reign (they answer with their sockets) and publishes the whole
    /// replica. A single node has nobody to tell.
    pub(super) async fn announce_reign(&self) {
        if !self.replica.clustered() {
            return;
        }
        self.announce_leader().await;
        self.publish_whole_replica().await;
    }

    /// Says who leads, in which term and epoch (a follower that has not heard this one yet
    /// answers with its sockets).
    async fn announce_leader(&self) {
        let message = ClusterMessage::Leader {
            node: self.shared.me.clone(),
            term: self.term,
            epoch: self.epoch,
        };
        self.publish_message(&message).await;
    }

    pub(super) async fn publish_whole_replica(&self) {
        let all = self.replica.replica.snapshot();
        let mut parts = all.chunks(REPLICA_PART).peekable();
        let mut first = true;
        if parts.peek().is_none() {
            self.publish_replica(true, Vec::new()).await;
        }
        for part in parts {
            self.publish_replica(first, part.to_vec()).await;
            first = false;
        }
    }

    async fn publish_replica(&self, reset: bool, updates: Vec<ReplicaUpdate>) {
        let message = ClusterMessage::Replica {
            from: self.shared.me.clone(),
            term: self.term,
            reset,
            updates,
        };
        self.publish_message(&message).await;
    }

    /// Keep-alive sweep: lapsed attendants go offline and lose their conversations to the
    /// head of the queue; customers gone too long lose theirs (expired / abandoned); nodes
    /// silent for a lease lose their sockets.
    async fn sweep(&mut self) {
        let now = Instant::now();
        self.forget_silent_nodes(now).await;
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
        self.release_due_bots(now);
    }

    async fn forget_silent_nodes(&mut self, now: Instant) {
        if !self.replica.clustered() {
            return;
        }
        if !self.bus.is_ready() {
            self.bus_unready_at = now;
            return;
        }
        let lease = self.shared.lease();
        if now.duration_since(self.bus_unready_at) < lease {
            return;
        }
        for node in self.nodes.silent(&self.shared.me, now, lease) {
            tracing::warn!(%node, "node silent for a lease; forgetting its sockets");
            let changes = self.nodes.forget(&node);
            self.apply_changes(changes).await;
        }
    }

    /// Keeps the routes in step with the model for one conversation.
    pub(super) fn sync_route(&self, id: chimpassist_protocol::ConversationId) {
        let route = self.model.conversations.get(&id).map(|c| Route {
            customer: c.record.customer_id.clone(),
            attendant: c.record.attendant_id.clone(),
            status: c.record.status,
            bot: c.bot.as_ref().map(|b| b.name.clone()),
        });
        if self.replica.replica.route(&id) != route {
            self.replica.set(ReplicaUpdate::Route {
                conversation: id,
                route,
            });
        }
    }

    /// Keeps the presence board in step with the model for one customer.
    pub(super) fn sync_customer_presence(&self, id: &CustomerId) {
        let presence = self
            .model
            .customers
            .get(id)
            .map_or(CustomerPresence::Gone, |c| c.presence);
        if self.replica.replica.customer(id) != presence {
            self.replica.set(ReplicaUpdate::Customer {
                customer: id.clone(),
                presence,
            });
        }
    }

    /// Keeps the presence board in step with the model for one attendant.
    pub(super) fn sync_attendant_presence(&self, id: &AttendantId) {
        let presence = self
            .model
            .attendants
            .get(id)
            .map_or(Presence::Offline, |a| a.presence);
        if self.replica.replica.attendant(id) != presence {
            self.replica.set(ReplicaUpdate::Attendant {
                attendant: id.clone(),
                presence,
            });
        }
    }

    /// Publishes the replica updates not yet published.
    pub(super) async fn flush_replica(&self) {
        let pending = self.replica.take_pending();
        if !pending.is_empty() {
            self.publish_replica(false, pending).await;
        }
    }

    /// Publishes in order, after the replica updates it may depend on. A failed publish is
    /// logged: clients resume from the store, so nothing durable is lost. (Handlers hold
    /// their events with the round instead: [`Actor::publish`].)
    pub(super) async fn publish_now(&self, event: BusEvent) {
        self.flush_replica().await;
        self.publish_raw(event).await;
    }

    async fn publish_raw(&self, event: BusEvent) {
        if let Err(e) = self.bus.publish(event).await {
            tracing::debug!(error = %e, "bus publish failed");
        }
    }

    /// A coordination message to every node (the replica not flushed first).
    pub(super) async fn publish_message(&self, message: &ClusterMessage) {
        match message.to_event() {
            Ok(event) => self.publish_raw(event).await,
            Err(e) => tracing::error!(error = %e, "coordination message not encodable"),
        }
    }

    pub(super) fn queue_config(&self, id: &QueueId) -> CoordResult<chimpassist_store::Queue> {
        self.model
            .queues
            .get(id)
            .map(|q| q.config.clone())
            .ok_or_else(|| CoordError::NotFound(format!("queue `{id}` not found")))
    }

    /// This node's own id (its sockets are reported like every other node's).
    pub(super) fn me(&self) -> &NodeId {
        &self.shared.me
    }
}

/// The answer to a call that returned nothing.
pub(super) fn done(result: CoordResult<()>) -> Response {
    match result {
        Ok(()) => Response::Done,
        Err(e) => failed(e),
    }
}

/// The answer to a call that failed. A failure that is not the caller's is logged here, where
/// its cause is whole (it crosses to another node as text), and for requests nobody waits on.
pub(super) fn failed(error: CoordError) -> Response {
    match &error {
        CoordError::Internal(_) | CoordError::Store(chimpassist_store::StoreError::Internal(_)) => {
            tracing::error!(error = ?error, "coordinator request failed");
        }
        CoordError::Store(chimpassist_store::StoreError::Unavailable(_)) => {
            tracing::warn!(%error, "coordinator request failed: store unavailable");
        }
        _ => {}
    }
    Response::Failed {
        error: error.into(),
    }
}
