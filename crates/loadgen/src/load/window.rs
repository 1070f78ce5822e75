//! The measured window shared by the message scenarios: snapshot counters and CPU at its
//! start and end, let in-flight messages drain, stop every task, and tally the ledgers.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::endpoint::Phase;
use crate::procfs::{self, CpuMeter};
use crate::report::{Cpu, Messages};
use crate::stats::Shared;

/// How long tasks get to close their sockets after `Stop`.
const STOP: Duration = Duration::from_secs(15);

/// An open measurement window.
#[derive(Debug)]
pub(crate) struct Window {
    started: Instant,
    cpu: CpuMeter,
    /// A cluster's SecantusDB and mosquitto, measured apart from the nodes.
    engines: Option<CpuMeter>,
    sent: u64,
    acked: u64,
    delivered: u64,
}

/// What the window measured.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) seconds: f64,
    pub(crate) cpu: Cpu,
    pub(crate) messages: Messages,
    pub(crate) rss_after_kib: u64,
}

impl Window {
    /// Opens a window over the target's processes `pids`.
    pub(crate) fn open(pids: &[u32], shared: &Shared) -> Self {
        Self {
            started: Instant::now(),
            cpu: CpuMeter::start(pids),
            engines: None,
            sent: Shared::load(&shared.sent),
            acked: Shared::load(&shared.acked),
            delivered: Shared::load(&shared.delivered),
        }
    }

    /// Also measures the CPU of `pids` (a cluster's engines), if there are any.
    pub(crate) fn engines(mut self, pids: &[u32]) -> Self {
        self.engines = (!pids.is_empty()).then(|| CpuMeter::start(pids));
        self
    }

    /// Ends the window: rates count only what happened inside it.
    pub(crate) fn close(self, pids: &[u32], shared: &Shared) -> Measured {
        let seconds = self.started.elapsed().as_secs_f64();
        let (target_cores, loadgen_cores) = self.cpu.cores();
        let sent = Shared::load(&shared.sent) - self.sent;
        let acked = Shared::load(&shared.acked) - self.acked;
        let delivered = Shared::load(&shared.delivered) - self.delivered;
        Measured {
            seconds,
            cpu: Cpu {
                target_cores,
                loadgen_cores,
                engines_cores: self.engines.map(|m| m.cores().0),
            },
            messages: Messages {
                sent,
                acked,
                delivered,
                send_failed: 0,
                acked_per_second: acked as f64 / seconds,
                delivered_per_second: delivered as f64 / seconds,
            },
            rss_after_kib: procfs::memory_of(pids).rss_kib,
        }
    }
}

/// Waits (at most `within`) until every endpoint has left `Run` (so none sends any more),
/// every sent message is answered and every acked one is delivered; the lost ones never are,
/// so a loss costs the whole drain period.
pub(crate) async fn drain(shared: &Shared, within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        // Read before `sent`: an endpoint counts its last send before it leaves `Run`.
        if shared.sending.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let sent = Shared::load(&shared.sent);
        let answered = Shared::load(&shared.acked) + Shared::load(&shared.send_failed);
        let delivered = Shared::load(&shared.delivered);
        if answered >= sent && delivered >= Shared::load(&shared.acked) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Tells every task to stop and waits for them (aborting stragglers after [`STOP`]).
pub(crate) async fn stop(phase: &watch::Sender<Phase>, tasks: &mut JoinSet<()>) -> usize {
    let _ = phase.send(Phase::Stop);
    let deadline = Instant::now() + STOP;
    while !tasks.is_empty() {
        if tokio::time::timeout_at(deadline, tasks.join_next())
            .await
            .is_err()
        {
            let left = tasks.len();
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
            return left;
        }
    }
    0
}

/// Spreads socket `k`'s first send over the period (golden-ratio sequence: even, no RNG).
pub(crate) fn spread(k: usize) -> f64 {
    (k as f64 * 0.618_033_988_749_895).fract()
}

/// Rounds a count per second for people.
pub(crate) fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}
