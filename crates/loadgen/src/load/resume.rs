//! The pure bookkeeping of a client that survives a dropped connection, kept apart from the
//! socket code so it can be tested without a server or a clock:
//!
//! - [`Held`]: which seqs of a conversation the client holds, and the highest one without a
//!   gap below it (what `hello.resume[].last_seq` must carry);
//! - [`Outbox`]: messages not acked yet, in send order, so a reconnect resends exactly
//!   those, in the order they were first written, with their original client ids;
//! - [`backoff`]: the delay before each reconnect attempt;
//! - [`inversions`]: whether a sender's messages got seqs in the order it sent them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// Seqs a client holds in one conversation: its own acked messages and everything it
/// received. Seqs arrive out of order (two senders, or a replay after a reconnect), so the
/// gap-free prefix and the seqs above it are kept apart.
#[derive(Debug, Default, Clone)]
pub(crate) struct Held {
    /// Every seq in `1..=contiguous` is held.
    contiguous: u64,
    /// Held seqs above `contiguous + 1` (there is a gap below each).
    above: BTreeSet<u64>,
}

impl Held {
    /// Records `seq`; false if it was already held.
    pub(crate) fn insert(&mut self, seq: u64) -> bool {
        if seq == 0 || self.contains(seq) {
            return false;
        }
        if seq == self.contiguous + 1 {
            self.contiguous = seq;
            while self.above.remove(&(self.contiguous + 1)) {
                self.contiguous += 1;
            }
        } else {
            self.above.insert(seq);
        }
        true
    }

    pub(crate) fn contains(&self, seq: u64) -> bool {
        seq <= self.contiguous || self.above.contains(&seq)
    }

    /// The highest seq held with no gap below it: the resume point.
    pub(crate) fn contiguous(&self) -> u64 {
        self.contiguous
    }

    /// Held seqs above the resume point: a resume replays them again, legitimately.
    pub(crate) fn above(&self) -> &BTreeSet<u64> {
        &self.above
    }
}

/// A message the client created and has not seen acked.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    /// Index of the conversation in the client's own list.
    pub(crate) conv: usize,
    pub(crate) client_id: String,
    pub(crate) text: String,
    /// When the person "pressed send" (latency counts from here, resends included).
    pub(crate) created_ns: u64,
    /// Times written to a socket.
    pub(crate) writes: u32,
    /// Written on the current connection.
    pub(crate) on_wire: bool,
    /// It was on the wire when a connection dropped: its fate was unknown.
    pub(crate) in_flight_at_drop: bool,
    /// Times the server answered `unavailable` (nothing stored; written again later).
    pub(crate) refusals: u32,
}

/// Unacked messages by send index (their creation order).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    next: u64,
    queue: BTreeMap<u64, Outgoing>,
    by_id: HashMap<String, u64>,
}

impl Outbox {
    /// Queues a new message; returns its send index.
    pub(crate) fn push(&mut self, conv: usize, client_id: String, text: String, now: u64) -> u64 {
        let index = self.next;
        self.next += 1;
        self.by_id.insert(client_id.clone(), index);
        self.queue.insert(
            index,
            Outgoing {
                conv,
                client_id,
                text,
                created_ns: now,
                writes: 0,
                on_wire: false,
                in_flight_at_drop: false,
                refusals: 0,
            },
        );
        index
    }

    /// Removes the message `client_id` names (acked or refused), with its send index.
    pub(crate) fn take(&mut self, client_id: &str) -> Option<(u64, Outgoing)> {
        let index = self.by_id.remove(client_id)?;
        self.queue.remove(&index).map(|m| (index, m))
    }

    /// Marks `index` as written on the current connection; the message to write, and
    /// whether this is a resend (it was written before, on an earlier connection).
    pub(crate) fn write(&mut self, index: u64) -> Option<(&Outgoing, bool)> {
        let m = self.queue.get_mut(&index)?;
        let resend = m.writes > 0;
        m.writes += 1;
        m.on_wire = true;
        Some((m, resend))
    }

    /// The server refused `client_id` for now (`unavailable`: nothing was stored): it is
    /// off the wire again, to be written later. False if it is not pending.
    pub(crate) fn refused(&mut self, client_id: &str) -> bool {
        let Some(m) = self
            .by_id
            .get(client_id)
            .and_then(|i| self.queue.get_mut(i))
        else {
            return false;
        };
        m.on_wire = false;
        m.refusals += 1;
        true
    }

    /// Send indexes not on the current connection, oldest first: what a reconnect writes.
    pub(crate) fn unsent(&self) -> Vec<u64> {
        self.queue
            .iter()
            .filter(|(_, m)| !m.on_wire)
            .map(|(&i, _)| i)
            .collect()
    }

