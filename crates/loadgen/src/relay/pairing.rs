//! Who talks to whom: customer K and attendant K are partners, and each pair numbers its
//! messages 1, 2, 3, … like a conversation does in the real server.
//!
//! One `std::sync::Mutex` guards the whole table. Every critical section is a hash lookup
//! and a counter bump (no I/O, no await), so the lock is never the relay's bottleneck at the
//! rates two cores can push; a sharded table would only add code.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Where a connection's outgoing frames go (its writer task drains it).
pub(crate) type Outbox = mpsc::Sender<Message>;

/// The two sides of a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Customer,
    Attendant,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Attendant => "attendant",
        }
    }
}

/// One pair: the connection holding each side (by connection id) and the last seq given.
#[derive(Debug, Default)]
struct Pair {
    customer: Option<(u64, Outbox)>,
    attendant: Option<(u64, Outbox)>,
    /// Kept when both sides leave, so a reconnecting pair never reuses a seq (the load
    /// generator checks `(conversation, seq)` for duplicates across reconnects).
    seq: u64,
}

impl Pair {
    fn side(&mut self, role: Role) -> &mut Option<(u64, Outbox)> {
        match role {
            Role::Customer => &mut self.customer,
            Role::Attendant => &mut self.attendant,
        }
    }

    fn partner(&self, role: Role) -> Option<Outbox> {
        let other = match role {
            Role::Customer => &self.attendant,
            Role::Attendant => &self.customer,
        };
        other.as_ref().map(|(_, tx)| tx.clone())
    }
}

/// All pairs of the relay.
#[derive(Debug, Default)]
pub(crate) struct Pairs {
    table: Mutex<HashMap<u64, Pair>>,
    next_connection: AtomicU64,
}

impl Pairs {
    /// A fresh id for a connection, so `leave` never removes a newer holder of the side.
    pub(crate) fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    /// Makes `connection` the `role` side of `pair` (replacing any older holder).
    pub(crate) fn join(&self, role: Role, pair: u64, connection: u64, outbox: Outbox) {
        let mut table = self.lock();
        *table.entry(pair).or_default().side(role) = Some((connection, outbox));
    }

    /// Removes `connection` from the `role` side of `pair`, if it still holds it.
    pub(crate) fn leave(&self, role: Role, pair: u64, connection: u64) {
        let mut table = self.lock();
        if let Some(entry) = table.get_mut(&pair) {
            let side = entry.side(role);
            if side.as_ref().is_some_and(|(id, _)| *id == connection) {
                *side = None;
            }
        }
    }

    /// Gives the next seq of `pair` and returns it with the partner's outbox (if connected).
    pub(crate) fn next_seq(&self, role: Role, pair: u64) -> (u64, Option<Outbox>) {
        let mut table = self.lock();
        let entry = table.entry(pair).or_default();
        entry.seq += 1;
        (entry.seq, entry.partner(role))
    }

    /// The partner's outbox, for frames that are only forwarded (receipts, typing).
    pub(crate) fn partner(&self, role: Role, pair: u64) -> Option<Outbox> {
        self.lock().get(&pair).and_then(|p| p.partner(role))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Pair>> {
        // A panic while holding the lock cannot leave the table inconsistent (each critical
        // section is a single assignment), so a poisoned lock is still usable.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> (Outbox, mpsc::Receiver<Message>) {
        mpsc::channel(4)
    }

    #[test]
    fn partners_find_each_other_and_seqs_count_per_pair() {
        let pairs = Pairs::default();
        let (c, _c_rx) = outbox();
        let (a, mut a_rx) = outbox();
        pairs.join(Role::Customer, 7, 1, c);
        pairs.join(Role::Attendant, 7, 2, a);

        let (seq, partner) = pairs.next_seq(Role::Customer, 7);
        assert_eq!(seq, 1);
        let partner = partner.expect("attendant 7 is connected");
        partner
            .try_send(Message::text("hi"))
            .expect("room in the outbox");
        assert_eq!(a_rx.try_recv().expect("forwarded"), Message::text("hi"));

        assert_eq!(pairs.next_seq(Role::Attendant, 7).0, 2);
        assert_eq!(
            pairs.next_seq(Role::Customer, 8).0,
            1,
            "pair 8 counts alone"
        );
        assert!(pairs.partner(Role::Customer, 8).is_none());
    }

    #[test]
    fn leaving_only_removes_the_same_connection_and_keeps_the_seq() {
        let pairs = Pairs::default();
        let (old, _old_rx) = outbox();
        let (new, _new_rx) = outbox();
        pairs.join(Role::Attendant, 1, 10, old);
        pairs.join(Role::Attendant, 1, 11, new);
        pairs.leave(Role::Attendant, 1, 10);
        assert!(
            pairs.partner(Role::Customer, 1).is_some(),
            "the newer attendant connection still holds the pair"
        );
        assert_eq!(pairs.next_seq(Role::Customer, 1).0, 1);
        pairs.leave(Role::Attendant, 1, 11);
        assert!(pairs.partner(Role::Customer, 1).is_none());
        assert_eq!(
            pairs.next_seq(Role::Customer, 1).0,
            2,
            "seq survives leaving"
        );
    }
}
