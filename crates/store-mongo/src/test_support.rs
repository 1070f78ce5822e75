//! SecantusDB for tests: a MongoDB wire-protocol server (PyPI `secantusdb`, installed by
//! `cargo xtask setup` into `target/tools/secantus`), started once per test binary, with a
//! fresh database per test that is dropped when the test ends.
//!
//! No test is ever skipped for want of the server: if it is not installed, every test that
//! asks for it fails and says how to install it.
//!
//! # Nothing outlives the tests
//! A Rust `static` is never dropped, so the shared server cannot be stopped by a destructor.
//! Instead each server runs under a small `sh` watchdog whose stdin is a pipe from the test
//! process. The watchdog blocks reading it; when the test process exits — normally, by a
//! panic, or killed — the kernel closes the pipe, the read returns, and the watchdog stops
//! the server by its PID and deletes its data directory. A [`SecantusServer`] dropped
//! earlier closes the pipe itself, with the same effect.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::MongoStore;

/// Environment variable naming the `secantusd-py` to run instead of the one
/// `cargo xtask setup` installs.
pub const BINARY_ENV: &str = "CHIMPASSIST_SECANTUSD";

/// How long a starting server may take to open its port (it usually takes under a second).
const START_DEADLINE: Duration = Duration::from_secs(30);
/// Pause between checks of the port while the server starts.
const START_POLL: Duration = Duration::from_millis(50);

/// Stops the server when stdin closes (see the module docs): SIGTERM, and SIGKILL if it has
/// not exited 10 s later (a server stuck in a command ignores SIGTERM). Arguments: binary,
/// port, a work directory (its log; deleted at the end), the data directory.
const WATCHDOG: &str = r#"
"$1" --host 127.0.0.1 --port "$2" --storage-path "$4" --log-level WARNING \
    </dev/null >"$3/server.log" 2>&1 &
pid=$!
cat >/dev/null
kill "$pid" 2>/dev/null
( sleep 10; kill -9 "$pid" 2>/dev/null ) &
killer=$!
wait "$pid" 2>/dev/null
kill "$killer" 2>/dev/null
rm -rf "$3"
"#;

/// The `secantusd-py` to run: [`BINARY_ENV`], else `<workspace>/target/tools/secantus/bin/`.
pub fn binary() -> PathBuf {
    match std::env::var_os(BINARY_ENV) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/tools/secantus/bin/secantusd-py"),
    }
}

/// A port nobody listens on right now (the OS picks it; it may in theory be taken again
/// before the server binds it, which then fails the start loudly).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The connection string for a server on `port`. `retryWrites=false`: the Python server
/// re-sorts its retryable-write cache on every write, which makes writes about ten times
/// slower after ten thousand of them (see `shared/reference/test-services.md`).
pub fn uri_for(port: u16) -> String {
    format!("mongodb://127.0.0.1:{port}/?retryWrites=false")
}

/// A running SecantusDB. Dropping it stops the server.
#[derive(Debug)]
pub struct SecantusServer {
    port: u16,
    watchdog: Mutex<Child>,
    /// Held open for the server's lifetime; closing it stops the server.
    lifeline: Mutex<Option<ChildStdin>>,
}

impl SecantusServer {
    /// Starts a server on `port` with its data in a fresh temporary directory (deleted when
    /// it stops) and waits until it accepts connections. Blocking: call it off the async
    /// threads.
    pub fn start(port: u16) -> Result<SecantusServer, String> {
        Self::launch(port, None)
    }

    /// Like [`start`](Self::start), with the data in `data`, which the caller owns: a server
    /// started again on the same directory finds everything (outage tests).
    pub fn start_with_data(port: u16, data: &std::path::Path) -> Result<SecantusServer, String> {
        Self::launch(port, Some(data))
    }

