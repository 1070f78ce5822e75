//! The system under test as a child process: started on a free loopback port with a fresh
//! temporary data directory, waited on until it answers, and killed (by its PID) when dropped.
//! Owning the process is what lets the benchmark read its memory and CPU from `/proc`.
//!
//! A cluster ([`crate::cluster`]) is two such server processes over a shared [`Backing`]
//! (MongoDB and MQTT instead of the data directory); [`Sides`] says where each side's clients
//! connect, so the scenarios run alike on one target and on two nodes.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

use crate::chimp;
use crate::cli::{Args, Kind, Scenario};

/// The server's per-network limits, lifted (see `chimpassist serve --help`).
const UNTHROTTLED: [(&str, &str); 7] = [
    ("MAX_CONNECTIONS_PER_IP", "100000000"),
    ("REQUESTS_PER_MINUTE_PER_IP", "100000000"),
    ("NEW_CUSTOMERS_PER_MINUTE_PER_IP", "100000000"),
    ("CHATS_PER_MINUTE_PER_IP", "100000000"),
    ("MAX_OPEN_CONVERSATIONS_PER_IP", "100000000"),
    ("CALLBACKS_PER_MINUTE_PER_IP", "100000000"),
    ("LOGINS_PER_MINUTE_PER_IP", "100000000"),
];

/// How long a target may take to start answering.
const STARTUP: Duration = Duration::from_secs(30);

/// A running target.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) kind: Kind,
    pub(crate) port: u16,
    pub(crate) pid: u32,
    child: Child,
    /// Holds the data directory and the log; removed on drop.
    dir: tempfile::TempDir,
    backing: Option<Backing>,
}

/// What a cluster node is started with instead of its own data directory: the shared
/// MongoDB and MQTT broker (the server reads these variables), and a short coordinator
/// lease so a new leader takes over quickly.
#[derive(Debug, Clone)]
pub(crate) struct Backing {
    pub(crate) mongo_url: String,
    pub(crate) database: String,
    pub(crate) mqtt_url: String,
    pub(crate) topic: String,
    pub(crate) lease_ms: u64,
}

/// Where each side's clients connect, and which processes are measured: for one target
/// every port is its port; in a cluster customers use node 1 and attendants node 2, so every
/// message crosses the bus.
#[derive(Debug, Clone)]
pub(crate) struct Sides {
    pub(crate) kind: Kind,
    /// REST setup (the attendants' accounts and logins): the attendants' node.
    pub(crate) rest: u16,
    pub(crate) customers: u16,
    pub(crate) attendants: u16,
    /// The target's processes (CPU and memory are their sums).
    pub(crate) pids: Vec<u32>,
    /// A cluster's SecantusDB and mosquitto: their CPU is shown apart.
    pub(crate) engines: Vec<u32>,
}

impl Target {
    /// Starts `kind` and waits until it serves.
    pub(crate) async fn spawn(kind: Kind, args: &Args) -> anyhow::Result<Self> {
        Self::spawn_with(kind, args, None).await
    }

    /// Starts `kind` (over `backing`, a cluster node, if given) and waits until it serves.
    pub(crate) async fn spawn_with(
        kind: Kind,
        args: &Args,
        backing: Option<Backing>,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("chimpassist-load-")
            .tempdir()
            .context("creating a temporary data directory")?;
        let port = free_port()?;
        let child = launch(kind, args, port, dir.path(), backing.as_ref())?;
        let pid = child.id().context("the target exited at once")?;
        let mut target = Self {
            kind,
            port,
            pid,
            child,
            dir,
            backing,
        };
        target.wait_ready(Duration::from_millis(50)).await?;
        Ok(target)
    }

    /// Every side on this one target.
    pub(crate) fn sides(&self) -> Sides {
        Sides {
            kind: self.kind,
            rest: self.port,
            customers: self.port,
            attendants: self.port,
            pids: vec![self.pid],
            engines: Vec::new(),
        }
    }

    /// SIGKILLs the target (no shutdown of any kind), then starts it again on the same data
    /// directory and the same port, so every client URL stays valid. Returns the time from
    /// the kill until it answers `/readyz` again.
    pub(crate) async fn kill_and_restart(&mut self, args: &Args) -> anyhow::Result<Duration> {
        let killed = Instant::now();
        self.child.start_kill().context("killing the target")?;
        self.child.wait().await.context("reaping the target")?;
        self.child = launch(
            self.kind,
            args,
            self.port,
            self.dir.path(),
            self.backing.as_ref(),
        )?;
        self.pid = self
            .child
            .id()
            .context("the restarted target exited at once")?;
        self.wait_ready(Duration::from_millis(5)).await?;
        Ok(killed.elapsed())
    }

