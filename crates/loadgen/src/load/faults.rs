//! `kill`, `cut` and `flood`: the server's fault tests at full size. The traffic is `chat`
//! (attendants and customers, a steady rate both ways, receipts), carried by reconnecting
//! clients ([`crate::resilient`]); in the measured window one fault happens:
//!
//! - `kill`: at half time the server is SIGKILLed and started again on the same data
//!   directory and port; the clients reconnect, resume and resend.
//! - `cut`: every client socket goes through a proxy ([`crate::proxy`]); at half time it
//!   cuts them all and refuses new ones for `--outage` s.
//! - `flood`: in the middle third one extra customer floods `send` frames against the
//!   server's rate limit (`--rate-limit`, the server's default of 20/s).
//!
//! Then it drains and proves: every acked message delivered once to the other side, every
//! message sent acked in the end, one seq per client id, each sender's seqs in send order.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::{Args, Scenario};
use crate::dial::{self, Dial, Role};
use crate::endpoint::{Counter, Phase};
use crate::faultreport::{FaultReport, RecoveryReport, metric, nanos, recovered, spans, timeline};
use crate::ledger::Tally;
use crate::procfs::{self, CpuMeter};
use crate::proxy::Proxy;
use crate::recovery::Recovery;
use crate::report::{Connect, Memory, RunResult};
use crate::resilient::Client;
use crate::stats::{Recorder, Shared};
use crate::target::{Sides, Target};
use crate::traffic::per_socket;
use crate::window::{self, Measured, Window};
use crate::{chimp, flood, wire};

/// How long assignment of every conversation may take once customers are connected.
const ASSIGNMENT: Duration = Duration::from_secs(30);
/// After the last client is back, the server absorbs the resends, the replays and the
/// backlog queued offline on top of the live rate; the spans keep that apart from "after".
const CATCH_UP: Duration = Duration::from_secs(3);
/// Seconds of per-second p99 shown from the fault on.
const TIMELINE: u64 = 10;

/// The clients of a run, connected.
pub(crate) struct Opened {
    pub(crate) connected: u64,
    pub(crate) seconds: f64,
    /// Cores the target used while the customers connected.
    pub(crate) target_cores: f64,
    /// Set when some conversations never reached their attendant.
    pub(crate) note: Option<String>,
}

/// What happened at the fault.
#[derive(Default)]
struct Fault {
    at_ns: u64,
    acked_before: u64,
    serving_again: Option<Duration>,
    /// The killed server's CPU seconds inside the window.
    killed_cpu: f64,
}

