//! The reducer's half for the attendant's commands (and the answers to earlier effects),
//! with the steps both halves share: selecting, reading, paging, sending, typing.

use chimpassist_protocol::{
    AttendantToServer, ClientMessageId, ConversationId, FileInfo, MessageText, ReceiptKind,
    TypingState,
};

use super::{Command, Conn, Desk, Effect, Env, HISTORY_PAGE, Toast};
use crate::thread::Pending;

impl Desk {
    /// Applies a command of the attendant's, or the answer to an earlier effect.
    pub fn on_command(&mut self, command: Command, env: &Env<'_>) -> Vec<Effect> {
        let mut fx = Vec::new();
        match command {
            Command::Select(id) => self.select(id, env, &mut fx),
            Command::Open(view) => {
                let id = view.id;
                if self.conversation(&id).is_none() {
                    self.upsert(view);
                }
                self.select(id, env, &mut fx);
            }
            Command::Send {
                conversation,
                client_id,
                text,
                attachments,
            } => self.send(conversation, client_id, text, attachments, env, &mut fx),
            Command::Retry {
                conversation,
                failed,
                client_id,
            } => {
                let Some(c) = self.conversation_mut(&conversation) else {
                    return fx;
                };
                let at = c.thread.pending.iter().position(|p| p.client_id == failed);
                if let Some(p) = at.map(|i| c.thread.pending.remove(i)) {
                    self.send(conversation, client_id, p.text, p.attachments, env, &mut fx);
                }
            }
            Command::Typing {
                conversation,
                state,
            } => self.typing(conversation, state, env, &mut fx),
            Command::LoadOlder(id) => self.load_history(id, true, &mut fx),
            Command::MarkRead(id) => self.mark_read(id, env, &mut fx),
            Command::OpenNotes(id) => {
                if let std::collections::hash_map::Entry::Vacant(e) = self.notes.entry(id) {
                    e.insert(Vec::new());
                    fx.push(Effect::FetchNotes(id));
                }
            }
            Command::Notes(list) => list.into_iter().for_each(|n| self.add_note(n)),
            Command::Refreshed(view) => self.upsert(view),
            Command::Gone(id) => self.withdrawn(id, &mut fx),
            Command::TypingExpired(id) => {
                if let Some(c) = self.conversation_mut(&id) {
                    c.typing = false;
                }
            }
            Command::Connecting => {
                if self.conn != Conn::Lost {
                    self.conn = Conn::Connecting;
                }
            }
            Command::Lost => self.conn = Conn::Lost,
            Command::SignedOut => self.clear(),
        }
        fx
    }

    pub(super) fn select(&mut self, id: ConversationId, env: &Env<'_>, fx: &mut Vec<Effect>) {
        self.selected = Some(id);
        if let Some(c) = self.conversation(&id) {
            if c.thread.loaded {
                self.mark_read(id, env, fx);
            } else {
                self.load_history(id, false, fx);
            }
        }
        fx.push(Effect::ShowDesk);
    }

    pub(super) fn withdrawn(&mut self, id: ConversationId, fx: &mut Vec<Effect>) {
        if self.selected == Some(id)
            && let Some(c) = self.conversation(&id)
        {
            let customer = c.view.customer.name.clone();
            fx.push(Effect::Toast(Toast::Withdrawn { customer }));
        }
        self.remove(&id);
    }

    /// Reads everything the customer wrote, if the conversation is mine and open.
    pub(super) fn mark_read(&mut self, id: ConversationId, env: &Env<'_>, fx: &mut Vec<Effect>) {
        let Some(c) = self.conversation(&id) else {
            return;
        };
        let newest = c.thread.newest_customer_seq();
        let v = &c.view;
        let mine =
            v.status.is_open() && env.me.map(|m| &m.id) == v.attendant.as_ref().map(|a| &a.id);
        if newest > c.thread.receipts.attendant_read && mine && env.online {
            fx.push(Effect::Send(AttendantToServer::Receipt {
                conversation: id,
                kind: ReceiptKind::Read,
                up_to_seq: newest,
            }));
            if let Some(c) = self.conversation_mut(&id) {
                c.thread.receipts.attendant_read = newest;
            }
        }
    }

    /// Asks for the page before the oldest message held (`older`) or the newest page.
    pub(super) fn load_history(&mut self, id: ConversationId, older: bool, fx: &mut Vec<Effect>) {
        let before_seq = if older {
            let Some(c) = self.conversation_mut(&id) else {
                return;
            };
            if c.loading_older || !c.thread.more {
                return;
            }
            c.loading_older = true;
            c.thread.oldest_seq()
        } else if self.conversation(&id).is_some() {
            None
        } else {
            return;
        };
        fx.push(Effect::Send(AttendantToServer::History {
            conversation: id,
            before_seq,
            limit: Some(HISTORY_PAGE),
        }));
    }

    pub(super) fn send(
        &mut self,
        conversation: ConversationId,
        client_id: ClientMessageId,
        text: MessageText,
        attachments: Vec<FileInfo>,
        env: &Env<'_>,
        fx: &mut Vec<Effect>,
    ) {
        let ids = attachments.iter().map(|f| f.id).collect();
        if let Some(c) = self.conversation_mut(&conversation) {
            c.thread.pending.push(Pending {
                client_id,
                text: text.clone(),
                attachments,
                at: env.now,
                failed: None,
            });
        }
        self.typing(conversation, TypingState::Paused, env, fx);
        fx.push(Effect::Send(AttendantToServer::Send {
            conversation,
            client_id,
            text,
            attachments: ids,
        }));
    }

    pub(super) fn typing(
        &mut self,
        conversation: ConversationId,
        state: TypingState,
        env: &Env<'_>,
        fx: &mut Vec<Effect>,
    ) {
        let composing = state == TypingState::Composing;
        if self.composing.should_send(conversation, composing, env.now) {
            fx.push(Effect::Send(AttendantToServer::Typing {
                conversation,
                state,
            }));
        }
    }

    /// Our messages not yet acknowledged go again, with the same client id (the server
    /// stores each client id once, so a message that did arrive is not doubled).
    pub(super) fn resend_pending(&self, fx: &mut Vec<Effect>) {
        for c in self.conversations() {
            for p in c.thread.pending.iter().filter(|p| p.failed.is_none()) {
                fx.push(Effect::Send(AttendantToServer::Send {
                    conversation: c.view.id,
                    client_id: p.client_id,
                    text: p.text.clone(),
                    attachments: p.attachments.iter().map(|f| f.id).collect(),
                }));
            }
        }
    }
}
