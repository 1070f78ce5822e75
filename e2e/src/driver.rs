//! One chromedriver per test process, shared by every [`Browser`](crate::Browser).
//!
//! # Lifecycle
//!
//! The first `Browser::new` starts `/usr/bin/chromedriver --port=<free port>` and keeps it in
//! a `static`; every later browser of the same test binary (tests run in parallel, each on
//! its own tokio runtime) opens another session on it. chromedriver serves many sessions at
//! once, and each session is its own Chromium with its own profile directory.
//!
//! A `static` is never dropped, so `kill_on_drop` could not stop it. Instead chromedriver
//! runs under a small bash watchdog that puts it in a process group of its own (`setsid`)
//! and blocks reading a pipe whose write end only this process holds (the watchdog's
//! stdin). When the test process ends for *any* reason (tests done, a panic, `SIGKILL`),
//! the kernel closes that pipe; the watchdog reads end-of-file and kills the whole group:
//! chromedriver and any Chromium it still runs. Sessions are also closed one by one by
//! `Browser::close` or, when a test panics first, by `Browser`'s `Drop`, so the group kill
//! is only the last resort.
//!
//! The watchdog does not depend on any tokio runtime, which matters because each
//! `#[tokio::test]` drops its own runtime when it ends.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::OnceCell;

/// The WebDriver server binary (Debian's `chromium-driver`).
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long chromedriver may take to say it is listening.
const STARTUP: Duration = Duration::from_secs(10);
/// What chromedriver prints once its port accepts connections.
const READY_LINE: &str = "started successfully";

/// Starts the driver (the arguments after `$0`) in a new session, so its pid is also its
/// process group id. A background block waits for end-of-file on the original stdin (moved
/// to fd 3, since a background job's stdin is `/dev/null`), then kills that group. The
/// script itself waits for the driver, so its exit status tells that chromedriver died
/// (e.g. it lost the race for its port). bash, not `sh`: dash's `kill` cannot signal a
/// process group.
/// The driver's output is the script's (read for [`READY_LINE`]); the killer block's is not,
/// so the pipe ends exactly when the driver and the script have exited.
const WATCHDOG: &str = r#"exec 3<&0 </dev/null
setsid "$@" 2>&1 &
driver=$!
{ cat <&3 >/dev/null; kill -KILL -- "-$driver"; kill -KILL "$driver"; } >/dev/null 2>&1 &
exec 3<&-
wait "$driver""#;
/// Attempts to start chromedriver, each on a fresh port.
const ATTEMPTS: usize = 3;

static DRIVER: OnceCell<Driver> = OnceCell::const_new();

/// The running chromedriver of this test process.
#[derive(Debug)]
pub(crate) struct Driver {
    port: u16,
    /// The watchdog. Its stdin pipe stays open for as long as this value lives, which is as
    /// long as the process, since it sits in a `static`.
    _watchdog: Child,
}

impl Driver {
    /// The shared driver, started on first use.
    pub(crate) async fn shared() -> anyhow::Result<&'static Driver> {
        DRIVER.get_or_try_init(Self::start).await
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start() -> anyhow::Result<Driver> {
        if !std::path::Path::new(CHROMEDRIVER).is_file() {
            bail!("{CHROMEDRIVER} is missing: `apt-get install -y chromium chromium-driver`");
        }
        let mut failure = None;
        for _ in 0..ATTEMPTS {
            match Self::start_on(free_port()?).await? {
                Ok(driver) => return Ok(driver),
                Err(exit) => failure = Some(exit),
            }
        }
        bail!(
            "chromedriver exited at startup {ATTEMPTS} times (last: {})",
            failure.map_or_else(String::new, |status| status.to_string())
        )
    }

    /// `Ok(Err(status))` when chromedriver exited before accepting connections (its port
    /// was taken in the meantime: worth another try).
    async fn start_on(port: u16) -> anyhow::Result<Result<Driver, ExitStatus>> {
        let mut watchdog = Command::new("bash")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("chromedriver-watchdog")
            .arg(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning the chromedriver watchdog")?;
        let output = watchdog.stdout.take().context("the watchdog's output")?;
        // Ready once chromedriver says so; its output is drained until it exits so it never
        // blocks on a full pipe. End of output before the line means it exited.
        let (ready, said_ready) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(output).lines() {
                let Ok(line) = line else { break };
                if line.contains(READY_LINE)
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(());
                }
            }
        });
        match tokio::time::timeout(STARTUP, said_ready).await {
            Ok(Ok(())) => Ok(Ok(Driver {
                port,
                _watchdog: watchdog,
            })),
            Ok(Err(_)) => Ok(Err(watchdog.wait()?)),
            Err(_) => {
                // Closing stdin makes the watchdog kill whatever it started.
                drop(watchdog.stdin.take());
                let _ = watchdog.wait();
                bail!("chromedriver did not start listening on port {port} within {STARTUP:?}");
            }
        }
    }
}

/// A port nobody listens on right now (the OS picks it; we release it for chromedriver).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding port 0")?;
    Ok(listener.local_addr()?.port())
}
