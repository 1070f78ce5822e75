//! The server as operators run it, in one test binary (one link; the tests share the
//! cores):
//!
//! - fault tests (here and `idle`, `proxy`, `webhooks`): a killed server, a cut network, a
//!   flooding client. Small sizes here; the load generator runs the same scenarios at full
//!   size;
//! - `mongo`: the server on MongoDB (SecantusDB);
//! - `deploy`: the deployment files checked against the flags the server reads.

mod client;
mod deploy;
#[path = "../api/helpers/mod.rs"]
#[allow(dead_code)]
mod helpers;
mod idle;
mod mongo;
mod proxy;
mod webhooks;

use client::{ChatClient, percentiles};
use helpers::*;
use serde_json::{Value, json};

const EACH: usize = 150;

/// Starts the real binary on a free port over `dir`; returns the process and its port.
async fn start_process(dir: &std::path::Path) -> (tokio::process::Child, u16) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chimpassist"));
    command
        .args([
            "serve",
            "--port",
            "0",
            "--log-json",
            "--log",
            "info",
            "--rate-limit-per-second",
            "100000",
        ])
        .arg("--data-dir")
        .arg(dir)
        .envs(UNTHROTTLED);
    let (child, port, _) = spawn_listening(&mut command).await;
    (child, port)
}

/// The admin's session cookie (its default password changed first, as the server demands).
async fn login(port: u16) -> String {
    match TestApp::attached(port).admin().await {
        Auth::Cookie(cookie) => cookie,
        other => panic!("not a cookie: {other:?}"),
    }
}

fn ws(port: u16, side: &str) -> String {
    format!("ws://127.0.0.1:{port}/ws/{side}")
}

