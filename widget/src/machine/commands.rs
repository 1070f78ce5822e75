//! What the visitor does (send, rate, end, scroll up, look at the chat) and what the
//! socket's own events mean for the state.

use chimpassist_protocol::{
    ClientMessageId, CustomerPresence, CustomerToServer, FileId, MessageText, PreChat, QueueId,
    Rating, ReceiptKind, ResumePoint, TimestampMs, TypingState,
};

use super::{Conn, Effect, Screen, State};
use crate::timeline::{Pending, Timeline};

/// Why a message was not queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SendError {
    /// No conversation to write in (the composer is only drawn with one).
    NoConversation,
    /// Empty or too long; the protocol's explanation.
    Invalid(String),
}

/// `composing` goes at most this often while the visitor types.
const COMPOSING_EVERY_MS: i64 = 4000;
/// After this long without a keystroke the visitor has paused.
pub(crate) const PAUSED_AFTER_MS: i64 = 2400;

impl State {
    pub(crate) fn start_chat(&mut self, queue: Option<QueueId>, prechat: PreChat) -> Vec<Effect> {
        let prechat = (prechat != PreChat::default()).then_some(prechat);
        self.session_mut().screen = Screen::Chat;
        vec![Effect::Send(CustomerToServer::StartChat { queue, prechat })]
    }

    /// The visitor leaves an address for replies by e-mail: kept as theirs at once (the
    /// prompt goes), and sent.
    pub(crate) fn leave_email(&mut self, email: String) -> Vec<Effect> {
        if let Some(customer) = self.session_mut().customer.as_mut() {
            customer.email = Some(email.clone());
        }
        vec![Effect::Send(CustomerToServer::LeaveEmail { email })]
    }

    /// Queues a message: shown at once as pending, persisted so a reload cannot lose it,
    /// and sent now or after the next reconnect with the same client id. `files` (uploaded
    /// already, with their `names`) may stand in for the text.
    pub(crate) fn send_text(
        &mut self,
        raw: &str,
        files: Vec<FileId>,
        names: String,
        client_id: ClientMessageId,
        now: TimestampMs,
    ) -> Result<Vec<Effect>, SendError> {
        let conversation = self
            .session
            .conversation_id()
            .ok_or(SendError::NoConversation)?;
        let text = match MessageText::parse(raw, self.session.max_text) {
            Ok(text) => text,
            Err(_) if raw.trim().is_empty() && !files.is_empty() => MessageText::none(),
            Err(e) => return Err(SendError::Invalid(e.message)),
        };
        let frame = CustomerToServer::Send {
            conversation,
            client_id,
            text: text.clone(),
            attachments: files.clone(),
        };
        Ok(self.saving_outbox(|s, fx| {
            s.timeline_mut().add_pending(Pending {
                conversation,
                client_id,
                text,
                files,
                names,
                at: now,
                failed: None,
            });
            fx.extend(s.typing(TypingState::Paused, now));
            fx.push(Effect::Send(frame));
        }))
    }

    /// Our typing state, throttled: `composing` at most every 4 s while typing, `paused`
    /// once, when the message is sent or (through [`Self::typing_idle`]) after a lull.
    pub(crate) fn typing(&mut self, state: TypingState, now: TimestampMs) -> Vec<Effect> {
        let Some(conversation) = self.session.conversation_id() else {
            return Vec::new();
        };
        let m = &mut self.memory;
        let due = match state {
            TypingState::Composing => {
                m.last_input = now;
                let due = m
                    .composing_since
                    .is_none_or(|since| now - since > COMPOSING_EVERY_MS);
                if due {
                    m.composing_since = Some(now);
                }
                due
            }
            TypingState::Paused => m.composing_since.take().is_some(),
        };
        if !due {
            return Vec::new();
        }
        vec![Effect::Send(CustomerToServer::Typing {
            conversation,
            state,
        })]
    }

    /// The shell's timer, [`PAUSED_AFTER_MS`] after a keystroke: `paused` if none followed.
    pub(crate) fn typing_idle(&mut self, now: TimestampMs) -> Vec<Effect> {
        if now - self.memory.last_input >= PAUSED_AFTER_MS {
            self.typing(TypingState::Paused, now)
        } else {
            Vec::new()
        }
    }

