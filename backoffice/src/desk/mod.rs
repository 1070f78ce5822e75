//! The attendant's desk as plain data, and the reducer that moves it: every conversation we
//! know of (its view, messages, typing, paging), which one is selected, my presence, the
//! queue numbers and the private notes.
//!
//! Why plain data: the rules (what a frame does to the lists, when a receipt is sent, what
//! is resent after a reconnect) are the part of the back-office most worth testing, and
//! here they run natively, without a browser. The reducer ([`Desk::on_frame`],
//! [`Desk::on_command`]) changes the state and returns [`Effect`]s; the browser side
//! (`live.rs`) carries them out and mirrors the state into signals (`board.rs`), so a
//! message in one conversation still redraws only that conversation.
//!
//! Lists are derived, never kept separately: a conversation is *waiting* while queued in one
//! of my queues, and *mine* while open and assigned to me, so a frame that changes its status
//! moves it between lists by itself ([`section`]).

mod commands;
mod effects;
#[cfg(test)]
mod fixtures;
mod frames;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_commands;
#[cfg(test)]
mod tests_messages;

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chimpassist_protocol::{
    AttendantView, ConversationId, ConversationStatus, ConversationView, CustomerPresence, Note,
    Presence, QueueId, QueueObservations, ResumePoint, TimestampMs,
};

pub use effects::{Alert, Command, Effect, Env, HISTORY_PAGE, Toast};

use crate::thread::Thread;

/// The attendant socket's state, as the banner shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Conn {
    #[default]
    Connecting,
    Open,
    Lost,
}

/// Which list a conversation belongs in, for the attendant `me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Waiting,
    Online,
    Offline,
    Elsewhere,
}

pub fn section(v: &ConversationView, me: &AttendantView) -> Section {
    let mine = v.attendant.as_ref().is_some_and(|a| a.id == me.id);
    match v.status {
        ConversationStatus::Queued if me.queues.contains(&v.queue) => Section::Waiting,
        s if s.is_open() && mine => {
            if v.customer_presence == CustomerPresence::Gone {
                Section::Offline
            } else {
                Section::Online
            }
        }
        _ => Section::Elsewhere,
    }
}

/// One conversation as the desk holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    pub view: ConversationView,
    pub thread: Thread,
    /// The customer is typing (cleared by their message, `paused`, or a timeout).
    pub typing: bool,
    /// An older page has been asked for and not answered yet.
    pub loading_older: bool,
}

/// The last `composing` we sent per conversation, so that typing is announced at most every
/// few seconds. A short list, searched linearly: only conversations being typed in are in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComposingSent(Vec<(ConversationId, TimestampMs)>);

/// What changed since the mirror last looked, so that it copies only that.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// Conversations added, changed or removed (look them up: absent means removed).
    pub conversations: Vec<ConversationId>,
    /// Conversations whose notes changed.
    pub notes: Vec<ConversationId>,
    /// Everything was dropped (signed out).
    pub cleared: bool,
}

