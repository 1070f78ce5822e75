//! Proof that nothing was lost or duplicated: per conversation, which seqs were acked to
//! their sender and how many times each was delivered to the partner.
//!
//! Seqs of a conversation are 1, 2, 3, … without gaps (shared by both directions), so a
//! conversation's book is a byte per seq: bit 0 = acked, bits 1..8 = deliveries (saturating).
//! That is a few bytes per message instead of a hash set entry.

use std::collections::HashMap;
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
}

/// The book of one conversation.
#[derive(Debug, Default)]
pub(crate) struct Ledger(Mutex<Book>);

#[derive(Debug, Default)]
struct Book {
    seqs: Vec<u8>,
    out_of_range: u64,
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

    pub(crate) fn tally(&self) -> Tally {
        let book = self.lock();
        let mut tally = Tally {
            out_of_range: book.out_of_range,
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
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        all.values()
            .map(|l| l.tally())
            .fold(Tally::default(), |a, b| Tally {
                acked: a.acked + b.acked,
                lost: a.lost + b.lost,
                duplicated: a.duplicated + b.duplicated,
                unacked_delivered: a.unacked_delivered + b.unacked_delivered,
                out_of_range: a.out_of_range + b.out_of_range,
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

        assert_eq!(
            registry.tally(),
            Tally {
                acked: 3,
                lost: 1,
                duplicated: 2,
                unacked_delivered: 1,
                out_of_range: 0,
            }
        );
    }

    #[test]
    fn absurd_seqs_are_flagged_not_allocated() {
        let ledger = Ledger::default();
        ledger.acked(0);
        assert!(!ledger.delivered(MAX_SEQ + 1));
        assert_eq!(ledger.tally().out_of_range, 2);
    }
}
