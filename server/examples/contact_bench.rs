//! Data rights (issue 18), numbers only: how long a customer's export and erasure take over
//! HTTP (loopback, embedded store, an admin's cookie) for a customer with a long history.
//!
//! `cargo run --release -p chimpassist-server --example contact_bench -- [--conversations N]
//! [--messages N] [--files N] [--file-kib N] [--runs N]`
//!
//! The customer's history is written through the store (`--conversations` resolved
//! conversations of `--messages` messages each, `--files` files of `--file-kib` KiB spread
//! over them), then the server opens it as after a restart. The export is
//! `GET /api/contacts/{id}/export` (the whole zip read), the erasure `DELETE /api/contacts/{id}`.
//! Then the same history, written again, is emptied by the retention sweep
//! (`Store::purge_ended_before` in batches of 200, as `CONVERSATION_RETENTION` runs it).

use std::time::{Duration, Instant};

use chimpassist_protocol::{
    ClientMessageId, ConversationId, ConversationStatus, CustomerId, FileId, FileInfo, FileName,
    MessageText, Party, QueueId,
};
use chimpassist_server::startup::Application;
use chimpassist_store::{
    AttendantChange, Customer, FileRecord, NewConversation, NewFile, NewMessage, SqliteStore,
    Store, Transition,
};

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{admin_cookie, local_config, ms, percentile, setting};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const CUSTOMER: &str = "bench-customer";

async fn seed(
    store: &SqliteStore,
    conversations: usize,
    messages: usize,
    files: usize,
    file_kib: usize,
) -> anyhow::Result<()> {
    let customer = store
        .create_customer(Customer {
            id: CustomerId::parse(CUSTOMER)?,
            external_id: Some("site-42".into()),
            verified: false,
            profile_verified: false,
            name: "Bench Customer".into(),
            avatar_url: None,
            email: Some("bench@example.com".into()),
            created_at: 0,
        })
        .await?;
    let text = MessageText::parse("Hello, my order #12345 has not arrived yet.", 4096)?;
    let mut t = 0i64;
    for c in 0..conversations {
        let id = ConversationId::new();
        store
            .create_conversation(NewConversation {
                id,
                customer_id: customer.id.clone(),
                queue_id: QueueId::default_queue(),
                requested_at: t,
                subject: Some("Late order".into()),
            })
            .await?;
        for m in 0..messages {
            t += 1;
            // Files go with the first messages of the first conversations, one each.
            let attachments = if m == 0 && c < files {
                let info = FileInfo {
                    id: FileId::new(),
                    name: FileName::sanitise(&format!("photo-{c}.png"), &["png"]),
                    size: (file_kib * 1024) as u64,
                    content_type: "image/png".into(),
                    width: None,
                    height: None,
                };
                store
                    .put_file(NewFile {
                        record: FileRecord {
                            info: info.clone(),
                            conversation: id,
                            customer: customer.id.clone(),
                            uploader_party: Party::Customer,
                            uploader_id: CUSTOMER.into(),
                            client_id: ClientMessageId::new(),
                            thumbnail_type: None,
                            created_at: t,
                        },
                        bytes: vec![(c % 251) as u8; file_kib * 1024],
                        thumbnail: None,
                    })
                    .await?;
                vec![info]
            } else {
                Vec::new()
            };
            store
                .append_message(NewMessage {
                    conversation: id,
                    client_id: ClientMessageId::new(),
                    sender_party: Party::Customer,
                    sender_id: CUSTOMER.into(),
                    sender_name: "Bench Customer".into(),
                    text: text.clone(),
                    timestamp: t,
                    call: None,
                    attachments,
                })
                .await?;
        }
        store
            .transition(Transition {
                id,
                from: vec![ConversationStatus::Queued],
                to: ConversationStatus::Resolved,
                attendant: AttendantChange::Keep,
                at: t,
                capacity: None,
                queue: None,
                requested_at: None,
            })
            .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let conversations = setting("conversations", 100);
    let messages = setting("messages", 50);
    let files = setting("files", 20).min(conversations);
    let file_kib = setting("file-kib", 256);
    let runs = setting("runs", 5).max(1);
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_in(dir.path())?;
    let started = Instant::now();
    seed(&store, conversations, messages, files, file_kib).await?;
    println!(
        "seeded {conversations} conversations × {messages} messages, {files} files of {file_kib} KiB, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    drop(store);

    let mut config = local_config(dir.path())?;
    config.admin_email = Some("admin".into());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    config.lift_network_limits();
    let app = Application::build(config).await?;
    let port = app.port();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    let cookie = admin_cookie(&http, port, ADMIN_PASSWORD).await?;
    let url = format!("http://127.0.0.1:{port}/api/contacts/{CUSTOMER}");

    let mut times: Vec<Duration> = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let answer = http
            .get(format!("{url}/export"))
            .header("cookie", &cookie)
            .send()
            .await?;
        anyhow::ensure!(answer.status() == 200, "export: {}", answer.status());
        size = answer.bytes().await?.len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "export: {:.1} MiB zip, p50 {:.1} ms, max {:.1} ms ({runs} runs)",
        size as f64 / (1 << 20) as f64,
        ms(percentile(&times, 0.5)),
        ms(*times.last().unwrap_or(&Duration::ZERO))
    );

    let t = Instant::now();
    let erased = http.delete(&url).header("cookie", &cookie).send().await?;
    let took = t.elapsed();
    anyhow::ensure!(erased.status() == 200, "erase: {}", erased.status());
    let body: serde_json::Value = erased.json().await?;
    println!("erase: {:.1} ms — {body}", ms(took));

    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open_in(dir.path())?;
    seed(&store, conversations, messages, files, file_kib).await?;
    let t = Instant::now();
    let mut swept = chimpassist_store::Purged::default();
    loop {
        let batch = store.purge_ended_before(i64::MAX, 0, 200).await?;
        swept = swept.plus(batch);
        if batch.conversations < 200 {
            break;
        }
    }
    println!(
        "retention sweep: {:.1} ms — {} conversations, {} messages, {} files emptied",
        ms(t.elapsed()),
        swept.conversations,
        swept.messages,
        swept.files
    );
    store.close().await;
    Ok(())
}
