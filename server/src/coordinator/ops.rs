//! Commands from customers and attendants, decided on the model and carried out through
//! [`super::lifecycle`].

use std::net::IpAddr;

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, ConversationView, CustomerId,
    CustomerPresence, CustomerView, Presence, QueueId, Role, ServerToAttendant, TransferTarget,
};
use chimpassist_store::{AttendantChange, NewConversation, StoreError, Visibility};
use tokio::time::Instant;

use super::actor::Actor;
use super::error::{CoordError, CoordResult};
use super::lifecycle::transition;
use super::model::{AttendantState, BotHold, ConvState, CustomerState};
use super::wire::AttendantCard;
use crate::bus::BusEvent;
use crate::views::now_ms;

fn conflict(message: &str) -> CoordError {
    CoordError::Conflict(message.into())
}

impl Actor {
    pub(super) async fn start_chat(
        &mut self,
        customer: CustomerView,
        queue: QueueId,
        subject: Option<String>,
        client: Option<IpAddr>,
    ) -> CoordResult<ConversationView> {
        if let Some(open) = self.model.open_of(&customer.id) {
            return self
                .view(open)
                .ok_or_else(|| CoordError::not_found("conversation"));
        }
        let config = self.queue_config(&queue)?;
        let cap = self.shared.limits.open_conversations_per_ip;
        if let Some(client) = client
            && self.model.open_from(client) >= cap
        {
            return Err(CoordError::TooMany {
                message: format!(
                    "{cap} conversations from your network are open already; wait for one to end"
                ),
                retry_after: std::time::Duration::from_secs(60),
            });
        }
        let new = NewConversation {
            id: ConversationId::new(),
            customer_id: customer.id.clone(),
            queue_id: queue.clone(),
            requested_at: now_ms(),
            subject,
        };
        // The model holds every open conversation, so the store's "one open per customer"
        // holds here too; should another node have created one first, the round fails this.
        let record = self.write_new(new);
        let id = record.id;
        tracing::info!(conversation = %id, customer = %customer.id, queue = %queue, "conversation requested");
        // A queue with a bot: the bot answers first, people get it on handoff or timeout.
        let bot = config.bot.map(|b| BotHold {
            name: b.name,
            until: Instant::now() + std::time::Duration::from_secs(b.timeout_secs.into()),
        });
        if bot.is_none() {
            self.enter_queue(&queue, record.requested_at, id);
        }
        self.model
            .customers
            .entry(customer.id.clone())
            .or_insert(CustomerState {
                connections: 0,
                gone_since: Some(Instant::now()),
                presence: CustomerPresence::Gone,
            });
        self.model.open_conversation(ConvState {
            record,
            customer,
            client,
            bot,
        });
        self.sync_route(id);
        if let Some(view) = self.view(id) {
            self.announce(view);
        }
        self.assign_waiting();
        self.view(id)
            .ok_or_else(|| CoordError::not_found("conversation"))
    }

    pub(super) async fn end_chat(
        &mut self,
        customer: &CustomerId,
        id: ConversationId,
    ) -> CoordResult<()> {
        let c = self
            .model
            .conversations
            .get(&id)
            .filter(|c| &c.record.customer_id == customer)
            .ok_or_else(|| conflict("the conversation is not open"))?;
        // Leaving while a bot answers is ending a conversation, not giving up on a queue.
        let to = if c.record.status == ConversationStatus::Queued && c.bot.is_none() {
            ConversationStatus::Abandoned
        } else {
            ConversationStatus::Resolved
        };
        self.finish(id, to)?;
        self.assign_waiting();
        Ok(())
    }

    /// Records and relays customer presence to the attendant holding their conversation.
    pub(super) async fn customer_presence(
        &mut self,
        customer: &CustomerId,
        state: CustomerPresence,
    ) {
        if let Some(c) = self.model.customers.get_mut(customer) {
            c.presence = state;
        }
        self.sync_customer_presence(customer);
        let attendant = self
            .model
            .open_of(customer)
            .and_then(|id| self.model.conversations.get(&id))
            .and_then(|c| c.record.attendant_id.clone());
        if let Some(attendant) = attendant {
            self.publish(BusEvent::Attendant {
                attendant,
                frame: ServerToAttendant::CustomerPresence {
                    customer: customer.clone(),
                    state,
                },
            });
        }
    }

