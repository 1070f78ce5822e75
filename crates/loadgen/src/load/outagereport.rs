//! What `broker` and `mongo` add to a fault report: what the clients got while the engine
//! was down, how long the cluster took to be whole again after its restart, and what
//! `/readyz` said meanwhile. The figures are computed after the run from raw samples (send
//! instant, latency), so "the last message sent during the outage was delivered 1.2 s after
//! the restart" needs no clock in the clients; no I/O here.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cluster::{Leadership, Readiness};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct OutageReport {
    /// `SecantusDB` or `mosquitto`, and how it was stopped.
    pub(crate) engine: &'static str,
    pub(crate) signal: &'static str,
    /// Seconds into the window: stop sent, exited (port closed), started again (port open).
    pub(crate) stop_at_s: f64,
    pub(crate) exited_after_s: f64,
    pub(crate) down_s: f64,
    /// Acks and first deliveries between the stop and the restart.
    pub(crate) acked_during: u64,
    pub(crate) delivered_during: u64,
    /// Messages created but neither acked nor refused for good, at most at once, from the
    /// stop on.
    pub(crate) pending_peak: u64,
    /// `error unavailable` answers to a `send` (the client kept the message and retried).
    pub(crate) refused: u64,
    /// From the restart (port open): the first ack; the last ack of a message created
    /// before the restart; the last delivery of a message created during the outage; the
    /// last reconnect. `None` when there was none.
    pub(crate) first_ack_s: Option<f64>,
    pub(crate) all_pending_acked_s: Option<f64>,
    pub(crate) outage_delivered_s: Option<f64>,
    pub(crate) last_reconnect_s: Option<f64>,
    /// From the restart: both nodes ready and agreeing on a leader.
    pub(crate) agreed_s: Option<f64>,
    pub(crate) leader_before: Leadership,
    pub(crate) leader_after: Option<Leadership>,
    /// Every `/readyz` change of each node: (seconds into the window, node, status, leader).
    pub(crate) readiness: Vec<(f64, usize, u16, Option<String>)>,
    /// Pairs of one sender's messages stored out of send order because the earlier one was
    /// refused and retried (the protocol orders by seq; not counted as a failure).
    pub(crate) reordered_by_retry: u64,
}

/// `(send instant ns, latency µs)` samples → the instants they completed.
fn completed(samples: &[(u64, u32)]) -> impl Iterator<Item = (u64, u64)> + '_ {
    samples
        .iter()
        .map(|&(sent, micros)| (sent, sent + u64::from(micros) * 1_000))
}

/// Seconds from `from_ns` to the first completion at or after it.
pub(crate) fn first_after(samples: &[(u64, u32)], from_ns: u64) -> Option<f64> {
    completed(samples)
        .map(|(_, done)| done)
        .filter(|&done| done >= from_ns)
        .min()
        .map(|done| secs(done - from_ns))
}

/// Seconds from `from_ns` to the last completion of a sample sent in `sent_in`
/// (0 when they all completed before `from_ns`).
pub(crate) fn last_of(
    samples: &[(u64, u32)],
    sent_in: std::ops::Range<u64>,
    from_ns: u64,
) -> Option<f64> {
    completed(samples)
        .filter(|(sent, _)| sent_in.contains(sent))
        .map(|(_, done)| done)
        .max()
        .map(|done| secs(done.saturating_sub(from_ns)))
}

/// The highest value of `series` (instant ns, value) at or after `from_ns`.
pub(crate) fn peak_after(series: &[(u64, u64)], from_ns: u64) -> u64 {
    series
        .iter()
        .filter(|&&(at, _)| at >= from_ns)
        .map(|&(_, v)| v)
        .max()
        .unwrap_or(0)
}

/// The `/readyz` changes, as seconds since `t0_ns`.
pub(crate) fn readiness_changes(
    entries: &[(u64, usize, Readiness)],
    t0_ns: u64,
) -> Vec<(f64, usize, u16, Option<String>)> {
    entries
        .iter()
        .map(|(at, node, r)| {
            let at = at.saturating_sub(t0_ns) as f64 / 1e9;
            (at, *node, r.status, r.leader.clone())
        })
        .collect()
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

impl OutageReport {
    pub(crate) fn render(&self, out: &mut String) {
        let s = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2} s"));
        let _ = writeln!(
            out,
            "outage      {} stopped (SIG{}) at {:.1} s, exited {:.2} s later, down {:.1} s, \
             started again at {:.1} s",
            self.engine,
            self.signal,
            self.stop_at_s,
            self.exited_after_s,
            self.down_s,
            self.stop_at_s + self.exited_after_s + self.down_s
        );
        let _ = writeln!(
            out,
            "during      acked {}, delivered {}; pending at most {} at once; {} sends refused \
             `unavailable` (kept and retried)",
            self.acked_during, self.delivered_during, self.pending_peak, self.refused
        );
        let _ = writeln!(
            out,
            "restart →   first ack {}, every message created before it acked {}, everything \
             sent during the outage delivered {}, last reconnect {}, nodes ready and agreeing \
             {}",
            s(self.first_ack_s),
            s(self.all_pending_acked_s),
            s(self.outage_delivered_s),
            s(self.last_reconnect_s),
            s(self.agreed_s)
        );
        let after = self
            .leader_after
            .as_ref()
            .map_or_else(|| "no agreement".into(), ToString::to_string);
        let _ = writeln!(
            out,
            "leader      before {}, after {after}",
            self.leader_before
        );
        let changes: Vec<String> = self
            .readiness
            .iter()
            .map(|(at, node, status, leader)| {
                let leader = leader
                    .as_deref()
                    .map_or_else(String::new, |l| format!(" leader {}", short_id(l)));
                format!("{at:.1} s node {node} {status}{leader}")
            })
            .collect();
        let _ = writeln!(out, "/readyz     {}", changes.join("; "));
        if self.reordered_by_retry > 0 {
            let _ = writeln!(
                out,
                "order       {} pairs stored out of send order after a refused send was \
                 retried (ordered by seq on delivery; not a loss)",
                self.reordered_by_retry
            );
        }
    }
}

/// The first 8 characters of a node id (they are UUIDs).
fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn completions_are_measured_from_the_restart() {
        // (sent, µs): acked at 2 s; created at 3 s, acked at 12 s; created at 11 s, 1 ms.
        let acks = [(S, 1_000_000), (3 * S, 9_000_000), (11 * S, 1_000)];
        let restart = 10 * S;
        assert_eq!(first_after(&acks, restart), Some(1.001));
        assert_eq!(last_of(&acks, 0..restart, restart), Some(2.0));
        assert_eq!(
            last_of(&acks, 0..2 * S, restart),
            Some(0.0),
            "done before it"
        );
        assert_eq!(last_of(&acks, 20 * S..30 * S, restart), None);
        assert_eq!(first_after(&acks, 20 * S), None);
    }

    #[test]
    fn the_pending_peak_counts_from_the_fault_on() {
        let series = [(S, 50), (2 * S, 3), (3 * S, 40), (4 * S, 7)];
        assert_eq!(peak_after(&series, 2 * S), 40);
        assert_eq!(peak_after(&series, 5 * S), 0);
    }

    #[test]
    fn readiness_changes_are_relative_to_the_window() {
        let down = Readiness {
            status: 503,
            ..Readiness::default()
        };
        let changes = readiness_changes(&[(12 * S, 2, down)], 10 * S);
        assert_eq!(changes, [(2.0, 2, 503, None)]);
        assert_eq!(short_id("0123456789ab"), "01234567");
        assert_eq!(short_id("abc"), "abc");
    }
}
