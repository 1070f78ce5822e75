//! A conversation's history with exact times, told to a store through its ordinary writes
//! (customer, conversation, transitions, messages, rating), as the server would have written
//! it. For what needs known history: the reports' tests (every number known in advance) and
//! benchmarks (a realistic spread of many).

use chimpassist_protocol::{
    AttendantId, CallEndReason, CallId, CallMedia, CallRecord, ClientMessageId, ConversationId,
    ConversationStatus, CustomerId, MessageText, Party, QueueId, Rating, TimestampMs,
};

use crate::{
    AttendantChange, Customer, NewConversation, NewMessage, Store, StoreError, StoreResult,
    Transition,
};

/// What happened, in milliseconds after the request (`at`).
#[derive(Clone, Debug)]
pub struct Story {
    pub customer_name: String,
    pub queue: QueueId,
    pub at: TimestampMs,
    pub customer_messages: Vec<i64>,
    /// Given to this attendant then.
    pub assigned: Option<(AttendantId, i64)>,
    /// The attendant's messages.
    pub answers: Vec<i64>,
    /// A voice call the customer answered then, lasting this long (recorded when it ends).
    pub call: Option<(i64, i64)>,
    /// Ended (`Resolved`, `Abandoned`, `Expired`) then.
    pub end: Option<(ConversationStatus, i64)>,
    /// Reopened by the customer then, given back to the same attendant a minute later and
    /// resolved again at the second time.
    pub reopen: Option<(i64, i64)>,
    pub rating: Option<u8>,
}

impl Story {
    /// A request from `customer_name` at `at` in the default queue, and nothing after.
    pub fn new(customer_name: impl Into<String>, at: TimestampMs) -> Self {
        Self {
            customer_name: customer_name.into(),
            queue: QueueId::default_queue(),
            at,
            customer_messages: Vec::new(),
            assigned: None,
            answers: Vec::new(),
            call: None,
            end: None,
            reopen: None,
            rating: None,
        }
    }

    /// The customer's messages read `Help, <their name>` (so a test can find them), the
    /// attendant's `On it`.
    fn message(&self, id: ConversationId, party: Party, after: i64) -> NewMessage {
        let text = match party {
            Party::Customer => format!("Help, {}", self.customer_name),
            Party::Attendant => "On it".to_owned(),
            Party::Bot => "Let me find that for you".to_owned(),
        };
        NewMessage {
            conversation: id,
            client_id: ClientMessageId::new(),
            sender_party: party,
            sender_id: "story".into(),
            sender_name: "Story".into(),
            text: MessageText::stored(text),
            timestamp: self.at + after,
            call: None,
            attachments: Vec::new(),
        }
    }

    fn change(
        &self,
        id: ConversationId,
        from: &[ConversationStatus],
        to: ConversationStatus,
        attendant: AttendantChange,
        after: i64,
    ) -> Transition {
        Transition {
            id,
            from: from.to_vec(),
            to,
            attendant,
            at: self.at + after,
            capacity: None,
            queue: None,
            requested_at: None,
        }
    }

    /// Writes it all, in the order it happened; answers the conversation's id.
    pub async fn tell(&self, store: &dyn Store) -> StoreResult<ConversationId> {
        use ConversationStatus::*;
        let customer = store
            .create_customer(Customer {
                id: CustomerId::parse(format!("c-{}", uuid::Uuid::new_v4()))
                    .map_err(StoreError::internal)?,
                external_id: None,
                verified: false,
                profile_verified: false,
                name: self.customer_name.clone(),
                avatar_url: None,
                email: None,
                created_at: self.at,
            })
            .await?;
        let id = ConversationId::new();
        store
            .create_conversation(NewConversation {
                id,
                customer_id: customer.id,
                queue_id: self.queue.clone(),
                requested_at: self.at,
                subject: None,
            })
            .await?;
        let mut pending = Vec::new();
        for after in &self.customer_messages {
            pending.push(store.submit_message(self.message(id, Party::Customer, *after)));
        }
        if let Some((attendant, after)) = &self.assigned {
            let set = AttendantChange::Set(attendant.clone());
            store
                .transition(self.change(id, &[Queued], Assigned, set, *after))
                .await?;
        }
        for after in &self.answers {
            pending.push(store.submit_message(self.message(id, Party::Attendant, *after)));
        }
        for written in pending {
            written.await?;
        }
        if let Some((answered, lasting)) = self.call {
            let answered_at = self.at + answered;
            let record = CallRecord {
                call_id: CallId::new(),
                media: CallMedia::Voice,
                started_by: Party::Attendant,
                invited_at: answered_at - 1_000,
                answered_at: Some(answered_at),
                ended_at: answered_at + lasting,
                reason: CallEndReason::HungUp,
            };
            store
                .append_message(NewMessage {
                    client_id: ClientMessageId::from(record.call_id.as_uuid()),
                    text: MessageText::stored(record.summary()),
                    call: Some(record),
                    ..self.message(id, Party::Attendant, answered + lasting)
                })
                .await?;
        }
        if let Some((status, after)) = self.end {
            let open = [Queued, Assigned, Active];
            store
                .transition(self.change(id, &open, status, AttendantChange::Keep, after))
                .await?;
        }
        if let Some((again, done)) = self.reopen {
            let mut reopen = self.change(id, &[Resolved], Queued, AttendantChange::Clear, again);
            reopen.requested_at = Some(self.at + again);
            store.transition(reopen).await?;
            if let Some((attendant, _)) = &self.assigned {
                let set = AttendantChange::Set(attendant.clone());
                store
                    .transition(self.change(id, &[Queued], Assigned, set, again + 60_000))
                    .await?;
            }
            store
                .transition(self.change(
                    id,
                    &[Queued, Assigned],
                    Resolved,
                    AttendantChange::Keep,
                    done,
                ))
                .await?;
        }
        if let Some(score) = self.rating {
            store
                .set_rating(
                    &id,
                    Rating {
                        score,
                        comment: None,
                    },
                    // Rated when it ended (the offsets are from the request).
                    self.at + self.end.map_or(0, |(_, after)| after),
                )
                .await?;
        }
        Ok(id)
    }
}
