//! The reducer's half for server frames: each `ServerToAttendant` applied to the [`Desk`],
//! returning the [`Effect`]s to carry out. Nothing here touches the browser, so every rule
//! is tested natively (`tests.rs`).

use chimpassist_protocol::{
    AttendantToServer, ConversationId, MessageView, Party, ReceiptKind, Sender, ServerToAttendant,
    TypingState,
};

use super::{Alert, Conn, Desk, Effect, Env, Toast};

impl Desk {
    /// Applies a frame from the server.
    pub fn on_frame(&mut self, frame: ServerToAttendant, env: &Env<'_>) -> Vec<Effect> {
        let mut fx = Vec::new();
        match frame {
            ServerToAttendant::Welcome {
                me,
                presence,
                conversations,
                max_text_bytes,
                max_attachment_bytes,
                ..
            } => {
                fx.push(Effect::Welcomed);
                fx.push(Effect::Me(me));
                self.presence = presence;
                self.max_text = max_text_bytes;
                self.max_file = max_attachment_bytes;
                let listed: Vec<ConversationId> = conversations.iter().map(|c| c.id).collect();
                for c in conversations {
                    self.upsert(c);
                }
                // Conversations that ended or moved while we were away are no longer listed
                // by the server: refresh them so that they leave our lists too.
                let mut stale: Vec<ConversationId> = self
                    .conversations()
                    .filter(|c| !listed.contains(&c.view.id) && c.view.status.is_open())
                    .map(|c| c.view.id)
                    .collect();
                stale.sort();
                fx.extend(stale.into_iter().map(Effect::Refresh));
                self.conn = Conn::Open;
                self.resend_pending(&mut fx);
                if let Some(id) = self.selected
                    && self.conversation(&id).is_some_and(|c| !c.thread.loaded)
                {
                    self.load_history(id, false, &mut fx);
                }
            }
            ServerToAttendant::Assigned { conversation } => {
                let (id, customer) = (conversation.id, conversation.customer.name.clone());
                self.upsert(conversation);
                if env.hidden {
                    fx.push(Effect::Alert(Alert::NewAssignment { customer }));
                }
                if self.selected.is_none() {
                    self.select(id, env, &mut fx);
                }
            }
            ServerToAttendant::Unassigned { conversation, .. } => {
                fx.push(Effect::Refresh(conversation));
            }
            ServerToAttendant::Conversation { conversation } => self.upsert(conversation),
            ServerToAttendant::Withdrawn { conversation } => self.withdrawn(conversation, &mut fx),
            ServerToAttendant::Message { message } => self.on_message(message, env, &mut fx),
            ServerToAttendant::Ack {
                conversation,
                client_id,
                seq,
                timestamp,
            } => {
                let Some(me) = env.me else { return fx };
                let Some(c) = self.conversation_mut(&conversation) else {
                    return fx;
                };
                let t = &mut c.thread;
                if let Some(p) = t.pending.iter().find(|p| p.client_id == client_id) {
                    let text = p.text.clone();
                    t.insert(MessageView {
                        conversation,
                        seq,
                        client_id,
                        from: Sender {
                            party: Party::Attendant,
                            id: me.id.to_string(),
                            name: me.name.clone(),
                        },
                        text,
                        timestamp,
                        call: None,
                        attachments: Vec::new(),
                    });
                }
            }
            ServerToAttendant::Receipt {
                conversation,
                receipts,
            } => {
                if let Some(c) = self.conversation_mut(&conversation) {
                    c.thread.merge_receipts(&receipts);
                }
            }
            ServerToAttendant::Typing {
                conversation,
                state,
            } => {
                if let Some(c) = self.conversation_mut(&conversation) {
                    let composing = state == TypingState::Composing;
                    c.typing = composing;
                    if composing {
                        // The widget repeats `composing` every few seconds while typing;
                        // silence for longer than that means it stopped without saying so.
                        fx.push(Effect::ExpireTyping(conversation));
                    }
                }
            }
            ServerToAttendant::CustomerPresence { customer, state } => {
                let ids: Vec<ConversationId> = self
                    .conversations()
                    .filter(|c| c.view.customer.id == customer)
                    .map(|c| c.view.id)
                    .collect();
                for id in ids {
                    if let Some(c) = self.conversation_mut(&id) {
                        c.view.customer_presence = state;
                    }
                }
            }
            ServerToAttendant::Visit { customer, visit } => fx.push(Effect::Visit {
                customer,
                visit: Box::new(visit),
            }),
            ServerToAttendant::Attributes {
                customer,
                attributes,
            } => fx.push(Effect::Attributes {
                customer,
                attributes,
            }),
            ServerToAttendant::Presence { presence } => self.presence = presence,
            ServerToAttendant::Queue {
                queue,
                observations,
            } => {
                self.observations.insert(queue, observations);
            }
            ServerToAttendant::History {
                conversation,
                messages,
                more,
            } => {
                if let Some(c) = self.conversation_mut(&conversation) {
                    let older = c.loading_older;
                    c.thread.insert_page(messages, more, older);
                    c.loading_older = false;
                    if self.selected == Some(conversation) && !env.hidden {
                        self.mark_read(conversation, env, &mut fx);
                    }
                }
            }
            ServerToAttendant::Resync { conversation, .. } => {
                if let Some(c) = self.conversation_mut(&conversation) {
                    c.thread.messages.clear();
                    c.thread.loaded = false;
                    self.load_history(conversation, false, &mut fx);
                }
            }
            // A call's error is the call card's to show (`crate::calls`).
            ServerToAttendant::Error {
                call_id: Some(_), ..
            } => {}
            ServerToAttendant::Error {
                message, client_id, ..
            } => match client_id {
                Some(id) => {
                    let holder = self
                        .conversations()
                        .find(|c| c.thread.pending.iter().any(|p| p.client_id == id))
                        .map(|c| c.view.id);
                    if let Some(c) = holder.and_then(|h| self.conversation_mut(&h)) {
                        c.thread.fail(id, message);
                    }
                }
                None => fx.push(Effect::Toast(Toast::Server(message))),
            },
            ServerToAttendant::Pong { .. } => {}
            // The call card (`crate::calls`) hears these on the socket itself; the desk
            // keeps no call state.
            ServerToAttendant::Call { .. }
            | ServerToAttendant::CallIce { .. }
            | ServerToAttendant::CallSignal { .. }
            | ServerToAttendant::CallEnded { .. } => {}
            ServerToAttendant::Note { note } => self.add_note(note),
            ServerToAttendant::Batch { frames } => {
                for frame in frames {
                    fx.extend(self.on_frame(frame, env));
                }
            }
        }
        fx
    }

    pub(super) fn on_message(&mut self, message: MessageView, env: &Env<'_>, fx: &mut Vec<Effect>) {
        let conversation = message.conversation;
        let from_customer = message.from.party == Party::Customer;
        let (seq, from) = (message.seq, message.from.name.clone());
        let preview = crate::format::preview(message.text.as_str(), 120);
        let Some(c) = self.conversation_mut(&conversation) else {
            return;
        };
        let added = c.thread.insert(message);
        if !added || !from_customer {
            return;
        }
        c.typing = false;
        fx.push(Effect::Send(AttendantToServer::Receipt {
            conversation,
            kind: ReceiptKind::Delivered,
            up_to_seq: seq,
        }));
        if env.hidden {
            fx.push(Effect::Alert(Alert::NewMessage { from, preview }));
        } else if self.selected == Some(conversation) {
            self.mark_read(conversation, env, fx);
        }
    }
}
