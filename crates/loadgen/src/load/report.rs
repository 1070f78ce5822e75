//! Results: one [`RunResult`] per target, printed for people and written as JSON for
//! comparing runs, plus the server/relay ratios when both ran.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::cli::{Args, Scenario};
use crate::cluster::ClusterReport;
use crate::faultreport::FaultReport;
use crate::rushreport::RushReport;
use crate::stats::Summary;

/// Everything measured against one target.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunResult {
    pub(crate) target: &'static str,
    pub(crate) scenario: Scenario,
    pub(crate) customers: usize,
    pub(crate) attendants: usize,
    /// Length of the measured window, seconds (steady phase, or idle hold).
    pub(crate) seconds: f64,
    /// Client sockets open during the window (customers + attendants).
    pub(crate) sockets: u64,
    pub(crate) connect: Connect,
    pub(crate) memory: Memory,
    pub(crate) cpu: Cpu,
    pub(crate) messages: Messages,
    /// Customer/attendant send → partner receive, as seen by the load generator.
    pub(crate) latency_ms: Option<Summary>,
    /// Send → ack (for the server: stored and fsynced).
    pub(crate) ack_latency_ms: Option<Summary>,
    /// `churn` only: connect → hello → chat → one message acked → closed.
    pub(crate) cycle_ms: Option<Summary>,
    pub(crate) churn: Option<Churn>,
    /// Errors by protocol code or transport failure.
    pub(crate) errors: BTreeMap<String, u64>,
    /// Acked but never delivered to the partner (after the drain period). Must be 0.
    pub(crate) lost: u64,
    /// Extra deliveries of the same (conversation, seq). Must be 0.
    pub(crate) duplicated: u64,
    /// Lines the target wrote to its log (the server logs at `warn`).
    pub(crate) target_log_lines: usize,
    /// `--cluster`: which node served whom, and which led.
    pub(crate) cluster: Option<ClusterReport>,
    pub(crate) notes: Vec<String>,
    /// `kill`, `cut`, `flood` only.
    pub(crate) fault: Option<FaultReport>,
    /// `rush` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rush: Option<RushReport>,
}