impl Changes {
    fn conversation(&mut self, id: ConversationId) {
        if !self.conversations.contains(&id) {
            self.conversations.push(id);
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Desk {
    pub conn: Conn,
    pub presence: Presence,
    pub selected: Option<ConversationId>,
    pub observations: BTreeMap<QueueId, QueueObservations>,
    pub max_text: u32,
    /// Largest file the server keeps (bytes): the composer refuses larger ones itself.
    pub max_file: u64,
    conversations: HashMap<ConversationId, Conversation>,
    /// Private notes per conversation, oldest first. A key without notes means they were
    /// asked for (fetched once; `note` frames keep them current).
    notes: HashMap<ConversationId, Vec<Note>>,
    composing: ComposingSent,
    changes: Changes,
}

impl Default for Desk {
    fn default() -> Self {
        Desk {
            conn: Conn::Connecting,
            presence: Presence::Offline,
            selected: None,
            observations: BTreeMap::new(),
            max_text: 4096,
            max_file: 10 << 20,
            conversations: HashMap::new(),
            notes: HashMap::new(),
            composing: ComposingSent::default(),
            changes: Changes::default(),
        }
    }
}

impl Desk {
    pub fn conversation(&self, id: &ConversationId) -> Option<&Conversation> {
        self.conversations.get(id)
    }

    pub fn conversations(&self) -> impl Iterator<Item = &Conversation> {
        self.conversations.values()
    }

    /// The notes of a conversation, oldest first.
    pub fn notes(&self, id: &ConversationId) -> &[Note] {
        self.notes.get(id).map_or(&[], Vec::as_slice)
    }

    /// What changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// Where a reconnect resumes: per conversation whose newest page we hold, the seq below
    /// which we hold every message (the server replays from there, or answers `resync`).
    pub fn resume_points(&self) -> Vec<ResumePoint> {
        self.conversations
            .values()
            .filter(|c| c.thread.loaded && !c.thread.messages.is_empty())
            .map(|c| ResumePoint {
                conversation: c.view.id,
                last_seq: c.thread.contiguous_seq(),
            })
            .collect()
    }

    /// A conversation to change; the change is recorded for the mirror.
    fn conversation_mut(&mut self, id: &ConversationId) -> Option<&mut Conversation> {
        let c = self.conversations.get_mut(id)?;
        self.changes.conversation(*id);
        Some(c)
    }

    /// Adds or refreshes a conversation. Receipts and the last message that come with a
    /// view are merged into its thread; a view without them keeps what the thread holds.
    fn upsert(&mut self, mut view: ConversationView) {
        let last = view.last_message.take();
        let receipts = view.receipts.take();
        let id = view.id;
        self.changes.conversation(id);
        let c = match self.conversations.entry(id) {
            Entry::Occupied(e) => {
                let c = e.into_mut();
                c.view = view;
                c
            }
            Entry::Vacant(e) => e.insert(Conversation {
                view,
                thread: Thread::default(),
                typing: false,
                loading_older: false,
            }),
        };
        if let Some(r) = &receipts {
            c.thread.merge_receipts(r);
        }
        if let Some(m) = last {
            c.thread.insert(m);
        }
    }

    /// Drops a conversation from every list (it left what this attendant may see).
    fn remove(&mut self, id: &ConversationId) {
        if self.selected == Some(*id) {
            self.selected = None;
        }
        if self.conversations.remove(id).is_some() {
            self.changes.conversation(*id);
        }
    }

    /// Adds a note once, keeping time order.
    fn add_note(&mut self, note: Note) {
        let id = note.conversation;
        let list = self.notes.entry(id).or_default();
        if !list.iter().any(|n| n.id == note.id) {
            list.push(note);
            list.sort_by_key(|n| n.created_at);
            if !self.changes.notes.contains(&id) {
                self.changes.notes.push(id);
            }
        }
    }

    /// Signed out: every conversation and the selection go; the next sign-in starts afresh.
    fn clear(&mut self) {
        self.conversations.clear();
        self.selected = None;
        self.conn = Conn::Connecting;
        self.changes = Changes {
            cleared: true,
            ..Changes::default()
        };
    }
}

impl ComposingSent {
    /// Whether to send `state` now, at `now`: `composing` at most every 4 s, `paused` only
    /// after a `composing`.
    fn should_send(
        &mut self,
        conversation: ConversationId,
        composing: bool,
        now: TimestampMs,
    ) -> bool {
        let list = &mut self.0;
        let at = list.iter().position(|(c, _)| *c == conversation);
        match (composing, at) {
            (true, Some(i)) if now - list[i].1 < 4000 => false,
            (true, Some(i)) => {
                list[i].1 = now;
                true
            }
            (true, None) => {
                list.push((conversation, now));
                true
            }
            (false, Some(i)) => {
                list.remove(i);
                true
            }
            (false, None) => false,
        }
    }
}