pub(crate) async fn run(target: &mut Target, args: &Args) -> anyhow::Result<RunResult> {
    let shared = Shared::new();
    let recovery = Arc::new(Recovery::default());
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let mut tasks = JoinSet::new();
    let mut notes = Vec::new();
    let proxy = match args.scenario {
        Scenario::Cut => Some(Proxy::start(target.port).await?),
        _ => None,
    };
    let mut sides = target.sides();
    if let Some(proxy) = &proxy {
        (sides.customers, sides.attendants) = (proxy.port, proxy.port);
    }
    let cookies = chimp::attendant_cookies(target.port, args.attendants, args.capacity())
        .await
        .context("setting up attendants")?;
    let before = procfs::memory(target.pid);
    let opened = open_clients(
        args,
        &sides,
        &cookies,
        (&shared, &recovery),
        &phase_rx,
        &mut tasks,
    )
    .await?;
    notes.extend(opened.note.clone());
    let flooder = match args.scenario {
        Scenario::Flood => {
            let source = wire::source_addr(args.customers + args.attendants, args.sources);
            Some(
                flood::connect(target.port, source)
                    .await
                    .map_err(|e| anyhow::anyhow!("the flooder could not connect: {e}"))?,
            )
        }
        _ => None,
    };

    let loaded = procfs::memory(target.pid);
    let window = Window::open(&[target.pid], &shared);
    let cpu_start = procfs::cpu_seconds(target.pid);
    let started = Instant::now();
    let t0 = wire::now_ns();
    let run_for = Duration::from_secs(args.duration);
    let _ = phase_tx.send(Phase::Run);
    let third = run_for / 3;
    let flooding = flooder.map(|f| {
        let (from, to) = (started + third, started + third * 2);
        tokio::spawn(flood::run(f, from, to))
    });
    let mut fault = Fault::default();
    // CPU marks at the thirds of a flood: what the server and the load generator used in each.
    let mut marks = vec![CpuMark::now(target.pid)];
    if args.scenario == Scenario::Flood {
        for i in 1..3 {
            tokio::time::sleep_until(started + third * i).await;
            marks.push(CpuMark::now(target.pid));
        }
    }
    if matches!(args.scenario, Scenario::Kill | Scenario::Cut) {
        tokio::time::sleep_until(started + run_for / 2).await;
        fault.at_ns = wire::now_ns();
        fault.acked_before = Shared::load(&shared.acked);
        if let Some(proxy) = &proxy {
            proxy.cut(Duration::from_secs(args.outage));
        } else {
            fault.killed_cpu = procfs::cpu_seconds(target.pid) - cpu_start;
            fault.serving_again = Some(target.kill_and_restart(args).await?);
            notes.push("memory after and peak are the restarted server's".into());
        }
    }
    tokio::time::sleep_until(started + run_for).await;
    marks.push(CpuMark::now(target.pid));
    let end_ns = wire::now_ns();
    let mut measured = window.close(&[target.pid], &shared);
    if fault.serving_again.is_some() {
        // Two processes shared the window: the killed one, and the new one from its start.
        measured.cpu.target_cores =
            (fault.killed_cpu + procfs::cpu_seconds(target.pid)) / measured.seconds;
    }
    let _ = phase_tx.send(Phase::Drain);
    window::drain(&shared, Duration::from_secs(args.drain)).await;
    let aborted = window::stop(&phase_tx, &mut tasks).await;
    if aborted > 0 {
        notes.push(format!("{aborted} client tasks did not stop in time"));
    }
    let flood = match flooding {
        Some(task) => {
            let mut report = task.await.unwrap_or_default();
            report.server_rejected = metric(
                target.port,
                r#"chimpassist_frames_rejected_total{code="rate_limited"}"#,
            )
            .await;
            Some(report)
        }
        None => None,
    };

    let tally = shared.ledgers.tally();
    notes.extend(tally.notes());
    let sockets = opened.connected + args.attendants as u64;
    let recovery_report = match args.scenario {
        Scenario::Kill | Scenario::Cut => Some(RecoveryReport {
            acked_before: fault.acked_before,
            serving_again_s: fault.serving_again.map(|d| d.as_secs_f64()),
            outage_s: proxy.as_ref().map(|_| args.outage as f64),
            server_duplicate_acks: metric(target.port, "chimpassist_messages_duplicate_total")
                .await,
            proxy: proxy.as_ref().map(Proxy::stats),
            sockets,
            ..recovered(&recovery, fault.at_ns)
        }),
        _ => None,
    };
    if let Some(proxy) = proxy {
        proxy.shutdown();
    }
    let back_ns = recovery_report
        .as_ref()
        .and_then(|r| r.all_reconnected_s)
        .map_or(end_ns, |s| fault.at_ns + (s * 1e9) as u64);
    let cuts = match args.scenario {
        Scenario::Flood => vec![
            ("before", t0),
            ("during", t0 + nanos(third)),
            ("after", t0 + nanos(third * 2)),
        ],
        _ => {
            let settled = (back_ns + nanos(CATCH_UP)).min(end_ns);
            vec![
                ("before", t0),
                ("outage", fault.at_ns),
                ("catch-up", back_ns),
                ("after", settled),
            ]
        }
    };
    let mut spans = spans(&recovery, &cuts, t0, end_ns);
    if args.scenario == Scenario::Flood {
        for (span, pair) in spans.iter_mut().zip(marks.windows(2)) {
            span.cores = Some(pair[0].cores_until(&pair[1]));
        }
    }
    let fault_report = FaultReport {
        fault_at_s: match args.scenario {
            Scenario::Flood => third.as_secs_f64(),
            _ => fault.at_ns.saturating_sub(t0) as f64 / 1e9,
        },
        recovery: recovery_report,
        flood,
        outage: None,
        spans,
        timeline: match args.scenario {
            Scenario::Flood => Vec::new(),
            _ => timeline(&recovery, fault.at_ns, end_ns, TIMELINE),
        },
        unanswered: Recovery::get(&recovery.unanswered),
        stored_twice: tally.stored_twice,
        out_of_order: Recovery::get(&recovery.out_of_order),
        replayed_again: Recovery::get(&recovery.replayed_again),
    };
    Ok(FaultRun {
        target: target.kind.as_str(),
        args,
        measured,
        sockets,
        opened,
        before,
        loaded,
        peak_kib: procfs::memory(target.pid).peak_kib,
        shared: &shared,
        tally,
        fault: fault_report,
        notes,
    }
    .into_result())
}

/// What a fault run (this module's, or an engine outage's) measured.
pub(crate) struct FaultRun<'a> {
    pub(crate) target: &'static str,
    pub(crate) args: &'a Args,
    pub(crate) measured: Measured,
    pub(crate) sockets: u64,
    pub(crate) opened: Opened,
    pub(crate) before: procfs::Memory,
    pub(crate) loaded: procfs::Memory,
    pub(crate) peak_kib: u64,
    pub(crate) shared: &'a Shared,
    pub(crate) tally: Tally,
    pub(crate) fault: FaultReport,
    pub(crate) notes: Vec<String>,
}