impl RunResult {
    /// Nothing lost, nothing duplicated, and (fault scenarios) nothing out of send order.
    pub(crate) fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.fault.as_ref().is_none_or(|f| f.out_of_order == 0)
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Connect {
    pub(crate) attempted: u64,
    pub(crate) connected: u64,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    /// Cores the target used while the sockets opened (tells CPU-bound from waiting).
    pub(crate) target_cores: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Memory {
    /// RSS of the target before any client socket.
    pub(crate) before_kib: u64,
    /// RSS with every socket open (start of the window).
    pub(crate) loaded_kib: u64,
    /// RSS at the end of the window.
    pub(crate) after_kib: u64,
    /// Peak RSS (`VmHWM`) at the end.
    pub(crate) peak_kib: u64,
    /// (loaded − before) / sockets.
    pub(crate) per_socket_bytes: Option<f64>,
    /// `idle`: the same for the load generator's own client sockets (4 KiB buffers).
    pub(crate) client_per_socket_bytes: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Cpu {
    /// Cores the target used during the window (1.0 = one core busy).
    pub(crate) target_cores: f64,
    /// Cores the load generator itself used (it shares the machine).
    pub(crate) loadgen_cores: f64,
    /// `--cluster`: cores SecantusDB and mosquitto used (not part of `target_cores`).
    pub(crate) engines_cores: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Messages {
    pub(crate) sent: u64,
    pub(crate) acked: u64,
    pub(crate) delivered: u64,
    pub(crate) send_failed: u64,
    pub(crate) acked_per_second: f64,
    pub(crate) delivered_per_second: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct Churn {
    pub(crate) started: u64,
    pub(crate) completed: u64,
    pub(crate) failed: u64,
    pub(crate) per_second: f64,
}

/// Whole-run JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    args: &'a Args,
    machine: Machine,
    results: &'a [RunResult],
    /// server / relay, per metric (present when both ran).
    ratios: BTreeMap<&'static str, f64>,
}

#[derive(Debug, Serialize)]
struct Machine {
    cores: usize,
    memory_kib: u64,
    open_files_hard_limit: u64,
}

fn machine() -> Machine {
    let memory_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0);
    Machine {
        cores: std::thread::available_parallelism().map_or(0, usize::from),
        memory_kib,
        open_files_hard_limit: rlimit::Resource::NOFILE.get().map_or(0, |(_, hard)| hard),
    }
}

/// Metrics compared between the server and the relay.
fn metrics(r: &RunResult) -> Vec<(&'static str, Option<f64>)> {
    let lat = |s: Option<Summary>, f: fn(&Summary) -> f64| s.as_ref().map(f);
    vec![
        ("connect_per_second", Some(r.connect.per_second)),
        ("rss_per_socket_bytes", r.memory.per_socket_bytes),
        ("acked_per_second", Some(r.messages.acked_per_second)),
        (
            "delivered_per_second",
            Some(r.messages.delivered_per_second),
        ),
        ("latency_p50_ms", lat(r.latency_ms, |s| s.p50)),
        ("latency_p99_ms", lat(r.latency_ms, |s| s.p99)),
        ("latency_p999_ms", lat(r.latency_ms, |s| s.p999)),
        ("latency_max_ms", lat(r.latency_ms, |s| s.max)),
        ("ack_p50_ms", lat(r.ack_latency_ms, |s| s.p50)),
        ("ack_p99_ms", lat(r.ack_latency_ms, |s| s.p99)),
        ("churn_cycles_per_second", r.churn.map(|c| c.per_second)),
        ("cycle_p50_ms", lat(r.cycle_ms, |s| s.p50)),
        ("cycle_p99_ms", lat(r.cycle_ms, |s| s.p99)),
        ("target_cpu_cores", Some(r.cpu.target_cores)),
    ]
}

/// server / relay for each metric both have (and the relay's is non-zero).
pub(crate) fn ratios(results: &[RunResult]) -> BTreeMap<&'static str, f64> {
    let (Some(chimp), Some(relay)) = (
        results.iter().find(|r| r.target == "chimp"),
        results.iter().find(|r| r.target == "relay"),
    ) else {
        return BTreeMap::new();
    };
    metrics(chimp)
        .into_iter()
        .zip(metrics(relay))
        .filter_map(|((name, c), (_, r))| match (c, r) {
            (Some(c), Some(r)) if r > 0.0 && (c > 0.0 || name.ends_with("per_second")) => {
                Some((name, c / r))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn write_json(path: &Path, args: &Args, results: &[RunResult]) -> anyhow::Result<()> {
    let doc = Document {
        args,
        machine: machine(),
        results,
        ratios: ratios(results),
    };
    let text = serde_json::to_string_pretty(&doc).context("encoding the results")?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn latency_line(s: Option<Summary>) -> String {
    s.map_or_else(
        || "-".into(),
        |s| {
            format!(
                "p50 {:.2} ms, p99 {:.2}, p99.9 {:.2}, max {:.2} (n={})",
                s.p50, s.p99, s.p999, s.max, s.count
            )
        },
    )
}

/// The human-readable block for one result.
pub(crate) fn render(r: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== {} · {} · {} customers, {} attendants, {:.1} s window",
        r.target,
        r.scenario.as_str(),
        r.customers,
        r.attendants,
        r.seconds
    );
    if let Some(cluster) = &r.cluster {
        cluster.render(&mut out);
    }
    let c = r.connect;
    let _ = writeln!(
        out,
        "connect     {}/{} sockets in {:.2} s = {:.0}/s (target used {:.2} cores meanwhile)",
        c.connected, c.attempted, c.seconds, c.per_second, c.target_cores
    );
    let m = r.memory;
    let per = m
        .per_socket_bytes
        .map_or_else(|| "-".into(), |b| format!("{:.1} KiB", b / 1024.0));
    let _ = writeln!(
        out,
        "memory      RSS {} before, {} loaded, {} after, peak {}; per socket {per}",
        mib(m.before_kib),
        mib(m.loaded_kib),
        mib(m.after_kib),
        mib(m.peak_kib)
    );
    if let Some(client) = m.client_per_socket_bytes {
        let _ = writeln!(
            out,
            "            (the load generator's own client sockets: {:.1} KiB each)",
            client / 1024.0
        );
    }
    let engines = r.cpu.engines_cores.map_or_else(String::new, |c| {
        format!(", SecantusDB + mosquitto {c:.2} cores")
    });
    let _ = writeln!(
        out,
        "cpu         target {:.2} cores, load generator {:.2} cores{engines}",
        r.cpu.target_cores, r.cpu.loadgen_cores
    );
    let msg = r.messages;
    if msg.sent > 0 {
        let _ = writeln!(
            out,
            "messages    sent {}, acked {} ({:.0}/s), delivered {} ({:.0}/s), send errors {}",
            msg.sent,
            msg.acked,
            msg.acked_per_second,
            msg.delivered,
            msg.delivered_per_second,
            msg.send_failed
        );
        let _ = writeln!(out, "latency     {}", latency_line(r.latency_ms));
        let _ = writeln!(out, "ack         {}", latency_line(r.ack_latency_ms));
    }
    if let Some(ch) = r.churn {
        let _ = writeln!(
            out,
            "churn       {} started, {} completed ({:.0}/s), {} failed; cycle {}",
            ch.started,
            ch.completed,
            ch.per_second,
            ch.failed,
            latency_line(r.cycle_ms)
        );
    }
    let errors = if r.errors.is_empty() {
        "none".to_owned()
    } else {
        let parts: Vec<String> = r.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        parts.join(", ")
    };
    let _ = writeln!(out, "errors      {errors}");
    if let Some(fault) = &r.fault {
        fault.render(&mut out);
    }
    if let Some(rush) = &r.rush {
        rush.render(&mut out);
    }
    let verdict = if r.clean() { "ok" } else { "FAILED" };
    let _ = writeln!(
        out,
        ">>> LOST {}   DUPLICATED {}   [{verdict}]",
        r.lost, r.duplicated
    );
    for note in &r.notes {
        let _ = writeln!(out, "note        {note}");
    }
    out
}

/// The comparison table when both targets ran.
pub(crate) fn render_comparison(results: &[RunResult]) -> String {
    let (Some(chimp), Some(relay)) = (
        results.iter().find(|r| r.target == "chimp"),
        results.iter().find(|r| r.target == "relay"),
    ) else {
        return String::new();
    };
    let mut out = String::from("\n== server vs relay\n");
    let _ = writeln!(
        out,
        "{:<26} {:>14} {:>14} {:>10}",
        "metric", "chimp", "relay", "chimp/relay"
    );
    for ((name, c), (_, r)) in metrics(chimp).into_iter().zip(metrics(relay)) {
        let (Some(c), Some(r)) = (c, r) else { continue };
        if c == 0.0 && r == 0.0 {
            continue; // not measured by this scenario
        }
        let ratio = if r > 0.0 {
            format!("{:.2}", c / r)
        } else {
            "-".into()
        };
        let _ = writeln!(out, "{name:<26} {c:>14.2} {r:>14.2} {ratio:>10}");
    }
    out
}
