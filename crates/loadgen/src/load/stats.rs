//! What the client tasks measure: live counters (atomics, read while the run goes on to
//! know when in-flight messages have drained), latency histograms, and errors by code.
//!
//! Each task keeps its latency samples in a small local buffer and merges them into the
//! shared `hdrhistogram`s in batches, so thousands of tasks neither contend on one lock per
//! message nor each own a 100 KiB histogram.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::ledger::Registry;

/// Samples a task buffers before merging them.
const BATCH: usize = 512;
/// Highest latency recorded exactly, µs (larger ones saturate): two minutes.
const MAX_MICROS: u64 = 120_000_000;

/// Counters and histograms of one run, shared by every task.
#[derive(Debug)]
pub(crate) struct Shared {
    /// `send` frames written.
    pub(crate) sent: AtomicU64,
    /// Acks received.
    pub(crate) acked: AtomicU64,
    /// First deliveries to the partner (duplicates are counted by the ledgers).
    pub(crate) delivered: AtomicU64,
    /// Sends answered with an `error` instead of an ack.
    pub(crate) send_failed: AtomicU64,
    /// Endpoints still in `Run` (may still send): the drain waits until none is.
    pub(crate) sending: AtomicU64,
    latency: Mutex<Histograms>,
    errors: Mutex<BTreeMap<String, u64>>,
    pub(crate) ledgers: Registry,
}

#[derive(Debug)]
struct Histograms {
    delivery: Histogram<u64>,
    ack: Histogram<u64>,
    cycle: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid static histogram bounds")
}

impl Shared {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            send_failed: AtomicU64::new(0),
            sending: AtomicU64::new(0),
            latency: Mutex::new(Histograms {
                delivery: histogram(),
                ack: histogram(),
                cycle: histogram(),
            }),
            errors: Mutex::new(BTreeMap::new()),
            ledgers: Registry::default(),
        })
    }

    /// Counts one error by its label (a protocol error code or a transport failure).
    pub(crate) fn error(&self, label: &str) {
        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        *errors.entry(label.to_owned()).or_default() += 1;
    }

    pub(crate) fn errors(&self) -> BTreeMap<String, u64> {
        self.errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn load(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// (send → partner receive, send → ack, churn cycle) summaries.
    pub(crate) fn summaries(&self) -> (Option<Summary>, Option<Summary>, Option<Summary>) {
        let h = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        (
            Summary::of(&h.delivery),
            Summary::of(&h.ack),
            Summary::of(&h.cycle),
        )
    }
}

/// A task's handle on [`Shared`], buffering latency samples.
#[derive(Debug)]
pub(crate) struct Recorder {
    shared: Arc<Shared>,
    delivery: Vec<u64>,
    ack: Vec<u64>,
    cycle: Vec<u64>,
}

impl Recorder {
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        Self {
            shared: Arc::clone(shared),
            delivery: Vec::new(),
            ack: Vec::new(),
            cycle: Vec::new(),
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn sent(&self) {
        self.shared.sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn acked(&mut self, micros: u64) {
        self.shared.acked.fetch_add(1, Ordering::Relaxed);
        self.ack.push(micros);
        self.maybe_flush();
    }

    pub(crate) fn send_failed(&self, code: &str) {
        self.shared.send_failed.fetch_add(1, Ordering::Relaxed);
        self.shared.error(code);
    }

    /// A first delivery to the partner, `micros` after it was sent.
    pub(crate) fn delivered(&mut self, micros: u64) {
        self.shared.delivered.fetch_add(1, Ordering::Relaxed);
        self.delivery.push(micros);
        self.maybe_flush();
    }

    /// A completed churn cycle (connect → … → closed).
    pub(crate) fn cycle(&mut self, micros: u64) {
        self.cycle.push(micros);
        self.maybe_flush();
    }

    pub(crate) fn error(&self, label: &str) {
        self.shared.error(label);
    }

    fn maybe_flush(&mut self) {
        if self.delivery.len() + self.ack.len() + self.cycle.len() >= BATCH {
            self.flush();
        }
    }

    pub(crate) fn flush(&mut self) {
        if self.delivery.is_empty() && self.ack.is_empty() && self.cycle.is_empty() {
            return;
        }
        let mut h = self
            .shared
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let h = &mut *h;
        for (samples, histogram) in [
            (&mut self.delivery, &mut h.delivery),
            (&mut self.ack, &mut h.ack),
            (&mut self.cycle, &mut h.cycle),
        ] {
            for micros in samples.drain(..) {
                histogram.saturating_record(micros.clamp(1, MAX_MICROS));
            }
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Latency percentiles, milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub(crate) count: u64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) p999: f64,
    pub(crate) max: f64,
    pub(crate) mean: f64,
}

impl Summary {
    /// Percentiles of a histogram of microseconds; `None` when it is empty.
    pub(crate) fn of(h: &Histogram<u64>) -> Option<Self> {
        let ms = |micros: u64| micros as f64 / 1000.0;
        (!h.is_empty()).then(|| Self {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        })
    }
}

/// Micros between two [`crate::wire::now_ns`] instants (0 if the clock went backwards).
pub(crate) fn micros_between(earlier_ns: u64, later_ns: u64) -> u64 {
    later_ns.saturating_sub(earlier_ns) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        // hdrhistogram keeps 3 significant digits: within 0.2 % (plus rounding to 1 µs).
        (actual - expected).abs() <= expected * 0.002 + 0.001
    }

    #[test]
    fn percentiles_of_a_uniform_spread() {
        let shared = Shared::new();
        let mut recorder = Recorder::new(&shared);
        for micros in 1..=10_000 {
            recorder.delivered(micros);
        }
        recorder.flush();
        let (delivery, ack, cycle) = shared.summaries();
        let s = delivery.expect("samples were recorded");
        assert_eq!(s.count, 10_000);
        assert!(close(s.p50, 5.0), "p50 {}", s.p50);
        assert!(close(s.p99, 9.9), "p99 {}", s.p99);
        assert!(close(s.p999, 9.99), "p99.9 {}", s.p999);
        assert!(close(s.max, 10.0), "max {}", s.max);
        assert!(close(s.mean, 5.0005), "mean {}", s.mean);
        assert!(ack.is_none() && cycle.is_none());
        assert_eq!(Shared::load(&shared.delivered), 10_000);
    }

    #[test]
    fn a_single_slow_outlier_shows_in_the_tail_only() {
        let shared = Shared::new();
        {
            let mut recorder = Recorder::new(&shared);
            for _ in 0..999 {
                recorder.acked(1_000);
            }
            recorder.acked(500_000);
        } // dropping the recorder flushes it
        let s = shared.summaries().1.expect("acks were recorded");
        assert!(close(s.p50, 1.0) && close(s.p99, 1.0), "{s:?}");
        assert!(close(s.max, 500.0), "{s:?}");
    }

    #[test]
    fn latency_never_goes_negative() {
        assert_eq!(micros_between(5_000, 2_000), 0);
        assert_eq!(micros_between(2_000, 7_000), 5);
    }
}