    /// The connection dropped: whatever was on the wire is in flight (stored or not, the
    /// client cannot know). Returns how many.
    pub(crate) fn dropped(&mut self) -> u64 {
        let mut in_flight = 0;
        for m in self.queue.values_mut().filter(|m| m.on_wire) {
            m.on_wire = false;
            m.in_flight_at_drop = true;
            in_flight += 1;
        }
        in_flight
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

/// First reconnect delay, before jitter.
const BACKOFF_BASE: Duration = Duration::from_millis(100);
/// Longest reconnect delay, before jitter.
const BACKOFF_CAP: Duration = Duration::from_secs(2);

/// Delay before reconnect attempt `attempt` (1 = the first after a drop): exponential from
/// 100 ms, capped at 2 s, scaled by `0.5 + jitter / 2` so hundreds of clients dropped at
/// the same instant do not come back at the same instant. `jitter` is in `0..1`.
pub(crate) fn backoff(attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let delay = BACKOFF_BASE.saturating_mul(1 << exponent).min(BACKOFF_CAP);
    delay.mul_f64(0.5 + jitter.clamp(0.0, 1.0) / 2.0)
}

/// `(send index, seq)` pairs of one sender in one conversation: how many neighbours, in send
/// order, got a lower seq than the message sent before them (0 = delivered in send order).
pub(crate) fn inversions(acks: &mut [(u64, u64)]) -> u64 {
    acks.sort_unstable_by_key(|&(index, _)| index);
    acks.windows(2).filter(|w| w[1].1 <= w[0].1).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_point_stops_at_the_first_gap() {
        let mut held = Held::default();
        assert_eq!(held.contiguous(), 0);
        assert!(held.insert(1));
        assert!(held.insert(2));
        // 3 is the partner's message still in flight; 4 and 6 are ours, acked.
        assert!(held.insert(4));
        assert!(held.insert(6));
        assert_eq!(held.contiguous(), 2);
        assert_eq!(held.above().iter().copied().collect::<Vec<_>>(), [4, 6]);
        assert!(held.contains(4) && !held.contains(3) && !held.contains(5));
        // 3 arrives (a replay): the prefix runs up to the next gap.
        assert!(held.insert(3));
        assert_eq!(held.contiguous(), 4);
        assert_eq!(held.above().iter().copied().collect::<Vec<_>>(), [6]);
        assert!(held.insert(5));
        assert_eq!(held.contiguous(), 6);
        assert!(held.above().is_empty());
    }

    #[test]
    fn held_seqs_are_reported_once_and_zero_is_never_held() {
        let mut held = Held::default();
        assert!(!held.insert(0));
        assert!(held.insert(2));
        assert!(!held.insert(2));
        assert!(held.insert(1));
        assert!(!held.insert(1) && !held.insert(2));
        assert_eq!(held.contiguous(), 2);
    }

    #[test]
    fn a_drop_resends_exactly_the_unacked_in_send_order() {
        let mut outbox = Outbox::default();
        let ids: Vec<u64> = (0..4)
            .map(|i| outbox.push(0, format!("id{i}"), format!("text{i}"), i))
            .collect();
        for &i in &ids[..3] {
            assert_eq!(outbox.write(i).map(|(_, resend)| resend), Some(false));
        }
        // id0 is acked; id1, id2 are on the wire; id3 was created while offline.
        assert_eq!(outbox.take("id0").map(|(i, _)| i), Some(ids[0]));
        assert!(outbox.take("id0").is_none());
        assert_eq!(outbox.unsent(), [ids[3]]);
        assert_eq!(outbox.dropped(), 2);
        assert_eq!(outbox.unsent(), [ids[1], ids[2], ids[3]]);
        let resends: Vec<bool> = outbox
            .unsent()
            .into_iter()
            .filter_map(|i| outbox.write(i).map(|(_, resend)| resend))
            .collect();
        assert_eq!(resends, [true, true, false]);
        let (_, second) = outbox.take("id2").expect("still pending");
        assert!(second.in_flight_at_drop && second.writes == 2 && second.text == "text2");
        let (_, fourth) = outbox.take("id3").expect("still pending");
        assert!(!fourth.in_flight_at_drop && fourth.writes == 1);
        assert_eq!(outbox.len(), 1);
    }

    #[test]
    fn a_refused_message_stays_pending_and_is_written_again() {
        let mut outbox = Outbox::default();
        let first = outbox.push(0, "a".into(), "t".into(), 0);
        let second = outbox.push(0, "b".into(), "t".into(), 1);
        outbox.write(first);
        outbox.write(second);
        assert!(outbox.unsent().is_empty());
        assert!(outbox.refused("a"));
        assert!(!outbox.refused("nobody"));
        assert_eq!(outbox.unsent(), [first]);
        assert_eq!(
            outbox.write(first).map(|(m, resend)| (m.refusals, resend)),
            Some((1, true))
        );
        assert_eq!(outbox.dropped(), 2, "both on the wire");
        assert_eq!(outbox.len(), 2);
    }

    #[test]
    fn backoff_grows_to_its_cap_and_jitter_only_shrinks_it() {
        assert_eq!(backoff(1, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(2, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(3, 0.0), Duration::from_millis(200));
        assert_eq!(backoff(10, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(u32::MAX, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(0, 1.0), Duration::from_millis(100));
    }

    #[test]
    fn seqs_out_of_send_order_are_counted() {
        assert_eq!(inversions(&mut [(2, 7), (0, 3), (1, 5)]), 0);
        assert_eq!(inversions(&mut [(0, 3), (1, 9), (2, 5), (3, 6)]), 1);
        assert_eq!(
            inversions(&mut [(0, 4), (1, 4)]),
            1,
            "two messages, one seq"
        );
        assert_eq!(inversions(&mut []), 0);
    }
}
