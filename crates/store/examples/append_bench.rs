//! Message append throughput and latency of `SqliteStore` (numbers only, nothing asserted).
//!
//! ```text
//! cargo run --release -p chimpassist-store --example append_bench -- \
//!     [--tasks 256] [--messages 100000] [--conversations 200] [--webhook-events 1]
//! ```
//! With `--webhook-events 1` each message also records its `message.created` event in the
//! outbox, as when a webhook endpoint takes that event; by default none is recorded, as on a
//! server without such an endpoint.
//! The same settings can come from `TASKS`, `MESSAGES` and `CONVERSATIONS`. Every append is
//! fsynced before it is acknowledged, so this measures group commit, not a write cache.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, MessageText, Party, QueueId,
};
use chimpassist_store::{Customer, NewConversation, NewMessage, SqliteStore, Store, WebhookStore};

/// `--name N`, else the environment variable, else `default`.
fn setting(name: &str, env: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{name}");
    let from_args = args
        .iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned();
    from_args
        .or_else(|| std::env::var(env).ok())
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tasks = setting("tasks", "TASKS", 256).max(1);
    let total = setting("messages", "MESSAGES", 100_000);
    let conversation_count = setting("conversations", "CONVERSATIONS", 200).max(1);

    let dir = tempfile::TempDir::new()?;
    let store = Arc::new(SqliteStore::open_in(dir.path())?);
    if setting("webhook-events", "WEBHOOK_EVENTS", 0) == 0 {
        store.record_events(&[]);
    }
    let mut conversations = Vec::with_capacity(conversation_count);
    for i in 0..conversation_count {
        let customer = store
            .create_customer(Customer {
                id: CustomerId::parse(format!("bench-{i}"))?,
                external_id: None,
                verified: false,
                profile_verified: false,
                name: format!("Customer {i}"),
                avatar_url: None,
                email: None,
                created_at: 0,
            })
            .await?;
        let conv = store
            .create_conversation(NewConversation {
                id: ConversationId::new(),
                customer_id: customer.id.clone(),
                queue_id: QueueId::default_queue(),
                requested_at: 0,
                subject: None,
            })
            .await?;
        conversations.push((conv.id, customer.id));
    }
    let conversations = Arc::new(conversations);
    let text = MessageText::parse(
        "Hello, I need help with my order #12345, it has not arrived yet.",
        4096,
    )?;

    println!(
        "append_bench: {total} messages, {tasks} tasks, {conversation_count} conversations, \
         file {}",
        store.path().display()
    );
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let count = total / tasks + usize::from(t < total % tasks);
        let store = store.clone();
        let conversations = conversations.clone();
        let text = text.clone();
        workers.spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            for n in 0..count {
                let (conversation, customer) =
                    &conversations[(t + n * tasks) % conversations.len()];
                let message = NewMessage {
                    conversation: *conversation,
                    client_id: ClientMessageId::new(),
                    sender_party: Party::Customer,
                    sender_id: customer.as_str().to_owned(),
                    sender_name: "Customer".to_owned(),
                    text: text.clone(),
                    timestamp: n as i64,
                    call: None,
                    attachments: Vec::new(),
                };
                let sent = Instant::now();
                store.append_message(message).await?;
                latencies.push(sent.elapsed());
            }
            Ok::<_, chimpassist_store::StoreError>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(total);
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = started.elapsed();
    store.close().await;

    latencies.sort_unstable();
    println!("total time   {:.3} s", elapsed.as_secs_f64());
    println!(
        "throughput   {:.0} appends/s",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50  {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3
    );
    println!(
        "latency p99  {:.2} ms",
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "latency max  {:.2} ms",
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    Ok(())
}