/// A customer and an attendant in one assigned conversation.
async fn pair(port: u16, cookie: &str) -> (ChatClient, ChatClient) {
    let mut attendant = ChatClient::new(
        ws(port, "attendant"),
        Some(cookie.to_owned()),
        None,
        String::new(),
    );
    attendant.connect(&ws(port, "attendant")).await;
    let mut customer = ChatClient::new(ws(port, "customer"), None, None, String::new());
    customer.connect(&ws(port, "customer")).await;
    customer.send_frame(json!({"type": "start_chat"})).await;
    let conversation =
        customer.wait_for(|f| f["type"] == "conversation").await["conversation"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
    attendant.wait_for(|f| f["type"] == "assigned").await;
    customer.conversation = conversation.clone();
    attendant.conversation = conversation;
    (customer, attendant)
}

/// All stored messages of a conversation, oldest first.
async fn stored(port: u16, cookie: &str, conversation: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut before = String::new();
    loop {
        let page: Value = reqwest::Client::new()
            .get(format!(
                "http://127.0.0.1:{port}/session/{conversation}/messages?limit=200{before}"
            ))
            .header("cookie", cookie)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        all.extend(
            page["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .cloned(),
        );
        match page["next"].as_str() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
    }
    all.reverse();
    all
}

/// Checks the stored history against what each side was told.
fn verify(history: &[Value], sides: &[&ChatClient]) {
    let seqs: Vec<u64> = history
        .iter()
        .map(|m| m["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=history.len() as u64).collect::<Vec<_>>(),
        "seqs are 1..n without gaps"
    );
    let mut by_client = std::collections::HashMap::new();
    for m in history {
        let id = m["client_id"].as_str().expect("client id").to_owned();
        assert!(
            by_client
                .insert(id, m["seq"].as_u64().expect("seq"))
                .is_none(),
            "a message is stored twice"
        );
    }
    for side in sides {
        assert!(side.pending.is_empty(), "everything was acked in the end");
        assert_eq!(side.duplicates, 0, "nothing was delivered twice");
        for (client_id, seq) in &side.acked {
            assert_eq!(
                by_client.get(client_id),
                Some(seq),
                "acked message stored once with its acked seq"
            );
        }
    }
    // each sender's messages are stored in the order they were written
    for prefix in ["c", "a"] {
        let order: Vec<usize> = history
            .iter()
            .filter_map(|m| m["text"].as_str()?.strip_prefix(prefix)?.parse().ok())
            .collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(order, sorted, "{prefix}-messages out of order");
        assert_eq!(order.len(), EACH);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_chat_loses_nothing_acked_and_takes_every_resend_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut first, port) = start_process(dir.path()).await;
    let cookie = login(port).await;
    let (mut customer, mut attendant) = pair(port, &cookie).await;

    for i in 0..EACH / 2 {
        customer.send(format!("c{i}")).await;
        attendant.send(format!("a{i}")).await;
    }
    // some acks are in, others are in flight: now the power goes
    while customer.acked.len() < 10 {
        customer.next_frame().await;
    }
    first.kill().await.expect("SIGKILL");
    while customer.next_frame().await.is_some() {}
    while attendant.next_frame().await.is_some() {}
    let acked_before = customer.acked.len() + attendant.acked.len();
    for i in EACH / 2..EACH {
        customer.send(format!("c{i}")).await; // no socket: stays pending
        attendant.send(format!("a{i}")).await;
    }

    let (_second, port) = start_process(dir.path()).await;
    attendant.connect(&ws(port, "attendant")).await;
    customer.connect(&ws(port, "customer")).await;
    assert!(customer.drain_acks().await && attendant.drain_acks().await);
    assert!(customer.receive_until(EACH).await && attendant.receive_until(EACH).await);
    let history = stored(port, &cookie, &customer.conversation).await;
    assert_eq!(history.len(), 2 * EACH);
    verify(&history, &[&customer, &attendant]);
    eprintln!(
        "killed with {acked_before} of {} messages acked; all {} stored once",
        2 * EACH,
        history.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_resumes_with_nothing_lost_or_doubled() {
    let app = spawn_app_with(|c| c.rate_limit_per_second = 100_000).await;
    let proxy = proxy::Proxy::start(app.port).await;
    let cookie = match app.admin().await {
        Auth::Cookie(c) => c,
        _ => unreachable!(),
    };
    let (mut customer, mut attendant) = pair(app.port, &cookie).await;
    // the customer's traffic goes through the proxy
    customer.drop_socket();
    customer.connect(&ws(proxy.port, "customer")).await;

    for i in 0..EACH / 2 {
        customer.send(format!("c{i}")).await;
        attendant.send(format!("a{i}")).await;
    }
    while customer.received.len() < 10 {
        customer.next_frame().await;
    }
    proxy.cut();
    while customer.next_frame().await.is_some() {}
    for i in EACH / 2..EACH {
        customer.send(format!("c{i}")).await;
        attendant.send(format!("a{i}")).await;
    }
    customer.connect(&ws(proxy.port, "customer")).await;
    assert!(customer.drain_acks().await && attendant.drain_acks().await);
    assert!(customer.receive_until(EACH).await && attendant.receive_until(EACH).await);
    let history = stored(app.port, &cookie, &customer.conversation).await;
    verify(&history, &[&customer, &attendant]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_limited_while_others_keep_their_latency() {
    let app = spawn_app_with(|c| c.rate_limit_per_second = 50).await;
    let cookie = match app.admin().await {
        Auth::Cookie(c) => c,
        _ => unreachable!(),
    };
    let (mut customer, mut attendant) = pair(app.port, &cookie).await;
    for i in 0..30 {
        customer.send(format!("c{i}")).await;
        assert!(customer.drain_acks().await);
    }
    let (base_p50, base_p99) = percentiles(&customer.latencies);
    customer.latencies.clear();

    let mut flooder = app.customer(None).await;
    let flood =
        tokio::spawn(async move {
            for i in 0..3000 {
                flooder
                .send(json!({"type": "send", "conversation": "0191e0a4-0000-7000-8000-000000000000",
                    "client_id": uuid::Uuid::now_v7(), "text": format!("flood {i}")}))
                .await;
            }
            flooder
                .wait_for("rate limit", |f| f["code"] == "rate_limited")
                .await
        });
    for i in 30..60 {
        customer.send(format!("c{i}")).await;
        assert!(customer.drain_acks().await);
    }
    let limited = flood.await.expect("flooder");
    assert!(
        limited["message"]
            .as_str()
            .expect("message")
            .contains("slow down")
    );
    let (p50, p99) = percentiles(&customer.latencies);
    eprintln!(
        "ack latency before the flood p50 {base_p50:.2} ms p99 {base_p99:.2} ms; during p50 {p50:.2} ms p99 {p99:.2} ms"
    );
    assert!(
        attendant.receive_until(60).await,
        "the other side got every message"
    );
    assert_eq!(attendant.duplicates, 0);
    // A stall would show as seconds; rate limiting keeps the flood's cost near zero.
    assert!(
        p99 <= base_p99 * 10.0 + 100.0,
        "latency left its range: {p99:.1} ms vs {base_p99:.1} ms"
    );
}
