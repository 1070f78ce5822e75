//! The part of a result only the fault scenarios have: how the clients came back (`kill`,
//! `cut`), what the flooder got (`flood`), latency cut into spans around the fault, and the
//! proof checks beyond lost/duplicated (send order, one seq per client id).

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::flood::FloodReport;
use crate::outagereport::OutageReport;
use crate::proxy::ProxyStats;
use crate::recovery::Recovery;
use crate::stats::Summary;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct FaultReport {
    /// Seconds into the measured window when the fault began.
    pub(crate) fault_at_s: f64,
    pub(crate) recovery: Option<RecoveryReport>,
    pub(crate) flood: Option<FloodReport>,
    /// `broker`, `mongo`: the engine's outage and the cluster's recovery.
    pub(crate) outage: Option<OutageReport>,
    /// Latency of the other clients' messages by when they were sent.
    pub(crate) spans: Vec<Span>,
    /// `kill`, `cut`: delivery p99 (ms) of the messages sent in each second from the fault
    /// (`broker`, `mongo`: from the engine's restart).
    pub(crate) timeline: Vec<Option<f64>>,
    /// Sent but neither acked nor refused by the end (counted as lost).
    pub(crate) unanswered: u64,
    /// Client ids seen under two seqs: a message stored twice (counted as duplicated).
    pub(crate) stored_twice: u64,
    /// A sender's messages whose seqs are not in its send order. Must be 0.
    pub(crate) out_of_order: u64,
    /// Held seqs above a resume point replayed once more (the protocol does; not counted).
    pub(crate) replayed_again: u64,
}

/// How the clients came back after a kill or a cut.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RecoveryReport {
    /// Acks received before the fault.
    pub(crate) acked_before: u64,
    /// Messages written but unacked when the connections dropped, and how many of those
    /// were acked after the resend (must be all).
    pub(crate) in_flight: u64,
    pub(crate) in_flight_acked_after: u64,
    /// Messages written again with the same client id.
    pub(crate) resent: u64,
    /// Messages created while offline, written after the reconnect.
    pub(crate) queued_offline: u64,
    /// Resends the server answered with the original ack (stored before the fault, ack
    /// lost), from its `messages_duplicate` counter.
    pub(crate) server_duplicate_acks: Option<u64>,
    /// `kill`: seconds from SIGKILL until the restarted server answered `/readyz`.
    pub(crate) serving_again_s: Option<f64>,
    /// `cut`: seconds the proxy refused connections.
    pub(crate) outage_s: Option<f64>,
    pub(crate) sockets: u64,
    pub(crate) drops: u64,
    pub(crate) reconnects: u64,
    pub(crate) failed_attempts: u64,
    pub(crate) gave_up: u64,
    /// Seconds from the fault until half / all of the reconnects were done.
    pub(crate) reconnect_p50_s: Option<f64>,
    pub(crate) all_reconnected_s: Option<f64>,
    /// `resync` answers (none expected: that takes over 500 missed messages).
    pub(crate) resyncs: u64,
    pub(crate) proxy: Option<ProxyStats>,
}

/// Latency of messages sent in one span of the window.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Span {
    pub(crate) name: &'static str,
    pub(crate) from_s: f64,
    pub(crate) to_s: f64,
    pub(crate) latency_ms: Option<Summary>,
    pub(crate) ack_ms: Option<Summary>,
    /// (target, load generator) cores in the span; `flood` only (a killed server's CPU
    /// ends with it, and the other spans' ends are only known afterwards).
    pub(crate) cores: Option<(f64, f64)>,
}

impl FaultReport {
    /// p99 delivery latency of span `b` over span `a` (e.g. during / before the flood).
    pub(crate) fn p99_ratio(&self, a: usize, b: usize) -> Option<f64> {
        let p99 = |i: usize| self.spans.get(i)?.latency_ms.map(|s| s.p99);
        Some(p99(b)? / p99(a)?)
    }

