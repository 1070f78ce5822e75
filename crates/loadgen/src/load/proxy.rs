//! A TCP proxy between every client socket and the server, for the `cut` scenario: it can
//! cut every connection passing through it at once and refuse new ones for a while, like a
//! network blip between a browser and the server. The server stays up; only the path fails.
//!
//! Refusing is done by accepting and dropping at once (the client's handshake fails at
//! once), rather than closing the listener, so the port stays ours and never has to be
//! bound again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Whether the path is open, and which generation of connections is allowed to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CutState {
    /// Bumped by every cut; a connection accepted under an older generation is cut.
    generation: u64,
    refusing_until: Option<Instant>,
}

impl CutState {
    pub(crate) fn new() -> Self {
        Self {
            generation: 0,
            refusing_until: None,
        }
    }

    /// Whether a connection arriving at `now` is let through.
    pub(crate) fn admits(&self, now: Instant) -> bool {
        self.refusing_until.is_none_or(|until| now >= until)
    }

    /// Cuts everything open and refuses new connections until `now + outage`; returns
    /// the new generation.
    pub(crate) fn cut(&mut self, now: Instant, outage: Duration) -> u64 {
        self.generation += 1;
        self.refusing_until = Some(now + outage);
        self.generation
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

/// What the proxy saw.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub(crate) struct ProxyStats {
    /// Connections let through.
    pub(crate) accepted: u64,
    /// Connections dropped at once during an outage.
    pub(crate) refused: u64,
    /// Connections open when a cut came.
    pub(crate) cut: u64,
    /// Connections the server side would not take.
    pub(crate) upstream_failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    open: AtomicU64,
    cut: AtomicU64,
    upstream_failed: AtomicU64,
}

/// A running proxy; its accept loop ends when this is dropped (open pipes end at the next
/// cut, which [`Proxy::shutdown`] makes).
#[derive(Debug)]
pub(crate) struct Proxy {
    pub(crate) port: u16,
    state: Arc<Mutex<CutState>>,
    generation: watch::Sender<u64>,
    counters: Arc<Counters>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`.
    pub(crate) async fn start(upstream: u16) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the proxy")?;
        let port = listener.local_addr().context("proxy address")?.port();
        let state = Arc::new(Mutex::new(CutState::new()));
        let (generation, _) = watch::channel(0);
        let counters = Arc::new(Counters::default());
        let accept = tokio::spawn(accept_loop(
            listener,
            upstream,
            Arc::clone(&state),
            generation.clone(),
            Arc::clone(&counters),
        ));
        Ok(Self {
            port,
            state,
            generation,
            counters,
            accept,
        })
    }

    /// Cuts every open connection and refuses new ones for `outage`.
    pub(crate) fn cut(&self, outage: Duration) {
        let generation = lock(&self.state).cut(Instant::now(), outage);
        let open = self.counters.open.load(Ordering::Relaxed);
        self.counters.cut.fetch_add(open, Ordering::Relaxed);
        self.generation.send_replace(generation);
    }

    pub(crate) fn stats(&self) -> ProxyStats {
        let c = &self.counters;
        ProxyStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            cut: c.cut.load(Ordering::Relaxed),
            upstream_failed: c.upstream_failed.load(Ordering::Relaxed),
        }
    }

    /// Stops accepting and ends every pipe.
    pub(crate) fn shutdown(self) {
        self.accept.abort();
        // The accept loop is gone, so no outage is needed: the cut alone ends the pipes.
        let generation = lock(&self.state).cut(Instant::now(), Duration::ZERO);
        self.generation.send_replace(generation);
    }
}

fn lock(state: &Mutex<CutState>) -> std::sync::MutexGuard<'_, CutState> {
    // A plain value: a poisoned lock still holds a consistent one.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(
    listener: TcpListener,
    upstream: u16,
    state: Arc<Mutex<CutState>>,
    generation: watch::Sender<u64>,
    counters: Arc<Counters>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors or similar: do not spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (admitted, born) = {
            let s = lock(&state);
            (s.admits(Instant::now()), s.generation())
        };
        if !admitted {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            drop(client);
            continue;
        }
        counters.accepted.fetch_add(1, Ordering::Relaxed);
        let cuts = generation.subscribe();
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            counters.open.fetch_add(1, Ordering::Relaxed);
            pipe(client, upstream, born, cuts, &counters).await;
            counters.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Copies both ways until either side closes or a cut outdates generation `born`; then
/// both sockets are dropped, which closes them.
async fn pipe(
    mut client: TcpStream,
    upstream: u16,
    born: u64,
    mut cuts: watch::Receiver<u64>,
    counters: &Counters,
) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        counters.upstream_failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cuts.wait_for(|&g| g != born) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_refuses_for_the_outage_then_admits_again() {
        let t0 = Instant::now();
        let mut state = CutState::new();
        assert!(state.admits(t0));
        assert_eq!(state.generation(), 0);
        let generation = state.cut(t0, Duration::from_secs(5));
        assert_eq!(generation, 1);
        assert!(!state.admits(t0));
        assert!(!state.admits(t0 + Duration::from_millis(4_999)));
        assert!(state.admits(t0 + Duration::from_secs(5)));
        assert!(state.admits(t0 + Duration::from_secs(60)));
    }

    #[test]
    fn every_cut_outdates_the_connections_before_it() {
        let t0 = Instant::now();
        let mut state = CutState::new();
        let first = state.cut(t0, Duration::ZERO);
        // A zero outage cuts without refusing anyone.
        assert!(state.admits(t0));
        let second = state.cut(t0 + Duration::from_secs(1), Duration::from_secs(2));
        assert!(second > first);
        assert_eq!(state.generation(), second);
        assert!(!state.admits(t0 + Duration::from_secs(2)));
        assert!(state.admits(t0 + Duration::from_secs(3)));
    }
}
