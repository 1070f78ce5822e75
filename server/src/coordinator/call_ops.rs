//! What the actor does with call requests: reads the facts from its model, decides with
//! [`Calls`](super::calls::Calls), and tells both sides. Events go with the round like every
//! other decision's, so a call never outruns the conversation change that ended it.

use std::sync::Arc;

use chimpassist_protocol::{
    CallEndReason, CallId, CallMedia, CallPolicy, CallRecord, CallSignal, ClientMessageId,
    ConversationId, MessageText, Party, QueueId, ServerToAttendant, ServerToCustomer,
};
use chimpassist_store::NewMessage;
use tokio::time::Instant;

use super::actor::Actor;
use super::calls::{Answered, Call, Caller, Ended, Refusal, Scene};
use super::error::{CoordError, CoordResult};
use crate::bus::BusEvent;
use crate::views::{message_view_without_files, now_ms};

impl Actor {
    pub(super) fn call_invite(
        &mut self,
        by: &Caller,
        conversation: ConversationId,
        id: CallId,
        media: CallMedia,
    ) -> CoordResult<()> {
        let scene = self.scene(conversation)?;
        let call = self
            .calls
            .invite(by, scene, id, media, (now_ms(), Instant::now()))
            .map_err(refused)?;
        tracing::info!(call = %id, %conversation, ?media, by = ?call.view.started_by, "call invited");
        self.tell_state(&call);
        Ok(())
    }

    pub(super) fn call_answer(&mut self, by: &Caller, id: CallId, accept: bool) -> CoordResult<()> {
        match self
            .calls
            .answer(by, id, accept, (now_ms(), Instant::now()))
            .map_err(refused)?
        {
            Answered::Accepted(call) => {
                tracing::info!(call = %id, "call accepted");
                self.tell_state(&call);
            }
            Answered::Declined(ended) => self.tell_ended(&ended),
        }
        Ok(())
    }

    /// Relays a browser's signal to the other side's connections.
    pub(super) fn call_signal(
        &mut self,
        by: &Caller,
        id: CallId,
        signal: CallSignal,
    ) -> CoordResult<()> {
        let call = self.calls.signal(by, id, &signal).map_err(refused)?;
        let event = match by {
            Caller::Customer(_) => BusEvent::Attendant {
                attendant: call.attendant.clone(),
                frame: ServerToAttendant::CallSignal {
                    call_id: id,
                    signal,
                },
            },
            Caller::Attendant(_) => BusEvent::Customer {
                customer: call.customer.clone(),
                frame: ServerToCustomer::CallSignal {
                    call_id: id,
                    signal,
                },
            },
        };
        self.publish(event);
        Ok(())
    }

    pub(super) fn call_hangup(
        &mut self,
        by: &Caller,
        id: CallId,
        reason: CallEndReason,
    ) -> CoordResult<()> {
        let ended = self
            .calls
            .hang_up(by, id, reason, Instant::now())
            .map_err(refused)?;
        self.tell_ended(&ended);
        Ok(())
    }

    /// Ends the calls that cannot go on: their conversation closed (resolved, expired,
    /// left) or moved to another attendant or back to the queue, or they rang out.
    pub(super) fn settle_calls(&mut self) {
        if self.calls.is_empty() {
            return;
        }
        let conversations = &self.model.conversations;
        let ended =
            self.calls.settle(
                Instant::now(),
                self.timing.call_ring,
                |call| match conversations.get(&call.view.conversation) {
                    None => Some(CallEndReason::ConversationEnded),
                    Some(c) if c.record.attendant_id.as_ref() != Some(&call.attendant) => {
                        Some(CallEndReason::Transferred)
                    }
                    Some(_) => None,
                },
            );
        for ended in &ended {
            self.tell_ended(ended);
        }
    }

    /// The conversation's facts a call decision needs: open, its holder, its queue's policy.
    fn call_policy(&self, queue: &QueueId) -> CallPolicy {
        self.model
            .queues
            .get(queue)
            .map_or_else(CallPolicy::default, |q| q.config.calls)
    }

    /// Whether the customers of `queue` may ask for calls (told them when assigned).
    pub(super) fn queue_lets_customers_call(&self, queue: &QueueId) -> bool {
        self.call_policy(queue).lets(Party::Customer)
    }

    fn scene(&self, conversation: ConversationId) -> CoordResult<Scene> {
        let c = self
            .model
            .conversations
            .get(&conversation)
            .ok_or_else(|| CoordError::Conflict("the conversation is not open".into()))?;
        let attendant = c
            .record
            .attendant_id
            .as_ref()
            .and_then(|a| self.model.attendants.get(a))
            .map(|a| (a.record.id.clone(), a.record.name.clone()));
        let policy = self.call_policy(&c.record.queue_id);
        Ok(Scene {
            conversation,
            customer: c.record.customer_id.clone(),
            customer_name: c.customer.name.clone(),
            attendant,
            policy,
        })
    }

