//! Two server processes sharing one MongoDB (SecantusDB) and one MQTT broker (mosquitto).
//! `cargo xtask setup` installs both engines; without them these tests fail, never skip.
//!
//! - `bots`: a bot answering and handing over through the node that does not coordinate;
//! - `calls`: a call across nodes;
//! - `chat`: a chat across nodes, 50 concurrent chat requests over both;
//! - `files`: a file uploaded through one node, downloaded through the other;
//! - `failover`: the coordinating node killed mid-chat, a dead follower, a broker outage;
//! - `mail`: a reply stored on a node without `SMTP_URL`, mailed by the one with it;
//! - `security`: revocation across nodes, and what crosses the broker (`wiretap`).
//!
//! This file: the cluster a test runs (its engines, its nodes).

mod bots;
mod calls;
mod chat;
mod failover;
mod files;
mod mail;
mod security;
mod webhooks;
mod wiretap;

#[path = "../api/helpers/mod.rs"]
#[allow(dead_code)]
mod helpers;

use chimpassist_server::bus::mosquitto::Mosquitto;
use chimpassist_store_mongo::test_support::{self, SecantusServer};
use helpers::*;
use serde_json::Value;

/// The coordinator's lease in these tests: a dead leader is replaced within about this long.
const LEASE_MS: u64 = 1_000;

/// One MongoDB server and one broker for the nodes of one test.
///
/// The MongoDB server is the cluster's own, not the test binary's shared one, and is stopped
/// with its data rather than asked to drop a database: a node killed in the middle of a
/// transaction leaves it open until the server's 60 s reaper, and SecantusDB's
/// `dropDatabase` then waits on it for minutes, holding the server's storage lock.
struct Cluster {
    database: SecantusServer,
    broker: Mosquitto,
    topic: String,
    /// Held until everything else is gone (fields drop in order): one cluster at a time, as
    /// each runs two server processes and a database on a 2-core machine.
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Whose turn it is to run a cluster.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A `chimpassist serve` process of the cluster.
struct Node {
    process: tokio::process::Child,
    app: TestApp,
    log: ServerLog,
}

impl Cluster {
    async fn start() -> Self {
        let turn = TURN.lock().await;
        Self {
            _turn: turn,
            database: tokio::task::spawn_blocking(|| {
                SecantusServer::start(test_support::free_port())
            })
            .await
            .expect("starting SecantusDB")
            .unwrap_or_else(|why| panic!("{why}")),
            broker: Mosquitto::start()
                .await
                .unwrap_or_else(|why| panic!("{why}")),
            topic: format!("test/{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// Starts a node and waits until it is ready and knows who leads.
    async fn node(&self) -> Node {
        self.node_with(&[]).await
    }

    /// Two nodes with `settings`: the first coordinates, the second knows it.
    async fn pair_with(&self, settings: &[(&str, &str)]) -> (Node, Node) {
        let one = self.node_with(settings).await;
        let leader = one.leading().await;
        let two = self.node_with(settings).await;
        two.follows(&leader).await;
        (one, two)
    }

    async fn pair(&self) -> (Node, Node) {
        self.pair_with(&[]).await
    }

    /// A node with more settings (`(variable, value)`).
    async fn node_with(&self, settings: &[(&str, &str)]) -> Node {
        let data = tempfile::tempdir().expect("temp dir");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_chimpassist"));
        command
            .env_clear()
            .args(["serve", "--port", "0", "--log-json", "--log", "info"])
            .arg("--data-dir")
            .arg(data.path())
            .env("MONGO_CONNECTION_URL", self.database.uri())
            .env("MONGO_DATABASE", "chimpassist")
            .env("MQTT_BROKER_HOST", self.broker.url())
            .env("MQTT_BASE_TOPIC", &self.topic)
            .env("LEADER_LEASE_TIME", LEASE_MS.to_string())
            .env("RATE_LIMIT_PER_SECOND", "1000")
            .envs(UNTHROTTLED)
            .envs(settings.iter().copied());
        let (process, port, log) = spawn_listening(&mut command).await;
        let node = Node {
            process,
            app: TestApp::attached(port),
            log,
        };
        // Ready: its store answered, its bus receives, and it knows who coordinates.
        node.log.said(0, "MongoDB reached; ready").await;
        node.log.said(0, BUS_UP).await;
        node.log.said(0, COORDINATOR_KNOWN).await;
        node.assert_ready().await;
        node
    }
}

/// What a node logs when its bus (re)subscribes.
const BUS_UP: &str = "bus subscribed: receiving the other nodes' events";
/// What a node logs when its bus loses the broker.
const BUS_DOWN: &str = "bus: MQTT broker unreachable; this node is cut off from the others";
/// What a node logs when it learns who coordinates.
const COORDINATOR_KNOWN: &str = "the cluster's coordinator";

impl Node {
    /// `/readyz`, which must be 200.
    async fn assert_ready(&self) -> Value {
        let response = reqwest::get(self.app.url("/readyz")).await.expect("readyz");
        assert_eq!(response.status(), 200, "port {} not ready", self.app.port);
        response.json().await.expect("json")
    }

    /// This node's id, once it has begun coordinating.
    async fn leading(&self) -> String {
        let began = self.log.said(0, "this node coordinates the cluster").await;
        began["node"].as_str().expect("node id").to_owned()
    }

    /// Waits until this node knows `leader` coordinates.
    async fn follows(&self, leader: &str) {
        self.log
            .wait(0, leader, |f| {
                f["message"] == COORDINATOR_KNOWN && f["leader"] == leader
            })
            .await;
    }

    async fn kill(mut self) {
        self.process.kill().await.expect("SIGKILL the node");
    }
}

fn frame_for(conversation: &str, kind: &str) -> impl Fn(&Value) -> bool {
    let conversation = conversation.to_owned();
    let kind = kind.to_owned();
    move |f: &Value| f["type"] == kind.as_str() && f["conversation"] == conversation.as_str()
}
