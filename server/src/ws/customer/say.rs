//! What a visitor says from outside the chat (`say`): `ChimpAssist.sendMessage(text)`, or
//! the answer to a proactive greeting, whose new chat opens with the greeting, as the
//! team's, then the answer, as the visitor's.

use chimpassist_protocol::{ClientMessageId, GreetingId, MessageText, Party, QueueId};

use super::CustomerPeer;
use crate::delivery::Author;
use crate::error::AppResult;
use crate::ws::peer::Step;

/// The frame's fields.
pub(super) struct Said {
    pub greeting: Option<GreetingId>,
    pub client_id: ClientMessageId,
    pub queue: Option<QueueId>,
    pub text: MessageText,
}

/// The greeting's own client id, derived from the answer's: a resend of the answer (same
/// `client_id`) finds both messages stored and stores neither again.
fn greeting_client_id(answer: ClientMessageId) -> ClientMessageId {
    const GREETING: u128 = 0x6772_6565_7469_6e67; // "greeting"
    uuid::Uuid::from_u128(answer.as_uuid().as_u128() ^ GREETING).into()
}

impl CustomerPeer {
    /// Starts the chat (or finds the open one), stores the greeting (when the text answers
    /// one) and then the text, in that order. The greeting is the server's rule
    /// (`crate::greetings`), never the frame's: a visitor cannot put words in the team's
    /// mouth; and it opens only a conversation with no
    /// messages yet, so answers cannot scatter it through an ongoing chat. A rule deleted or
    /// disabled since the page got it, or a greeting that fails to be stored, leaves the
    /// answer alone: the visitor's words are never dropped for the team's. The answer is
    /// acknowledged like a `send`.
    pub(super) async fn say(&mut self, answer: Said) -> AppResult<Step> {
        let conversation = self.start_chat(answer.queue.clone(), None).await?.id;
        // The store's count (the coordinator's view does not follow messages).
        let fresh = self
            .state
            .store
            .get_conversation(&conversation)
            .await?
            .is_some_and(|c| c.last_seq == 0);
        if fresh
            && let Some(greeting) = answer.greeting
            && let Err(error) = self.greet(conversation, greeting, answer.client_id).await
        {
            tracing::warn!(%conversation, %error, "the greeting was not stored; the answer goes alone");
        }
        let submitted = self
            .send_message(conversation, answer.client_id, answer.text, Vec::new())
            .await?;
        Ok(Step::Committing(submitted))
    }

    /// Stores the rule's greeting as the team's, when the rule is still there and on (as this
    /// node has seen them within `CACHE_SECONDS`).
    async fn greet(
        &self,
        conversation: chimpassist_protocol::ConversationId,
        greeting: GreetingId,
        answer: ClientMessageId,
    ) -> AppResult<()> {
        if let Some(rule) = crate::greetings::enabled_rule(&self.state, greeting).await? {
            let author = Author {
                party: Party::Bot,
                id: format!("greeting:{}", rule.id),
                name: rule.from,
            };
            let id = greeting_client_id(answer);
            let submitted = self
                .submit_as(author, conversation, id, rule.text, Vec::new())
                .await?;
            let appended = submitted.commit.await?;
            submitted.sent.deliver(&self.state.delivery, appended).await;
        }
        Ok(())
    }
}
