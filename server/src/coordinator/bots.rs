//! A bot as a queue's first responder: while it holds a new conversation, the conversation is
//! queued but not offered to people; it goes to them when the bot hands it over, when the
//! queue's timeout passes, or when the queue's bot is taken off. The bot itself is outside:
//! the site's integration, told by webhook, answering through the REST API (`api::bots`).
//!
//! The hold lives in the leader's memory only ([`super::model::BotHold`]): a change of leader
//! gives held conversations to people at once, never later than the bot would have.

use chimpassist_protocol::{ConversationId, ConversationStatus, QueueId};
use chimpassist_store::AttendantChange;
use tokio::time::Instant;

use super::actor::Actor;
use super::error::{CoordError, CoordResult};
use super::lifecycle::transition;

impl Actor {
    /// The bot gives the conversation to people, in `queue` when given (a transfer), else
    /// in its own.
    pub(super) fn hand_over(
        &mut self,
        id: ConversationId,
        queue: Option<QueueId>,
    ) -> CoordResult<()> {
        let c = self
            .model
            .conversations
            .get(&id)
            .ok_or_else(|| CoordError::Conflict("the conversation is not open".into()))?;
        if c.bot.is_none() {
            return Err(CoordError::Conflict(
                "no bot holds this conversation: people have it already".into(),
            ));
        }
        let moved = queue.filter(|q| *q != c.record.queue_id);
        if let Some(to) = moved {
            self.queue_config(&to)?;
            let mut t = transition(
                id,
                &[ConversationStatus::Queued],
                ConversationStatus::Queued,
                AttendantChange::Keep,
                None,
            );
            t.queue = Some(to);
            let record = self.write(t)?;
            self.replace_record(record);
        }
        tracing::info!(conversation = %id, "bot handed the conversation over");
        self.release_bot(id);
        self.assign_waiting();
        Ok(())
    }

    /// Resolves an open conversation for an integration, whoever holds it.
    pub(super) fn resolve_for_integration(&mut self, id: ConversationId) -> CoordResult<()> {
        if !self.model.conversations.contains_key(&id) {
            return Err(CoordError::Conflict("the conversation is not open".into()));
        }
        self.finish(id, ConversationStatus::Resolved)?;
        self.assign_waiting();
        Ok(())
    }

    /// Holds past their queue's timeout go to people.
    pub(super) fn release_due_bots(&mut self, now: Instant) {
        let due: Vec<_> = self
            .model
            .conversations
            .values()
            .filter(|c| c.bot.as_ref().is_some_and(|b| b.until <= now))
            .map(|c| c.record.id)
            .collect();
        if due.is_empty() {
            return;
        }
        for id in due {
            tracing::info!(conversation = %id, "bot timeout: the conversation goes to people");
            self.release_bot(id);
        }
        self.assign_waiting();
    }

    /// Every hold in `queue` goes to people (its bot was taken off).
    pub(super) fn release_bots_of(&mut self, queue: &QueueId) {
        let held: Vec<_> = self
            .model
            .conversations
            .values()
            .filter(|c| c.bot.is_some() && &c.record.queue_id == queue)
            .map(|c| c.record.id)
            .collect();
        for id in held {
            self.release_bot(id);
        }
    }

    /// Ends the hold: the conversation joins its queue's line (by its request time, so it
    /// is not behind those who came later) and everyone sees it without the bot.
    fn release_bot(&mut self, id: ConversationId) {
        let Some(c) = self.model.conversations.get_mut(&id) else {
            return;
        };
        if c.bot.take().is_none() {
            return;
        }
        let (queue, at) = (c.record.queue_id.clone(), c.record.requested_at);
        self.enter_queue(&queue, at, id);
        self.sync_route(id);
        if let Some(view) = self.view(id) {
            self.announce(view);
        }
    }
}
