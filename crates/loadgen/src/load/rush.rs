//! `rush`: many chat requests at once on a staffed desk, the moment a server that tells every
//! attendant of every change falls over (N × M state frames; desks cut as too slow).
//!
//! 1. `--attendants` attendants (capacity `--capacity`) come online, saying `hello` with
//!    `"batch": true` (older servers ignore it).
//! 2. The rush: `--customers` customers connect and send `start_chat` evenly over `--ramp`
//!    s (`--concurrency` handshakes at a time, from `--sources` addresses). Then it waits
//!    until every request is answered (a queue position or an assignment) and every
//!    assignment told to a customer reached its attendant, or nothing moved for
//!    [`QUIET`], or [`SETTLE`] passed.
//! 3. `chat` for `--duration` s at `--rate` per conversation each way, with the same
//!    endpoints, ledgers and drain as `chat`.
//!
//! Every attendant socket counts its frames per second since the rush began
//! ([`crate::rushtap`]); the report is [`crate::rushreport`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::{Args, Kind};
use crate::endpoint::{Counter, Endpoint, Phase, Receipts, Sending};
use crate::faultreport::metric;
use crate::procfs::{self, CpuMeter};
use crate::report::{Connect, Memory, RunResult};
use crate::rushcount::{Waits, aggregate};
use crate::rushreport::RushReport;
use crate::rushtap::{CustomerTap, DeskTap, Watch};
use crate::stats::{Recorder, Shared};
use crate::target::Sides;
use crate::traffic::per_socket;
use crate::wire::{self, Ws};
use crate::{chimp, open, window};

/// How long an attendant's `welcome` may take.
const WELCOME: Duration = Duration::from_secs(30);
/// Pause between the desks coming online and the rush, so their own setup frames are over.
const CALM: Duration = Duration::from_millis(500);
/// The longest wait for every request to be answered and assigned after the ramp.
const SETTLE: Duration = Duration::from_secs(30);
/// The wait ends early when no answer and no assignment arrived for this long.
const QUIET: Duration = Duration::from_secs(3);

fn rate(args: &Args, k: usize) -> Sending {
    Sending::Rate {
        per_conversation: args.rate,
        phase: window::spread(k),
    }
}

const RECEIPTS: Receipts = Receipts::EachDelivered {
    read_every: Some(Duration::from_secs(1)),
};

