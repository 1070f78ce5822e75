//! What each server frame does to the state.

use chimpassist_protocol::{
    ClientMessageId, ConversationStatus, ConversationView, CustomerToServer, ErrorCode,
    MessageView, Party, Sender, ServerToCustomer, TypingState,
};

use super::{Conn, Effect, Event, Screen, State};
use crate::timeline::Timeline;

impl State {
    /// Applies one frame from the server.
    pub(crate) fn on_frame(&mut self, frame: ServerToCustomer) -> Vec<Effect> {
        self.saving_outbox(|s, fx| s.frame(frame, fx))
    }

    fn frame(&mut self, frame: ServerToCustomer, fx: &mut Vec<Effect>) {
        match frame {
            ServerToCustomer::Welcome {
                customer,
                token,
                conversation,
                max_text_bytes,
                max_attachment_bytes,
                email_replies,
                ..
            } => {
                fx.push(Effect::Welcomed(token));
                let s = self.session_mut();
                s.max_text = max_text_bytes as usize;
                s.max_file = max_attachment_bytes;
                s.email_replies = email_replies;
                s.customer = Some(customer);
                s.notice = None;
                self.conn = Conn::Online;
                match conversation {
                    Some(c) => self.show_conversation(c, false, fx),
                    None => fx.push(Effect::CheckAvailability),
                }
                self.resend_pending(fx);
            }
            ServerToCustomer::Conversation { conversation } => {
                self.show_conversation(conversation, true, fx)
            }
            ServerToCustomer::QueueStatus {
                conversation,
                position,
                ewt_seconds,
            } => {
                if self.is_current(&conversation) {
                    self.session_mut().queue = Some((position, ewt_seconds));
                }
            }
            ServerToCustomer::Assigned {
                conversation,
                attendant,
                ..
            } => {
                if self.is_current(&conversation) {
                    let s = self.session_mut();
                    s.queue = None;
                    if let Some(c) = &mut s.conversation {
                        c.attendant = Some(attendant);
                        if c.status == ConversationStatus::Queued {
                            c.status = ConversationStatus::Assigned;
                        }
                    }
                }
            }
            ServerToCustomer::Message { message } => self.on_message(message, fx),
            ServerToCustomer::Ack {
                client_id,
                seq,
                timestamp,
                ..
            } => {
                let me = self.me();
                self.timeline_mut().ack(&client_id, seq, timestamp, &me);
            }
            ServerToCustomer::Receipt {
                conversation,
                receipts,
            } => {
                if self.is_current(&conversation) {
                    self.timeline_mut().receipts = receipts;
                }
            }
            ServerToCustomer::Typing {
                conversation,
                state,
            } => {
                if self.is_current(&conversation) {
                    self.attendant_typing = state == TypingState::Composing;
                }
            }
            ServerToCustomer::History {
                conversation,
                messages,
                more,
            } => {
                if self.is_current(&conversation) {
                    self.timeline_mut().insert_page(messages, more);
                    self.loading_older = false;
                    self.acknowledge_into(fx);
                }
            }
            ServerToCustomer::Resync { conversation, .. } => {
                // Too far behind for a replay: start again from the newest page.
                if self.is_current(&conversation) {
                    let t = self.timeline_mut();
                    let pending = t.pending().to_vec();
                    *t = Timeline::default();
                    for p in pending {
                        t.add_pending(p);
                    }
                    t.switch_to(conversation);
                    self.load_older_into(fx);
                }
            }
            ServerToCustomer::Error {
                code,
                message,
                client_id,
                ..
            } => self.on_error(code, message, client_id, fx),
            ServerToCustomer::Pong { .. } => {}
            // The widget has no call controls yet: nothing here asks for or accepts a call
            // (and `wire::decode` does not read these frames).
            ServerToCustomer::Call { .. }
            | ServerToCustomer::CallIce { .. }
            | ServerToCustomer::CallSignal { .. }
            | ServerToCustomer::CallEnded { .. } => {}
        }
    }

    fn on_error(
        &mut self,
        code: ErrorCode,
        message: String,
        client_id: Option<ClientMessageId>,
        fx: &mut Vec<Effect>,
    ) {
        if let Some(id) = client_id {
            self.timeline_mut().fail(&id, message);
            return;
        }
        if self.session.customer.is_none()
            && matches!(
                code,
                ErrorCode::VerificationRequired
                    | ErrorCode::Forbidden
                    | ErrorCode::Unauthenticated
                    | ErrorCode::UnsupportedVersion
            )
        {
            // Refused at hello: retrying would only be refused again.
            fx.push(Effect::Stop);
            self.conn = Conn::Refused(message);
            return;
        }
        fx.push(Effect::Warn(format!("{}: {message}", code.as_str())));
        self.session_mut().notice = Some(message);
    }

    fn on_message(&mut self, message: MessageView, fx: &mut Vec<Effect>) {
        if !self.is_current(&message.conversation) {
            return;
        }
        let from = message.from.party;
        let event = Event::Message {
            conversation: message.conversation,
            seq: message.seq,
            text: message.text.as_str().to_owned(),
            from,
            name: message.from.name.clone(),
        };
        if !self.timeline_mut().insert(message) {
            return;
        }
        fx.push(Effect::Emit(event));
        if from == Party::Attendant {
            self.attendant_typing = false;
            if !self.seen() {
                self.unread += 1;
                fx.push(Effect::Badge(self.unread));
                fx.push(Effect::Alert);
            }
            self.acknowledge_into(fx);
        }
    }

    fn show_conversation(&mut self, c: ConversationView, live: bool, fx: &mut Vec<Effect>) {
        let previous = self.session.conversation.as_ref();
        let same = previous.is_some_and(|p| p.id == c.id);
        let was_open = previous.is_some_and(|p| p.status.is_open());
        let is_open = c.status.is_open();
        let (conversation, status) = (c.id, c.status);
        if !same {
            self.timeline_mut().switch_to(conversation);
            self.memory.read_sent = 0;
            self.memory.delivered_sent = 0;
        }
        let s = self.session_mut();
        if !same || status != ConversationStatus::Queued {
            s.queue = None;
        }
        s.conversation = Some(c);
        if is_open || live {
            s.screen = Screen::Chat;
        }
        if self.timeline.is_empty() || !same && is_open {
            self.load_older_into(fx);
        }
        if live && is_open && (!same || !was_open) {
            fx.push(Effect::Emit(Event::Started {
                conversation,
                status,
            }));
        } else if live && was_open && !is_open {
            self.attendant_typing = false;
            fx.push(Effect::Emit(Event::Ended {
                conversation,
                status,
            }));
        }
    }

    /// After a (re)connect: everything not acknowledged goes again, same client ids, so
    /// the server stores each exactly once.
    fn resend_pending(&self, fx: &mut Vec<Effect>) {
        fx.extend(self.timeline.unsent().map(|p| {
            Effect::Send(CustomerToServer::Send {
                conversation: p.conversation,
                client_id: p.client_id,
                text: p.text.clone(),
                attachments: p.files.clone(),
            })
        }));
    }

    /// Us, as our own stored messages name us.
    fn me(&self) -> Sender {
        let customer = self.session.customer.as_ref();
        Sender {
            party: Party::Customer,
            id: customer.map(|c| c.id.to_string()).unwrap_or_default(),
            name: customer.map(|c| c.name.clone()).unwrap_or_default(),
        }
    }
}
