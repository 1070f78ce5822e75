//! Rounds: the decisions of everything that reached the actor together, written in one
//! store call, told only once they are durable.
//!
//! Why: each decision used to wait for its own commit, so a visit (start, assign, end) cost
//! the actor three fsyncs one after another, and churn was bounded by fsyncs per command.
//! Now a handler decides on the model — which mirrors the store, the leader being its only
//! writer of conversation states — makes the store's own checks there first (status,
//! capacity), and predicts the record with the rule the backends use
//! ([`Transition::apply`], `Conversation::from`). The round holds the writes, the bus events
//! and the answers; at its end the writes go to the store in one
//! [`Store::write_conversations`](chimpassist_store::Store::write_conversations) (one commit
//! on the embedded store), and only then are the events published and the answers sent, in
//! the order they were made. Nobody hears of a decision before it is durable.
//!
//! A write the store refuses anyway (another node wrote, or the store failed) fails the
//! request that made it, and drops that request's events; every conversation written in the
//! round is then read back and the model set to what the store holds.

use std::collections::HashMap;
use std::mem;
use std::sync::PoisonError;

use chimpassist_protocol::{ConversationId, ConversationStatus, CustomerPresence};
use chimpassist_store::{
    AttendantChange, Conversation, ConversationWrite, NewConversation, StoreError, Transition,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::actor::{Actor, failed};
use super::error::{CoordError, CoordResult};
use super::model::{ConvState, CustomerState};
use super::wire::{ClusterMessage, NodeId, Response};
use crate::bus::BusEvent;

/// Most requests taken into one round: bounds how long the first of them waits for the
/// round's commit behind the decisions of the others.
pub(super) const MOST_REQUESTS: usize = 256;

/// What a round holds until its writes are durable.
#[derive(Default)]
pub(super) struct Round {
    writes: Vec<ConversationWrite>,
    /// For each write, the cause that made it.
    causes: Vec<usize>,
    held: Vec<Held>,
    /// The cause being handled: a request, the sweep, an announcement.
    cause: usize,
}

// Events are most of what a round holds; boxing them would allocate for each.
#[allow(clippy::large_enum_variant)]
enum Held {
    Event {
        cause: usize,
        event: BusEvent,
    },
    Answer {
        cause: usize,
        to: AnswerTo,
        response: Response,
    },
}

/// Who waits for an answer.
pub(super) enum AnswerTo {
    Local(oneshot::Sender<Response>),
    Remote { node: NodeId, id: u64 },
}

impl Actor {
    fn round(&self) -> std::sync::MutexGuard<'_, Round> {
        self.round.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts handling the next cause: what it writes and holds is settled together.
    pub(super) fn next_cause(&self) {
        self.round().cause += 1;
    }

    /// Holds `event` until the round's writes are durable (or drops it if its cause's write
    /// is refused).
    pub(super) fn publish(&self, event: BusEvent) {
        let mut round = self.round();
        let cause = round.cause;
        round.held.push(Held::Event { cause, event });
    }

    /// Holds the answer to the current request until its writes are durable; a refused write
    /// replaces it by the failure.
    pub(super) fn answer(&self, to: AnswerTo, response: Response) {
        let mut round = self.round();
        let cause = round.cause;
        round.held.push(Held::Answer {
            cause,
            to,
            response,
        });
    }

    /// A new conversation, as it will be stored.
    pub(super) fn write_new(&self, new: NewConversation) -> Conversation {
        let record = Conversation::from(new.clone());
        self.push_write(ConversationWrite::Create(new));
        record
    }

    /// `t` applied to a conversation of the model, checked as the store checks it.
    pub(super) fn write(&self, t: Transition) -> CoordResult<Conversation> {
        let current = self
            .model
            .conversations
            .get(&t.id)
            .map(|c| c.record.clone())
            .ok_or(StoreError::NotFound)?;
        self.write_on(current, t)
    }

    /// `t` applied to `current` (a conversation the model does not hold: a closed one, as
    /// just read), checked as the store checks it.
    pub(super) fn write_on(
        &self,
        current: Conversation,
        t: Transition,
    ) -> CoordResult<Conversation> {
        if !t.from.contains(&current.status) {
            return Err(CoordError::Store(StoreError::Conflict(format!(
                "conversation is {}",
                current.status.as_str()
            ))));
        }
        if let (Some(capacity), AttendantChange::Set(attendant)) = (t.capacity, &t.attendant) {
            let held = self
                .model
                .attendants
                .get(attendant)
                .map_or(0, |a| a.open.iter().filter(|c| **c != t.id).count());
            if held >= usize::try_from(capacity).unwrap_or(usize::MAX) {
                return Err(CoordError::Store(StoreError::AtCapacity));
            }
        }
        let mut record = current;
        t.apply(&mut record);
        self.push_write(ConversationWrite::Transition(t));
        Ok(record)
    }

    fn push_write(&self, write: ConversationWrite) {
        let mut round = self.round();
        let cause = round.cause;
        round.writes.push(write);
        round.causes.push(cause);
    }

    /// Ends the round: writes, then publishes and answers in order. A refused write fails
    /// its cause and has the conversations of the round read back from the store.
    pub(super) async fn end_round(&mut self) {
        let round = mem::take(&mut *self.round());
        let mut refused: HashMap<usize, StoreError> = HashMap::new();
        let mut reread = Vec::new();
        if !round.writes.is_empty() {
            let ids: Vec<_> = round
                .writes
                .iter()
                .map(ConversationWrite::conversation)
                .collect();
            let answers = self.store.write_conversations(round.writes).await;
            for (answer, cause) in answers.into_iter().zip(round.causes) {
                if let Err(e) = answer {
                    refused.entry(cause).or_insert(e);
                }
            }
            if !refused.is_empty() {
                tracing::warn!(
                    refused = refused.len(),
                    "the store refused decisions of the model; reading them back"
                );
                reread = ids;
                reread.sort_unstable();
                reread.dedup();
            }
        }
        for held in round.held {
            match held {
                Held::Event { cause, event } => {
                    if !refused.contains_key(&cause) {
                        self.publish_now(event).await;
                    }
                }
                Held::Answer {
                    cause,
                    to,
                    response,
                } => {
                    let response = match refused.get(&cause) {
                        Some(e) => failed(CoordError::Store(e.copy())),
                        None => response,
                    };
                    self.send_answer(to, response).await;
                }
            }
        }
        if reread.is_empty() {
            return;
        }
        // What the store holds wins. Nothing here writes, so this round ends at once; the
        // next event assigns what became free.
        self.next_cause();
        for id in reread {
            self.reread(id).await;
        }
        self.queue_changed();
        Box::pin(self.end_round()).await;
    }

    async fn send_answer(&self, to: AnswerTo, response: Response) {
        match to {
            AnswerTo::Local(reply) => {
                let _ = reply.send(response);
            }
            AnswerTo::Remote { node, id } => {
                let message = ClusterMessage::Reply {
                    to: node,
                    id,
                    response,
                };
                self.flush_replica().await;
                self.publish_message(&message).await;
            }
        }
    }

    /// Sets the model's picture of one conversation to the store's, and tells everyone.
    async fn reread(&mut self, id: ConversationId) {
        let record = match self.store.get_conversation(&id).await {
            Ok(record) => record,
            Err(e) => {
                tracing::error!(conversation = %id, error = %e, "conversation not read back; the model may differ from the store until the next reign");
                return;
            }
        };
        self.leave_queue(id);
        for attendant in self.model.attendants.values_mut() {
            attendant.open.remove(&id);
        }
        let known = self.model.close_conversation(&id);
        let Some(record) = record else {
            self.sync_route(id);
            return;
        };
        let (customer, client) = match known {
            Some(c) => (c.customer, c.client),
            None => match self.store.get_customer(&record.customer_id).await {
                Ok(Some(c)) => (crate::views::customer_view(&c), None),
                _ => {
                    self.sync_route(id);
                    return;
                }
            },
        };
        if !record.status.is_open() {
            self.sync_route(id);
            let view = crate::views::conversation_view_of(
                &record,
                customer.clone(),
                None,
                self.customer_presence_now(&customer.id),
            );
            self.announce(view);
            return;
        }
        match (&record.attendant_id, record.status) {
            (Some(a), ConversationStatus::Assigned | ConversationStatus::Active) => {
                if let Some(state) = self.model.attendants.get_mut(a) {
                    state.open.insert(id);
                }
            }
            _ => self.enter_queue(&record.queue_id.clone(), record.requested_at, id),
        }
        self.model
            .customers
            .entry(customer.id.clone())
            .or_insert(CustomerState {
                connections: 0,
                gone_since: Some(Instant::now()),
                presence: CustomerPresence::Gone,
            });
        // Recovered from a failed round: people get it (as after a change of leader).
        self.model.open_conversation(ConvState {
            record,
            customer,
            client,
            bot: None,
        });
        self.sync_route(id);
        if let Some(view) = self.view(id) {
            self.announce(view);
        }
    }
}
