//! A server process a test starts (mosquitto, coturn) that never outlives the tests.
//!
//! The process runs under a small `sh` watchdog, in a process group of its own (a Ctrl-C
//! meant for the test run does not reach it half-way), whose stdin is a pipe from the test
//! process. When the pipe closes — the [`Watched`] is stopped or dropped (a panicking test
//! drops it too), or the test process is gone, even killed — the watchdog kills the server by
//! its PID and waits for it.

use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting server may take to open its port (they take milliseconds).
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long a stopping server may take to exit.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Pause between checks while a server starts or stops.
const POLL: Duration = Duration::from_millis(10);

/// Runs the command after the log file until stdin closes, then kills it by its PID.
/// Arguments: log file, then the command and its arguments.
const WATCHDOG: &str = r#"
log="$1"
shift
"$@" </dev/null >>"$log" 2>&1 &
pid=$!
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

/// The same, the server's standard output left to the watchdog's (a pipe to the test), only
/// its standard error in the log.
const WATCHDOG_PIPED: &str = r#"
log="$1"
shift
"$@" </dev/null 2>>"$log" &
pid=$!
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

/// A running server process; dropping it kills the server.
#[derive(Debug)]
pub struct Watched {
    name: &'static str,
    log: PathBuf,
    watchdog: Child,
    /// Held open while the server runs; closing it stops the server.
    lifeline: Option<ChildStdin>,
}

impl Watched {
    /// Starts `binary` with `args`, its output appended to `log`, and waits until it accepts
    /// TCP connections on `127.0.0.1:port`. A server that exits or stays closed fails the
    /// start with its log.
    pub async fn start<I, S>(
        name: &'static str,
        binary: &Path,
        args: I,
        log: PathBuf,
        port: u16,
    ) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (server, _) = Self::spawn(name, binary, args, log, port, false).await?;
        Ok(server)
    }

    /// [`Watched::start`], with the server's standard output as a pipe the caller reads
    /// (what the server says, as it says it); its standard error goes to `log`.
    pub async fn start_piped<I, S>(
        name: &'static str,
        binary: &Path,
        args: I,
        log: PathBuf,
        port: u16,
    ) -> Result<(Self, std::process::ChildStdout), String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (server, stdout) = Self::spawn(name, binary, args, log, port, true).await?;
        Ok((server, stdout.ok_or("no pipe from the server")?))
    }

    async fn spawn<I, S>(
        name: &'static str,
        binary: &Path,
        args: I,
        log: PathBuf,
        port: u16,
        piped: bool,
    ) -> Result<(Self, Option<std::process::ChildStdout>), String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (script, stdout) = match piped {
            true => (WATCHDOG_PIPED, Stdio::piped()),
            false => (WATCHDOG, Stdio::null()),
        };
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(format!("{name}-watchdog"))
            .arg(&log)
            .arg(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let lifeline = watchdog.stdin.take();
        let out = watchdog.stdout.take();
        let mut server = Self {
            name,
            log,
            watchdog,
            lifeline,
        };
        server.wait_until_listening(port).await?;
        Ok((server, out))
    }

    async fn wait_until_listening(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            let exited = !matches!(self.watchdog.try_wait(), Ok(None));
            if exited || started.elapsed() > START_DEADLINE {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                self.stop().await;
                return Err(format!(
                    "{} did not open port {port} within {START_DEADLINE:?}; its log:\n{log}",
                    self.name
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Stops the server and waits until it has exited.
    pub async fn stop(&mut self) {
        if self.lifeline.take().is_none() {
            return;
        }
        let started = Instant::now();
        while matches!(self.watchdog.try_wait(), Ok(None)) {
            if started.elapsed() > STOP_DEADLINE {
                let _ = self.watchdog.kill();
                let _ = self.watchdog.wait();
                panic!("{} did not stop within {STOP_DEADLINE:?}", self.name);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        // Closing the pipe ends the watchdog's `cat`: it kills the server by its PID.
        drop(self.lifeline.take());
    }
}

/// The first of `known` that is a file, else `name` on the `PATH`.
pub fn find(known: &[&str], name: &str) -> Option<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .collect()
        })
        .unwrap_or_default();
    known
        .iter()
        .map(PathBuf::from)
        .chain(on_path)
        .find(|candidate| candidate.is_file())
}

/// `env` names a binary to run instead (it must be a file); else [`find`]; else the error
/// says how to install it.
pub fn binary(env: &str, known: &[&str], name: &str, install: &str) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        return match path.is_file() {
            true => Ok(path),
            false => Err(format!("{env} names {}, not a file", path.display())),
        };
    }
    find(known, name).ok_or_else(|| {
        format!(
            "{name} is not installed (not at {} nor on the PATH): {install}, or set {env} to a \
             {name} binary",
            known.join(", ")
        )
    })
}

/// A TCP port nobody listens on right now (it may in theory be taken before the server binds
/// it, which then fails the start loudly).
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