impl FaultRun<'_> {
    /// The one result shape every scenario reports; losses include what the fault left
    /// unanswered, duplicates what was stored twice.
    pub(crate) fn into_result(self) -> RunResult {
        let Self {
            target,
            args,
            mut measured,
            sockets,
            opened,
            before,
            loaded,
            peak_kib,
            shared,
            tally,
            fault,
            notes,
        } = self;
        measured.messages.send_failed = Shared::load(&shared.send_failed);
        let (latency, ack, _) = shared.summaries();
        RunResult {
            target,
            scenario: args.scenario,
            customers: args.customers,
            attendants: args.attendants,
            seconds: measured.seconds,
            sockets,
            connect: Connect {
                attempted: args.customers as u64,
                connected: opened.connected,
                seconds: opened.seconds,
                per_second: window::per_second(opened.connected, opened.seconds),
                target_cores: opened.target_cores,
            },
            memory: Memory {
                before_kib: before.rss_kib,
                loaded_kib: loaded.rss_kib,
                after_kib: measured.rss_after_kib,
                peak_kib,
                per_socket_bytes: per_socket(before.rss_kib, loaded.rss_kib, sockets),
                client_per_socket_bytes: None,
            },
            cpu: measured.cpu,
            messages: measured.messages,
            latency_ms: latency,
            ack_latency_ms: ack,
            cycle_ms: None,
            churn: None,
            errors: shared.errors(),
            lost: tally.lost + fault.unanswered,
            duplicated: tally.duplicated + tally.stored_twice,
            target_log_lines: 0,
            cluster: None,
            notes,
            fault: Some(fault),
            rush: None,
        }
    }
}

/// Connects the attendants, then the customers (`concurrency` at a time), each side where
/// `sides` says (the proxy in `cut`; two nodes in a cluster), and waits until every
/// conversation reached its attendant. Every client task is spawned into `tasks`.
pub(crate) async fn open_clients(
    args: &Args,
    sides: &Sides,
    cookies: &[String],
    (shared, recovery): (&Arc<Shared>, &Arc<Recovery>),
    phase: &watch::Receiver<Phase>,
    tasks: &mut JoinSet<()>,
) -> anyhow::Result<Opened> {
    let assigned = Arc::new(Counter::default());
    for (j, cookie) in cookies.iter().enumerate() {
        let k = args.customers + j;
        let dial = Dial {
            port: sides.attendants,
            source: wire::source_addr(k, args.sources),
        };
        let ws = dial::new_attendant(dial, cookie)
            .await
            .map_err(|e| anyhow::anyhow!("attendant {j} could not connect: {e}"))?;
        let role = Role::Attendant {
            cookie: cookie.clone(),
        };
        let client = Client::new(
            ws,
            role,
            dial,
            args.rate,
            k,
            Recorder::new(shared),
            Arc::clone(recovery),
        )
        .learn_assignments(Arc::clone(&assigned));
        tasks.spawn(client.run(phase.clone()));
    }
    let started = Instant::now();
    let meter = CpuMeter::start(&sides.pids);
    let mut opening = futures_util::stream::iter(0..args.customers)
        .map(|k| {
            let dial = Dial {
                port: sides.customers,
                source: wire::source_addr(k, args.sources),
            };
            async move { (k, dial, dial::new_customer(dial).await) }
        })
        .buffer_unordered(args.concurrency);
    let mut connected = 0_u64;
    while let Some((k, dial, result)) = opening.next().await {
        match result {
            Ok((ws, token, conversation)) => {
                connected += 1;
                let role = Role::Customer { token };
                let mut client = Client::new(
                    ws,
                    role,
                    dial,
                    args.rate,
                    k,
                    Recorder::new(shared),
                    Arc::clone(recovery),
                );
                client.hold(&conversation);
                tasks.spawn(client.run(phase.clone()));
            }
            Err(label) => shared.error(&format!("customer setup: {label}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let want = usize::try_from(connected).unwrap_or(usize::MAX);
    let target_cores = meter.cores().0;
    let seen = assigned.wait_for(want, ASSIGNMENT).await;
    Ok(Opened {
        connected,
        seconds,
        target_cores,
        note: (seen < want)
            .then(|| format!("only {seen} of {connected} assignments reached the attendants")),
    })
}

/// CPU seconds of the target and of this process at an instant.
struct CpuMark {
    at: Instant,
    target: f64,
    own: f64,
}

impl CpuMark {
    fn now(pid: u32) -> Self {
        Self {
            at: Instant::now(),
            target: procfs::cpu_seconds(pid),
            own: procfs::cpu_seconds(std::process::id()),
        }
    }

    /// (target, load generator) cores from this mark to `later`.
    fn cores_until(&self, later: &Self) -> (f64, f64) {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        (
            (later.target - self.target) / wall,
            (later.own - self.own) / wall,
        )
    }
}
