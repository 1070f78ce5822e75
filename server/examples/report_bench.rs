//! Reports (issue 17), numbers only: how long the overview and the CSV of 30 days take on a
//! store holding `--conversations` (100,000) conversations over `--days` (90) days, over HTTP
//! on loopback with an admin's cookie (the server's whole work: the store's read of the
//! period on its index, the sums, JSON or CSV out).
//!
//! `cargo run --release -p chimpassist-server --example report_bench -- [--conversations N]
//! [--days N] [--runs N] [--mongo 1]`
//!
//! The history is written through the store as the server writes it (each conversation
//! created, assigned, its messages appended, ended, rated: ~10 writes each, many in flight),
//! with a realistic spread: more chats on weekdays and in office hours, waits and handle
//! times with long tails, 1–8 messages a side, 80 % resolved, ratings from 45 % of those.
//! `--mongo 1` seeds and serves from SecantusDB instead (a MongoDB wire-protocol server in
//! Python, started here: its figure is a ceiling, not MongoDB's).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_protocol::{AttendantId, ConversationStatus, QueueId, Role};
use chimpassist_server::config::Config;
use chimpassist_server::startup::Application;
use chimpassist_store::{Attendant, Queue, SqliteStore, Store, Story};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::{admin_cookie, local_config, ms, percentile, setting};

const ADMIN_PASSWORD: &str = "bench-admin-password";
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Conversations being written at once while seeding.
const SEEDERS: usize = 64;
const ATTENDANTS: usize = 20;
const QUEUES: [&str; 3] = ["default", "sales", "billing"];

/// One conversation's story, drawn from `rng`.
struct Plan {
    at: i64,
    queue: usize,
    attendant: usize,
    status: ConversationStatus,
    wait: i64,
    first_response: i64,
    handle: i64,
    customer_messages: usize,
    attendant_messages: usize,
    rating: Option<u8>,
}

/// A log-normal-ish duration: `median` times e^(spread·z), z roughly standard normal.
fn tail(rng: &mut StdRng, median: f64, spread: f64) -> i64 {
    let z: f64 = (0..6).map(|_| rng.r#gen::<f64>()).sum::<f64>() - 3.0;
    (median * (spread * z).exp()) as i64
}

fn plan(rng: &mut StdRng, start: i64, days: i64) -> Plan {
    // Office hours and weekdays: draw until the hour-of-week accepts it.
    let at = loop {
        let at = start + rng.gen_range(0..days * DAY);
        let hour = (at % DAY) / HOUR;
        let weekday = ((at / DAY) + 3) % 7; // 1970-01-01 was a Thursday; 0 = Monday
        let weight =
            if (9..18).contains(&hour) { 1.0 } else { 0.25 } * if weekday < 5 { 1.0 } else { 0.4 };
        if rng.r#gen::<f64>() < weight {
            break at;
        }
    };
    let roll: f64 = rng.r#gen();
    let status = if roll < 0.80 {
        ConversationStatus::Resolved
    } else if roll < 0.90 {
        ConversationStatus::Abandoned
    } else {
        ConversationStatus::Expired
    };
    let rating = (status == ConversationStatus::Resolved && rng.r#gen::<f64>() < 0.45).then(|| {
        match rng.r#gen::<f64>() {
            r if r < 0.50 => 5,
            r if r < 0.75 => 4,
            r if r < 0.85 => 3,
            r if r < 0.92 => 2,
            _ => 1,
        }
    });
    Plan {
        at,
        queue: rng.gen_range(0..QUEUES.len()),
        attendant: rng.gen_range(0..ATTENDANTS),
        status,
        wait: tail(rng, 90_000.0, 0.9),
        first_response: tail(rng, 45_000.0, 0.8),
        handle: tail(rng, 12.0 * MIN as f64, 0.7),
        customer_messages: rng.gen_range(1..=8),
        attendant_messages: rng.gen_range(1..=8),
        rating,
    }
}

/// The story of a plan, as the server would have written it.
fn story(p: Plan, n: usize, attendants: &[AttendantId]) -> anyhow::Result<Story> {
    let mut story = Story {
        queue: QueueId::parse(QUEUES[p.queue])?,
        customer_messages: vec![1_000],
        rating: p.rating,
        ..Story::new(format!("Visitor {n}"), p.at)
    };
    if p.status == ConversationStatus::Abandoned {
        story.end = Some((p.status, p.wait));
        return Ok(story);
    }
    story.assigned = Some((attendants[p.attendant].clone(), p.wait));
    let answered = p.wait + p.first_response;
    story.answers = (0..p.attendant_messages)
        .map(|i| answered + i as i64 * 40_000)
        .collect();
    story
        .customer_messages
        .extend((1..p.customer_messages).map(|i| answered + 20_000 + i as i64 * 40_000));
    story.end = Some((p.status, answered + p.handle));
    Ok(story)
}

