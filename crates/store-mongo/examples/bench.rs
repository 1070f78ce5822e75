//! Message append throughput of `MongoStore` (numbers only, nothing asserted).
//!
//! ```text
//! cargo run --release -p chimpassist-store-mongo --features test-support --example bench -- \
//!     [--messages 2000] [--uri mongodb://…]
//! ```
//! Without `--uri` (or `MONGO_CONNECTION_URL`) it starts SecantusDB the way the tests do
//! (`cargo xtask setup` installs it). Three runs of `--messages` appends each, on a fresh
//! database: one writer; 16 writers on 16 conversations; 16 writers on one conversation
//! (every append of that run contends for one counter). SecantusDB is a Python server: the
//! numbers compare designs, they say little about a real MongoDB.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_protocol::{
    ClientMessageId, ConversationId, CustomerId, MessageText, Party, QueueId,
};
use chimpassist_store::{Customer, NewConversation, NewMessage, Store};
use chimpassist_store_mongo::MongoStore;
use chimpassist_store_mongo::test_support::{self, TestDatabase};

/// `--name value`, else the environment variable, else nothing.
fn setting(name: &str, env: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{name}");
    args.iter()
        .position(|a| *a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .or_else(|| std::env::var(env).ok())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

async fn conversation(
    store: &MongoStore,
    n: usize,
) -> Result<(ConversationId, CustomerId), Box<dyn std::error::Error>> {
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse(format!("bench-{n}"))?,
            external_id: None,
            verified: false,
            profile_verified: false,
            name: format!("Customer {n}"),
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
    Ok((conv.id, customer.id))
}

/// `total` appends by `writers` tasks, writer `w` writing to `conversations[w % len]`.
async fn run(
    store: &Arc<MongoStore>,
    label: &str,
    writers: usize,
    conversations: Vec<(ConversationId, CustomerId)>,
    total: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let text = MessageText::parse(
        "Hello, I need help with my order #12345, it has not arrived yet.",
        4096,
    )?;
    let conversations = Arc::new(conversations);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..writers {
        let count = total / writers + usize::from(w < total % writers);
        let store = Arc::clone(store);
        let conversations = Arc::clone(&conversations);
        let text = text.clone();
        tasks.spawn(async move {
            let (conversation, customer) = conversations[w % conversations.len()].clone();
            let mut latencies = Vec::with_capacity(count);
            for n in 0..count {
                let message = NewMessage {
                    conversation,
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
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    println!(
        "{label:<34} {:>7.0} appends/s   p50 {:>6.2} ms   p99 {:>7.2} ms   ({} in {:.2} s)",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.len(),
        elapsed.as_secs_f64(),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: usize = setting("messages", "MESSAGES")
        .and_then(|m| m.parse().ok())
        .unwrap_or(2_000);
    let uri = match setting("uri", "MONGO_CONNECTION_URL") {
        Some(uri) => uri,
        None => test_support::shared().await.uri(),
    };
    // Dropped at the end: the benchmark's database goes away with it.
    let database = TestDatabase::new(uri);
    let store = Arc::new(MongoStore::connect(database.uri(), database.name()).await?);
    store.ensure_schema().await?;
    println!(
        "bench: {total} appends per run against {} (database {})",
        store.hosts(),
        store.database_name()
    );

    let one = vec![conversation(&store, 0).await?];
    run(&store, "1 writer, 1 conversation", 1, one, total).await?;
    let mut many = Vec::new();
    for n in 1..=16 {
        many.push(conversation(&store, n).await?);
    }
    run(&store, "16 writers, 16 conversations", 16, many, total).await?;
    let hot = vec![conversation(&store, 17).await?];
    run(&store, "16 writers, 1 conversation", 16, hot, total).await?;
    Ok(())
}
