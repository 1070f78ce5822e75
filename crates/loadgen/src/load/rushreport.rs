//! What `rush` reports beyond the common result: the desks' frame rates, the sockets the
//! server cut, the assignments delivered and how long the requests waited for an answer,
//! checked against the target (0 cut, every assignment delivered, at most 50 state
//! frames per attendant per second at the peak).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::rushcount::{FrameRates, Waits};

/// The peak state frames per attendant per second a desk is expected to take.
pub(crate) const PEAK_TARGET: f64 = 50.0;

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RushReport {
    pub(crate) capacity: usize,
    pub(crate) ramp_s: f64,
    /// Customers who sent `start_chat`.
    pub(crate) requests: u64,
    pub(crate) frames: FrameRates,
    /// Sockets the server closed or that failed before the end, by `side: how`.
    pub(crate) cut: BTreeMap<String, u64>,
    /// Conversations some attendant got an `assigned` frame for.
    pub(crate) assignments_delivered: usize,
    /// … of which a customer of the run asked for (all of them, on a fresh server).
    pub(crate) assignments_matched: usize,
    pub(crate) customers_told_assigned: usize,
    /// `start_chat` → first `queue_status` or assignment.
    pub(crate) waits: Option<Waits>,
    pub(crate) never_answered: u64,
    /// Since the rush began: when the wait for answers and assignments ended.
    pub(crate) settled_s: f64,
    /// Cores the server and the load generator used from the rush to `settled_s`.
    pub(crate) rush_server_cores: f64,
    pub(crate) rush_loadgen_cores: f64,
    /// Acked messages of conversations with a cut side (left out of LOST: nothing could
    /// reach them), and how many such conversations there were.
    pub(crate) undeliverable_acked: u64,
    pub(crate) conversations_left_out: u64,
    /// The server's own counters at the end, when it has them.
    pub(crate) server_cut_slow: Option<u64>,
    pub(crate) server_coalesced: Option<u64>,
}

impl RushReport {
    fn cut_by_side(&self, side: &str) -> u64 {
        self.cut
            .iter()
            .filter(|(k, _)| k.starts_with(side))
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether the run met the target.
    pub(crate) fn on_target(&self) -> bool {
        self.cut.is_empty()
            && self.assignments_delivered as u64 == self.requests
            && self.frames.peak_state <= PEAK_TARGET
    }

    pub(crate) fn render(&self, out: &mut String) {
        let f = &self.frames;
        let _ = writeln!(
            out,
            "rush        {} requests over {:.1} s to {} attendants × capacity {}; settled {:.2} \
             s after the rush began (server {:.2} cores, load generator {:.2} meanwhile)",
            self.requests,
            self.ramp_s,
            f.attendants,
            self.capacity,
            self.settled_s,
            self.rush_server_cores,
            self.rush_loadgen_cores
        );
        let _ = writeln!(
            out,
            "desk rate   state frames per attendant per second: peak {:.1} (second {}), mean \
             {:.1}; busiest single attendant {} in one second",
            f.peak_state, f.peak_second, f.mean_state, f.max_single_state
        );
        let _ = writeln!(
            out,
            "            per attendant since the rush: {:.0} frames, {:.0} state frames, {:.0} \
             state items",
            f.frames_per_attendant, f.state_per_attendant, f.items_per_attendant
        );
        let kinds = |m: &BTreeMap<String, u64>| {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        };
        let _ = writeln!(out, "            frames by type: {}", kinds(&f.by_kind));
        if !f.batched.is_empty() {
            let _ = writeln!(out, "            inside batches: {}", kinds(&f.batched));
        }
        let _ = writeln!(
            out,
            "  second   open  frames/att  state/att  items/att  max state"
        );
        for row in &f.timeline {
            let _ = writeln!(
                out,
                "  {:>6} {:>6} {:>11.1} {:>10.1} {:>10.1} {:>10}",
                row.second, row.open, row.frames, row.state, row.items, row.max_state
            );
        }
        let cut = if self.cut.is_empty() {
            "none".to_owned()
        } else {
            let parts: Vec<String> = self.cut.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            parts.join(", ")
        };
        let _ = writeln!(
            out,
            "cut         {} attendant, {} customer sockets ({cut})",
            self.cut_by_side("attendant"),
            self.cut_by_side("customer")
        );
        let _ = writeln!(
            out,
            "assigned    {} of {} delivered to an attendant ({} matched to a request); {} \
             customers told they were assigned",
            self.assignments_delivered,
            self.requests,
            self.assignments_matched,
            self.customers_told_assigned
        );
        let waits = self.waits.map_or_else(
            || "none answered".to_owned(),
            |w| {
                format!(
                    "p50 {:.1} ms, p99 {:.1}, max {:.1} (n={}); the last at {:.2} s after the \
                     rush began",
                    w.p50_ms,
                    w.p99_ms,
                    w.max_ms,
                    w.count,
                    w.last_at_ms / 1000.0
                )
            },
        );
        let _ = writeln!(
            out,
            "answered    start_chat → queue position or assignment: {waits}; never answered {}",
            self.never_answered
        );
        if self.conversations_left_out > 0 {
            let _ = writeln!(
                out,
                "left out   {} conversations with a cut side (or never delivered to an \
                 attendant): {} of their acked messages could not arrive, not counted as LOST",
                self.conversations_left_out, self.undeliverable_acked
            );
        }
        let counter = |v: Option<u64>| v.map_or_else(|| "n/a".to_owned(), |v| v.to_string());
        let _ = writeln!(
            out,
            "server      chimpassist_connections_cut_slow_total {}, \
             chimpassist_outbound_coalesced_total {}",
            counter(self.server_cut_slow),
            counter(self.server_coalesced)
        );
        let _ = writeln!(
            out,
            "target      0 sockets cut, {} of {} assignments delivered, ≤ {PEAK_TARGET:.0} state \
             frames per attendant per second at the peak: {}",
            self.requests,
            self.requests,
            if self.on_target() { "MET" } else { "MISSED" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_needs_no_cut_every_assignment_and_a_low_peak() {
        let mut r = RushReport {
            requests: 2000,
            assignments_delivered: 2000,
            ..RushReport::default()
        };
        r.frames.peak_state = 50.0;
        assert!(r.on_target());
        r.frames.peak_state = 50.5;
        assert!(!r.on_target());
        r.frames.peak_state = 4.0;
        r.cut.insert("attendant: close 1013".into(), 3);
        r.cut.insert("customer: eof".into(), 1);
        assert!(!r.on_target());
        assert_eq!(
            (r.cut_by_side("attendant"), r.cut_by_side("customer")),
            (3, 1)
        );
        let mut out = String::new();
        r.render(&mut out);
        assert!(out.contains("3 attendant, 1 customer sockets"), "{out}");
        assert!(out.contains("MISSED") && out.contains("n/a"), "{out}");
    }
}
