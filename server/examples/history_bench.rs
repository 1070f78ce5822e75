//! P7 and P8 of the capacity targets (numbers only, nothing asserted):
//! - **P7**: the newest 50 messages of a conversation of `--messages` (100,000) messages,
//!   timed in the store (the server's own work) and over HTTP
//!   (`GET /session/{id}/messages?limit=50`, an admin's cookie, loopback);
//! - **P8**: from `Application::build` to `/readyz` answering 200, on a data directory holding
//!   `--stored` (1,000,000) messages in `--conversations` (1,000) open conversations besides.
//!
//! `cargo run --release -p chimpassist-server --example history_bench -- [--messages N]
//! [--stored N] [--conversations N] [--runs N]`
//!
//! The data is written through the store with many concurrent appends (group commit, every
//! append fsynced), then the store is closed and the server opens it as it would after a
//! restart.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, MessageText, Party, QueueId,
};
use chimpassist_server::config::Config;
use chimpassist_server::startup::Application;
use chimpassist_store::{Customer, NewConversation, NewMessage, SqliteStore, Store};

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{admin_cookie, local_config, ms, percentile, setting};

const ADMIN_PASSWORD: &str = "bench-admin-password";
/// Appends in flight while seeding.
const SEEDERS: usize = 128;

async fn conversation(store: &SqliteStore, name: &str) -> anyhow::Result<ConversationId> {
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse(name.to_owned())?,
            external_id: None,
            verified: false,
            profile_verified: false,
            name: name.to_owned(),
            avatar_url: None,
            email: None,
            created_at: 0,
        })
        .await?;
    let conversation = store
        .create_conversation(NewConversation {
            id: ConversationId::new(),
            customer_id: customer.id,
            queue_id: QueueId::default_queue(),
            requested_at: 0,
            subject: None,
        })
        .await?;
    Ok(conversation.id)
}

/// Appends `count` messages spread over `conversations`, `SEEDERS` at a time.
async fn seed(
    store: &Arc<SqliteStore>,
    conversations: &[ConversationId],
    count: usize,
) -> anyhow::Result<Duration> {
    let text = MessageText::parse(
        "Hello, I need help with my order #12345, it has not arrived yet.",
        4096,
    )?;
    let conversations = Arc::new(conversations.to_vec());
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for t in 0..SEEDERS {
        let (store, conversations, text) = (store.clone(), conversations.clone(), text.clone());
        workers.spawn(async move {
            let mut n = t;
            while n < count {
                let conversation = conversations[n % conversations.len()];
                store
                    .append_message(NewMessage {
                        conversation,
                        client_id: ClientMessageId::new(),
                        sender_party: Party::Customer,
                        sender_id: "bench".to_owned(),
                        sender_name: "Customer".to_owned(),
                        text: text.clone(),
                        timestamp: n as i64,
                        call: None,
                        attachments: Vec::new(),
                    })
                    .await?;
                n += SEEDERS;
            }
            Ok::<_, chimpassist_store::StoreError>(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

fn config(dir: &Path) -> anyhow::Result<Config> {
    let mut config = local_config(dir)?;
    config.admin_email = Some("admin".into());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    config.lift_network_limits();
    Ok(config)
}

/// A running server on `dir`: its port, the time from build to `/readyz` 200, and its stop.
async fn start(
    dir: &Path,
) -> anyhow::Result<(
    u16,
    Duration,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
)> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let app = Application::build(config(dir)?).await?;
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = app
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await;
    });
    let ready = format!("http://127.0.0.1:{port}/readyz");
    loop {
        if let Ok(r) = http.get(&ready).send().await
            && r.status() == 200
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    Ok((port, started.elapsed(), stop, task))
}

/// Writes back and drops the kernel's page cache, so the next start reads the database from
/// disk. False when not allowed.
fn drop_page_cache(dir: &Path) -> bool {
    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let messages = setting("messages", 100_000);
    let stored = setting("stored", 1_000_000);
    let others = setting("conversations", 1_000).max(1);
    let runs = setting("runs", 3).max(1);
    let dir = tempfile::tempdir()?;

    let store = Arc::new(SqliteStore::open_in(dir.path())?);
    let long = conversation(&store, "long-conversation").await?;
    let took = seed(&store, &[long], messages).await?;
    println!(
        "seeded {messages} messages in one conversation in {:.1} s",
        took.as_secs_f64()
    );
    let mut times = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let page = store.messages_before(&long, None, 50).await?;
        times.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    times.sort();
    println!(
        "P7 in the store: newest 50 of {messages}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (1,000 reads)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("times"))
    );

    let mut spread = Vec::with_capacity(others);
    for i in 0..others {
        spread.push(conversation(&store, &format!("customer-{i}")).await?);
    }
    let rest = stored.saturating_sub(messages);
    let took = seed(&store, &spread, rest).await?;
    println!(
        "seeded {rest} more messages in {others} open conversations in {:.1} s ({} stored)",
        took.as_secs_f64(),
        messages + rest
    );
    store.close().await;
    drop(store);
    let size: u64 = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("data directory: {:.0} MiB", size as f64 / (1 << 20) as f64);

    for run in 1..=runs {
        // Odd runs start cold when the kernel lets us drop its page cache (root only).
        let cold = run % 2 == 1 && drop_page_cache(dir.path());
        let (port, ready, stop, task) = start(dir.path()).await?;
        println!(
            "P8 run {run} ({}): build → /readyz 200 with {} stored messages, {} open conversations: {:.0} ms",
            if cold { "page cache dropped" } else { "warm" },
            messages + rest,
            others + 1,
            ms(ready)
        );
        if run == runs {
            let http = reqwest::Client::new();
            let cookie = admin_cookie(&http, port, ADMIN_PASSWORD).await?;
            let url = format!("http://127.0.0.1:{port}/session/{long}/messages?limit=50");
            let mut times = Vec::new();
            for _ in 0..1000 {
                let t = Instant::now();
                let response = http.get(&url).header("cookie", &cookie).send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                times.push(t.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            }
            times.sort();
            println!(
                "P7 over HTTP: newest 50 of {messages}: p50 {:.3} ms, p99 {:.3} ms (1,000 requests, loopback)",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99))
            );
        }
        let _ = stop.send(());
        task.await?;
    }
    Ok(())
}