    pub(crate) fn render(&self, out: &mut String) {
        if let Some(r) = &self.recovery {
            render_recovery(r, self.fault_at_s, out);
        }
        if let Some(f) = &self.flood {
            render_flood(f, out);
        }
        if let Some(o) = &self.outage {
            o.render(out);
        }
        for span in &self.spans {
            let cores = span.cores.map_or_else(String::new, |(target, own)| {
                format!("  cpu target {target:.2}, load generator {own:.2}")
            });
            let _ = writeln!(
                out,
                "{:<11} {:>5.1}–{:<5.1} s  latency {}  ack {}{cores}",
                span.name,
                span.from_s,
                span.to_s,
                short(span.latency_ms),
                short(span.ack_ms)
            );
        }
        if !self.timeline.is_empty() {
            let seconds: Vec<String> = self
                .timeline
                .iter()
                .map(|p| p.map_or_else(|| "-".into(), |p| format!("{p:.0}")))
                .collect();
            // An outage's timeline starts when the engine is back.
            let from = if self.outage.is_some() {
                "the restart"
            } else {
                "the fault"
            };
            let _ = writeln!(out, "p99/second  from {from} on: {} ms", seconds.join(", "));
        }
        if self.flood.is_some() {
            let p50 = |i: usize| self.spans.get(i)?.latency_ms.map(|s| s.p50);
            let ratio = |a: Option<f64>, b: Option<f64>| {
                a.zip(b)
                    .map_or_else(|| "-".into(), |(a, b)| format!("{:.2}", b / a))
            };
            let _ = writeln!(
                out,
                "flood cost  latency during / before the flood: p50 ×{}, p99 ×{}",
                ratio(p50(0), p50(1)),
                self.p99_ratio(0, 1)
                    .map_or_else(|| "-".into(), |r| format!("{r:.2}"))
            );
        }
        let _ = writeln!(
            out,
            "proof       unanswered {}, stored twice {}, out of send order {}, \
             replayed again above a resume point {} (expected, not duplicates)",
            self.unanswered, self.stored_twice, self.out_of_order, self.replayed_again
        );
    }
}

fn render_recovery(r: &RecoveryReport, fault_at_s: f64, out: &mut String) {
    let secs = |s: Option<f64>| s.map_or_else(|| "-".into(), |s| format!("{s:.2} s"));
    let fault = match (r.serving_again_s, r.outage_s) {
        (Some(up), _) => format!("SIGKILL at {fault_at_s:.1} s; serving again after {up:.2} s"),
        (None, Some(outage)) => {
            format!("all connections cut at {fault_at_s:.1} s; refused for {outage:.1} s")
        }
        _ => format!("fault at {fault_at_s:.1} s"),
    };
    let _ = writeln!(out, "fault       {fault}");
    let _ = writeln!(
        out,
        "messages    acked before {}, in flight {} (acked after the resend: {}), resent {}, \
         queued offline {}, answered with the original ack {}",
        r.acked_before,
        r.in_flight,
        r.in_flight_acked_after,
        r.resent,
        r.queued_offline,
        r.server_duplicate_acks
            .map_or_else(|| "-".into(), |n| n.to_string())
    );
    let _ = writeln!(
        out,
        "reconnect   {}/{} sockets dropped, {} reconnects ({} failed attempts, {} gave up); \
         half back {} after the fault, all {}; resync {}",
        r.drops,
        r.sockets,
        r.reconnects,
        r.failed_attempts,
        r.gave_up,
        secs(r.reconnect_p50_s),
        secs(r.all_reconnected_s),
        if r.resyncs == 0 {
            "none".to_owned()
        } else {
            format!(
                "{} (those messages were not paged in: counted lost)",
                r.resyncs
            )
        }
    );
    if let Some(p) = r.proxy {
        let _ = writeln!(
            out,
            "proxy       {} connections let through, {} cut, {} refused during the outage",
            p.accepted, p.cut, p.refused
        );
    }
}

fn render_flood(f: &FloodReport, out: &mut String) {
    let list = |map: &std::collections::BTreeMap<String, u64>| {
        if map.is_empty() {
            return "none".to_owned();
        }
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        parts.join(", ")
    };
    let _ = writeln!(
        out,
        "flooder     {} send frames in {:.1} s ({:.0}/s) over {} sockets: {} stored, {} \
         rate_limited (server counted {}), other errors {}; its conversation {}",
        f.sent,
        f.seconds,
        f.per_second,
        f.connections,
        f.acked,
        f.rate_limited,
        f.server_rejected
            .map_or_else(|| "-".into(), |n| n.to_string()),
        list(&f.other_errors),
        if f.assigned {
            "had an attendant"
        } else {
            "waited in the queue"
        },
    );
    let _ = writeln!(out, "            closed by the server: {}", list(&f.closes));
    if let Some(message) = &f.message {
        let _ = writeln!(out, "            rate_limited says: \"{message}\"");
    }
}

fn short(s: Option<Summary>) -> String {
    s.map_or_else(
        || "-".into(),
        |s| {
            format!(
                "p50 {:.2} ms, p99 {:.2}, max {:.1} (n={})",
                s.p50, s.p99, s.max, s.count
            )
        },
    )
}

