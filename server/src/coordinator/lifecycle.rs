//! State changes of one conversation: assign, re-queue, finish. Each is checked and written
//! with the round ([`super::round`]: the store's compare-and-set, made on the model first),
//! then updates the model and routes, then tells everyone concerned once the write is durable.

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, ConversationView, CustomerId,
    CustomerPresence, QueueId, ServerToAttendant, ServerToCustomer, TimestampMs,
};
use chimpassist_store::{AttendantChange, Conversation, StoreError, Transition};
use tokio::time::Instant;

use super::actor::Actor;
use super::error::{CoordError, CoordResult};
use crate::bus::BusEvent;
use crate::views::{conversation_view_of, now_ms};

/// Builds a transition; the one place that knows all of `Transition`'s fields.
pub(super) fn transition(
    id: ConversationId,
    from: &[ConversationStatus],
    to: ConversationStatus,
    attendant: AttendantChange,
    capacity: Option<u32>,
) -> Transition {
    Transition {
        id,
        from: from.to_vec(),
        to,
        attendant,
        at: now_ms(),
        capacity,
        queue: None,
        requested_at: None,
    }
}

const OPEN: [ConversationStatus; 3] = [
    ConversationStatus::Queued,
    ConversationStatus::Assigned,
    ConversationStatus::Active,
];
const HELD: [ConversationStatus; 2] = [ConversationStatus::Assigned, ConversationStatus::Active];

impl Actor {
    /// The view of an open conversation.
    pub(super) fn view(&self, id: ConversationId) -> Option<ConversationView> {
        let c = self.model.conversations.get(&id)?;
        let attendant = c
            .record
            .attendant_id
            .as_ref()
            .and_then(|a| self.model.attendants.get(a))
            .map(|a| a.record.public());
        let presence = self.customer_presence_now(&c.customer.id);
        let mut view = conversation_view_of(&c.record, c.customer.clone(), attendant, presence);
        view.bot = c.bot.as_ref().map(|b| b.name.clone());
        Some(view)
    }

    /// A customer's presence as the model holds it (`gone` once forgotten).
    pub(super) fn customer_presence_now(&self, customer: &CustomerId) -> CustomerPresence {
        self.model
            .customers
            .get(customer)
            .map_or(CustomerPresence::Gone, |c| c.presence)
    }

    /// Tells the customer and every attendant the new state of a conversation.
    pub(super) fn announce(&self, view: ConversationView) {
        self.publish(BusEvent::Customer {
            customer: view.customer.id.clone(),
            frame: ServerToCustomer::Conversation {
                conversation: view.clone(),
            },
        });
        self.publish(BusEvent::AllAttendants {
            frame: ServerToAttendant::Conversation { conversation: view },
        });
    }

    /// Gives a queued conversation to an attendant (capacity checked by the store).
    pub(super) fn assign(
        &mut self,
        id: ConversationId,
        attendant: &AttendantId,
    ) -> CoordResult<ConversationView> {
        let capacity = self
            .model
            .attendants
            .get(attendant)
            .map(|a| a.record.capacity)
            .ok_or_else(|| CoordError::not_found("attendant"))?;
        let t = transition(
            id,
            &[ConversationStatus::Queued],
            ConversationStatus::Assigned,
            AttendantChange::Set(attendant.clone()),
            Some(capacity),
        );
        let record = self.write(t)?;
        self.leave_queue(id);
        if let Some(a) = self.model.attendants.get_mut(attendant) {
            a.open.insert(id);
            a.last_assigned = Some(Instant::now());
        }
        self.replace_record(record);
        let view = self
            .view(id)
            .ok_or_else(|| CoordError::not_found("conversation"))?;
        tracing::info!(conversation = %id, attendant = %attendant, "assigned");
        self.tell_assigned(&view);
        Ok(view)
    }

    fn tell_assigned(&self, view: &ConversationView) {
        let Some(attendant) = view.attendant.clone() else {
            return;
        };
        self.publish(BusEvent::Attendant {
            attendant: attendant.id.clone(),
            frame: ServerToAttendant::Assigned {
                conversation: view.clone(),
            },
        });
        self.publish(BusEvent::Customer {
            customer: view.customer.id.clone(),
            frame: ServerToCustomer::Assigned {
                conversation: view.id,
                attendant,
                may_call: self.queue_lets_customers_call(&view.queue),
            },
        });
        self.announce(view.clone());
    }

    /// Moves a held conversation to another attendant (capacity checked by the store).
    pub(super) fn reassign(
        &mut self,
        id: ConversationId,
        to: &AttendantId,
        capacity: u32,
    ) -> CoordResult<()> {
        let previous = self
            .model
            .conversations
            .get(&id)
            .and_then(|c| c.record.attendant_id.clone());
        let t = transition(
            id,
            &HELD,
            ConversationStatus::Assigned,
            AttendantChange::Set(to.clone()),
            Some(capacity),
        );
        let record = self.write(t)?;
        if let Some(prev) = &previous {
            self.release(prev, id);
            self.tell_unassigned(prev, id, "transferred");
        }
        if let Some(a) = self.model.attendants.get_mut(to) {
            a.open.insert(id);
            a.last_assigned = Some(Instant::now());
        }
        self.replace_record(record);
        if let Some(view) = self.view(id) {
            self.tell_assigned(&view);
        }
        Ok(())
    }

