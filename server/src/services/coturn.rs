//! A real TURN server for tests: Debian's coturn (`cargo xtask setup` installs it) on a free
//! local port, one per test, with the TURN REST API's shared secret (`use-auth-secret`), as
//! `deploy/` runs it. It never outlives the tests ([`Watched`]).
//!
//! Two setups: [`Coturn::start`] lets loopback peers in (a test's browsers and relay all sit on
//! 127.0.0.1), which only a test may do; [`Coturn::start_deployed`] runs `deploy/`'s own
//! `turnserver.conf`, which denies them like every other internal address.

use super::watched::{self, Watched, free_port};

/// Environment variable naming the turnserver binary to run instead of Debian's.
pub const BINARY_ENV: &str = "CHIMPASSIST_TURNSERVER";

/// [`Coturn::start`]'s settings besides the ports.
const TEST_ONLY: &str = "fingerprint\n\
    use-auth-secret\n\
    # TEST ONLY: the peers are on loopback. coturn refuses this without a CLI password, and\n\
    # the CLI itself is off.\n\
    allow-loopback-peers\n\
    cli-password=test-only\n\
    no-cli\n\
    no-multicast-peers\n\
    simple-log\n\
    log-file=stdout\n";

/// What became of an attempt to relay through the server.
#[derive(Debug, PartialEq, Eq)]
pub enum Relay {
    /// Allocated, and packets went through to the peer and back.
    Relayed,
    /// No allocation: the credentials were refused.
    Refused,
    /// Allocated, but the peer's address is one the relay may not reach (`403 Forbidden IP`).
    ForbiddenPeer,
    /// Anything else, with the client's output.
    Failed(String),
}

/// The realm the test server announces.
pub const REALM: &str = "chimp.test";

/// A running coturn; dropping it stops the server.
#[derive(Debug)]
pub struct Coturn {
    port: u16,
    /// Configuration and log; deleted on drop.
    dir: tempfile::TempDir,
    server: Watched,
}

impl Coturn {
    /// A TURN server on `127.0.0.1` (UDP and TCP on one free port, relay ports from a
    /// 41-port range) that accepts credentials made with `secret` and relays to loopback peers.
    pub async fn start(secret: &str) -> Result<Self, String> {
        Self::launch(secret, TEST_ONLY).await
    }

    /// The same with `deploy/turnserver.conf`'s settings instead of the test's: credentials as
    /// there, and no peer on an internal address (loopback included).
    pub async fn start_deployed(secret: &str) -> Result<Self, String> {
        let deployed = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/turnserver.conf");
        let settings = std::fs::read_to_string(deployed)
            .map_err(|e| format!("reading {deployed}: {e}"))?
            .lines()
            // The test's own ports and log below.
            .filter(|l| !l.starts_with("min-port") && !l.starts_with("max-port"))
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        Self::launch(secret, &settings).await
    }

    async fn launch(secret: &str, settings: &str) -> Result<Self, String> {
        let binary = watched::binary(
            BINARY_ENV,
            &["/usr/bin/turnserver"],
            "turnserver",
            "run `cargo xtask setup` (it installs Debian's `coturn`)",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("coturn-test-")
            .tempdir()
            .map_err(|e| format!("creating a directory for coturn: {e}"))?;
        let port = free_port()?;
        // Relay ports: a range above the listening port's neighbourhood, per test run.
        let relay = 49_152 + (port % 300) * 40;
        let config = format!(
            "listening-ip=127.0.0.1\n\
             relay-ip=127.0.0.1\n\
             listening-port={port}\n\
             min-port={relay}\n\
             max-port={max}\n\
             static-auth-secret={secret}\n\
             realm={REALM}\n\
             no-tls\n\
             no-dtls\n\
             pidfile={pid}\n\
             {settings}",
            max = relay + 40,
            pid = dir.path().join("turnserver.pid").display(),
        );
        let file = dir.path().join("turnserver.conf");
        std::fs::write(&file, config).map_err(|e| format!("writing coturn's config: {e}"))?;
        let log = dir.path().join("turnserver.log");
        let args = [std::ffi::OsStr::new("-c"), file.as_os_str()];
        let server = Watched::start("turnserver", &binary, args, log, port).await?;
        Ok(Self { port, dir, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `turn:127.0.0.1:<port>?transport=udp`, as `TURN_URLS` takes it.
    pub fn url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("turnserver.log")).unwrap_or_default()
    }

    /// Relays a few packets with `username`/`password` between two allocations of coturn's
    /// own client (`turnutils_uclient -y`: each is the other's peer, on 127.0.0.1).
    pub async fn relay(&self, username: &str, password: &str) -> Result<Relay, String> {
        let client = watched::find(&["/usr/bin/turnutils_uclient"], "turnutils_uclient")
            .ok_or("turnutils_uclient is not installed: run `cargo xtask setup` (coturn)")?;
        let output = tokio::process::Command::new(client)
            .args(["-y", "-n", "1", "-m", "1", "-p"])
            .arg(self.port.to_string())
            .args(["-u", username, "-w", password, "127.0.0.1"])
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(std::time::Duration::from_secs(30), output)
            .await
            .map_err(|_| "turnutils_uclient did not finish within 30 s".to_string())?
            .map_err(|e| format!("running turnutils_uclient: {e}"))?;
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        Ok(if output.status.success() {
            Relay::Relayed
        } else if said.contains("Forbidden IP") {
            Relay::ForbiddenPeer
        } else if said.contains("Cannot complete Allocation") {
            Relay::Refused
        } else {
            Relay::Failed(said)
        })
    }

    /// Stops the server and waits until it has exited.
    pub async fn stop(&mut self) {
        self.server.stop().await;
    }
}
