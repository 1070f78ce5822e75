//! The desk as the views read it: the pure [`Desk`](crate::desk::Desk) mirrored into
//! signals, one set per conversation, so that a message in one conversation redraws only
//! that conversation's list item and pane.
//!
//! Views only read these signals; every change goes through the reducer (`live.rs`), which
//! then copies what it changed here ([`Board::sync`]). Nothing else writes them.

use std::collections::{BTreeMap, HashMap};

use chimpassist_protocol::{
    AttendantId, AttendantView, ConversationId, Note, Presence, QueueId, QueueObservations,
};
use leptos::prelude::*;

use crate::desk::{Conn, Conversation, Desk, Section, section};
use crate::thread::Thread;

/// One conversation's signals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Entry {
    pub id: ConversationId,
    pub view: RwSignal<chimpassist_protocol::ConversationView>,
    pub thread: RwSignal<Thread>,
    pub typing: RwSignal<bool>,
    /// An older page has been asked for and not answered yet.
    pub loading_older: RwSignal<bool>,
}

impl Entry {
    fn new(c: &Conversation) -> Self {
        Entry {
            id: c.view.id,
            view: RwSignal::new(c.view.clone()),
            thread: RwSignal::new(c.thread.clone()),
            typing: RwSignal::new(c.typing),
            loading_older: RwSignal::new(c.loading_older),
        }
    }

    /// Copies a changed conversation in, touching only the signals whose value differs.
    fn copy(&self, c: &Conversation) {
        set_if_changed(self.view, &c.view);
        set_if_changed(self.thread, &c.thread);
        set_if_changed(self.typing, &c.typing);
        set_if_changed(self.loading_older, &c.loading_older);
    }
}

fn set_if_changed<T: Clone + PartialEq + Send + Sync + 'static>(s: RwSignal<T>, value: &T) {
    if !s.with_untracked(|v| v == value) {
        s.set(value.clone());
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Board {
    pub conn: RwSignal<Conn>,
    pub presence: RwSignal<Presence>,
    pub entries: RwSignal<HashMap<ConversationId, Entry>>,
    pub selected: RwSignal<Option<ConversationId>>,
    pub observations: RwSignal<BTreeMap<QueueId, QueueObservations>>,
    pub max_text: RwSignal<u32>,
    pub max_file: RwSignal<u64>,
    /// Private notes per conversation, fetched when a conversation is first opened and
    /// kept current by `note` frames.
    pub notes: RwSignal<HashMap<ConversationId, Vec<Note>>>,
    /// Wall clock, ticked every few seconds, for wait times and "last seen".
    pub now: RwSignal<i64>,
}

impl Board {
    pub(crate) fn new() -> Self {
        let desk = Desk::default();
        Board {
            conn: RwSignal::new(desk.conn),
            presence: RwSignal::new(desk.presence),
            entries: RwSignal::new(HashMap::new()),
            selected: RwSignal::new(None),
            observations: RwSignal::new(BTreeMap::new()),
            max_text: RwSignal::new(desk.max_text),
            max_file: RwSignal::new(desk.max_file),
            notes: RwSignal::new(HashMap::new()),
            now: RwSignal::new(crate::env::now_ms()),
        }
    }

    /// Copies what the reducer changed. New conversations are added in one update, so a
    /// `welcome` with a thousand of them redraws the lists once.
    pub(crate) fn sync(&self, desk: &mut Desk) {
        let changes = desk.take_changes();
        if changes.cleared {
            self.entries.set(HashMap::new());
        }
        set_if_changed(self.conn, &desk.conn);
        set_if_changed(self.presence, &desk.presence);
        set_if_changed(self.selected, &desk.selected);
        set_if_changed(self.max_text, &desk.max_text);
        set_if_changed(self.max_file, &desk.max_file);
        set_if_changed(self.observations, &desk.observations);
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for id in changes.conversations {
            match (desk.conversation(&id), self.entry(&id)) {
                (Some(c), Some(e)) => e.copy(c),
                (Some(c), None) => added.push(Entry::new(c)),
                (None, Some(_)) => removed.push(id),
                (None, None) => {}
            }
        }
        if !added.is_empty() || !removed.is_empty() {
            self.entries.update(|all| {
                for id in &removed {
                    all.remove(id);
                }
                all.extend(added.into_iter().map(|e| (e.id, e)));
            });
        }
        if !changes.notes.is_empty() {
            self.notes.update(|all| {
                for id in changes.notes {
                    all.insert(id, desk.notes(&id).to_vec());
                }
            });
        }
    }

    pub(crate) fn entry(&self, id: &ConversationId) -> Option<Entry> {
        self.entries.with_untracked(|e| e.get(id).copied())
    }

    pub(crate) fn tracked_entry(&self, id: &ConversationId) -> Option<Entry> {
        self.entries.with(|e| e.get(id).copied())
    }

    pub(crate) fn selected_entry(&self) -> Option<Entry> {
        let id = self.selected.get()?;
        self.tracked_entry(&id)
    }

    /// The notes of a conversation, oldest first (tracked).
    pub(crate) fn notes_of(&self, id: &ConversationId) -> Vec<Note> {
        self.notes
            .with(|all| all.get(id).cloned().unwrap_or_default())
    }

    /// Entries of one section, newest activity first (the waiting queue: oldest first).
    pub(crate) fn list(&self, me: &AttendantView, which: Section) -> Vec<Entry> {
        let mut out: Vec<(i64, Entry)> = self.entries.with(|all| {
            all.values()
                .filter_map(|e| {
                    e.view.with(|v| {
                        (section(v, me) == which).then(|| {
                            let last = e
                                .thread
                                .with(|t| t.messages.last().map(|m| m.timestamp))
                                .unwrap_or(v.assigned_at.unwrap_or(v.requested_at));
                            (last, *e)
                        })
                    })
                })
                .collect()
        });
        if which == Section::Waiting {
            out.sort_by_key(|(_, e)| e.view.with(|v| v.requested_at));
        } else {
            out.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
        }
        out.into_iter().map(|(_, e)| e).collect()
    }

    /// Customer messages not yet read, over every conversation I hold.
    pub(crate) fn total_unread(&self, me: &AttendantId) -> usize {
        self.entries.with(|all| {
            all.values()
                .filter(|e| {
                    e.view.with(|v| {
                        v.status.is_open() && v.attendant.as_ref().is_some_and(|a| &a.id == me)
                    })
                })
                .map(|e| e.thread.with(|t| t.unread()))
                .sum()
        })
    }
}