    fn launch(port: u16, data: Option<&std::path::Path>) -> Result<SecantusServer, String> {
        let binary = binary();
        if !binary.is_file() {
            return Err(format!(
                "SecantusDB is not installed: {} does not exist. Run `cargo xtask setup` \
                 (it installs it into target/tools/secantus), or set {BINARY_ENV} to a \
                 secantusd-py binary.",
                binary.display()
            ));
        }
        // The watchdog deletes the directory after the server stops, so do not let Rust.
        let dir = tempfile::Builder::new()
            .prefix("secantus-test-")
            .tempdir()
            .map_err(|e| format!("creating a data directory: {e}"))?
            .keep();
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("secantus-watchdog")
            .arg(&binary)
            .arg(port.to_string())
            .arg(&dir)
            .arg(data.map_or_else(|| dir.join("data"), ToOwned::to_owned))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let lifeline = watchdog.stdin.take();
        let server = SecantusServer {
            port,
            watchdog: Mutex::new(watchdog),
            lifeline: Mutex::new(lifeline),
        };
        server.wait_until_listening(&dir)?;
        Ok(server)
    }

    fn wait_until_listening(&self, dir: &std::path::Path) -> Result<(), String> {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&address, START_POLL).is_ok() {
                return Ok(());
            }
            let exited = self
                .watchdog
                .lock()
                .map(|mut w| matches!(w.try_wait(), Ok(Some(_))))
                .unwrap_or(true);
            if exited || started.elapsed() > START_DEADLINE {
                let mut log = String::new();
                if let Ok(mut file) = std::fs::File::open(dir.join("server.log")) {
                    let _ = file.read_to_string(&mut log);
                }
                return Err(format!(
                    "SecantusDB did not open port {} within {START_DEADLINE:?}; its log:\n{log}",
                    self.port
                ));
            }
            std::thread::sleep(START_POLL);
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and waits until it has exited (port closed, files released; a
    /// second or few). Blocking.
    pub fn stop(self) {
        if let Ok(mut lifeline) = self.lifeline.lock() {
            lifeline.take();
        }
        if let Ok(mut watchdog) = self.watchdog.lock() {
            let _ = watchdog.wait();
        }
    }

    /// The connection string for this server (see [`uri_for`]).
    pub fn uri(&self) -> String {
        uri_for(self.port)
    }
}

impl Drop for SecantusServer {
    fn drop(&mut self) {
        // Closing the pipe ends the watchdog's `cat`: it stops the server and cleans up.
        if let Ok(mut lifeline) = self.lifeline.lock() {
            lifeline.take();
        }
    }
}

/// The server shared by every test of this test binary, started on first use.
pub async fn shared() -> &'static SecantusServer {
    static SHARED: OnceLock<Result<SecantusServer, String>> = OnceLock::new();
    let started =
        tokio::task::spawn_blocking(|| SHARED.get_or_init(|| SecantusServer::start(free_port())))
            .await
            .expect("starting SecantusDB panicked");
    match started {
        Ok(server) => server,
        Err(why) => panic!("{why}"),
    }
}

/// A database used by one test, dropped when this guard is.
#[derive(Debug)]
pub struct TestDatabase {
    uri: String,
    name: String,
}

impl TestDatabase {
    /// A new, unique database name on the server at `uri` (nothing is created yet).
    pub fn new(uri: String) -> TestDatabase {
        TestDatabase {
            uri,
            name: format!("test_{}", uuid::Uuid::new_v4().simple()),
        }
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    /// Drops the database on a thread of its own: a destructor cannot await, and the test's
    /// runtime (whose driver tasks a client made in it would need) may already be stopping.
    fn drop(&mut self) {
        let uri = self.uri.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = mongodb::Client::with_uri_str(&uri)
                    .await
                    .map_err(|e| e.to_string())?;
                client
                    .database(&name)
                    .drop()
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}

/// A database of its own on the shared server.
pub async fn fresh_database() -> TestDatabase {
    TestDatabase::new(shared().await.uri())
}

/// An empty store with its schema, on a database of its own on the shared server. Keep the
/// guard as long as the store is used.
pub async fn fresh_store() -> (MongoStore, TestDatabase) {
    let database = fresh_database().await;
    let store = MongoStore::connect(database.uri(), database.name())
        .await
        .expect("connect to SecantusDB");
    store
        .ensure_schema()
        .await
        .expect("create the schema on SecantusDB");
    (store, database)
}
