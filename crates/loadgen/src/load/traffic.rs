//! `chat` and `burst`: attendants and customers connected and paired, then a measured window
//! of messages both ways (`chat`: a steady rate with typing and receipts, like people) or
//! customers only, as fast as acks return (`burst`: a window of unacked sends each).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::{Args, Kind, Scenario};
use crate::endpoint::{Counter, Endpoint, Phase, Receipts, Sending};
use crate::procfs::CpuMeter;
use crate::report::{Connect, Memory, RunResult};
use crate::stats::{Recorder, Shared};
use crate::target::Sides;
use crate::window::{self, Window};
use crate::{chimp, open, procfs, wire};

/// How long assignment of every conversation may take once customers are connected.
const ASSIGNMENT: Duration = Duration::from_secs(30);
/// Receipt periods: `read` receipts in chat, cumulative `delivered` in burst.
const READ_EVERY: Duration = Duration::from_secs(1);
const BATCH_RECEIPTS: Duration = Duration::from_millis(100);

struct Policies {
    customer: Sending,
    attendant: Sending,
    receipts: Receipts,
}

fn policies(args: &Args) -> Policies {
    let rate = |phase| Sending::Rate {
        per_conversation: args.rate,
        phase,
    };
    match args.scenario {
        Scenario::Burst => Policies {
            customer: Sending::Window(args.window),
            attendant: Sending::Never,
            receipts: Receipts::Batched(BATCH_RECEIPTS),
        },
        _ => Policies {
            customer: rate(0.0),
            attendant: rate(0.0),
            receipts: Receipts::EachDelivered {
                read_every: Some(READ_EVERY),
            },
        },
    }
}

/// Gives a rate policy its own phase so sockets do not all send on the same tick.
fn spread(sending: Sending, k: usize) -> Sending {
    match sending {
        Sending::Rate {
            per_conversation, ..
        } => Sending::Rate {
            per_conversation,
            phase: window::spread(k),
        },
        other => other,
    }
}

pub(crate) async fn run(target: &Sides, args: &Args) -> anyhow::Result<RunResult> {
    let shared = Shared::new();
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let mut tasks = JoinSet::new();
    let policy = policies(args);
    let mut notes = Vec::new();

    // Attendants first, so conversations are assigned as customers arrive.
    let assigned = Arc::new(Counter::default());
    let cookies = match target.kind {
        Kind::Chimp => chimp::attendant_cookies(target.rest, args.attendants, args.capacity())
            .await
            .context("setting up attendants")?,
        Kind::Relay => Vec::new(),
    };
    // After the REST setup: its Argon2 hashing grows the heap by tens of MiB that are
    // never returned, and that is not what sockets cost.
    let before = procfs::memory_of(&target.pids);
    for j in 0..args.attendants {
        let pairs = open::relay_pairs(j, args.attendants, args.customers);
        let source = wire::source_addr(args.customers + j, args.sources);
        let ws = open::attendant(
            target.kind,
            target.attendants,
            cookies.get(j).map(String::as_str),
            &pairs,
            source,
        )
        .await
        .map_err(|e| anyhow::anyhow!("attendant {j} could not connect: {e}"))?;
        let mut endpoint = Endpoint::new(
            ws,
            "attendant",
            spread(policy.attendant, args.customers + j),
            policy.receipts,
            Recorder::new(&shared),
        );
        match target.kind {
            Kind::Chimp => endpoint = endpoint.learn_assignments(Arc::clone(&assigned)),
            Kind::Relay => pairs.iter().for_each(|p| endpoint.hold(&p.to_string())),
        }
        tasks.spawn(endpoint.run(phase_rx.clone()));
    }

    // Customers, `concurrency` handshakes at a time.
    let started = Instant::now();
    let connect_cpu = CpuMeter::start(&target.pids);
    let mut opening = futures_util::stream::iter(0..args.customers)
        .map(|k| {
            let source = wire::source_addr(k, args.sources);
            async move {
                let result = open::customer(target.kind, target.customers, k, source, true).await;
                (k, result)
            }
        })
        .buffer_unordered(args.concurrency);
    let mut connected = 0_u64;
    while let Some((k, result)) = opening.next().await {
        match result {
            Ok((ws, conversation)) => {
                connected += 1;
                let mut endpoint = Endpoint::new(
                    ws,
                    "customer",
                    spread(policy.customer, k),
                    policy.receipts,
                    Recorder::new(&shared),
                );
                endpoint.hold(&conversation);
                tasks.spawn(endpoint.run(phase_rx.clone()));
            }
            Err(label) => shared.error(&format!("customer setup: {label}")),
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let connect_cores = connect_cpu.cores().0;
    if target.kind == Kind::Chimp {
        let seen = assigned
            .wait_for(usize::try_from(connected).unwrap_or(usize::MAX), ASSIGNMENT)
            .await;
        if seen < usize::try_from(connected).unwrap_or(usize::MAX) {
            notes.push(format!(
                "only {seen} of {connected} assignments reached the attendants"
            ));
        }
    }

    let loaded = procfs::memory_of(&target.pids);
    let window = Window::open(&target.pids, &shared).engines(&target.engines);
    let _ = phase_tx.send(Phase::Run);
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let mut measured = window.close(&target.pids, &shared);
    let _ = phase_tx.send(Phase::Drain);
    window::drain(&shared, Duration::from_secs(args.drain)).await;
    let aborted = window::stop(&phase_tx, &mut tasks).await;
    if aborted > 0 {
        notes.push(format!("{aborted} client tasks did not stop in time"));
    }
    let tally = shared.ledgers.tally();
    notes.extend(tally.notes());
    let answered = Shared::load(&shared.acked) + Shared::load(&shared.send_failed);
    let unanswered = Shared::load(&shared.sent).saturating_sub(answered);
    if unanswered > 0 {
        // Not lost (never acked): the target fell behind the offered rate.
        notes.push(format!(
            "{unanswered} sends still unacked after the {} s drain: the target did not keep \
             up with the offered rate",
            args.drain
        ));
    }
    measured.messages.send_failed = Shared::load(&shared.send_failed);
    let sockets = connected + args.attendants as u64;
    let (latency, ack, _) = shared.summaries();
    let end = procfs::memory_of(&target.pids);
    Ok(RunResult {
        target: target.kind.as_str(),
        scenario: args.scenario,
        customers: args.customers,
        attendants: args.attendants,
        seconds: measured.seconds,
        sockets,
        connect: Connect {
            attempted: args.customers as u64,
            connected,
            seconds: connect_seconds,
            per_second: window::per_second(connected, connect_seconds),
            target_cores: connect_cores,
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
        lost: tally.lost,
        duplicated: tally.duplicated,
        target_log_lines: 0,
        cluster: None,
        notes,
        fault: None,
        rush: None,
    })
}

/// Memory growth per open socket, bytes.
pub(crate) fn per_socket(before_kib: u64, loaded_kib: u64, sockets: u64) -> Option<f64> {
    (sockets > 0).then(|| loaded_kib.saturating_sub(before_kib) as f64 * 1024.0 / sockets as f64)
}
