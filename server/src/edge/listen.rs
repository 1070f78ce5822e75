//! The accept loop: every TCP connection takes a slot before anything is read from it, and
//! HTTP/1.1 connections that do not send their headers in time are closed.
//!
//! `axum::serve` reads request headers without a deadline and counts nothing, so a client
//! holding silent connections used up the file descriptors until `accept` failed for
//! everyone (security review, finding 3). Here:
//! - a connection gets a slot of the server-wide cap (below the open-files limit, so
//!   `accept` itself never fails for lack of descriptors) and of its address's cap, or is
//!   answered at once with a JSON `503`/`429` (`too_many_connections`) and closed;
//! - hyper's header-read timeout closes a connection that has not sent a request's headers
//!   within `HEADER_READ_TIMEOUT_SECONDS`; the same timer runs while a kept-alive connection
//!   waits for its next request, so it is also the idle timeout;
//! - a WebSocket keeps its connection's slot for as long as it is open (the upgrade handler
//!   holds the [`ConnectionSlot`] from the request's extensions), and has its own heartbeat.
//!
//! HTTP/1.1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::client::TrustedProxies;
use super::throttle::LogGate;
use crate::metrics::{KindCounters, KindLabel};

/// Seconds a refused client is told to wait.
const REFUSED_RETRY_SECS: u64 = 5;

/// Connection slots: a server-wide cap and one per client address.
#[derive(Debug)]
pub struct Slots {
    total: Arc<Semaphore>,
    cap: usize,
    per_address: Mutex<HashMap<IpAddr, u32>>,
    max_per_address: u32,
    /// Their connections are many clients' (the cap per address does not apply to them; the
    /// proxy limits its own clients).
    proxies: TrustedProxies,
    refused: LogGate,
    /// Refusals by reason (exported as `chimpassist_connections_refused`).
    pub refusals: KindCounters,
}

/// Why a connection was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    ServerFull,
    AddressFull,
}

/// One connection's slot; given back when the last holder drops it (the connection's task,
/// and a WebSocket upgraded from it).
#[derive(Debug)]
struct Slot {
    _permit: OwnedSemaphorePermit,
    address: Option<IpAddr>,
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(address) = self.address {
            let mut map = self
                .slots
                .per_address
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(n) = map.get_mut(&address) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&address);
                }
            }
        }
    }
}

/// A connection's slot as the request handlers see it (in the request's extensions): a
/// WebSocket handler keeps a clone for the socket's life.
#[derive(Clone, Debug)]
pub struct ConnectionSlot(#[allow(dead_code)] Arc<Slot>);

impl Slots {
    pub fn new(cap: usize, max_per_address: u32, proxies: TrustedProxies) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(cap)),
            cap,
            per_address: Mutex::new(HashMap::new()),
            max_per_address: max_per_address.max(1),
            proxies,
            refused: LogGate::default(),
            refusals: KindCounters::default(),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.cap - self.total.available_permits()
    }

    fn take(self: &Arc<Self>, peer: IpAddr) -> Result<ConnectionSlot, Refusal> {
        let peer = peer.to_canonical();
        let permit = Arc::clone(&self.total)
            .try_acquire_owned()
            .map_err(|_| Refusal::ServerFull)?;
        let address = (!self.proxies.trusts(peer)).then_some(peer);
        if let Some(address) = address {
            let mut map = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
            let n = map.entry(address).or_insert(0);
            if *n >= self.max_per_address {
                return Err(Refusal::AddressFull);
            }
            *n += 1;
        }
        Ok(ConnectionSlot(Arc::new(Slot {
            _permit: permit,
            address,
            slots: Arc::clone(self),
        })))
    }
}

/// What the accept loop needs besides the router.
#[derive(Debug, Clone)]
pub struct Settings {
    pub slots: Arc<Slots>,
    pub header_read_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets every
/// connection finish its request in flight, and returns once they are closed. (Upgraded
/// WebSockets live on their own tasks, which the server's stop token closes.)
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) {
    let tracker = TaskTracker::new();
    let closing = CancellationToken::new();
    let accept_errors = LogGate::default();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors despite the cap (something else used them), or a
                    // connection reset before it was accepted: wait a little, never spin.
                    accept_errors.note(|suppressed| {
                        tracing::error!(error = %e, suppressed, "accept failed");
                    });
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match settings.slots.take(peer.ip()) {
            Ok(slot) => {
                let app = app.clone();
                let closing = closing.clone();
                let timeout = settings.header_read_timeout;
                tracker.spawn(connection(tcp, peer, slot, app, timeout, closing));
            }
            Err(refusal) => refuse(&settings.slots, tcp, peer, refusal),
        }
    }
    closing.cancel();
    tracker.close();
    tracker.wait().await;
}

/// Serves one connection until it closes (or upgrades).
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    slot: ConnectionSlot,
    app: Router,
    header_read_timeout: Duration,
    closing: CancellationToken,
) {
    // Chat frames are small: without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold
    // them for ~40 ms.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    let held = slot.clone();
    let service = app.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(held.clone());
        request
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let served = http
        .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(served);
    let result = tokio::select! {
        result = &mut served => result,
        () = closing.cancelled() => {
            served.as_mut().graceful_shutdown();
            served.await
        }
    };
    if let Err(e) = result {
        // Timeouts, resets and malformed requests: the client's doing, not worth a warning.
        tracing::debug!(error = %e, %peer, "connection ended with an error");
    }
    drop(slot);
}

/// Answers a connection that gets no slot, without reading from it, and closes it. The
/// answer is written only if the socket takes it at once: a refusal never waits.
fn refuse(slots: &Slots, tcp: TcpStream, peer: SocketAddr, refusal: Refusal) {
    let (status, message) = match refusal {
        Refusal::ServerFull => (
            "503 Service Unavailable",
            "the server holds as many connections as it can; retry shortly",
        ),
        Refusal::AddressFull => (
            "429 Too Many Requests",
            "your address holds too many connections to this server; close some",
        ),
    };
    let reason = match refusal {
        Refusal::ServerFull => "server_full",
        Refusal::AddressFull => "address_full",
    };
    slots.refusals.get_or_create(&KindLabel::new(reason)).inc();
    slots.refused.note(|suppressed| {
        tracing::warn!(
            %peer,
            reason = ?refusal,
            suppressed,
            "connection refused"
        );
    });
    let body = serde_json::json!({
        "code": "too_many_connections",
        "message": message,
        "retry_after_seconds": REFUSED_RETRY_SECS,
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: {REFUSED_RETRY_SECS}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.try_write(response.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cap_each_address_and_the_server_and_come_back_when_dropped() {
        let proxies = TrustedProxies::parse("10.0.0.1").expect("parses");
        let slots = Slots::new(4, 2, proxies);
        let a: IpAddr = "198.51.100.1".parse().expect("ip");
        let b: IpAddr = "198.51.100.2".parse().expect("ip");
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let a1 = slots.take(a).expect("first");
        let _a2 = slots.take(a).expect("second");
        assert_eq!(slots.take(a).err(), Some(Refusal::AddressFull));
        let _p1 = slots
            .take(proxy)
            .expect("a proxy is not capped per address");
        let _p2 = slots
            .take(proxy)
            .expect("a proxy is not capped per address");
        assert_eq!(slots.take(b).err(), Some(Refusal::ServerFull));
        assert_eq!(slots.open(), 4);
        drop(a1);
        assert_eq!(slots.open(), 3);
        slots.take(a).expect("a's slot came back");
    }
}