    /// Polls every `poll` until the target answers.
    async fn wait_ready(&mut self, poll: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + STARTUP;
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().context("checking the target")? {
                bail!(
                    "{} exited during startup ({status}); its log:\n{}",
                    self.kind.as_str(),
                    self.log_tail(20)
                );
            }
            let up = match self.kind {
                Kind::Chimp => client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success()),
                Kind::Relay => tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                    .await
                    .is_ok(),
            };
            if up {
                return Ok(());
            }
            tokio::time::sleep(poll).await;
        }
        bail!(
            "{} did not answer within {STARTUP:?}; its log:\n{}",
            self.kind.as_str(),
            self.log_tail(20)
        )
    }

    /// The last `lines` lines the target logged.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        let log = read_log(self.dir.path());
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Lines the target logged (warnings and errors for the server), not counting the
    /// relay's "listening on" banner.
    pub(crate) fn log_lines(&self) -> usize {
        read_log(self.dir.path())
            .lines()
            .filter(|l| !l.contains("listening on"))
            .count()
    }

    /// Kills the target by its PID and reaps it.
    pub(crate) async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Starts the target process on `port` over `dir` (its log is appended to, so a restarted
/// server's lines follow the killed one's), or over `backing` for a cluster node (which
/// logs JSON: the tail printed on a failure keeps each line's fields).
fn launch(
    kind: Kind,
    args: &Args,
    port: u16,
    dir: &Path,
    backing: Option<&Backing>,
) -> anyhow::Result<Child> {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("target.log"))
        .context("opening the target's log file")?;
    let mut command = match kind {
        Kind::Chimp => {
            let mut c = Command::new(&args.server_bin);
            c.arg("serve")
                .arg("--host=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg("--data-dir")
                .arg(dir.join("data"))
                .arg(format!("--rate-limit-per-second={}", rate_limit(args)))
                .arg("--log=warn")
                .args(&args.server_args)
                // A fresh data directory gets this first admin (instead of admin/admin).
                .env("ADMIN_EMAIL", chimp::ADMIN_EMAIL)
                .env("ADMIN_PASSWORD", chimp::ADMIN_PASSWORD)
                // Every simulated client is on 127.0.0.1: the per-network limits, sized
                // for one person's browser, would refuse the whole load at once.
                .envs(UNTHROTTLED);
            if let Some(b) = backing {
                c.arg("--log-json")
                    .env("MONGO_CONNECTION_URL", &b.mongo_url)
                    .env("MONGO_DATABASE", &b.database)
                    .env("MQTT_BROKER_HOST", &b.mqtt_url)
                    .env("MQTT_BASE_TOPIC", &b.topic)
                    .env("LEADER_LEASE_TIME", b.lease_ms.to_string());
            }
            c
        }
        Kind::Relay => {
            let mut c = Command::new(&args.relay_bin);
            c.arg(format!("--port={port}"));
            c
        }
    };
    let bin = match kind {
        Kind::Chimp => &args.server_bin,
        Kind::Relay => &args.relay_bin,
    };
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("sharing the log file")?)
        .stderr(log)
        .kill_on_drop(true);
    command.spawn().with_context(|| {
        format!(
            "starting {} (build it with `cargo build --release -p chimpassist-server -p \
             chimpassist-loadgen`, or pass its path)",
            bin.display()
        )
    })
}

/// The server's per-connection frame limit: benchmark clients send far more than a person
/// types, so it is lifted, except in `flood`, which measures the limit itself.
fn rate_limit(args: &Args) -> u32 {
    if args.scenario == Scenario::Flood {
        args.rate_limit
    } else {
        100_000
    }
}

/// The target's log without terminal colour codes.
fn read_log(dir: &Path) -> String {
    strip_ansi(&std::fs::read_to_string(dir.join("target.log")).unwrap_or_default())
}

/// Removes `ESC [ … letter` sequences (tracing colours its output even into a file).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A port that was free a moment ago (the OS picks it; the target binds it right after).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener.local_addr().context("reading the port")?.port())
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_codes_are_stripped() {
        assert_eq!(
            super::strip_ansi("\u{1b}[2mtime\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m x"),
            "time  WARN x"
        );
    }
}
