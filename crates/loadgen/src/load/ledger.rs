//! Proof that nothing was lost or duplicated: per conversation, which seqs were acked to
//! their sender and how many times each was delivered to the partner.
//!
//! Seqs of a conversation are 1, 2, 3, … without gaps (shared by both directions), so a
//! conversation's book is a byte per seq: bit 0 = acked, bits 1..8 = deliveries (saturating).
//! That is a few bytes per message instead of a hash set entry.
//!
//! The fault scenarios also record which client id each seq carries ([`Ledger::identify`]):
//! a resend stored as a second message would reach the partner as a *new* seq, which the
//! per-seq book alone cannot tell from a genuine message.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Highest seq tracked (a larger one is counted as an anomaly, never allocated for).
const MAX_SEQ: u64 = 1 << 26;
const ACKED: u8 = 1;
const ONE_DELIVERY: u8 = 2;

/// Totals over conversations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Messages acked to their sender.
    pub(crate) acked: u64,
    /// Acked and never delivered to the partner.
    pub(crate) lost: u64,
    /// Extra deliveries of a `(conversation, seq)` already delivered.
    pub(crate) duplicated: u64,
    /// Delivered without an ack reaching the sender (sender gone before its ack).
    pub(crate) unacked_delivered: u64,
    /// Seqs beyond [`MAX_SEQ`] (never expected).
    pub(crate) out_of_range: u64,
    /// Client ids seen under two different seqs: one message stored twice.
    pub(crate) stored_twice: u64,
}

impl Tally {
    /// What a report says about delivery oddities that are not losses.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.unacked_delivered > 0 {
            notes.push(format!(
                "{} messages were delivered without their ack reaching the sender",
                self.unacked_delivered
            ));
        }
        if self.out_of_range > 0 {
            notes.push(format!("{} out-of-range seqs", self.out_of_range));
        }
        notes
    }
}

/// The book of one conversation.
#[derive(Debug, Default)]
pub(crate) struct Ledger(Mutex<Book>);

#[derive(Debug, Default)]
struct Book {
    seqs: Vec<u8>,
    out_of_range: u64,
    /// Client id → (seq, already counted as stored twice); fault scenarios only.
    ids: HashMap<u128, (u64, bool)>,
    stored_twice: u64,
}

impl Book {
    fn slot(&mut self, seq: u64) -> Option<&mut u8> {
        if seq == 0 || seq > MAX_SEQ {
            self.out_of_range += 1;
            return None;
        }
        let index = usize::try_from(seq).ok()?;
        if self.seqs.len() <= index {
            self.seqs.resize(index + 1, 0);
        }
        self.seqs.get_mut(index)
    }
}

impl Ledger {
    /// The sender got `ack` for `seq`.
    pub(crate) fn acked(&self, seq: u64) {
        if let Some(slot) = self.lock().slot(seq) {
            *slot |= ACKED;
        }
    }

    /// The partner received `seq`; true on its first delivery, false for a duplicate.
    pub(crate) fn delivered(&self, seq: u64) -> bool {
        let mut book = self.lock();
        let Some(slot) = book.slot(seq) else {
            return false;
        };
        let first = *slot < ONE_DELIVERY;
        if *slot < u8::MAX - ONE_DELIVERY {
            *slot += ONE_DELIVERY;
        }
        first
    }

    /// `client_id` was seen (acked, echoed or delivered) as `seq`; false if it was seen
    /// under another seq before (the message was stored twice).
    pub(crate) fn identify(&self, client_id: &str, seq: u64) -> bool {
        let Ok(id) = uuid::Uuid::parse_str(client_id) else {
            return true; // not one of ours
        };
        let mut book = self.lock();
        let book = &mut *book;
        match book.ids.entry(id.as_u128()) {
            Entry::Vacant(slot) => {
                slot.insert((seq, false));
                true
            }
            Entry::Occupied(mut slot) => {
                let (known, counted) = slot.get_mut();
                if *known == seq {
                    return true;
                }
                if !*counted {
                    *counted = true;
                    book.stored_twice += 1;
                }
                false
            }
        }
    }

