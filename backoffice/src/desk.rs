//! The attendant's live state: every conversation we know of, each with its own signals so
//! that a message in one conversation redraws only that conversation's list item and pane.
//!
//! Lists are derived, never kept separately: a conversation is *waiting* while queued in one
//! of my queues, and *mine* while open and assigned to me, so a frame that changes its status
//! moves it between lists by itself.

use std::collections::{BTreeMap, HashMap};

use chimpassist_protocol::{
    AttendantId, AttendantView, ConversationId, ConversationStatus, ConversationView,
    CustomerPresence, Presence, QueueId, QueueObservations,
};
use leptos::prelude::*;

use crate::thread::Thread;

/// The attendant socket's state, as the banner shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conn {
    Connecting,
    Open,
    Lost,
}

/// One conversation's signals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Entry {
    pub id: ConversationId,
    pub view: RwSignal<ConversationView>,
    pub thread: RwSignal<Thread>,
    pub typing: RwSignal<bool>,
    /// An older page has been asked for and not answered yet.
    pub loading_older: RwSignal<bool>,
}

/// Which list a conversation belongs in, for the attendant `me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    Waiting,
    Online,
    Offline,
    Elsewhere,
}

pub(crate) fn section(v: &ConversationView, me: &AttendantView) -> Section {
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

#[derive(Clone, Copy, Debug)]
pub(crate) struct Desk {
    pub conn: RwSignal<Conn>,
    pub presence: RwSignal<Presence>,
    pub entries: RwSignal<HashMap<ConversationId, Entry>>,
    pub selected: RwSignal<Option<ConversationId>>,
    pub observations: RwSignal<BTreeMap<QueueId, QueueObservations>>,
    pub max_text: RwSignal<u32>,
    /// Wall clock, ticked every few seconds, for wait times and "last seen".
    pub now: RwSignal<i64>,
}

impl Desk {
    pub(crate) fn new() -> Self {
        Desk {
            conn: RwSignal::new(Conn::Connecting),
            presence: RwSignal::new(Presence::Offline),
            entries: RwSignal::new(HashMap::new()),
            selected: RwSignal::new(None),
            observations: RwSignal::new(BTreeMap::new()),
            max_text: RwSignal::new(4096),
            now: RwSignal::new(crate::env::now_ms()),
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

    /// Drops a conversation from every list (it left what this attendant may see).
    pub(crate) fn remove(&self, id: &ConversationId) {
        if self.selected.get_untracked() == Some(*id) {
            self.selected.set(None);
        }
        self.entries.update(|e| {
            e.remove(id);
        });
    }

    /// Adds or refreshes a conversation. Receipts and the last message that come with a
    /// view are merged into its thread; a view without them keeps what the thread holds.
    pub(crate) fn upsert(&self, mut view: ConversationView) -> Entry {
        let last = view.last_message.take();
        let receipts = view.receipts.take();
        let entry = match self.entry(&view.id) {
            Some(entry) => {
                entry.view.set(view);
                entry
            }
            None => {
                let entry = Entry {
                    id: view.id,
                    view: RwSignal::new(view),
                    thread: RwSignal::new(Thread::default()),
                    typing: RwSignal::new(false),
                    loading_older: RwSignal::new(false),
                };
                self.entries.update(|e| {
                    e.insert(entry.id, entry);
                });
                entry
            }
        };
        if last.is_some() || receipts.is_some() {
            entry.thread.update(|t| {
                if let Some(r) = &receipts {
                    t.merge_receipts(r);
                }
                if let Some(m) = last {
                    t.insert(m);
                }
            });
        }
        entry
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

    pub(crate) fn set_customer_presence(
        &self,
        customer: &chimpassist_protocol::CustomerId,
        state: CustomerPresence,
    ) {
        self.entries.with_untracked(|all| {
            for e in all.values() {
                if e.view.with_untracked(|v| &v.customer.id == customer) {
                    e.view.update(|v| v.customer_presence = state);
                }
            }
        });
    }
}