pub(crate) async fn run(sides: &Sides, args: &Args) -> anyhow::Result<RunResult> {
    let shared = Shared::new();
    let watch = Arc::new(Watch::default());
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let mut tasks = JoinSet::new();
    let mut notes = Vec::new();
    let cookies = chimp::attendant_cookies(sides.rest, args.attendants, args.capacity())
        .await
        .context("setting up attendants")?;
    let before = procfs::memory_of(&sides.pids);

    // 1. The desks, online.
    let desks: Vec<Ws> = futures_util::stream::iter(cookies.iter().enumerate())
        .map(|(j, cookie)| {
            let source = wire::source_addr(args.customers + j, args.sources);
            async move {
                desk(sides.attendants, cookie, source)
                    .await
                    .map_err(|e| anyhow::anyhow!("attendant {j} could not connect: {e}"))
            }
        })
        .buffered(args.concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    // Learns assignments for the chat; the report counts them in `watch` (distinct ids).
    let unused = Arc::new(Counter::default());
    for (j, ws) in desks.into_iter().enumerate() {
        let endpoint = Endpoint::new(
            ws,
            "attendant",
            rate(args, args.customers + j),
            RECEIPTS,
            Recorder::new(&shared),
        )
        .learn_assignments(Arc::clone(&unused))
        .with_tap(Box::new(DeskTap::new(&watch)));
        tasks.spawn(endpoint.run(phase_rx.clone()));
    }
    tokio::time::sleep(CALM).await;

    // 2. The rush.
    let began = Instant::now();
    watch.begin(began);
    let rush_cpu = CpuMeter::start(&sides.pids);
    let step = Duration::from_secs_f64(args.ramp / args.customers as f64);
    let mut opening = futures_util::stream::iter(0..args.customers)
        .map(|k| {
            let due = began + step * u32::try_from(k).unwrap_or(u32::MAX);
            let source = wire::source_addr(k, args.sources);
            async move {
                tokio::time::sleep_until(due).await;
                (k, request(sides.customers, k, source).await)
            }
        })
        .buffer_unordered(args.concurrency);
    let mut connected = 0_u64;
    while let Some((k, result)) = opening.next().await {
        match result {
            Ok((ws, asked)) => {
                connected += 1;
                let endpoint = Endpoint::new(
                    ws,
                    "customer",
                    rate(args, k),
                    RECEIPTS,
                    Recorder::new(&shared),
                )
                .learn_assignments(Arc::clone(&unused))
                .with_tap(Box::new(CustomerTap::new(&watch, asked)));
                tasks.spawn(endpoint.run(phase_rx.clone()));
            }
            Err(label) => shared.error(&format!("customer setup: {label}")),
        }
    }
    let ramp_seconds = began.elapsed().as_secs_f64();
    settle(&watch, connected).await;
    let settled_s = began.elapsed().as_secs_f64();
    let (rush_server_cores, rush_loadgen_cores) = rush_cpu.cores();

    // 3. The chat.
    let loaded = procfs::memory_of(&sides.pids);
    let window = window::Window::open(&sides.pids, &shared);
    let _ = phase_tx.send(Phase::Run);
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let mut measured = window.close(&sides.pids, &shared);
    let _ = phase_tx.send(Phase::Drain);
    window::drain(&shared, Duration::from_secs(args.drain)).await;
    let span = began.elapsed().as_secs_f64().ceil() as usize;
    let aborted = window::stop(&phase_tx, &mut tasks).await;
    if aborted > 0 {
        notes.push(format!("{aborted} client tasks did not stop in time"));
    }
    let server_cut_slow = summed(sides, "chimpassist_connections_cut_slow_total").await;
    let server_coalesced = summed(sides, "chimpassist_outbound_coalesced_total").await;

    let intact = watch.intact();
    let kept = shared.ledgers.tally_where(&intact);
    let left_out = shared.ledgers.tally_where(|id| !intact(id));
    let everything = shared.ledgers.tally();
    notes.extend(kept.notes());
    let answered = Shared::load(&shared.acked) + Shared::load(&shared.send_failed);
    let unanswered = Shared::load(&shared.sent).saturating_sub(answered);
    if unanswered > 0 {
        notes.push(format!(
            "{unanswered} sends still unacked after the {} s drain",
            args.drain
        ));
    }
    measured.messages.send_failed = Shared::load(&shared.send_failed);
    let answers = watch.answers();
    let rush = RushReport {
        capacity: args.capacity(),
        ramp_s: args.ramp,
        requests: connected,
        frames: aggregate(&watch.buckets(), span),
        cut: watch.cuts(),
        assignments_delivered: watch.assignments(),
        assignments_matched: watch.matched(),
        customers_told_assigned: watch.told_assigned.load(Ordering::Relaxed),
        waits: Waits::of(&answers),
        never_answered: connected.saturating_sub(answers.len() as u64),
        settled_s,
        rush_server_cores,
        rush_loadgen_cores,
        undeliverable_acked: left_out.lost,
        conversations_left_out: left_out_conversations(&shared, &intact),
        server_cut_slow,
        server_coalesced,
    };
    let sockets = connected + args.attendants as u64;
    let (latency, ack, _) = shared.summaries();
    let end = procfs::memory_of(&sides.pids);
    Ok(RunResult {
        target: Kind::Chimp.as_str(),
        scenario: args.scenario,
        customers: args.customers,
        attendants: args.attendants,
        seconds: measured.seconds,
        sockets,
        connect: Connect {
            attempted: args.customers as u64,
            connected,
            seconds: ramp_seconds,
            per_second: window::per_second(connected, ramp_seconds),
            target_cores: rush_server_cores,
        },
        memory: Memory {
            before_kib: before.rss_kib,
            loaded_kib: loaded.rss_kib,
            after_kib: measured.rss_after_kib,
            peak_kib: end.peak_kib,
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
        lost: kept.lost,
        duplicated: everything.duplicated,
        target_log_lines: 0,
        cluster: None,
        notes,
        fault: None,
        rush: Some(rush),
    })
}

/// A counter of the server's, summed over the nodes (customers' and attendants'); `None`
/// when a node does not answer.
async fn summed(sides: &Sides, series: &str) -> Option<u64> {
    let mut ports = vec![sides.customers, sides.attendants];
    ports.dedup();
    let mut total = 0;
    for port in ports {
        total += metric(port, series).await?;
    }
    Some(total)
}

/// An attendant online: `hello` with `batch`, then its `welcome`.
async fn desk(port: u16, cookie: &str, source: Option<std::net::Ipv4Addr>) -> Result<Ws, String> {
    let mut ws = wire::connect(port, "/ws/attendant", source, Some(cookie)).await?;
    ws.send(wire::hello_batch())
        .await
        .map_err(|_| "closed sending hello".to_owned())?;
    wire::expect(&mut ws, "welcome", WELCOME).await?;
    Ok(ws)
}

/// A customer who said hello and asked for a chat; returns when it asked.
async fn request(
    port: u16,
    k: usize,
    source: Option<std::net::Ipv4Addr>,
) -> Result<(Ws, Instant), String> {
    let (mut ws, _) = open::customer(Kind::Chimp, port, k, source, false).await?;
    ws.send(wire::start_chat())
        .await
        .map_err(|_| "closed sending start_chat".to_owned())?;
    Ok((ws, Instant::now()))
}

/// Waits until every connected customer was answered and every assignment a customer was
/// told of reached an attendant, or nothing moved for [`QUIET`], or [`SETTLE`] passed.
async fn settle(watch: &Watch, customers: u64) {
    let deadline = Instant::now() + SETTLE;
    let progress = || {
        (
            watch.answered.load(Ordering::Relaxed),
            watch.assignments(),
            watch.told_assigned.load(Ordering::Relaxed),
        )
    };
    let (mut last, mut moved) = (progress(), Instant::now());
    while Instant::now() < deadline && moved.elapsed() < QUIET {
        let (answered, assignments, told) = progress();
        if answered as u64 >= customers && assignments >= told {
            return;
        }
        if (answered, assignments, told) != last {
            (last, moved) = ((answered, assignments, told), Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Conversations with acked or delivered messages that the report leaves out of LOST.
fn left_out_conversations(shared: &Shared, intact: &impl Fn(&str) -> bool) -> u64 {
    shared.ledgers.count_where(|id| !intact(id))
}
