//! Event throughput and latency of the two buses (numbers only, nothing asserted).
//!
//! ```text
//! cargo run --release -p chimpassist-server --example bus_bench -- [--events 20000]
//! ```
//! Starts mosquitto the way the tests do (`cargo xtask setup` installs it). Runs:
//! - `LocalBus`: one publisher, one subscriber on the same bus;
//! - `MqttBus`: node A publishes, a subscriber on node B (another bus on the same broker)
//!   receives, one publisher and then four at once;
//! - one event at a time from A to B and back, for latency.
//!
//! Throughput counts from the first publish to the last event received.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chimpassist_server::bus::conformance::{next_event, numbered, origin};
use chimpassist_server::bus::mosquitto::Mosquitto;
use chimpassist_server::bus::{Bus, Link, LocalBus, MqttBus, MqttSettings};

#[path = "support/mod.rs"]
#[allow(dead_code)] // each example uses part of it
mod support;
use support::percentile;

/// Events a subscriber may hold unread: as in the server, so nothing lags.
const CAPACITY: usize = 1 << 16;
/// Round trips for the latency run.
const ROUND_TRIPS: usize = 1_000;

fn events() -> u32 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

/// Publishes `count` events from each of `publishers` at once and times until `subscriber`
/// has them all; returns events per second.
async fn throughput(
    publishers: Vec<Arc<dyn Bus>>,
    receiver: &dyn Bus,
    count: u32,
) -> anyhow::Result<f64> {
    let mut subscription = receiver.subscribe();
    let total = count as usize * publishers.len();
    let started = Instant::now();
    let sending: Vec<_> = publishers
        .into_iter()
        .map(|bus| {
            tokio::spawn(async move {
                let publisher = origin("bench");
                for n in 1..=count {
                    bus.publish(numbered(&publisher, n)).await?;
                }
                Ok::<_, anyhow::Error>(())
            })
        })
        .collect();
    let receiving = async {
        for _ in 0..total {
            next_event(&mut subscription).await;
        }
        Ok::<_, anyhow::Error>(started.elapsed())
    };
    let sent = async {
        for task in sending {
            task.await??;
        }
        Ok(())
    };
    // A failed publish ends the run at once instead of leaving the receiver waiting.
    let (elapsed, ()) = tokio::try_join!(receiving, sent)?;
    Ok(total as f64 / elapsed.as_secs_f64())
}

async fn node(broker: &Mosquitto, base_topic: &str) -> anyhow::Result<Arc<MqttBus>> {
    let settings = MqttSettings::parse(&broker.url(), None, None, base_topic)?;
    let bus = MqttBus::start(settings, CAPACITY);
    let mut link = bus.link();
    tokio::time::timeout(
        Duration::from_secs(10),
        link.wait_for(|l| *l == Link::Subscribed),
    )
    .await??;
    drop(link);
    Ok(Arc::new(bus))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count = events();
    // A publisher that never waits can outrun a subscriber by the whole backlog.
    anyhow::ensure!(
        count as usize <= CAPACITY,
        "--events {count}: at most {CAPACITY}, what a subscriber may hold unread before it lags"
    );
    chimpassist_server::telemetry::init(
        &std::env::var("LOG").unwrap_or_else(|_| "warn".into()),
        false,
    );

    let local: Arc<dyn Bus> = Arc::new(LocalBus::new(CAPACITY));
    let rate = throughput(vec![Arc::clone(&local)], local.as_ref(), count).await?;
    println!("LocalBus, 1 publisher:           {count:>7} events, {rate:>10.0} events/s");

    let broker = Mosquitto::start().await.map_err(anyhow::Error::msg)?;
    let base_topic = format!("bench/{}", uuid::Uuid::new_v4().simple());
    let a = node(&broker, &base_topic).await?;
    let b = node(&broker, &base_topic).await?;
    let rate = throughput(vec![a.clone() as Arc<dyn Bus>], b.as_ref(), count).await?;
    println!("MqttBus A → B, 1 publisher:      {count:>7} events, {rate:>10.0} events/s");

    let each = count / 4;
    // Held here: a bus dropped by the last publishing task would stop (and drop whatever
    // it had not sent yet).
    let mut nodes: Vec<Arc<dyn Bus>> = vec![a.clone()];
    for _ in 0..3 {
        nodes.push(node(&broker, &base_topic).await?);
    }
    let rate = throughput(nodes.clone(), b.as_ref(), each).await?;
    println!(
        "MqttBus 4 nodes → B:             {:>7} events, {rate:>10.0} events/s",
        each * 4
    );

    let mut on_a = a.subscribe();
    let mut on_b = b.subscribe();
    let publisher = origin("ping");
    let mut round_trips = Vec::with_capacity(ROUND_TRIPS);
    for n in 0..ROUND_TRIPS as u32 {
        let started = Instant::now();
        a.publish(numbered(&publisher, n)).await?;
        next_event(&mut on_b).await;
        b.publish(numbered(&publisher, n)).await?;
        // Each node's subscriber also gets the node's own event, delivered locally.
        next_event(&mut on_b).await;
        next_event(&mut on_a).await;
        next_event(&mut on_a).await;
        round_trips.push(started.elapsed());
    }
    round_trips.sort();
    println!(
        "MqttBus A → B → A round trip:    {ROUND_TRIPS:>7} times,  p50 {:?}, p99 {:?}",
        percentile(&round_trips, 0.5),
        percentile(&round_trips, 0.99)
    );
    Ok(())
}
