//! What the reconnecting clients of the fault scenarios count, shared by all of them:
//! drops, messages in flight, resends, reconnect instants, resyncs, and raw latency samples
//! (kept raw, a few bytes each, so the report can cut them at instants only known later:
//! the kill, the moment the last client is back).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use hdrhistogram::Histogram;

use crate::stats::Summary;

/// Counters of every reconnecting client of one run.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    /// Connections lost under a client.
    pub(crate) drops: AtomicU64,
    /// Messages written but unacked when their connection dropped.
    pub(crate) in_flight: AtomicU64,
    /// Of those, acked after the resend.
    pub(crate) recovered: AtomicU64,
    /// Messages written again, with the same client id, on a new connection.
    pub(crate) resent: AtomicU64,
    /// Messages created while disconnected, first written after the reconnect.
    pub(crate) queued_offline: AtomicU64,
    /// Successful reconnects, and failed attempts before them.
    pub(crate) reconnects: AtomicU64,
    pub(crate) failed_attempts: AtomicU64,
    /// Clients that ran out of attempts.
    pub(crate) gave_up: AtomicU64,
    /// `resync` answers (more than 500 messages missed; this client does not page history).
    pub(crate) resyncs: AtomicU64,
    /// Seqs held above the resume point and replayed again, as the protocol says they are.
    pub(crate) replayed_again: AtomicU64,
    /// Neighbouring messages of one sender whose seqs are not in send order.
    pub(crate) out_of_order: AtomicU64,
    /// Messages never acked nor refused by the end.
    pub(crate) unanswered: AtomicU64,
    /// `send`s answered `unavailable` (kept pending and written again).
    pub(crate) refused: AtomicU64,
    /// Neighbouring messages of one sender out of send order because the earlier one was
    /// refused and written again later (not counted in `out_of_order`).
    pub(crate) reordered_by_retry: AtomicU64,
    reconnected_at: Mutex<Vec<u64>>,
    samples: Mutex<Samples>,
}

/// `(send instant ns, latency µs)` pairs.
pub(crate) type Pairs = Vec<(u64, u32)>;

/// Delivery and ack latencies by send instant.
#[derive(Debug, Default, Clone)]
pub(crate) struct Samples {
    pub(crate) delivery: Pairs,
    pub(crate) ack: Pairs,
}

impl Samples {
    pub(crate) fn delivery(&mut self, sent_ns: u64, micros: u64) {
        self.delivery
            .push((sent_ns, u32::try_from(micros).unwrap_or(u32::MAX)));
    }

    pub(crate) fn ack(&mut self, sent_ns: u64, micros: u64) {
        self.ack
            .push((sent_ns, u32::try_from(micros).unwrap_or(u32::MAX)));
    }
}

impl Recovery {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// A client is connected again at `now_ns`.
    pub(crate) fn reconnected(&self, now_ns: u64) {
        Self::add(&self.reconnects, 1);
        self.reconnected_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(now_ns);
    }

    /// Reconnect instants, sorted.
    pub(crate) fn reconnect_instants(&self) -> Vec<u64> {
        let mut all = self
            .reconnected_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        all.sort_unstable();
        all
    }

    /// A client's samples, merged when it ends.
    pub(crate) fn merge(&self, mut samples: Samples) {
        let mut all = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        all.delivery.append(&mut samples.delivery);
        all.ack.append(&mut samples.ack);
    }

    /// A copy of every sample so far.
    pub(crate) fn raw(&self) -> Samples {
        self.samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// (delivery, ack) latency of the messages sent in `from_ns..to_ns`.
    pub(crate) fn between(&self, from_ns: u64, to_ns: u64) -> (Option<Summary>, Option<Summary>) {
        let all = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        (
            summary(&all.delivery, from_ns, to_ns),
            summary(&all.ack, from_ns, to_ns),
        )
    }
}

fn summary(samples: &[(u64, u32)], from_ns: u64, to_ns: u64) -> Option<Summary> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).ok()?;
    for &(sent, micros) in samples {
        if (from_ns..to_ns).contains(&sent) {
            h.saturating_record(u64::from(micros).max(1));
        }
    }
    Summary::of(&h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_cut_by_send_instant() {
        let recovery = Recovery::default();
        let mut samples = Samples::default();
        for i in 0..100 {
            samples.delivery(i, 1_000); // sent before the fault: 1 ms
            samples.delivery(1_000 + i, 5_000_000); // sent during the outage: 5 s
        }
        samples.ack(5, 2_000);
        recovery.merge(samples);
        let (before, ack) = recovery.between(0, 1_000);
        let before = before.expect("samples before");
        assert_eq!(before.count, 100);
        assert!((before.p99 - 1.0).abs() < 0.01, "{before:?}");
        assert_eq!(ack.map(|a| a.count), Some(1));
        let (during, ack) = recovery.between(1_000, u64::MAX);
        assert!(during.is_some_and(|d| (d.p50 - 5_000.0).abs() < 5.0));
        assert!(ack.is_none());
    }

    #[test]
    fn reconnects_are_listed_in_order() {
        let recovery = Recovery::default();
        recovery.reconnected(30);
        recovery.reconnected(10);
        assert_eq!(recovery.reconnect_instants(), [10, 30]);
        assert_eq!(Recovery::get(&recovery.reconnects), 2);
    }
}
