//! `idle`: how many customer sockets (hello only) the target holds, how fast they open, and
//! what each costs in memory. The sockets live in worker processes (see [`crate::worker`]);
//! this side starts them, measures the target, and stops them.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::Instant;

use crate::cli::Args;
use crate::procfs::{self, CpuMeter};
use crate::report::{Connect, Cpu, Memory, Messages, RunResult};
use crate::target::Target;
use crate::traffic::per_socket;
use crate::worker::{Done, Ready, SOCKETS_PER_WORKER};

/// How long workers may take to open their sockets.
const OPENING: Duration = Duration::from_secs(300);
/// How long workers may take to let go of them.
const CLOSING: Duration = Duration::from_secs(30);

struct Worker {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    async fn line<T: serde::de::DeserializeOwned>(&mut self, within: Duration) -> Option<T> {
        let line = tokio::time::timeout(within, self.lines.next_line())
            .await
            .ok()?
            .ok()??;
        serde_json::from_str(&line).ok()
    }
}

pub(crate) async fn run(target: &Target, args: &Args) -> anyhow::Result<RunResult> {
    let before = procfs::memory(target.pid);
    let count = if args.workers > 0 {
        args.workers
    } else {
        args.customers.div_ceil(SOCKETS_PER_WORKER)
    }
    .clamp(1, args.customers);
    let exe = std::env::current_exe().context("locating this program to start workers")?;
    let started = Instant::now();
    let opening = CpuMeter::start(&[target.pid]);
    let mut workers = Vec::with_capacity(count);
    let mut first = 0;
    for w in 0..count {
        let share = args.customers / count + usize::from(w < args.customers % count);
        let mut child = Command::new(&exe)
            .arg("--worker")
            .arg(format!("--worker-port={}", target.port))
            .arg(format!("--worker-kind={}", target.kind.as_str()))
            .arg(format!("--worker-first={first}"))
            .arg(format!("--customers={share}"))
            .arg(format!("--sources={}", args.sources))
            .arg(format!(
                "--concurrency={}",
                args.concurrency.div_ceil(count)
            ))
            .arg(format!("--duration={}", args.duration))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting an idle worker")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        workers.push(Worker {
            child,
            lines: BufReader::new(stdout).lines(),
        });
        first += share;
    }

    let mut connected = 0;
    let mut client_kib = 0;
    let mut errors = BTreeMap::new();
    for (w, worker) in workers.iter_mut().enumerate() {
        let Some(ready) = worker.line::<Ready>(OPENING).await else {
            bail!("idle worker {w} did not report its sockets");
        };
        connected += ready.connected;
        client_kib += ready.rss_after_kib.saturating_sub(ready.rss_before_kib);
        for (label, n) in ready.errors {
            *errors.entry(format!("connect: {label}")).or_default() += n;
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let connect_cores = opening.cores().0;
    let loaded = procfs::memory(target.pid);
    let cpu = CpuMeter::start(&[target.pid]);
    let workers_cpu = |workers: &[Worker]| -> f64 {
        workers
            .iter()
            .filter_map(|w| w.child.id())
            .map(procfs::cpu_seconds)
            .sum()
    };
    let workers_start = workers_cpu(&workers);
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.duration)).await;
    let seconds = window.elapsed().as_secs_f64();
    let (target_cores, own_cores) = cpu.cores();
    let loadgen_cores = own_cores + (workers_cpu(&workers) - workers_start) / seconds;
    let after = procfs::memory(target.pid);

    let mut closed_early = 0;
    for worker in &mut workers {
        if let Some(stdin) = worker.child.stdin.as_mut() {
            let _ = stdin.write_all(b"stop\n").await;
        }
        if let Some(done) = worker.line::<Done>(CLOSING).await {
            closed_early += done.closed_early;
        }
        let _ = tokio::time::timeout(CLOSING, worker.child.wait()).await;
        let _ = worker.child.start_kill();
    }
    if closed_early > 0 {
        errors.insert("closed by the target while idle".into(), closed_early);
    }
    let notes = vec![
        format!("{count} client worker processes; sockets say hello and are held open"),
        format!(
            "the target's open-files limit caps sockets near {} (fd hard limit)",
            rlimit::Resource::NOFILE.get().map_or(0, |(_, hard)| hard)
        ),
    ];
    Ok(RunResult {
        target: target.kind.as_str(),
        scenario: args.scenario,
        customers: args.customers,
        attendants: 0,
        seconds,
        sockets: connected,
        connect: Connect {
            attempted: args.customers as u64,
            connected,
            seconds: connect_seconds,
            per_second: crate::window::per_second(connected, connect_seconds),
            target_cores: connect_cores,
        },
        memory: Memory {
            before_kib: before.rss_kib,
            loaded_kib: loaded.rss_kib,
            after_kib: after.rss_kib,
            peak_kib: after.peak_kib,
            per_socket_bytes: per_socket(before.rss_kib, loaded.rss_kib, connected),
            client_per_socket_bytes: per_socket(0, client_kib, connected),
        },
        cpu: Cpu {
            target_cores,
            loadgen_cores,
            engines_cores: None,
        },
        messages: Messages::default(),
        latency_ms: None,
        ack_latency_ms: None,
        cycle_ms: None,
        churn: None,
        errors,
        lost: 0,
        duplicated: 0,
        target_log_lines: 0,
        cluster: None,
        notes,
        fault: None,
        rush: None,
    })
}
