//! What the login throttles cost a normal sign-in, and what a sign-in costs at all.
//!
//! `cargo run --release -p chimpassist-server --example login_cost [-- <logins>]`
//!
//! Prints: the time of the two checks every attempt passes before any password is hashed
//! (the per-network bucket and the per-login backoff), measured alone over many calls; and the
//! median and 90th percentile of whole sign-ins over HTTP (right password, wrong password,
//! unknown login) against a server on this machine.

use std::time::{Duration, Instant};

use chimpassist_server::edge::{ClientIp, Edge};
use chimpassist_server::startup::Application;
use serde_json::json;

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{local_config, percentile};

async fn logins(
    client: &reqwest::Client,
    url: &str,
    email: &str,
    password: &str,
    n: usize,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let response = client
            .post(url)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login");
        let _ = response.bytes().await;
        times.push(start.elapsed());
    }
    times.sort();
    times
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let mut config = local_config(dir.path())?;
    config.admin_email = Some("admin".into());
    config.admin_password = Some("bench-admin-password".to_owned().into());
    // The checks run as always; only the numbers are raised, so the loop is not refused.
    config.logins_per_minute_per_ip = u32::MAX;

    // The checks alone.
    let edge = Edge::new(&config.edge_limits(), 1000);
    let client = ClientIp("198.51.100.7".parse()?);
    let calls = 200_000u32;
    let start = Instant::now();
    for _ in 0..calls {
        edge.throttles.logins.check(client)?;
        edge.throttles
            .accounts
            .check("someone@example.com", tokio::time::Instant::now())?;
    }
    let per_attempt = start.elapsed() / calls;

    let app = Application::build(config).await?;
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/login");
    // Warm up (the first unknown login makes the dummy hash once).
    logins(&http, &url, "warm-up@example.com", "x", 1).await;
    let right = logins(&http, &url, "admin", "bench-admin-password", n).await;
    let unknown = logins(&http, &url, "nobody@example.com", "x", n.min(4)).await;
    let wrong = logins(&http, &url, "admin", "wrong", 4).await;
    println!(
        "throttle checks per attempt (per-network bucket + per-login backoff): {per_attempt:?}"
    );
    println!(
        "sign-in, right password ({n}): median {:?}, p90 {:?}",
        percentile(&right, 0.5),
        percentile(&right, 0.9)
    );
    println!(
        "sign-in, wrong password (4): median {:?}; unknown login (4): median {:?}",
        percentile(&wrong, 0.5),
        percentile(&unknown, 0.5)
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}
