//! `broker` and `mongo`: an engine of the cluster goes down under `chat` traffic. Customers
//! on node 1 and attendants on node 2 chat through reconnecting clients
//! ([`crate::resilient`]); at a third of `--duration` the engine is stopped by its PID —
//! mosquitto by SIGKILL (a crash), SecantusDB by SIGTERM, waiting for it to exit — kept down
//! `--outage` s, and started again on the same port (SecantusDB on the same data).
//!
//! Expected: without the broker, messages are still stored and acked but cannot cross to
//! the other node; when it is back each node sees a gap, closes its sockets, and the clients
//! resume from the store. Without the store, sends are refused `unavailable` and kept
//! pending; `/readyz` is 503 until the store answers again. Either way the run then drains
//! and proves, as the other fault scenarios do: nothing lost, nothing stored or delivered
//! twice, each sender's first tries stored in send order.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::{Args, Scenario};
use crate::cluster::{Cluster, Leadership, ReadyLog};
use crate::endpoint::Phase;
use crate::faultreport::{FaultReport, RecoveryReport, metric, nanos, recovered, spans, timeline};
use crate::faults::FaultRun;
use crate::outagereport::{self as outage, OutageReport};
use crate::recovery::{Recovery, Samples};
use crate::report::RunResult;
use crate::stats::Shared;
use crate::window::{self, Window};
use crate::{chimp, faults, procfs, wire};

/// `/readyz` of both nodes is polled this often during the run.
const READY_POLL: Duration = Duration::from_millis(250);
/// Pending messages are counted this often.
const PENDING_POLL: Duration = Duration::from_millis(50);
/// After the restart, how long the nodes may take to be ready and agree on a leader.
const AGREE: Duration = Duration::from_secs(60);
/// After everything is back, the spans keep the catch-up apart from "after".
const CATCH_UP: Duration = Duration::from_secs(3);
/// Seconds of per-second p99 shown from the restart on.
const TIMELINE: u64 = 10;

/// Instants of the outage, ns.
struct Marks {
    stop: u64,
    exited: u64,
    restart: u64,
}