    pub(crate) fn tally(&self) -> Tally {
        let book = self.lock();
        let mut tally = Tally {
            out_of_range: book.out_of_range,
            stored_twice: book.stored_twice,
            ..Tally::default()
        };
        for &slot in &book.seqs {
            let acked = slot & ACKED != 0;
            let deliveries = u64::from(slot >> 1);
            if acked {
                tally.acked += 1;
                if deliveries == 0 {
                    tally.lost += 1;
                }
            } else if deliveries > 0 {
                tally.unacked_delivered += 1;
            }
            tally.duplicated += deliveries.saturating_sub(1);
        }
        tally
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        // Every update is a single byte write: a poisoned book is still consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every conversation's book, by conversation id (both sides look it up by the id they see).
#[derive(Debug, Default)]
pub(crate) struct Registry(Mutex<HashMap<String, Arc<Ledger>>>);

impl Registry {
    pub(crate) fn get(&self, conversation: &str) -> Arc<Ledger> {
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ledger) = all.get(conversation) {
            return Arc::clone(ledger);
        }
        let ledger = Arc::new(Ledger::default());
        all.insert(conversation.to_owned(), Arc::clone(&ledger));
        ledger
    }

    pub(crate) fn tally(&self) -> Tally {
        self.tally_where(|_| true)
    }

    /// Conversations with a book whose id `keep` accepts.
    pub(crate) fn count_where(&self, keep: impl Fn(&str) -> bool) -> u64 {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.keys().filter(|id| keep(id)).count() as u64
    }

    /// Totals over the conversations whose id `keep` accepts (`rush` leaves out those whose
    /// attendant or customer socket the server cut: nothing could reach them).
    pub(crate) fn tally_where(&self, keep: impl Fn(&str) -> bool) -> Tally {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.iter()
            .filter(|(id, _)| keep(id))
            .map(|(_, l)| l.tally())
            .fold(Tally::default(), |a, b| Tally {
                acked: a.acked + b.acked,
                lost: a.lost + b.lost,
                duplicated: a.duplicated + b.duplicated,
                unacked_delivered: a.unacked_delivered + b.unacked_delivered,
                out_of_range: a.out_of_range + b.out_of_range,
                stored_twice: a.stored_twice + b.stored_twice,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_and_duplicated_are_counted_whatever_the_order() {
        let registry = Registry::default();
        let a = registry.get("a");
        // seq 1: delivered before its ack (the server publishes before acking).
        assert!(a.delivered(1));
        a.acked(1);
        // seq 2: acked, never delivered → lost.
        a.acked(2);
        // seq 3: acked, delivered three times → two duplicates.
        a.acked(3);
        assert!(a.delivered(3));
        assert!(!a.delivered(3));
        assert!(!a.delivered(3));
        // Another conversation's seq 1 is not a duplicate of a's.
        assert!(registry.get("b").delivered(1));
        assert!(Arc::ptr_eq(&a, &registry.get("a")));

        assert_eq!(registry.tally_where(|id| id == "b").lost, 0);
        assert_eq!(registry.count_where(|id| id != "b"), 1);
        assert_eq!(registry.tally_where(|id| id == "a").lost, 1);
        assert_eq!(
            registry.tally(),
            Tally {
                acked: 3,
                lost: 1,
                duplicated: 2,
                unacked_delivered: 1,
                out_of_range: 0,
                stored_twice: 0,
            }
        );
    }

    #[test]
    fn a_client_id_under_two_seqs_is_one_message_stored_twice() {
        let ledger = Ledger::default();
        let id = "0191e0a4-0000-7000-8000-000000000001";
        assert!(ledger.identify(id, 4)); // the ack
        assert!(ledger.identify(id, 4)); // the echo, the partner's delivery
        assert!(!ledger.identify(id, 9)); // a resend stored again
        assert!(!ledger.identify(id, 9));
        assert!(ledger.identify("0191e0a4-0000-7000-8000-000000000002", 9));
        assert!(ledger.identify("not a uuid", 1));
        assert_eq!(ledger.tally().stored_twice, 1);
    }

    #[test]
    fn absurd_seqs_are_flagged_not_allocated() {
        let ledger = Ledger::default();
        ledger.acked(0);
        assert!(!ledger.delivered(MAX_SEQ + 1));
        assert_eq!(ledger.tally().out_of_range, 2);
    }
}
