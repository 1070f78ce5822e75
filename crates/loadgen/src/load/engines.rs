//! The two engines a cluster shares, as child processes of the load generator: SecantusDB (a
//! MongoDB wire-protocol server in Python; no `mongod` exists here) and Debian's mosquitto.
//! Each runs on a free loopback port over a temporary directory, and can be stopped by its
//! PID and started again on the same port (and, for SecantusDB, the same data): the outage
//! scenarios do exactly that.
//!
//! # Nothing outlives the run
//! Each engine runs under a small `sh` watchdog in a process group of its own (a Ctrl-C
//! meant for the load generator does not stop it half-way), whose stdin is a pipe from this
//! process. When the pipe closes — the engine is dropped, or the load generator is gone, even
//! killed — the watchdog kills the engine by its PID. The watchdog prints that PID first, so
//! the load generator can stop the engine itself without ending the watchdog.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Starts the engine (`$2…`) with its output appended to `$1`, prints its PID, and kills it
/// when stdin closes.
const WATCHDOG: &str = r#"
log="$1"; shift
"$@" </dev/null >>"$log" 2>&1 &
pid=$!
echo "$pid"
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

/// How long an engine may take to open its port (SecantusDB: under a second, usually).
const START: Duration = Duration::from_secs(30);
/// How long a stopped engine may take to exit (SecantusDB: 2–4 s after SIGTERM).
const EXIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);

/// Which engine, and how it is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Secantus,
    Mosquitto,
}

impl Which {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Secantus => "SecantusDB",
            Self::Mosquitto => "mosquitto",
        }
    }
}

/// A running (or, between [`stop`](Self::stop) and [`start`](Self::start), stopped) engine.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) which: Which,
    pub(crate) port: u16,
    binary: PathBuf,
    /// Configuration, data and log; removed on drop (after the watchdog killed the engine).
    dir: tempfile::TempDir,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    pid: u32,
    /// Its stdin is the lifeline: dropping the child closes it.
    _watchdog: Child,
}

impl Engine {
    /// Starts `which` from `binary` on a free port over a fresh temporary directory.
    pub(crate) async fn launch(which: Which, binary: &Path) -> anyhow::Result<Self> {
        anyhow::ensure!(
            binary.is_file(),
            "{} is not installed: {} does not exist. Run `cargo xtask setup`, or pass its path \
             (--secantusd / --mosquitto, or CHIMPASSIST_SECANTUSD / CHIMPASSIST_MOSQUITTO)",
            which.as_str(),
            binary.display()
        );
        let dir = tempfile::Builder::new()
            .prefix(match which {
                Which::Secantus => "chimpassist-load-secantus-",
                Which::Mosquitto => "chimpassist-load-mosquitto-",
            })
            .tempdir()
            .context("creating an engine directory")?;
        let port = crate::target::free_port()?;
        if which == Which::Mosquitto {
            std::fs::write(dir.path().join("mosquitto.conf"), mosquitto_config(port))
                .context("writing the mosquitto configuration")?;
        }
        let mut engine = Self {
            which,
            port,
            binary: binary.to_owned(),
            dir,
            running: None,
        };
        engine.start().await?;
        Ok(engine)
    }

    /// Starts the stopped engine again on the same port (and data), and waits until it
    /// accepts connections.
    pub(crate) async fn start(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.running.is_none(),
            "{} runs already",
            self.which.as_str()
        );
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(WATCHDOG)
            .arg("engine-watchdog")
            .arg(self.dir.path().join("engine.log"))
            .arg(&self.binary);
        match self.which {
            Which::Secantus => command
                .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
                .arg("--storage-path")
                .arg(self.dir.path().join("data"))
                .args(["--log-level", "WARNING"]),
            Which::Mosquitto => command
                .arg("-c")
                .arg(self.dir.path().join("mosquitto.conf")),
        };
        let mut watchdog = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", self.which.as_str()))?;
        let stdout = watchdog.stdout.take().context("the watchdog's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .context("reading the engine's PID")?;
        let pid = line.trim().parse().context("the watchdog printed no PID")?;
        self.running = Some(Running {
            pid,
            _watchdog: watchdog,
        });
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            if started.elapsed() > START || crate::procfs::exited(pid) {
                bail!(
                    "{} did not open port {} within {START:?}; its log:\n{}",
                    self.which.as_str(),
                    self.port,
                    self.log_tail(20)
                );
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// Sends `signal` (`TERM`, `KILL`) to the engine by its PID and waits until it has exited
    /// and its port is closed. An engine still there after [`EXIT`] gets SIGKILL (a
    /// SecantusDB whose connection thread is stuck never exits on SIGTERM, and spins).
    pub(crate) async fn stop(&mut self, signal: &str) -> anyhow::Result<()> {
        let running = self.running.take().context("the engine is not running")?;
        signal_pid(signal, running.pid).await?;
        if !self.exited(running.pid).await {
            eprintln!(
                "warning: {} did not exit within {EXIT:?} of SIG{signal}; sending SIGKILL",
                self.which.as_str()
            );
            signal_pid("KILL", running.pid).await?;
            anyhow::ensure!(
                self.exited(running.pid).await,
                "{} did not exit even after SIGKILL",
                self.which.as_str()
            );
        }
        // Dropping the watchdog closes its lifeline; it reaps the engine and ends.
        drop(running);
        Ok(())
    }

    /// Waits (at most [`EXIT`]) until `pid` has exited and the port is closed.
    async fn exited(&self, pid: u32) -> bool {
        let started = Instant::now();
        while !crate::procfs::exited(pid)
            || tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
        {
            if started.elapsed() > EXIT {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }

    /// The engine's PID while it runs (to measure its CPU).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.pid)
    }

    /// The last `lines` lines the engine wrote.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("engine.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// `kill -SIGNAL pid` (no unsafe code for `kill(2)`).
async fn signal_pid(signal: &str, pid: u32) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .await
        .context("running kill")?;
    anyhow::ensure!(status.success(), "kill -{signal} {pid} failed");
    Ok(())
}

/// The test broker's settings (as `server/src/bus/mosquitto.rs` has them): mosquitto's
/// defaults (1,000 queued, 20 in flight per client) drop QoS 1 messages in bursts, and
/// without `set_tcp_nodelay` Nagle holds small events back 40 ms.
fn mosquitto_config(port: u16) -> String {
    format!(
        "listener {port} 127.0.0.1\n\
         allow_anonymous true\n\
         max_queued_messages 1000000\n\
         max_inflight_messages 100\n\
         set_tcp_nodelay true\n\
         persistence false\n\
         log_dest stderr\n\
         user root\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_broker_keeps_qos1_bursts_and_listens_on_loopback_only() {
        let config = super::mosquitto_config(18830);
        assert!(config.starts_with("listener 18830 127.0.0.1\n"));
        for line in [
            "allow_anonymous true",
            "max_queued_messages 1000000",
            "max_inflight_messages 100",
            "set_tcp_nodelay true",
            "persistence false",
        ] {
            assert!(config.lines().any(|l| l == line), "{line}");
        }
    }
}
