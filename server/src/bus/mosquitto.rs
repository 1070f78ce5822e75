//! A real MQTT broker for tests: Debian's mosquitto (`cargo xtask setup` installs it) on a
//! free local port, one per test, with a temporary configuration. No test is skipped for want
//! of it: starting fails and says how to install it. It never outlives the tests
//! ([`Watched`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::services::watched::{self, Watched, find, free_port};

/// Environment variable naming the mosquitto binary to run instead of Debian's.
pub const BINARY_ENV: &str = "CHIMPASSIST_MOSQUITTO";

/// A running (or stopped, between [`stop`](Self::stop) and [`start_again`](Self::start_again))
/// broker. Dropping it stops the broker.
#[derive(Debug)]
pub struct Mosquitto {
    port: u16,
    binary: PathBuf,
    /// Configuration, password file and log; deleted on drop.
    dir: tempfile::TempDir,
    running: Option<Watched>,
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
        let config = self.dir.path().join("mosquitto.conf");
        let args = [std::ffi::OsStr::new("-c"), config.as_os_str()];
        let broker =
            Watched::start("mosquitto", &self.binary, args, self.log_path(), self.port).await?;
        self.running = Some(broker);
        Ok(())
    }

    /// Stops the broker and waits until it has exited (its port is closed).
    pub async fn stop(&mut self) {
        if let Some(mut broker) = self.running.take() {
            broker.stop().await;
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.log")
    }
}

/// [`BINARY_ENV`], else Debian's `/usr/sbin/mosquitto`, else `mosquitto` on the `PATH`.
fn binary() -> Result<PathBuf, String> {
    watched::binary(
        BINARY_ENV,
        &["/usr/sbin/mosquitto"],
        "mosquitto",
        "run `cargo xtask setup` (it installs Debian's `mosquitto`)",
    )
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
