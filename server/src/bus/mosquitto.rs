//! A real MQTT broker for tests: Debian's mosquitto (`cargo xtask setup` installs it) on a
//! free local port, one per test, with a temporary configuration. No test is skipped for want
//! of it: starting fails and says how to install it.
//!
//! # Nothing outlives the tests
//! mosquitto runs under a small `sh` watchdog, in a process group of its own (a Ctrl-C
//! meant for the test run does not reach it half-way), whose stdin is a pipe from the test
//! process. When the pipe closes — the [`Mosquitto`] is stopped or dropped (a panicking test
//! drops it too), or the test process is gone, even killed — the watchdog kills mosquitto by
//! its PID and waits for it.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the mosquitto binary to run instead of Debian's.
pub const BINARY_ENV: &str = "CHIMPASSIST_MOSQUITTO";

/// How long a starting broker may take to open its port (it takes a few milliseconds).
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long a stopping broker may take to exit.
const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Pause between checks while the broker starts or stops.
const POLL: Duration = Duration::from_millis(10);

/// Runs mosquitto until stdin closes, then kills it by its PID (see the module docs).
/// Arguments: binary, configuration file, log file.
const WATCHDOG: &str = r#"
"$1" -c "$2" </dev/null >>"$3" 2>&1 &
pid=$!
cat >/dev/null
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

/// A running (or stopped, between [`stop`](Self::stop) and [`start_again`](Self::start_again))
/// broker. Dropping it stops the broker.
#[derive(Debug)]
pub struct Mosquitto {
    port: u16,
    binary: PathBuf,
    /// Configuration, password file and log; deleted on drop.
    dir: tempfile::TempDir,
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    watchdog: Child,
    /// Held open while the broker runs; closing it stops the broker.
    lifeline: ChildStdin,
}

impl Mosquitto {
    /// A broker open to anonymous clients, on a free port.
    pub async fn start() -> Result<Self, String> {
        Self::launch(None).await
    }

    /// A broker that lets in only `username` with `password`.
    pub async fn start_with_credentials(username: &str, password: &str) -> Result<Self, String> {
        Self::launch(Some((username, password))).await
    }

    async fn launch(credentials: Option<(&str, &str)>) -> Result<Self, String> {
        let binary = binary()?;
        let dir = tempfile::Builder::new()
            .prefix("mosquitto-test-")
            .tempdir()
            .map_err(|e| format!("creating a directory for mosquitto: {e}"))?;
        let port = free_port()?;
        let mut config = format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous {anonymous}\n\
             # Mosquitto's defaults (1,000 queued, 20 in flight per client) drop QoS 1\n\
             # messages in bursts.\n\
             max_queued_messages 1000000\n\
             max_inflight_messages 100\n\
             # Events are small: without it Nagle's algorithm holds them back (40 ms).\n\
             set_tcp_nodelay true\n\
             persistence false\n\
             log_dest stderr\n\
             # When started as root: stay root, so the files here stay readable (as another\n\
             # user this line does nothing).\n\
             user root\n",
            anonymous = credentials.is_none(),
        );
        if let Some((username, password)) = credentials {
            let file = dir.path().join("passwords");
            create_password_file(&file, username, password)?;
            config.push_str(&format!("password_file {}\n", file.display()));
        }
        std::fs::File::create(dir.path().join("mosquitto.conf"))
            .and_then(|mut f| f.write_all(config.as_bytes()))
            .map_err(|e| format!("writing the mosquitto configuration: {e}"))?;
        let mut broker = Self {
            port,
            binary,
            dir,
            running: None,
        };
        broker.start_again().await?;
        Ok(broker)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:<port>`, as `MQTT_BROKER_HOST` takes it.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Starts the stopped broker again, on the same port with the same configuration, and
    /// waits until it accepts connections.
    pub async fn start_again(&mut self) -> Result<(), String> {
        assert!(self.running.is_none(), "mosquitto is running already");
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("mosquitto-watchdog")
            .arg(&self.binary)
            .arg(self.dir.path().join("mosquitto.conf"))
            .arg(self.log_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.binary.display()))?;
        let lifeline = watchdog.stdin.take().expect("stdin is piped");
        self.running = Some(Running { watchdog, lifeline });
        self.wait_until_listening().await
    }

    /// Stops the broker and waits until it has exited (its port is closed).
    pub async fn stop(&mut self) {
        let Some(Running {
            mut watchdog,
            lifeline,
        }) = self.running.take()
        else {
            return;
        };
        drop(lifeline);
        let started = Instant::now();
        while matches!(watchdog.try_wait(), Ok(None)) {
            if started.elapsed() > STOP_DEADLINE {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
                panic!("mosquitto did not stop within {STOP_DEADLINE:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            let exited = self
                .running
                .as_mut()
                .is_none_or(|r| !matches!(r.watchdog.try_wait(), Ok(None)));
            if exited || started.elapsed() > START_DEADLINE {
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                self.stop().await;
                return Err(format!(
                    "mosquitto did not open port {} within {START_DEADLINE:?}; its log:\n{log}",
                    self.port
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.log")
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        // Closing the pipe ends the watchdog's `cat`: it kills the broker by its PID.
        if let Some(running) = self.running.take() {
            drop(running.lifeline);
        }
    }
}

/// [`BINARY_ENV`], else Debian's `/usr/sbin/mosquitto`, else `mosquitto` on the `PATH`.
fn binary() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(BINARY_ENV) {
        let path = PathBuf::from(path);
        return match path.is_file() {
            true => Ok(path),
            false => Err(format!("{BINARY_ENV} names {}, not a file", path.display())),
        };
    }
    find(&["/usr/sbin/mosquitto"], "mosquitto").ok_or_else(|| {
        format!(
            "mosquitto is not installed (not at /usr/sbin/mosquitto nor on the PATH): run \
             `cargo xtask setup` (it installs Debian's `mosquitto`), or set {BINARY_ENV} to a \
             mosquitto binary"
        )
    })
}

fn find(known: &[&str], name: &str) -> Option<PathBuf> {
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

fn create_password_file(file: &Path, username: &str, password: &str) -> Result<(), String> {
    let tool = find(&["/usr/bin/mosquitto_passwd"], "mosquitto_passwd").ok_or(
        "mosquitto_passwd is not installed: run `cargo xtask setup` (Debian's `mosquitto`)",
    )?;
    let status = Command::new(&tool)
        .args(["-c", "-b"])
        .arg(file)
        .args([username, password])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("running {}: {e}", tool.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {status}", tool.display()))
    }
}

/// A port nobody listens on right now (it may in theory be taken before the broker binds
/// it, which then fails the start loudly).
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