/// The recovery counters, with reconnect times measured from the fault at `fault_ns`.
pub(crate) fn recovered(recovery: &Recovery, fault_ns: u64) -> RecoveryReport {
    let get = Recovery::get;
    let back: Vec<u64> = recovery
        .reconnect_instants()
        .into_iter()
        .filter(|&t| t >= fault_ns)
        .collect();
    let since = |t: Option<&u64>| t.map(|&t| (t - fault_ns) as f64 / 1e9);
    RecoveryReport {
        in_flight: get(&recovery.in_flight),
        in_flight_acked_after: get(&recovery.recovered),
        resent: get(&recovery.resent),
        queued_offline: get(&recovery.queued_offline),
        drops: get(&recovery.drops),
        reconnects: get(&recovery.reconnects),
        failed_attempts: get(&recovery.failed_attempts),
        gave_up: get(&recovery.gave_up),
        reconnect_p50_s: since(back.get(back.len() / 2)),
        all_reconnected_s: since(back.last()),
        resyncs: get(&recovery.resyncs),
        ..RecoveryReport::default()
    }
}

/// Latency spans: each named cut runs to the next one, the last to `end_ns`.
pub(crate) fn spans(
    recovery: &Recovery,
    cuts: &[(&'static str, u64)],
    t0: u64,
    end_ns: u64,
) -> Vec<Span> {
    let secs = |ns: u64| ns.saturating_sub(t0) as f64 / 1e9;
    cuts.iter()
        .enumerate()
        .map(|(i, &(name, from))| {
            let to = cuts.get(i + 1).map_or(end_ns, |&(_, to)| to).max(from);
            let (latency_ms, ack_ms) = recovery.between(from, to);
            Span {
                name,
                from_s: secs(from),
                to_s: secs(to),
                latency_ms,
                ack_ms,
                cores: None,
            }
        })
        .collect()
}

/// Delivery p99 (ms) of the messages sent in each of the `seconds` seconds from `from_ns`.
pub(crate) fn timeline(
    recovery: &Recovery,
    from_ns: u64,
    end_ns: u64,
    seconds: u64,
) -> Vec<Option<f64>> {
    (0..seconds)
        .map(|i| from_ns + i * 1_000_000_000)
        .take_while(|&start| start < end_ns)
        .map(|start| {
            let (latency, _) = recovery.between(start, start + 1_000_000_000);
            latency.map(|s| s.p99)
        })
        .collect()
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// One series of the server's Prometheus text (`GET /metrics`), if it answers.
pub(crate) async fn metric(port: u16, series: &str) -> Option<u64> {
    let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    parse_metric(&body, series)
}

fn parse_metric(body: &str, series: &str) -> Option<u64> {
    body.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        let value: f64 = value.parse().ok()?;
        (name == series).then_some(value as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_series_are_read_by_name_and_labels() {
        let body = "# HELP chimpassist_messages_duplicate Resent\n\
                    chimpassist_messages_duplicate_total 7\n\
                    chimpassist_frames_rejected_total{code=\"not_found\"} 2\n\
                    chimpassist_frames_rejected_total{code=\"rate_limited\"} 1234\n";
        assert_eq!(
            parse_metric(body, "chimpassist_messages_duplicate_total"),
            Some(7)
        );
        assert_eq!(
            parse_metric(
                body,
                r#"chimpassist_frames_rejected_total{code="rate_limited"}"#
            ),
            Some(1234)
        );
        assert_eq!(
            parse_metric(body, "chimpassist_messages_stored_total"),
            None
        );
    }

    #[test]
    fn spans_run_from_cut_to_cut() {
        let recovery = Recovery::default();
        let cuts = [("before", 1_000_000_000), ("after", 3_000_000_000)];
        let spans = spans(&recovery, &cuts, 1_000_000_000, 5_000_000_000);
        let bounds: Vec<(f64, f64)> = spans.iter().map(|s| (s.from_s, s.to_s)).collect();
        assert_eq!(bounds, [(0.0, 2.0), (2.0, 4.0)]);
        assert!(spans[0].latency_ms.is_none());
    }

    #[test]
    fn the_timeline_has_one_p99_per_second_until_the_end() {
        let recovery = Recovery::default();
        let mut samples = crate::recovery::Samples::default();
        samples.delivery(1_500_000_000, 200_000); // second 0: 200 ms
        samples.delivery(3_200_000_000, 5_000); // second 2: 5 ms
        recovery.merge(samples);
        let p99 = timeline(&recovery, 1_000_000_000, 3_500_000_000, 10);
        assert_eq!(p99.len(), 3);
        assert!(p99[0].is_some_and(|p| (p - 200.0).abs() < 0.5));
        assert!(p99[1].is_none());
        assert!(p99[2].is_some_and(|p| (p - 5.0).abs() < 0.05));
    }
}
