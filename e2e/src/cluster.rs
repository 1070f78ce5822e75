//! Two chat servers in one cluster, as production runs them: one MongoDB (SecantusDB, a
//! MongoDB wire-protocol server) and one MQTT broker (Debian's mosquitto), both started here.
//! Both nodes serve the widget and the back-office; the first coordinates.

use chimpassist_server::bus::mosquitto::Mosquitto;
use chimpassist_store_mongo::test_support::{SecantusServer, free_port};
use serde_json::Value;

use crate::{ChimpServer, WAIT};

/// A two-node cluster; fields drop in order (nodes before their database and broker).
#[derive(Debug)]
pub struct TwoNodes {
    pub one: ChimpServer,
    pub two: ChimpServer,
    _broker: Mosquitto,
    _database: SecantusServer,
}

impl TwoNodes {
    /// Starts the engines and both nodes, and waits until both know the first coordinates.
    /// `tweak` adjusts both nodes' settings.
    pub async fn start(tweak: impl Fn(&mut chimpassist_server::config::Config)) -> Self {
        let database = tokio::task::spawn_blocking(|| SecantusServer::start(free_port()))
            .await
            .expect("starting SecantusDB")
            .unwrap_or_else(|why| panic!("{why}"));
        let broker = Mosquitto::start()
            .await
            .unwrap_or_else(|why| panic!("{why}"));
        let topic = format!("e2e/{}", uuid::Uuid::new_v4().simple());
        let settings = |c: &mut chimpassist_server::config::Config| {
            c.mongo_connection_url = Some(database.uri().into());
            c.mongo_database = "chimpassist".into();
            c.mqtt_broker_host = Some(broker.url());
            c.mqtt_base_topic = topic.clone();
            c.leader_lease_ms = 1_000;
            tweak(c);
        };
        let one = ChimpServer::start_with(settings).await;
        let leader = ready(&one, |r| r["leading"] == true).await["node"].clone();
        let two = ChimpServer::start_with(settings).await;
        ready(&two, |r| r["leader"] == leader).await;
        Self {
            one,
            two,
            _broker: broker,
            _database: database,
        }
    }
}

/// Polls `/readyz` until it answers 200 with what `wanted` looks for; returns that answer.
/// Polling is the event here: a node's readiness (store reached, bus subscribed, leader
/// known) is published only through this probe, as a load balancer sees it; a node asked
/// for anything before it answers `503`.
async fn ready(node: &ChimpServer, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(response) = reqwest::get(node.url("/readyz")).await
            && response.status() == 200
            && let Ok(body) = response.json::<Value>().await
            && wanted(&body)
        {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node on port {} never got ready in the cluster",
            node.port()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