    /// Puts a held conversation back in its queue, keeping its request time (so it goes to
    /// the head of the queue), e.g. when its attendant lapsed or it was sent to a queue.
    pub(super) fn requeue(
        &mut self,
        id: ConversationId,
        to_queue: Option<QueueId>,
        reason: &str,
    ) -> CoordResult<()> {
        let previous = self
            .model
            .conversations
            .get(&id)
            .and_then(|c| c.record.attendant_id.clone());
        let mut t = transition(
            id,
            &HELD,
            ConversationStatus::Queued,
            AttendantChange::Clear,
            None,
        );
        t.queue = to_queue;
        let record = self.write(t)?;
        self.leave_queue(id);
        if let Some(prev) = &previous {
            self.release(prev, id);
            self.tell_unassigned(prev, id, reason);
        }
        self.enter_queue(&record.queue_id, record.requested_at, id);
        self.replace_record(record);
        if let Some(view) = self.view(id) {
            self.announce(view);
        }
        Ok(())
    }

    /// Ends an open conversation as resolved, expired or abandoned.
    pub(super) fn finish(&mut self, id: ConversationId, to: ConversationStatus) -> CoordResult<()> {
        let t = transition(id, &OPEN, to, AttendantChange::Keep, None);
        let record = match self.write(t) {
            Ok(record) => record,
            Err(CoordError::Store(StoreError::Conflict(_) | StoreError::NotFound)) => {
                return Err(CoordError::Conflict("the conversation is not open".into()));
            }
            Err(e) => return Err(e),
        };
        self.leave_queue(id);
        if let Some(a) = &record.attendant_id {
            self.release(a, id);
        }
        if let (Some(assigned), Some(ended)) = (record.assigned_at, record.ended_at)
            && let Some(q) = self.model.queues.get_mut(&record.queue_id)
        {
            #[allow(clippy::cast_precision_loss)] // durations in ms fit f64 exactly enough
            q.record_handle_time((ended - assigned) as f64 / 1000.0);
        }
        let customer = self
            .model
            .close_conversation(&id)
            .map(|c| c.customer)
            .ok_or_else(|| CoordError::not_found("conversation"))?;
        self.sync_route(id);
        let attendant = record
            .attendant_id
            .as_ref()
            .and_then(|a| self.model.attendants.get(a))
            .map(|a| a.record.public());
        let presence = self.customer_presence_now(&customer.id);
        let view = conversation_view_of(&record, customer.clone(), attendant, presence);
        tracing::info!(conversation = %id, status = to.as_str(), "conversation ended");
        self.announce(view);
        if self.model.open_of(&customer.id).is_none() {
            self.forget_customer_if_gone(&customer.id);
        }
        Ok(())
    }

    fn tell_unassigned(&self, attendant: &AttendantId, id: ConversationId, reason: &str) {
        self.publish(BusEvent::Attendant {
            attendant: attendant.clone(),
            frame: ServerToAttendant::Unassigned {
                conversation: id,
                reason: reason.to_owned(),
            },
        });
    }

    fn release(&mut self, attendant: &AttendantId, id: ConversationId) {
        if let Some(a) = self.model.attendants.get_mut(attendant) {
            a.open.remove(&id);
        }
    }

    pub(super) fn enter_queue(
        &mut self,
        queue: &QueueId,
        requested_at: TimestampMs,
        id: ConversationId,
    ) {
        if let Some(q) = self.model.queues.get_mut(queue) {
            q.waiting.insert((requested_at, id));
        }
    }

    pub(super) fn leave_queue(&mut self, id: ConversationId) {
        if let Some(c) = self.model.conversations.get(&id)
            && let Some(q) = self.model.queues.get_mut(&c.record.queue_id)
        {
            q.waiting.remove(&(c.record.requested_at, id));
            q.told.remove(&id);
        }
    }

    /// Stores a fresh record in the model (the conversation must be known) and the route.
    pub(super) fn replace_record(&mut self, record: Conversation) {
        let id = record.id;
        if let Some(c) = self.model.conversations.get_mut(&id) {
            c.record = record;
        }
        self.sync_route(id);
    }

    fn forget_customer_if_gone(&mut self, customer: &CustomerId) {
        if self
            .model
            .customers
            .get(customer)
            .is_some_and(|c| c.connections == 0)
        {
            self.model.customers.remove(customer);
            self.sync_customer_presence(customer);
        }
    }

    /// Auto mode: hands waiting conversations, oldest first, to the best attendant until
    /// nobody has room; then has positions and numbers announced.
    pub(super) fn assign_waiting(&mut self) {
        let auto: Vec<_> = self
            .model
            .queues
            .values()
            .filter(|q| q.config.mode == chimpassist_protocol::AssignmentMode::Auto)
            .map(|q| q.config.clone())
            .collect();
        for queue in auto {
            while let Some(&(_, next)) = self
                .model
                .queues
                .get(&queue.id)
                .and_then(|q| q.waiting.first())
            {
                let Some(attendant) = self.model.pick_attendant(&queue) else {
                    break;
                };
                if let Err(e) = self.assign(next, &attendant) {
                    // Should not happen (the model mirrors the store); stop this queue for now,
                    // the next event retries.
                    tracing::warn!(conversation = %next, attendant = %attendant, error = %e, "assignment refused");
                    break;
                }
            }
        }
        self.queue_changed();
    }
}
