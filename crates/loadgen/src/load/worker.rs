//! The `idle` client side, in worker processes: each opens its share of customer sockets
//! (hello only), reports, holds them open (answering the server's pings) until told to stop,
//! and reports again. Spreading the sockets over processes keeps each one far below the
//! 20,000 open-files hard limit, so the client side is never what caps the measurement.
//!
//! Protocol with the parent, one JSON line each on stdout: [`Ready`] once every socket is
//! open or failed, then [`Done`] after a line (or EOF) on stdin, or after a deadline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncBufReadExt;
use tokio::sync::watch;

use crate::cli::Args;
use crate::wire::{self, Ws};
use crate::{open, procfs, stats::Shared};

/// Sockets per worker when `--workers` is 0.
pub(crate) const SOCKETS_PER_WORKER: usize = 8000;
/// Hold this long past `--duration` at most, if the parent never says stop.
const GRACE: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Ready {
    pub(crate) connected: u64,
    pub(crate) seconds: f64,
    pub(crate) errors: BTreeMap<String, u64>,
    /// This worker's own RSS before and after opening its sockets (client-side cost, with
    /// 4 KiB tungstenite buffers: a reference point for the target's cost per socket).
    pub(crate) rss_before_kib: u64,
    pub(crate) rss_after_kib: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Done {
    /// Sockets the server closed (or that failed) while they were being held.
    pub(crate) closed_early: u64,
}

/// Entry point of a worker process (`--worker`).
pub(crate) fn main(args: &Args) -> anyhow::Result<()> {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("worker: could not raise the open-files limit: {e}");
    }
    // One thread per worker: several workers already spread over the cores.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the worker runtime")?
        .block_on(run(args))
}

async fn run(args: &Args) -> anyhow::Result<()> {
    let errors = Arc::new(Shared::new());
    let closed_early = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut holders = tokio::task::JoinSet::new();
    let rss_before_kib = procfs::memory(std::process::id()).rss_kib;
    let started = Instant::now();
    let mut opening = futures_util::stream::iter(0..args.customers)
        .map(|i| {
            let k = args.worker_first + i;
            let source = wire::source_addr(k, args.sources);
            open::customer(args.worker_kind, args.worker_port, k, source, false)
        })
        .buffer_unordered(args.concurrency);
    let mut connected = 0_u64;
    while let Some(result) = opening.next().await {
        match result {
            Ok((ws, _)) => {
                connected += 1;
                holders.spawn(hold(ws, stop_rx.clone(), Arc::clone(&closed_early)));
            }
            Err(label) => errors.error(&label),
        }
    }
    drop(opening);
    let ready = Ready {
        connected,
        seconds: started.elapsed().as_secs_f64(),
        errors: errors.errors(),
        rss_before_kib,
        rss_after_kib: procfs::memory(std::process::id()).rss_kib,
    };
    println!(
        "{}",
        serde_json::to_string(&ready).context("encoding ready")?
    );

    let deadline = Duration::from_secs(args.duration) + GRACE;
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let _ = tokio::time::timeout(deadline, stdin.next_line()).await;
    let _ = stop_tx.send(true);
    while holders.join_next().await.is_some() {}
    let done = Done {
        closed_early: closed_early.load(Ordering::Relaxed),
    };
    println!("{}", serde_json::to_string(&done).context("encoding done")?);
    Ok(())
}

/// Keeps one socket open, reading so pings are answered, until stop.
async fn hold(mut ws: Ws, mut stop: watch::Receiver<bool>, closed_early: Arc<AtomicU64>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            message = ws.next() => match message {
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    closed_early.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            },
        }
    }
}