pub(crate) async fn run(
    cluster: &mut Cluster,
    leader_before: &Leadership,
    args: &Args,
) -> anyhow::Result<RunResult> {
    let shared = Shared::new();
    let recovery = Arc::new(Recovery::default());
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let mut tasks = JoinSet::new();
    let mut notes = Vec::new();
    let sides = cluster.sides();
    let cookies = chimp::attendant_cookies(sides.rest, args.attendants, args.capacity())
        .await
        .context("setting up attendants")?;
    let before = procfs::memory_of(&sides.pids);
    let opened = faults::open_clients(
        args,
        &sides,
        &cookies,
        (&shared, &recovery),
        &phase_rx,
        &mut tasks,
    )
    .await?;
    notes.extend(opened.note.clone());

    let loaded = procfs::memory_of(&sides.pids);
    let ready_log = ReadyLog::default();
    let watcher = ready_log.watch(cluster.ports(), READY_POLL);
    let pending = Arc::new(Mutex::new(Vec::new()));
    let counting = tokio::spawn(count_pending(Arc::clone(&shared), Arc::clone(&pending)));
    let window = Window::open(&sides.pids, &shared);
    let started = Instant::now();
    let t0 = wire::now_ns();
    let run_for = Duration::from_secs(args.duration);
    let _ = phase_tx.send(Phase::Run);

    tokio::time::sleep_until(started + run_for / 3).await;
    let (engine, signal) = match args.scenario {
        Scenario::Mongo => (&mut cluster.mongo, "TERM"),
        _ => (&mut cluster.broker, "KILL"),
    };
    let stop = wire::now_ns();
    let counts_at_stop = (Shared::load(&shared.acked), Shared::load(&shared.delivered));
    engine.stop(signal).await?;
    let exited = wire::now_ns();
    tokio::time::sleep(Duration::from_secs(args.outage)).await;
    let counts_at_restart = (Shared::load(&shared.acked), Shared::load(&shared.delivered));
    engine.start().await?;
    let engine_name = engine.which.as_str();
    let marks = Marks {
        stop,
        exited,
        restart: wire::now_ns(),
    };
    let leader_after = cluster.agree(AGREE).await;
    let agreed_at = wire::now_ns();
    if let Err(e) = &leader_after {
        notes.push(format!("{e:#}"));
        notes.push(cluster.log_tails(10));
    }

    tokio::time::sleep_until(started + run_for).await;
    let end_ns = wire::now_ns();
    let measured = window.close(&sides.pids, &shared);
    let _ = phase_tx.send(Phase::Drain);
    window::drain(&shared, Duration::from_secs(args.drain)).await;
    let aborted = window::stop(&phase_tx, &mut tasks).await;
    if aborted > 0 {
        notes.push(format!("{aborted} client tasks did not stop in time"));
    }
    watcher.abort();
    counting.abort();

    let tally = shared.ledgers.tally();
    notes.extend(tally.notes());
    let sockets = opened.connected + args.attendants as u64;
    let mut duplicate_acks = 0;
    for port in cluster.ports() {
        duplicate_acks += metric(port, "chimpassist_messages_duplicate_total")
            .await
            .unwrap_or(0);
    }
    let recovery_report = RecoveryReport {
        acked_before: counts_at_stop.0,
        server_duplicate_acks: Some(duplicate_acks),
        sockets,
        ..recovered(&recovery, marks.stop)
    };
    let Samples {
        delivery: deliveries,
        ack: acks,
    } = recovery.raw();
    let last_reconnect = recovery
        .reconnect_instants()
        .last()
        .filter(|&&t| t >= marks.restart)
        .map(|&t| (t - marks.restart) as f64 / 1e9);
    let since = |ns: u64| ns.saturating_sub(t0) as f64 / 1e9;
    let report = OutageReport {
        engine: engine_name,
        signal,
        stop_at_s: since(marks.stop),
        exited_after_s: (marks.exited - marks.stop) as f64 / 1e9,
        down_s: (marks.restart - marks.exited) as f64 / 1e9,
        acked_during: counts_at_restart.0 - counts_at_stop.0,
        delivered_during: counts_at_restart.1 - counts_at_stop.1,
        pending_peak: outage::peak_after(
            &pending.lock().unwrap_or_else(PoisonError::into_inner),
            marks.stop,
        ),
        refused: Recovery::get(&recovery.refused),
        first_ack_s: outage::first_after(&acks, marks.restart),
        all_pending_acked_s: outage::last_of(&acks, t0..marks.restart, marks.restart),
        outage_delivered_s: outage::last_of(&deliveries, marks.stop..marks.restart, marks.restart),
        last_reconnect_s: last_reconnect,
        agreed_s: leader_after
            .is_ok()
            .then(|| (agreed_at - marks.restart) as f64 / 1e9),
        leader_before: leader_before.clone(),
        leader_after: leader_after.ok(),
        readiness: outage::readiness_changes(&ready_log.entries(), t0),
        reordered_by_retry: Recovery::get(&recovery.reordered_by_retry),
    };
    // "After" starts once everything is back: the last reconnect, the last pending ack, the
    // last delivery of what was sent during the outage, plus the catch-up.
    let back = [
        report.last_reconnect_s,
        report.all_pending_acked_s,
        report.outage_delivered_s,
    ]
    .into_iter()
    .flatten()
    .fold(0.0_f64, f64::max);
    let settled = (marks.restart + (back * 1e9) as u64 + nanos(CATCH_UP)).min(end_ns);
    let cuts = [
        ("before", t0),
        ("outage", marks.stop),
        ("recovery", marks.restart),
        ("after", settled),
    ];
    let fault_report = FaultReport {
        fault_at_s: since(marks.stop),
        recovery: Some(recovery_report),
        flood: None,
        outage: Some(report),
        spans: spans(&recovery, &cuts, t0, end_ns),
        timeline: timeline(&recovery, marks.restart, end_ns, TIMELINE),
        unanswered: Recovery::get(&recovery.unanswered),
        stored_twice: tally.stored_twice,
        out_of_order: Recovery::get(&recovery.out_of_order),
        replayed_again: Recovery::get(&recovery.replayed_again),
    };
    Ok(FaultRun {
        target: "chimp",
        args,
        measured,
        sockets,
        opened,
        before,
        loaded,
        peak_kib: procfs::memory_of(&sides.pids).peak_kib,
        shared: &shared,
        tally,
        fault: fault_report,
        notes,
    }
    .into_result())
}

/// Records `(instant, messages created and not yet acked or refused for good)` until
/// aborted.
async fn count_pending(shared: Arc<Shared>, series: Arc<Mutex<Vec<(u64, u64)>>>) {
    let mut ticks = tokio::time::interval(PENDING_POLL);
    loop {
        ticks.tick().await;
        let answered = Shared::load(&shared.acked) + Shared::load(&shared.send_failed);
        let pending = Shared::load(&shared.sent).saturating_sub(answered);
        series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((wire::now_ns(), pending));
    }
}
