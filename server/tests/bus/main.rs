//! The bus conformance suite (`chimpassist_server::bus::conformance`) on both buses: the
//! in-process one, and MQTT through a real mosquitto, one per test (`cargo xtask setup`
//! installs it; without it these tests fail, never skip). Then what only MQTT has: a broker
//! outage, one node cut off alone, credentials, and a server's readiness and sockets.

#[path = "../api/helpers/mod.rs"]
#[allow(dead_code)]
mod helpers;
mod proxy;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chimpassist_server::bus::conformance::{
    self, Cluster, DEADLINE, LocalCluster, assert_quiet, next_gap, next_number, numbered, origin,
};
use chimpassist_server::bus::mosquitto::Mosquitto;
use chimpassist_server::bus::{Bus, BusError, GapCause, Link, MqttBus, MqttSettings};
use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use proxy::Proxy;

/// Events each subscriber may leave unread before it lags.
const CAPACITY: usize = 8192;
/// Events of the ordering check.
const ORDERED: u32 = 5_000;
/// Events each of two nodes publishes at once.
const EACH: u32 = 1_000;
/// "At once": the longest a publish may take while the broker is down.
const PROMPTLY: Duration = Duration::from_millis(500);

async fn broker() -> Mosquitto {
    Mosquitto::start()
        .await
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Nodes with their own [`MqttBus`] on one broker, under a topic of their own.
struct MqttCluster {
    broker: Mosquitto,
    base_topic: String,
}

impl MqttCluster {
    async fn start() -> Self {
        Self {
            broker: broker().await,
            base_topic: format!("test/{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// A node's bus reaching the broker at `url`, not waited for.
    fn bus_via(&self, url: &str) -> MqttBus {
        let settings =
            MqttSettings::parse(url, None, None, &self.base_topic).expect("valid settings");
        MqttBus::start(settings, CAPACITY)
    }

    /// A node's bus, subscribed.
    async fn mqtt_node(&self) -> MqttBus {
        let bus = self.bus_via(&self.broker.url());
        wait_for(&bus, Link::Subscribed).await;
        bus
    }
}

#[async_trait]
impl Cluster for MqttCluster {
    async fn node(&self) -> Arc<dyn Bus> {
        Arc::new(self.mqtt_node().await)
    }

    fn capacity(&self) -> usize {
        CAPACITY
    }
}

/// Waits until `bus`'s link is `link`; fails after [`DEADLINE`].
async fn wait_for(bus: &MqttBus, link: Link) {
    let mut links = bus.link();
    let reached = tokio::time::timeout(DEADLINE, async {
        links.wait_for(|now| *now == link).await.map(|_| ())
    })
    .await;
    assert!(
        matches!(reached, Ok(Ok(()))),
        "the bus is not {link:?} after {DEADLINE:?} (it is {:?})",
        *bus.link().borrow()
    );
}

/// The conformance checks, once per bus.
macro_rules! conformance_suite {
    ($bus:ident, $cluster:expr) => {
        mod $bus {
            use super::*;

            #[tokio::test]
            async fn every_kind_of_event_round_trips() {
                conformance::every_variant_round_trips(&$cluster).await;
            }

            #[tokio::test]
            async fn a_publisher_s_events_arrive_in_order() {
                conformance::publisher_order_is_kept(&$cluster, ORDERED).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn two_nodes_get_each_other_s_events_exactly_once() {
                conformance::nodes_get_each_others_events_exactly_once(&$cluster, EACH).await;
            }

            #[tokio::test]
            async fn a_late_subscriber_gets_only_later_events() {
                conformance::late_subscribers_get_only_later_events(&$cluster).await;
            }

            #[tokio::test]
            async fn a_slow_subscriber_is_told_of_the_gap() {
                conformance::a_slow_subscriber_is_told_of_the_gap(&$cluster).await;
            }

            #[tokio::test]
            async fn a_busy_publisher_waits_for_the_slowest_subscriber() {
                conformance::room_waits_for_the_slowest_subscriber(&$cluster).await;
            }
        }
    };
}

conformance_suite!(local, LocalCluster::new(CAPACITY));
conformance_suite!(mqtt, MqttCluster::start().await);

#[tokio::test]
async fn a_broker_outage_is_a_gap_then_events_flow_again() {
    let mut cluster = MqttCluster::start().await;
    let (a, b) = (cluster.mqtt_node().await, cluster.mqtt_node().await);
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    let publisher = origin("outage");
    a.publish(numbered(&publisher, 1)).await.expect("publish");
    for subscription in [&mut on_a, &mut on_b] {
        assert_eq!(next_number(subscription).await, 1);
    }

    cluster.broker.stop().await;
    wait_for(&a, Link::Down).await;
    wait_for(&b, Link::Down).await;
    assert!(!a.is_ready() && !b.is_ready());
    let started = Instant::now();
    let refused = a.publish(numbered(&publisher, 2)).await;
    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(started.elapsed() < PROMPTLY, "took {:?}", started.elapsed());
    // This node's own subscribers still get it.
    assert_eq!(next_number(&mut on_a).await, 2);

    cluster
        .broker
        .start_again()
        .await
        .expect("mosquitto restarts");
    wait_for(&a, Link::Subscribed).await;
    wait_for(&b, Link::Subscribed).await;
    for subscription in [&mut on_a, &mut on_b] {
        assert_eq!(next_gap(subscription).await, GapCause::Interrupted);
    }
    a.publish(numbered(&publisher, 3)).await.expect("publish");
    for subscription in [&mut on_a, &mut on_b] {
        assert_eq!(next_number(subscription).await, 3);
        assert_quiet(subscription).await;
    }
}

#[tokio::test]
async fn a_node_cut_off_alone_makes_the_others_report_a_gap() {
    let cluster = MqttCluster::start().await;
    let proxy = Proxy::start(cluster.broker.port()).await;
    let a = cluster.bus_via(&format!("mqtt://127.0.0.1:{}", proxy.port()));
    wait_for(&a, Link::Subscribed).await;
    let b = cluster.mqtt_node().await;
    let mut b_link = b.link();
    b_link.mark_unchanged();
    let mut on_b = b.subscribe();
    let publisher = origin("alone");
    a.publish(numbered(&publisher, 1)).await.expect("publish");
    assert_eq!(next_number(&mut on_b).await, 1);

    proxy.down();
    wait_for(&a, Link::Down).await;
    let refused = a.publish(numbered(&publisher, 2)).await;
    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );
    proxy.up();
    wait_for(&a, Link::Subscribed).await;

    // Node b never lost the broker, yet learns (from a's hello) that it missed an event.
    assert_eq!(next_gap(&mut on_b).await, GapCause::Interrupted);
    a.publish(numbered(&publisher, 3)).await.expect("publish");
    assert_eq!(next_number(&mut on_b).await, 3);
    assert_quiet(&mut on_b).await;
    assert!(
        !b_link.has_changed().expect("the bus is alive"),
        "node b's link changed: {:?}",
        *b_link.borrow()
    );
}

#[tokio::test]
async fn publishing_without_a_broker_is_refused_at_once_but_delivered_locally() {
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let settings = MqttSettings::parse(
        &format!("mqtt://127.0.0.1:{nowhere}"),
        None,
        None,
        "test/nowhere",
    )
    .expect("valid settings");
    let bus = MqttBus::start(settings, CAPACITY);
    let mut local = bus.subscribe();
    assert!(!bus.is_ready());
    let publisher = origin("nowhere");
    let started = Instant::now();
    let refused = bus.publish(numbered(&publisher, 1)).await;
    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );
    assert!(started.elapsed() < PROMPTLY, "took {:?}", started.elapsed());
    assert_eq!(next_number(&mut local).await, 1);
}

#[tokio::test]
async fn a_broker_with_credentials_lets_the_bus_in() {
    let broker = Mosquitto::start_with_credentials("chimp-node", "bus-pass-word")
        .await
        .unwrap_or_else(|why| panic!("{why}"));
    let settings = |password: &str| {
        MqttSettings::parse(
            &broker.url(),
            Some(SecretString::from("chimp-node")),
            Some(SecretString::from(password.to_owned())),
            "test/credentials",
        )
        .expect("valid settings")
    };
    let (a, b) = (
        MqttBus::start(settings("bus-pass-word"), CAPACITY),
        MqttBus::start(settings("bus-pass-word"), CAPACITY),
    );
    wait_for(&a, Link::Subscribed).await;
    wait_for(&b, Link::Subscribed).await;
    let mut on_b = b.subscribe();
    let publisher = origin("credentials");
    a.publish(numbered(&publisher, 1)).await.expect("publish");
    assert_eq!(next_number(&mut on_b).await, 1);
    let shown = format!("{a:?}");
    assert!(!shown.contains("bus-pass-word"), "{shown}");
}

/// Polls `/readyz` until it answers `status`; fails after [`DEADLINE`].
async fn wait_for_readiness(app: &helpers::TestApp, status: u16) {
    let started = Instant::now();
    loop {
        let now = app
            .get("/readyz", &helpers::Auth::None)
            .await
            .status()
            .as_u16();
        if now == status {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "/readyz still {now}, not {status}, after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_server_on_mqtt_is_ready_with_its_broker_and_resyncs_sockets_after_an_outage() {
    let mut broker = broker().await;
    let url = broker.url();
    // A cluster node: its store is shared (MongoDB), never embedded.
    let database = chimpassist_store_mongo::test_support::fresh_database().await;
    let (uri, name) = (database.uri().to_owned(), database.name().to_owned());
    let app = helpers::spawn_app_with(|config| {
        config.mqtt_broker_host = Some(url);
        config.mqtt_base_topic = format!("test/{}", uuid::Uuid::new_v4().simple());
        config.mongo_connection_url = Some(SecretString::from(uri));
        config.mongo_database = name;
    })
    .await;
    wait_for_readiness(&app, 200).await;
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/ws/customer", app.port))
            .await
            .expect("customer socket");
    socket
        .send(Message::Text(
            json!({"type": "hello", "protocol": 1, "resume": []})
                .to_string()
                .into(),
        ))
        .await
        .expect("hello");
    let welcomed = tokio::time::timeout(DEADLINE, async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message
                && text.contains("\"welcome\"")
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(welcomed, Ok(true), "no welcome");
    let gaps_before = bus_gaps(&app).await;

    broker.stop().await;
    wait_for_readiness(&app, 503).await;
    let body: serde_json::Value = app
        .get("/readyz", &helpers::Auth::None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["status"], "bus unavailable");

    broker.start_again().await.expect("mosquitto restarts");
    wait_for_readiness(&app, 200).await;
    // The socket may have missed events while the broker was away: the server closes it, so
    // its client resumes from the store.
    let closed = tokio::time::timeout(DEADLINE, async {
        while let Some(Ok(message)) = socket.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the socket is still open after the gap");
    assert!(bus_gaps(&app).await > gaps_before, "no gap counted");
}

/// The server's count of gaps in the bus.
async fn bus_gaps(app: &helpers::TestApp) -> u64 {
    let metrics = app
        .get("/metrics", &helpers::Auth::None)
        .await
        .text()
        .await
        .expect("metrics");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("chimpassist_bus_gaps_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no bus gap count in {metrics}"))
}

#[tokio::test]
async fn a_broker_without_a_shared_store_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = helpers::test_config(dir.path());
    config.mqtt_broker_host = Some("mqtt://127.0.0.1:1883".into());
    let refused = chimpassist_server::startup::Application::build(config)
        .await
        .expect_err("a cluster node on its own embedded store");
    let why = format!("{refused:#}");
    assert!(why.contains("MONGO_CONNECTION_URL"), "{why}");
}