/// The attendants and queues, then `count` conversations from `SEEDERS` writers.
async fn seed(
    store: Arc<dyn Store>,
    count: usize,
    start: i64,
    days: i64,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for queue in QUEUES {
        store
            .upsert_queue(Queue {
                id: QueueId::parse(queue)?,
                name: queue.to_owned(),
                mode: chimpassist_protocol::AssignmentMode::Auto,
                skill: None,
                greeting: None,
                away_message: None,
                calls: chimpassist_protocol::CallPolicy::AttendantStarts,
                bot: None,
                hours: None,
            })
            .await?;
    }
    // The admin the bench signs in as (the server creates none once attendants exist).
    let hash = chimpassist_server::auth::password::hash(ADMIN_PASSWORD.to_owned().into()).await?;
    store
        .create_attendant(Attendant {
            id: AttendantId::parse("admin")?,
            email: "admin".into(),
            name: "Admin".into(),
            avatar_url: None,
            role: Role::Admin,
            skill: String::new(),
            queues: Vec::new(),
            capacity: 5,
            disabled: false,
            password_hash: Some(hash),
            must_change_password: false,
            created_at: start,
        })
        .await?;
    let mut attendants = Vec::new();
    for i in 0..ATTENDANTS {
        let id = AttendantId::parse(format!("a-bench-{i}"))?;
        store
            .create_attendant(Attendant {
                id: id.clone(),
                email: format!("agent{i}@example.com"),
                name: format!("Agent {i}"),
                avatar_url: None,
                role: Role::Attendant,
                skill: String::new(),
                queues: QUEUES
                    .iter()
                    .map(|q| QueueId::parse(*q))
                    .collect::<Result<_, _>>()?,
                capacity: 5,
                disabled: false,
                password_hash: None,
                must_change_password: false,
                created_at: start,
            })
            .await?;
        attendants.push(id);
    }
    let attendants = Arc::new(attendants);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..SEEDERS {
        let store = Arc::clone(&store);
        let attendants = Arc::clone(&attendants);
        workers.spawn(async move {
            let mut rng = StdRng::seed_from_u64(worker as u64);
            for n in (worker..count).step_by(SEEDERS) {
                story(plan(&mut rng, start, days), n, &attendants)?
                    .tell(&*store)
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

/// Times `runs` GETs of `path` (the whole body read); answers the times and the last body.
async fn time_get(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    runs: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<u8>)> {
    let mut times = Vec::new();
    let mut last = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let response = http.get(url).header("cookie", cookie).send().await?;
        anyhow::ensure!(response.status() == 200, "{url}: {}", response.status());
        last = response.bytes().await?.to_vec();
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times, last))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count = setting("conversations", 100_000);
    let days = setting("days", 90) as i64;
    let runs = setting("runs", 5);
    let mongo = setting("mongo", 0) == 1;
    let dir = tempfile::tempdir()?;
    // The history ends at the start of today (UTC), the reports read its last 30 days.
    let now = chimpassist_server::views::now_ms();
    let end = now - now % DAY;
    let start = end - days * DAY;

    let mut config: Config = local_config(dir.path())?;
    config.admin_email = Some("admin".into());
    config.admin_password = Some(ADMIN_PASSWORD.to_owned().into());
    config.lift_network_limits();
    let _server;
    let store: Arc<dyn Store> = if mongo {
        let port = chimpassist_store_mongo::test_support::free_port();
        let server = chimpassist_store_mongo::test_support::SecantusServer::start(port)
            .map_err(anyhow::Error::msg)?;
        let uri = server.uri();
        _server = Some(server);
        let store = chimpassist_store_mongo::MongoStore::connect(&uri, "report_bench").await?;
        store.ensure_schema().await?;
        config.mongo_connection_url = Some(uri.into());
        config.mongo_database = "report_bench".into();
        Arc::new(store)
    } else {
        _server = None;
        Arc::new(SqliteStore::open_in(dir.path())?)
    };
    let backend = if mongo {
        "SecantusDB"
    } else {
        "embedded SQLite"
    };
    let seeded = seed(Arc::clone(&store), count, start, days).await?;
    let mut reads = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        store
            .conversation_facts(end - 30 * DAY, end, None, 0)
            .await?;
        reads.push(t.elapsed());
    }
    reads.sort();
    drop(store);
    println!(
        "seeded {count} conversations over {days} days into {backend} in {:.1} s",
        seeded.as_secs_f64()
    );

    let app = Application::build(config).await?;
    let port = app.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    // A MongoDB store is connected in the background: wait until the server says ready.
    for _ in 0..600 {
        let ready = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await?;
        if ready.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cookie = admin_cookie(&http, port, ADMIN_PASSWORD).await?;

    let query = format!("from={}&to={end}&tz=America/Sao_Paulo", end - 30 * DAY);
    let base = format!("http://127.0.0.1:{port}/api/reports");
    let (overview, body) =
        time_get(&http, &format!("{base}/overview?{query}"), &cookie, runs).await?;
    let parsed: Value = serde_json::from_slice(&body)?;
    println!(
        "the store's read of 30 days' facts alone: median {:.0} ms",
        ms(percentile(&reads, 0.5))
    );
    println!(
        "overview of 30 days ({} conversations, by day, São Paulo time), {runs} runs: median {:.0} ms, worst {:.0} ms, {} KiB of JSON",
        parsed["summary"]["created"],
        ms(percentile(&overview, 0.5)),
        ms(*overview.last().unwrap_or(&Duration::ZERO)),
        body.len() / 1024
    );
    let (csv, body) = time_get(
        &http,
        &format!("{base}/conversations.csv?{query}"),
        &cookie,
        runs,
    )
    .await?;
    let rows = body
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        .saturating_sub(1);
    println!(
        "CSV of 30 days ({rows} rows, {} KiB), {runs} runs: median {:.0} ms, worst {:.0} ms",
        body.len() / 1024,
        ms(percentile(&csv, 0.5)),
        ms(*csv.last().unwrap_or(&Duration::ZERO)),
    );
    let (page, _) = time_get(
        &http,
        &format!("{base}/conversations?{query}&status=resolved&limit=50"),
        &cookie,
        runs,
    )
    .await?;
    println!(
        "drill-down page (resolved, 50 rows), {runs} runs: median {:.0} ms",
        ms(percentile(&page, 0.5))
    );
    let _ = stop.send(());
    task.await??;
    Ok(())
}