    pub(crate) fn end_chat(&self) -> Vec<Effect> {
        self.session
            .conversation_id()
            .map(|conversation| Effect::Send(CustomerToServer::EndChat { conversation }))
            .into_iter()
            .collect()
    }

    pub(crate) fn rate(&self, score: u8, comment: String) -> Vec<Effect> {
        let comment = (!comment.trim().is_empty()).then_some(comment);
        self.session
            .conversation_id()
            .map(|conversation| {
                Effect::Send(CustomerToServer::Rate {
                    conversation,
                    rating: Rating { score, comment },
                })
            })
            .into_iter()
            .collect()
    }

    /// Asks for the page before the oldest message held, once at a time.
    pub(crate) fn load_older(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.load_older_into(&mut fx);
        fx
    }

    pub(super) fn load_older_into(&mut self, fx: &mut Vec<Effect>) {
        if let Some(conversation) = self.timeline.conversation().copied()
            && !self.loading_older
        {
            self.loading_older = true;
            fx.push(Effect::Send(CustomerToServer::History {
                conversation,
                before_seq: self.timeline.oldest_seq(),
                limit: Some(30),
            }));
        }
    }

    /// Tells the server what the visitor has seen: read when the panel is open and the
    /// tab visible, delivered otherwise. Each receipt goes once.
    pub(crate) fn acknowledge(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.acknowledge_into(&mut fx);
        fx
    }

    pub(super) fn acknowledge_into(&mut self, fx: &mut Vec<Effect>) {
        let Some(conversation) = self.timeline.conversation().copied() else {
            return;
        };
        let Some(newest) = self.timeline.newest_from_attendant() else {
            return;
        };
        let seen = self.seen();
        let receipt = |kind| {
            Effect::Send(CustomerToServer::Receipt {
                conversation,
                kind,
                up_to_seq: newest,
            })
        };
        if newest > self.memory.delivered_sent {
            self.memory.delivered_sent = newest;
            if !seen {
                fx.push(receipt(ReceiptKind::Delivered));
            }
        }
        if seen && newest > self.memory.read_sent {
            self.memory.read_sent = newest;
            fx.push(receipt(ReceiptKind::Read));
        }
        if seen {
            self.unread = 0;
            fx.push(Effect::Badge(0));
        }
    }

    /// The tab was shown or hidden (the shell has updated `visible`).
    pub(crate) fn presence_changed(&mut self) -> Vec<Effect> {
        let state = if self.visible {
            CustomerPresence::Active
        } else {
            CustomerPresence::Inactive
        };
        let mut fx = vec![Effect::Send(CustomerToServer::Presence { state })];
        self.acknowledge_into(&mut fx);
        fx
    }

    /// Forgets everything about the current visitor (identity rotation).
    pub(crate) fn forget(&mut self) -> Vec<Effect> {
        // Not online until the new identity is welcomed: nothing may start under the old one.
        self.conn = Conn::Connecting;
        let s = self.session_mut();
        s.customer = None;
        s.conversation = None;
        s.queue = None;
        s.screen = Screen::Home;
        *self.timeline_mut() = Timeline::default();
        self.attendant_typing = false;
        self.unread = 0;
        self.memory.read_sent = 0;
        self.memory.delivered_sent = 0;
        vec![Effect::SaveOutbox(Vec::new()), Effect::Badge(0)]
    }

    /// Where a reconnect picks up: the conversation held and the newest seq without a gap
    /// below it, for `hello`.
    pub(crate) fn resume(&self) -> Vec<ResumePoint> {
        self.timeline
            .conversation()
            .copied()
            .zip(self.timeline.resume_seq())
            .map(|(conversation, last_seq)| ResumePoint {
                conversation,
                last_seq,
            })
            .into_iter()
            .collect()
    }

    /// A new socket is being opened: after the first one, the visitor is told we are
    /// reconnecting.
    pub(crate) fn connecting(&mut self) {
        if self.conn != Conn::Connecting {
            self.conn = Conn::Reconnecting;
        }
    }

    /// The socket closed; a refusal stays on screen, anything else is a reconnect.
    pub(crate) fn closed(&mut self) {
        if !matches!(self.conn, Conn::Refused(_)) {
            self.conn = Conn::Reconnecting;
        }
    }
}
