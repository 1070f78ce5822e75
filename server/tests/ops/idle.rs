//! Silent connections cannot take the server down (security review, finding 3): with an
//! open-files limit of 400 (standing in for the production 20,000), a client holding idle
//! TCP connections is refused past its address's cap, the others are served meanwhile, and
//! the server closes the silent ones after its header-read timeout — kept-alive ones too.
//! Attackers connect from 127.0.0.2 and up (the whole 127/8 is loopback), everyone else from
//! 127.0.0.1.

use std::net::{IpAddr, SocketAddr};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;

/// Seconds a connection may take to send its headers, here.
const HEADER_READ_TIMEOUT: u64 = 3;
const PER_ADDRESS: usize = 50;

/// The real binary under `ulimit -n 400`, with a small per-address cap.
async fn start_limited(dir: &std::path::Path) -> (tokio::process::Child, u16, ServerLog) {
    let bin = env!("CARGO_BIN_EXE_chimpassist");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -n 400 && exec '{bin}' serve --port 0 --log-json --log info --data-dir '{}'",
            dir.display()
        ))
        .envs(UNTHROTTLED)
        .env("MAX_CONNECTIONS_PER_IP", PER_ADDRESS.to_string())
        .env(
            "HEADER_READ_TIMEOUT_SECONDS",
            HEADER_READ_TIMEOUT.to_string(),
        );
    spawn_listening(&mut command).await
}

/// A TCP connection to `port` from `source`, which sends nothing.
async fn silent(source: &str, port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    let source: IpAddr = source.parse().expect("ip");
    socket
        .bind(SocketAddr::new(source, 0))
        .expect("bind a loopback source");
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .expect("connect")
}

/// What the server sends on `tcp` until it closes it (empty: closed without a word).
async fn until_closed(mut tcp: TcpStream) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(WAIT * 3, tcp.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server never closed a silent connection");
    String::from_utf8_lossy(&got).into_owned()
}

async fn healthz(port: u16) -> u16 {
    reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn metric(port: u16, name: &str) -> u64 {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_capped_per_address_and_closed_and_never_starve_others() {
    let dir = tempfile::tempdir().expect("dir");
    let (_server, port, _log) = start_limited(dir.path()).await;

    // One client opens silent connections until it is refused (and some more).
    let mut held = Vec::new();
    for _ in 0..PER_ADDRESS + 10 {
        held.push(silent("127.0.0.2", port).await);
    }
    // Meanwhile everyone else is served: a health check and a new visitor's chat socket.
    assert_eq!(healthz(port).await, 200);
    let visitor = TestApp::attached(port).customer(None).await;
    assert!(visitor.welcome["token"].is_string());
    assert_eq!(
        metric(
            port,
            "chimpassist_connections_refused_total{kind=\"address_full\"} "
        )
        .await,
        10
    );

    // The refused ones got a JSON answer at once; the others were closed, silently, by the
    // header-read timeout.
    let answers = futures_util::future::join_all(held.into_iter().map(until_closed)).await;
    let refused: Vec<&String> = answers.iter().filter(|a| !a.is_empty()).collect();
    assert_eq!(refused.len(), 10, "{answers:?}");
    for answer in &refused {
        assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
        assert!(answer.contains("retry-after: "), "{answer}");
        let body: Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).expect("body")).expect("json");
        assert_eq!(body["code"], "too_many_connections");
    }
    assert_eq!(answers.iter().filter(|a| a.is_empty()).count(), PER_ADDRESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_refuses_at_once_and_recovers_as_silent_connections_are_closed() {
    let dir = tempfile::tempdir().expect("dir");
    let (_server, port, _log) = start_limited(dir.path()).await;
    // Several addresses, each within its cap, together more than the server holds (400 open
    // files less the 256 kept for everything else: 144 connections).
    let mut held = Vec::new();
    for source in ["127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"] {
        for _ in 0..PER_ADDRESS {
            held.push(silent(source, port).await);
        }
    }
    // Every connection got either a slot or an immediate 503: `accept` never failed.
    let answers = futures_util::future::join_all(held.into_iter().map(until_closed)).await;
    let full: Vec<&String> = answers.iter().filter(|a| !a.is_empty()).collect();
    assert!(!full.is_empty(), "the server filled up");
    for answer in &full {
        assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
        assert!(answer.contains("too_many_connections"), "{answer}");
    }
    eprintln!(
        "{} silent connections held and closed after {HEADER_READ_TIMEOUT} s, {} refused at once",
        answers.len() - full.len(),
        full.len()
    );
    // All closed: the server serves again.
    assert_eq!(healthz(port).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_is_closed_when_it_stays_idle() {
    let dir = tempfile::tempdir().expect("dir");
    let (_server, port, _log) = start_limited(dir.path()).await;
    let mut tcp = silent("127.0.0.7", port).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("write");
    let mut first = vec![0u8; 512];
    let n = tcp.read(&mut first).await.expect("read");
    let head = String::from_utf8_lossy(&first[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    // Kept alive, then silent: closed like any silent connection.
    let rest = until_closed(tcp).await;
    assert!(!rest.contains("HTTP/1.1"), "{rest}");
    assert_eq!(json!(rest), json!(""));
}
