//! A visitor's answer to a proactive greeting (`answer_greeting`): the chat it starts opens
//! with the greeting, as the team's, then the answer, as the visitor's.

use chimpassist_protocol::{ClientMessageId, GreetingId, MessageText, Party, QueueId};

use super::CustomerPeer;
use crate::delivery::Author;
use crate::error::AppResult;
use crate::ws::peer::Step;

/// The frame's fields.
pub(super) struct Answer {
    pub greeting: GreetingId,
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
    /// Starts the chat (or finds the open one), stores the greeting and then the answer, in
    /// that order. The greeting is read from the store, never from the frame: a visitor
    /// cannot put words in the team's mouth. A rule deleted or disabled since the page got
    /// it leaves the answer alone (the visitor's words are never dropped). The answer is
    /// acknowledged like a `send`.
    pub(super) async fn answer_greeting(&mut self, answer: Answer) -> AppResult<Step> {
        let conversation = self.start_chat(answer.queue, None).await?.id;
        let rule = self
            .state
            .store
            .list_greetings()
            .await?
            .into_iter()
            .find(|r| r.id == answer.greeting && r.rule.enabled);
        if let Some(rule) = rule {
            let author = Author {
                party: Party::Bot,
                id: format!("greeting:{}", rule.id),
                name: rule.rule.from,
            };
            let id = greeting_client_id(answer.client_id);
            let submitted = self
                .submit_as(author, conversation, id, rule.rule.text, Vec::new())
                .await?;
            let appended = submitted.commit.await?;
            submitted.sent.deliver(&self.state.delivery, appended).await;
        }
        let submitted = self
            .send_message(conversation, answer.client_id, answer.text, Vec::new())
            .await?;
        Ok(Step::Committing(submitted))
    }
}