    fn tell_both(
        &self,
        call: &Call,
        to_customer: ServerToCustomer,
        to_attendant: ServerToAttendant,
    ) {
        self.publish(BusEvent::Customer {
            customer: call.customer.clone(),
            frame: to_customer,
        });
        self.publish(BusEvent::Attendant {
            attendant: call.attendant.clone(),
            frame: to_attendant,
        });
    }

    /// Both sides see the call as it now stands (ringing, active).
    fn tell_state(&self, call: &Call) {
        let (customer, attendant) = (call.view.clone(), call.view.clone());
        self.tell_both(
            call,
            ServerToCustomer::Call { call: customer },
            ServerToAttendant::Call { call: attendant },
        );
    }

    fn tell_ended(&self, ended: &Ended) {
        let view = &ended.call.view;
        tracing::info!(call = %view.id, reason = ?ended.reason, by = ?ended.by, "call ended");
        self.record(ended);
        let (call_id, conversation, reason, by) =
            (view.id, view.conversation, ended.reason, ended.by);
        self.tell_both(
            &ended.call,
            ServerToCustomer::CallEnded {
                call_id,
                conversation,
                reason,
                by,
            },
            ServerToAttendant::CallEnded {
                call_id,
                conversation,
                reason,
                by,
            },
        );
    }
}

impl Actor {
    /// Writes the call into its conversation's transcript — a message from the side that
    /// called, carrying the [`CallRecord`] — and delivers it to the customer, the attendant
    /// of the call and the conversation's holder now. In its own task: the actor does not
    /// wait for the store. The call's id is the message's client id, so a record written
    /// twice (a new leader ending the same call) is stored once.
    fn record(&self, ended: &Ended) {
        let call = &ended.call;
        let view = &call.view;
        let record = CallRecord {
            call_id: view.id,
            media: view.media,
            started_by: view.started_by,
            invited_at: view.invited_at,
            answered_at: view.answered_at,
            ended_at: now_ms(),
            reason: ended.reason,
        };
        let sender_id = match view.started_by {
            Party::Customer => call.customer.to_string(),
            // Only people call (a bot's call is refused before it rings).
            Party::Attendant | Party::Bot => call.attendant.to_string(),
        };
        let Ok(text) = MessageText::parse(record.summary(), usize::MAX) else {
            return;
        };
        let message = NewMessage {
            conversation: view.conversation,
            client_id: ClientMessageId::from(view.id.as_uuid()),
            sender_party: view.started_by,
            sender_id,
            sender_name: view.caller_name.clone(),
            text,
            timestamp: record.ended_at,
            call: Some(record),
            attachments: Vec::new(),
        };
        let mut attendants = vec![call.attendant.clone()];
        if let Some(holder) = self
            .model
            .conversations
            .get(&view.conversation)
            .and_then(|c| c.record.attendant_id.clone())
            .filter(|h| *h != call.attendant)
        {
            attendants.push(holder);
        }
        let customer = call.customer.clone();
        let (store, bus) = (Arc::clone(&self.store), Arc::clone(&self.bus));
        tokio::spawn(async move {
            let stored = match store.append_message(message).await {
                Ok(appended) if !appended.duplicate => {
                    message_view_without_files(&appended.message)
                }
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "a call's record was not written");
                    return;
                }
            };
            for attendant in attendants {
                let frame = ServerToAttendant::Message {
                    message: stored.clone(),
                };
                if let Err(e) = bus.publish(BusEvent::Attendant { attendant, frame }).await {
                    tracing::debug!(error = %e, "call record not published");
                }
            }
            let frame = ServerToCustomer::Message { message: stored };
            if let Err(e) = bus.publish(BusEvent::Customer { customer, frame }).await {
                tracing::debug!(error = %e, "call record not published");
            }
        });
    }
}

/// A refusal as the client hears it.
fn refused(refusal: Refusal) -> CoordError {
    match refusal {
        Refusal::Stranger => CoordError::Forbidden("this call or conversation is not yours".into()),
        Refusal::NotOpen => {
            CoordError::Conflict("nobody is in this conversation with you yet".into())
        }
        Refusal::NotAllowed(CallPolicy::Off) => {
            CoordError::CallsNotAllowed("calls are off in this conversation's queue".into())
        }
        Refusal::NotAllowed(_) => CoordError::CallsNotAllowed(
            "in this conversation's queue only the attendant starts calls".into(),
        ),
        Refusal::InProgress => CoordError::CallInProgress(
            "this conversation has a call going on already; hang it up first".into(),
        ),
        Refusal::DuplicateId => CoordError::Conflict("that call id is taken".into()),
        Refusal::TooSoon(wait) => CoordError::TooMany {
            message: "your last call request was not answered; ask again a little later".into(),
            retry_after: wait,
        },
        Refusal::Out(why) => CoordError::Conflict(why.into()),
    }
}
