//! Webhooks (issue 18), numbers only: how long an event takes from the change to the
//! receiver, one at a time and in a burst, over loopback with the embedded store.
//!
//! `cargo run --release -p chimpassist-server --example webhook_bench -- [--events N]
//! [--burst N] [--poll-ms N]`
//!
//! The change is a callback request (`POST /api/callback`, whose write records
//! `callback.requested`); the receiver is a plain HTTP server answering 204. Latency is from
//! sending the request to the receiver having the delivery, so it holds the store's commit,
//! the dispatcher's wait for its next look (`--poll-ms`, the server's default 250 ms), the
//! fan-out and claim, signing and the HTTP exchange.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use chimpassist_server::startup::Application;
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{admin_cookie, local_config, ms, percentile, setting};

const ADMIN_PASSWORD: &str = "bench-admin-password";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events = setting("events", 200);
    let burst = setting("burst", 2_000);
    let poll_ms = setting("poll-ms", 250) as u64;
    let dir = tempfile::tempdir()?;
    let mut config = local_config(dir.path())?;
    config.admin_email = Some("admin".into());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    config.lift_network_limits();
    config.webhook_allow_private_destinations = true;
    config.webhook_poll_ms = poll_ms;
    let app = Application::build(config).await?;
    let port = app.port();
    tokio::spawn(app.run_until_stopped(std::future::pending()));

    // The receiver: each delivery's callback name, when it arrived.
    let (tx, mut arrived) = mpsc::unbounded_channel::<(String, Instant)>();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: Bytes| {
            let tx = tx.clone();
            async move {
                let at = Instant::now();
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    let _ = tx.send((v["data"]["name"].as_str().unwrap_or("").to_owned(), at));
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://127.0.0.1:{}/hook", listener.local_addr()?.port());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let cookie = admin_cookie(&http, port, ADMIN_PASSWORD).await?;
    let created = http
        .post(format!("{base}/api/webhooks"))
        .header("cookie", &cookie)
        .json(&json!({"url": hook, "events": ["callback.requested"]}))
        .send()
        .await?;
    anyhow::ensure!(created.status() == 201, "endpoint: {}", created.status());
    let ask = |name: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http
                .post(format!("{base}/api/callback"))
                .json(&json!({"name": name, "phone": "+55 11 5555-0000"}))
                .send()
                .await?;
            anyhow::ensure!(r.status() == 201, "callback: {}", r.status());
            anyhow::Ok(())
        }
    };

    // One at a time: the latency of each. Each change comes at a random moment of the
    // dispatcher's cycle (a change made just after a delivery would otherwise always wait a
    // whole cycle, and one made just before its next look hardly at all).
    let mut latencies = Vec::with_capacity(events);
    for i in 0..events {
        let name = format!("one-{i}");
        let pause = rand::random::<u64>() % (poll_ms + 1);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let sent = Instant::now();
        ask(name.clone()).await?;
        loop {
            let (got, at) = arrived
                .recv()
                .await
                .ok_or_else(|| anyhow::anyhow!("receiver gone"))?;
            if got == name {
                latencies.push(at - sent);
                break;
            }
        }
    }
    latencies.sort();
    println!(
        "one at a time, {events} events (poll {poll_ms} ms): change → receiver p50 {:.1} ms, \
         p95 {:.1} ms, max {:.1} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.95)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );

    // A burst: `burst` changes at once, until the last is delivered.
    let started = Instant::now();
    let mut sent_at = HashMap::new();
    let mut asks = tokio::task::JoinSet::new();
    for i in 0..burst {
        let name = format!("burst-{i}");
        sent_at.insert(name.clone(), Instant::now());
        asks.spawn(ask(name));
    }
    while let Some(done) = asks.join_next().await {
        done??;
    }
    let stored = started.elapsed();
    let mut waits = Vec::with_capacity(burst);
    while waits.len() < burst {
        let (got, at) = arrived
            .recv()
            .await
            .ok_or_else(|| anyhow::anyhow!("receiver gone"))?;
        if let Some(sent) = sent_at.remove(&got) {
            waits.push(at - sent);
        }
    }
    let all = started.elapsed();
    waits.sort();
    println!(
        "burst of {burst}: stored in {:.0} ms, all delivered in {:.0} ms ({:.0} events/s); \
         change → receiver p50 {:.0} ms, p95 {:.0} ms",
        ms(stored),
        ms(all),
        burst as f64 / all.as_secs_f64(),
        ms(percentile(&waits, 0.5)),
        ms(percentile(&waits, 0.95)),
    );
    Ok(())
}