    /// A customer gone longer than the session keep-alive: their conversation ends.
    pub(super) async fn customer_lapsed(&mut self, customer: &CustomerId) {
        if let Some(id) = self.model.open_of(customer) {
            let queued =
                self.model.conversations.get(&id).is_some_and(|c| {
                    c.record.status == ConversationStatus::Queued && c.bot.is_none()
                });
            let to = if queued {
                ConversationStatus::Abandoned
            } else {
                ConversationStatus::Expired
            };
            if let Err(e) = self.finish(id, to) {
                tracing::warn!(conversation = %id, error = %e, "could not end lapsed conversation");
                return;
            }
            self.assign_waiting();
        }
        self.model.customers.remove(customer);
        self.sync_customer_presence(customer);
    }

    /// A customer wrote in a closed conversation: it goes back to the queue as a new request.
    pub(super) async fn customer_wrote(&mut self, id: ConversationId) {
        if self.model.conversations.contains_key(&id) {
            return;
        }
        let result = self
            .reopen_closed(id, AttendantChange::Clear, ConversationStatus::Queued, None)
            .await;
        if let Err(e) = result {
            tracing::info!(conversation = %id, error = %e, "conversation not reopened");
            return;
        }
        self.assign_waiting();
    }

    /// Loads a closed conversation, moves it to `to` and adds it to the model.
    async fn reopen_closed(
        &mut self,
        id: ConversationId,
        attendant: AttendantChange,
        to: ConversationStatus,
        capacity: Option<u32>,
    ) -> CoordResult<ConversationView> {
        let mut t = transition(
            id,
            &[
                ConversationStatus::Resolved,
                ConversationStatus::Expired,
                ConversationStatus::Abandoned,
            ],
            to,
            attendant,
            capacity,
        );
        // A reopened conversation is a new request: it queues behind those already waiting.
        t.requested_at = Some(now_ms());
        // Its closing may still be in this round: what the store holds is read after it.
        self.end_round().await;
        let current = self
            .store
            .get_conversation(&id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let record = self.write_on(current, t)?;
        let customer = self
            .store
            .get_customer(&record.customer_id)
            .await?
            .map(|c| crate::views::customer_view(&c))
            .ok_or_else(|| CoordError::not_found("customer"))?;
        let connected = self
            .model
            .customers
            .get(&customer.id)
            .is_some_and(|c| c.connections > 0);
        self.model
            .customers
            .entry(customer.id.clone())
            .or_insert(CustomerState {
                connections: 0,
                gone_since: (!connected).then(Instant::now),
                presence: CustomerPresence::Gone,
            });
        match &record.attendant_id {
            Some(a) if to != ConversationStatus::Queued => {
                if let Some(state) = self.model.attendants.get_mut(a) {
                    state.open.insert(id);
                    state.last_assigned = Some(Instant::now());
                }
            }
            _ => self.enter_queue(&record.queue_id.clone(), record.requested_at, id),
        }
        // A conversation reopened goes to people: the customer has been answered before.
        self.model.open_conversation(ConvState {
            record,
            customer,
            client: None,
            bot: None,
        });
        self.sync_route(id);
        let view = self
            .view(id)
            .ok_or_else(|| CoordError::not_found("conversation"))?;
        tracing::info!(conversation = %id, status = to.as_str(), "conversation reopened");
        self.announce(view.clone());
        Ok(view)
    }

    pub(super) async fn rated(&mut self, id: ConversationId) {
        // Read after the round: a state this round wrote is then in what is read.
        self.end_round().await;
        match self.store.get_conversation(&id).await {
            Ok(Some(record)) => {
                let customer = match self.store.get_customer(&record.customer_id).await {
                    Ok(Some(c)) => c,
                    _ => return,
                };
                let attendant = record
                    .attendant_id
                    .as_ref()
                    .and_then(|a| self.model.attendants.get(a))
                    .map(|a| a.record.public());
                let presence = self.customer_presence_now(&customer.id);
                let view = crate::views::conversation_view(&record, &customer, attendant, presence);
                self.announce(view);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not announce rating"),
        }
    }

    pub(super) async fn set_presence(
        &mut self,
        attendant: &AttendantId,
        presence: Presence,
    ) -> CoordResult<Presence> {
        if presence == Presence::Offline {
            return Err(CoordError::Invalid(
                "presence can be set to online or away; offline follows the connection".into(),
            ));
        }
        let state = self
            .model
            .attendants
            .get_mut(attendant)
            .filter(|a| !a.record.disabled)
            .ok_or_else(CoordError::disabled)?;
        state.presence = presence;
        state.last_seen = Instant::now();
        self.sync_attendant_presence(attendant);
        self.publish(BusEvent::Attendant {
            attendant: attendant.clone(),
            frame: ServerToAttendant::Presence { presence },
        });
        self.assign_waiting();
        Ok(presence)
    }

    /// The attendant answered: `assigned` becomes `active`.
    pub(super) async fn attendant_replied(&mut self, attendant: &AttendantId, id: ConversationId) {
        let assigned = self.model.conversations.get(&id).is_some_and(|c| {
            c.record.status == ConversationStatus::Assigned
                && c.record.attendant_id.as_ref() == Some(attendant)
        });
        if !assigned {
            return;
        }
        let t = transition(
            id,
            &[ConversationStatus::Assigned],
            ConversationStatus::Active,
            AttendantChange::Keep,
            None,
        );
        match self.write(t) {
            Ok(record) => {
                self.replace_record(record);
                if let Some(view) = self.view(id) {
                    self.announce(view);
                }
            }
            Err(e) => tracing::debug!(conversation = %id, error = %e, "not activated"),
        }
    }

    pub(super) async fn next_customer(
        &mut self,
        attendant: &AttendantId,
        queue: Option<QueueId>,
    ) -> CoordResult<ConversationView> {
        let state = self.enabled(attendant)?;
        let queues = match queue {
            Some(q) if state.record.queues.contains(&q) => vec![q],
            Some(_) => return Err(CoordError::forbidden()),
            None => state.record.queues.clone(),
        };
        if state.free_capacity() == 0 {
            return Err(CoordError::AtCapacity("you are at capacity".into()));
        }
        let eligible: Vec<_> = queues
            .into_iter()
            .filter(|q| {
                self.model.queues.get(q).is_some_and(|qs| {
                    qs.config
                        .skill
                        .as_ref()
                        .is_none_or(|s| *s == state.record.skill)
                })
            })
            .collect();
        let next = self
            .model
            .oldest_waiting(&eligible)
            .ok_or_else(|| CoordError::QueueEmpty)?;
        let view = self.assign(next, attendant)?;
        self.queue_changed();
        Ok(view)
    }

    /// `id`'s current record, if the account exists and is enabled: every operation an
    /// attendant asks for is decided on it, never on what their socket knew when it opened.
    fn enabled(&self, id: &AttendantId) -> CoordResult<&AttendantState> {
        self.model
            .attendants
            .get(id)
            .filter(|a| !a.record.disabled)
            .ok_or_else(CoordError::disabled)
    }

    /// Admins may act on any open conversation, others on the ones they hold.
    fn held_by(&self, by: &AttendantId, id: ConversationId) -> CoordResult<()> {
        let me = &self.enabled(by)?.record;
        let c = self
            .model
            .conversations
            .get(&id)
            .ok_or_else(|| conflict("the conversation is not open"))?;
        if me.role == Role::Admin || c.record.attendant_id.as_ref() == Some(by) {
            Ok(())
        } else {
            Err(CoordError::forbidden())
        }
    }

    pub(super) async fn transfer(
        &mut self,
        by: &AttendantId,
        id: ConversationId,
        to: TransferTarget,
    ) -> CoordResult<()> {
        self.held_by(by, id)?;
        match to {
            TransferTarget::Attendant(target) => {
                let t = self
                    .model
                    .attendants
                    .get(&target)
                    .filter(|a| !a.record.disabled && a.presence != Presence::Offline)
                    .ok_or_else(|| conflict("that attendant is not available"))?;
                if t.free_capacity() == 0 {
                    return Err(CoordError::AtCapacity(
                        "that attendant is at capacity".into(),
                    ));
                }
                let capacity = t.record.capacity;
                self.reassign(id, &target, capacity)?;
            }
            TransferTarget::Queue(queue) => {
                self.queue_config(&queue)?;
                self.requeue(id, Some(queue), "transferred")?;
            }
        }
        self.assign_waiting();
        Ok(())
    }

    pub(super) async fn resolve(
        &mut self,
        by: &AttendantId,
        id: ConversationId,
    ) -> CoordResult<()> {
        self.held_by(by, id)?;
        self.finish(id, ConversationStatus::Resolved)?;
        self.assign_waiting();
        Ok(())
    }

    /// Takes a closed conversation back for `by`: only one they may see (their queues', one
    /// they ever held; admins any), never by a disabled account.
    pub(super) async fn reopen(&mut self, by: &AttendantId, id: ConversationId) -> CoordResult<()> {
        let me = self.enabled(by)?.record.clone();
        if !self.model.conversations.contains_key(&id) {
            self.end_round().await;
            let record = self
                .store
                .get_conversation(&id)
                .await?
                .ok_or_else(|| CoordError::not_found("conversation"))?;
            let sees = Visibility::for_role(&me.id, me.role, &me.queues);
            let visible = sees.allows(&record, &[])
                || sees.allows(&record, &self.store.conversation_attendants(&id).await?);
            if !visible {
                return Err(CoordError::Forbidden(
                    "this conversation is not in your queues and was never yours".into(),
                ));
            }
        }
        self.reopen_closed(
            id,
            AttendantChange::Set(by.clone()),
            ConversationStatus::Assigned,
            Some(me.capacity),
        )
        .await?;
        if let Some(view) = self.view(id) {
            self.publish(BusEvent::Attendant {
                attendant: by.clone(),
                frame: ServerToAttendant::Assigned { conversation: view },
            });
        }
        self.queue_changed();
        Ok(())
    }

    pub(super) async fn attendant_changed(&mut self, attendant: AttendantCard) {
        let now = Instant::now();
        let state = self
            .model
            .attendants
            .entry(attendant.id.clone())
            .or_insert_with(|| AttendantState::new(attendant.clone(), now));
        state.record = attendant;
        if state.record.disabled {
            // A disabled account takes nothing new; what it holds goes back to the queue.
            let held: Vec<_> = state.open.iter().copied().collect();
            state.presence = Presence::Offline;
            let who = state.record.id.clone();
            self.sync_attendant_presence(&who);
            for id in held {
                if let Err(e) = self.requeue(id, None, "attendant disabled") {
                    tracing::warn!(conversation = %id, error = %e, "requeue failed");
                }
            }
        }
        self.assign_waiting();
    }

    /// Keep-alive lapsed: offline, and every held conversation back to the head of its queue.
    pub(super) async fn attendant_lapsed(&mut self, id: &AttendantId) {
        let Some(state) = self.model.attendants.get_mut(id) else {
            return;
        };
        state.presence = Presence::Offline;
        let held: Vec<_> = state.open.iter().copied().collect();
        self.sync_attendant_presence(id);
        for conversation in held {
            if let Err(e) = self.requeue(conversation, None, "attendant offline") {
                tracing::warn!(%conversation, error = %e, "requeue failed");
            }
        }
        self.assign_waiting();
    }
}
