//! `churn`: customers who come, say one thing, and leave. At `--rate` new cycles per second
//! (at most `--customers` in flight), each cycle connects, says hello, starts a chat (server:
//! waits for `assigned`), sends one message, waits for its ack and the attendant's
//! `delivered` receipt, ends the chat and closes.
//! Attendants stay connected and receive every message, so losses are still checked.
//!
//! `end_chat` frees the attendant's capacity at once; without it each abandoned conversation
//! would hold a slot for the server's whole session keep-alive (10 min by default).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use futures_util::SinkExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::{Args, Kind};
use crate::endpoint::{Endpoint, Phase, Receipts, Sending, client_id};
use crate::report::{Churn, Connect, Memory, RunResult};
use crate::stats::{Recorder, Shared, micros_between};
use crate::target::Target;
use crate::window::{self, Window};
use crate::wire::{self, Frame};
use crate::{chimp, open, procfs};

/// How long one cycle may take before it counts as failed.
const CYCLE: Duration = Duration::from_secs(30);

/// How the cycles ended.
#[derive(Debug, Default)]
struct Outcomes {
    completed: AtomicU64,
    failed: AtomicU64,
}

pub(crate) async fn run(target: &Target, args: &Args) -> anyhow::Result<RunResult> {
    let shared = Shared::new();
    let (phase_tx, phase_rx) = watch::channel(Phase::Setup);
    let mut attendants = JoinSet::new();
    let cookies = match target.kind {
        Kind::Chimp => chimp::attendant_cookies(target.port, args.attendants, args.capacity())
            .await
            .context("setting up attendants")?,
        Kind::Relay => Vec::new(),
    };
    // After the REST setup: its Argon2 hashing grows the heap by tens of MiB that are
    // never returned, and that is not what sockets cost.
    let before = procfs::memory(target.pid);
    for j in 0..args.attendants {
        // Relay: slot k of the customers is pair k, held by attendant k % attendants.
        let pairs = open::relay_pairs(j, args.attendants, args.customers);
        let source = wire::source_addr(j, args.sources);
        let cookie = cookies.get(j).map(String::as_str);
        let ws = open::attendant(target.kind, target.port, cookie, &pairs, source)
            .await
            .map_err(|e| anyhow::anyhow!("attendant {j} could not connect: {e}"))?;
        // `delivered` only: a periodic `read` would race with the customers' `end_chat`.
        let receipts = Receipts::EachDelivered { read_every: None };
        let endpoint = Endpoint::new(
            ws,
            "attendant",
            Sending::Never,
            receipts,
            Recorder::new(&shared),
        );
        attendants.spawn(endpoint.run(phase_rx.clone()));
    }
    let _ = phase_tx.send(Phase::Run);

    let slots = Arc::new(Mutex::new((0..args.customers).rev().collect::<Vec<_>>()));
    let permits = Arc::new(Semaphore::new(args.customers));
    let outcomes = Arc::new(Outcomes::default());
    let mut cycles = JoinSet::new();
    let window = Window::open(&[target.pid], &shared);
    let end = Instant::now() + Duration::from_secs(args.duration);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
    let mut started = 0_u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = tokio::time::sleep_until(end) => break,
        }
        let Ok(permit) = tokio::time::timeout_at(end, Arc::clone(&permits).acquire_owned()).await
        else {
            break;
        };
        let Ok(permit) = permit else { break };
        let Some(slot) = slots.lock().unwrap_or_else(PoisonError::into_inner).pop() else {
            break;
        };
        let index = usize::try_from(started).unwrap_or(0);
        started += 1;
        let (slots, outcomes) = (Arc::clone(&slots), Arc::clone(&outcomes));
        let mut rec = Recorder::new(&shared);
        let (kind, port) = (target.kind, target.port);
        let source = wire::source_addr(index + args.attendants, args.sources);
        cycles.spawn(async move {
            let t0 = wire::now_ns();
            match tokio::time::timeout(CYCLE, cycle(kind, port, slot, source, &mut rec)).await {
                Ok(Ok(())) => {
                    rec.cycle(micros_between(t0, wire::now_ns()));
                    outcomes.completed.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(label)) => {
                    rec.error(&format!("cycle: {label}"));
                    outcomes.failed.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    rec.error("cycle: timeout");
                    outcomes.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(slot);
            drop(permit);
        });
        // Reap finished cycles as we go so the set stays small.
        while cycles.try_join_next().is_some() {}
    }
    while tokio::time::timeout(CYCLE, cycles.join_next())
        .await
        .ok()
        .flatten()
        .is_some()
    {}
    cycles.abort_all();
    let mut measured = window.close(&[target.pid], &shared);
    let _ = phase_tx.send(Phase::Drain);
    window::drain(&shared, Duration::from_secs(args.drain)).await;
    window::stop(&phase_tx, &mut attendants).await;

    let completed = Shared::load(&outcomes.completed);
    let failed = Shared::load(&outcomes.failed);
    let tally = shared.ledgers.tally();
    measured.messages.send_failed = Shared::load(&shared.send_failed);
    let (latency, ack, cycle_ms) = shared.summaries();
    let end_memory = procfs::memory(target.pid);
    let mut notes = vec![format!(
        "target rate {:.0} cycles/s, at most {} in flight",
        args.rate, args.customers
    )];
    if tally.unacked_delivered > 0 {
        notes.push(format!(
            "{} messages delivered without their ack",
            tally.unacked_delivered
        ));
    }
    Ok(RunResult {
        target: target.kind.as_str(),
        scenario: args.scenario,
        customers: args.customers,
        attendants: args.attendants,
        seconds: measured.seconds,
        sockets: args.attendants as u64,
        connect: Connect {
            attempted: started,
            connected: completed,
            seconds: measured.seconds,
            per_second: window::per_second(completed, measured.seconds),
            target_cores: measured.cpu.target_cores,
        },
        memory: Memory {
            before_kib: before.rss_kib,
            loaded_kib: before.rss_kib,
            after_kib: measured.rss_after_kib,
            peak_kib: end_memory.peak_kib,
            per_socket_bytes: None,
            client_per_socket_bytes: None,
        },
        cpu: measured.cpu,
        messages: measured.messages,
        latency_ms: latency,
        ack_latency_ms: ack,
        cycle_ms,
        churn: Some(Churn {
            started,
            completed,
            failed,
            per_second: window::per_second(completed, measured.seconds),
        }),
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

/// One customer's visit. Errors are short labels.
async fn cycle(
    kind: Kind,
    port: u16,
    slot: usize,
    source: Option<std::net::Ipv4Addr>,
    rec: &mut Recorder,
) -> Result<(), String> {
    let (mut ws, conversation) = open::customer(kind, port, slot, source, true).await?;
    let ledger = rec.shared().ledgers.get(&conversation);
    let id = client_id();
    let sent_ns = wire::now_ns();
    let text = wire::stamped_text(sent_ns);
    ws.send(wire::send(&conversation, &id, &text))
        .await
        .map_err(|_| "closed sending".to_owned())?;
    rec.sent();
    // Leave once the message is acked and the attendant's `delivered` receipt came back, as
    // a person leaves after seeing "delivered" (and so the attendant's receipt never races
    // with `end_chat`).
    let deadline = std::time::Instant::now() + CYCLE;
    let (mut acked, mut receipted) = (false, false);
    while !(acked && receipted) {
        let frame = wire::next_text(&mut ws, deadline).await?;
        let Some(parsed) = Frame::parse(&frame) else {
            continue;
        };
        match &*parsed.kind {
            "ack" if parsed.client_id.as_deref() == Some(id.as_str()) => {
                if let Some(seq) = parsed.seq {
                    ledger.acked(seq);
                }
                rec.acked(micros_between(sent_ns, wire::now_ns()));
                acked = true;
            }
            "receipt" => receipted = true,
            "error" if parsed.client_id.as_deref() == Some(id.as_str()) => {
                let code = parsed.code.as_deref().unwrap_or("error").to_owned();
                rec.send_failed(&code);
                return Err(code);
            }
            _ => {}
        }
    }
    if kind == Kind::Chimp {
        ws.send(wire::end_chat(&conversation))
            .await
            .map_err(|_| "closed sending end_chat".to_owned())?;
    }
    // A full close handshake: the server reads `end_chat` before our close frame, so once
    // its close comes back the conversation is resolved and the attendant's slot is free.
    let _ = ws.close(None).await;
    let closing = std::time::Instant::now() + Duration::from_secs(5);
    while wire::next_text(&mut ws, closing).await.is_ok() {}
    Ok(())
}
