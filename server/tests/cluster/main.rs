//! Two server processes sharing one MongoDB (SecantusDB) and one MQTT broker (mosquitto):
//! a chat across nodes, the coordinating node killed mid-chat, and 50 concurrent chat
//! requests over both nodes. `cargo xtask setup` installs both engines; without them these
//! tests fail, never skip.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::collections::{HashMap, HashSet};

use chimpassist_server::bus::mosquitto::Mosquitto;
use chimpassist_store_mongo::test_support::{self, SecantusServer};
use futures_util::future::join_all;
use helpers::*;
use serde_json::{Value, json};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_on_one_node_and_an_attendant_on_the_other_chat_as_on_one() {
    let cluster = Cluster::start().await;
    let one = cluster.node().await;
    let leader = one.leading().await;
    let two = cluster.node().await;
    two.follows(&leader).await;
    let seen = two.assert_ready().await;
    assert_eq!(
        (&seen["leader"], &seen["leading"]),
        (&json!(leader), &json!(false))
    );

    let admin = one.app.admin().await;
    let (_, login) = two.app.create_attendant(&admin, "Alice", 2).await;
    // The attendant's welcome is decided by the leader on node one, asked over the bus.
    let mut alice = two.app.attendant(&login).await;
    assert_eq!(alice.welcome["presence"], "online");
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    customer.expect("assigned").await;
    let assigned = alice.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());

    // Typing both ways.
    customer
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    let typing = alice
        .wait_for("typing", frame_for(&conversation, "typing"))
        .await;
    assert_eq!(typing["state"], "composing");
    alice
        .send(json!({"type": "typing", "conversation": conversation, "state": "composing"}))
        .await;
    customer
        .wait_for("typing", frame_for(&conversation, "typing"))
        .await;

    // Messages and receipts both ways.
    assert_eq!(
        customer.say(&conversation, "hello from node one").await["seq"],
        1
    );
    let got = message_seq(&mut alice, 1).await;
    assert_eq!(got["message"]["text"], "hello from node one");
    alice
        .send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 1}))
        .await;
    let receipt = customer
        .wait_for("read receipt", |f| {
            f["type"] == "receipt" && f["receipts"]["attendant_read"] == 1
        })
        .await;
    assert_eq!(receipt["conversation"], conversation.as_str());
    assert_eq!(alice.say(&conversation, "hi from node two").await["seq"], 2);
    let got = message_seq(&mut customer, 2).await;
    assert_eq!(got["message"]["from"]["party"], "attendant");
    customer
        .send(json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 2}))
        .await;
    alice
        .wait_for("read receipt", |f| {
            f["type"] == "receipt" && f["receipts"]["customer_read"] == 2
        })
        .await;

    // Presence of the customer reaches the attendant; her resolve, asked on node two, is
    // decided on node one and reaches the customer there.
    customer
        .send(json!({"type": "presence", "state": "inactive"}))
        .await;
    let presence = alice
        .wait_for("customer presence", |f| {
            f["type"] == "customer_presence" && f["state"] == "inactive"
        })
        .await;
    assert!(presence["customer"].is_string());
    alice
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_coordinating_node_moves_its_attendant_to_the_other_and_the_chat_goes_on() {
    let cluster = Cluster::start().await;
    let two = cluster.node().await;
    let first_leader = two.leading().await;
    let one = cluster.node().await;
    one.follows(&first_leader).await;

    let admin = one.app.admin().await;
    let (alice_id, login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = two.app.attendant(&login).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;
    customer.say(&conversation, "before").await;
    message_seq(&mut alice, 1).await;
    alice.say(&conversation, "reply before").await;
    message_seq(&mut customer, 2).await;
    // Her first reply made it `active`: with that write done, the kill below interrupts no
    // transaction. (One it did interrupt would hold its documents until the database's
    // transaction lifetime runs out — 60 s by default — see the README.)
    alice
        .wait_for("active", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "active"
        })
        .await;

    two.kill().await;
    // The customer's node stores and acks while nobody coordinates.
    assert_eq!(
        customer.say(&conversation, "while it was down").await["seq"],
        3
    );
    let second_leader = one.leading().await;
    assert_ne!(second_leader, first_leader);

    // The attendant's client reconnects to node one, from where it left off.
    let mut alice = one
        .app
        .attendant_with(
            &login,
            json!([{"conversation": conversation, "last_seq": 2}]),
        )
        .await;
    let held = alice.welcome["conversations"]
        .as_array()
        .expect("conversations")
        .iter()
        .find(|c| c["id"] == conversation.as_str())
        .expect("the conversation is still open")
        .clone();
    assert_eq!(
        held["attendant"]["id"],
        alice_id.as_str(),
        "still hers, not re-queued"
    );
    let missed = message_seq(&mut alice, 3).await;
    assert_eq!(missed["message"]["text"], "while it was down");
    assert_eq!(alice.say(&conversation, "back on node one").await["seq"], 4);
    let got = message_seq(&mut customer, 4).await;
    assert_eq!(got["message"]["text"], "back on node one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_chat_requests_over_two_nodes_never_exceed_any_attendant_s_capacity() {
    let cluster = Cluster::start().await;
    let one = cluster.node().await;
    let leader = one.leading().await;
    let two = cluster.node().await;
    two.follows(&leader).await;
    let admin = one.app.admin().await;
    // The bootstrap admin takes chats too: away, so only these three do.
    let mut admin_socket = one.app.attendant(&admin).await;
    admin_socket
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    admin_socket
        .wait_for("away", |f| {
            f["type"] == "presence" && f["presence"] == "away"
        })
        .await;
    let capacities = [("Ann", 2u32, &one), ("Bob", 3, &two), ("Cyd", 4, &two)];
    let mut attendants = Vec::new();
    for (name, capacity, node) in capacities {
        let (id, login) = node.app.create_attendant(&admin, name, capacity).await;
        let socket = node.app.attendant(&login).await;
        attendants.push((id, capacity, socket, login));
    }

    let customers = join_all((0..50).map(|i| {
        let app = if i % 2 == 0 { &one.app } else { &two.app };
        async move {
            let mut customer = app.customer(None).await;
            customer.send(json!({"type": "start_chat"})).await;
            customer
        }
    }))
    .await;
    assert_eq!(customers.len(), 50);

    // Each attendant gets exactly their capacity.
    let mut held: HashMap<String, HashSet<String>> = HashMap::new();
    for (id, capacity, socket, _) in &mut attendants {
        for _ in 0..*capacity {
            let frame = socket.expect("assigned").await;
            let conversation = frame["conversation"]["id"].as_str().expect("id").to_owned();
            held.entry(id.clone()).or_default().insert(conversation);
        }
    }
    let total: usize = held.values().map(HashSet::len).sum();
    assert_eq!(total, 9, "2 + 3 + 4 assigned");

    // The coordinator's picture, as a new socket of Ann's sees it: 9 held, 41 waiting, and
    // nobody above capacity.
    let look = one.app.attendant(&attendants[0].3).await;
    let open = look.welcome["conversations"]
        .as_array()
        .expect("open")
        .clone();
    assert_eq!(open.len(), 50);
    let mut per_attendant: HashMap<String, u32> = HashMap::new();
    let mut waiting: Vec<(u64, String)> = Vec::new();
    for c in &open {
        match c["attendant"]["id"].as_str() {
            Some(a) => *per_attendant.entry(a.to_owned()).or_default() += 1,
            None => waiting.push((
                c["requested_at"].as_u64().expect("requested_at"),
                c["id"].as_str().expect("id").to_owned(),
            )),
        }
    }
    for (id, capacity, _, _) in &attendants {
        assert_eq!(per_attendant.get(id).copied(), Some(*capacity), "{id}");
    }
    assert_eq!(waiting.len(), 41);
    waiting.sort();
    look.close().await;

    // Each resolves one: the three oldest waiting are next, in request order.
    for (id, _, socket, _) in &mut attendants {
        let done = held[id.as_str()].iter().next().expect("one").clone();
        socket
            .send(json!({"type": "resolve", "conversation": done}))
            .await;
    }
    let mut next = HashSet::new();
    for (_, _, socket, _) in &mut attendants {
        let frame = socket.expect("assigned").await;
        next.insert(frame["conversation"]["id"].as_str().expect("id").to_owned());
    }
    let oldest: HashSet<String> = waiting.iter().take(3).map(|(_, id)| id.clone()).collect();
    assert_eq!(next, oldest, "first come, first served across nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_follower_s_attendant_loses_her_chats_after_her_keep_alive() {
    let cluster = Cluster::start().await;
    let keep_alive = [("ATTENDANT_KEEP_ALIVE_TIME", "1500")];
    let one = cluster.node_with(&keep_alive).await;
    let leader = one.leading().await;
    let two = cluster.node_with(&keep_alive).await;
    two.follows(&leader).await;
    let admin = one.app.admin().await;
    let (_, alice_login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let (bob_id, bob_login) = one.app.create_attendant(&admin, "Bob", 2).await;
    let mut alice = two.app.attendant(&alice_login).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    alice.expect("assigned").await;
    customer.expect("assigned").await;

    // Node two dies with Alice's only socket: the leader stops hearing from it, forgets its
    // sockets, and once her keep-alive lapses the conversation goes back to the queue.
    two.kill().await;
    let requeued = customer
        .wait_for("re-queued", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == conversation.as_str()
                && f["conversation"]["status"] == "queued"
        })
        .await;
    assert!(requeued["conversation"]["attendant"].is_null());
    let mut bob = one.app.attendant(&bob_login).await;
    let assigned = bob.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
    let taken = customer.expect("assigned").await;
    assert_eq!(taken["attendant"]["id"], bob_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_broker_outage_every_node_sees_the_cluster_as_it_is() {
    let mut cluster = Cluster::start().await;
    let one = cluster.node().await;
    let leader = one.leading().await;
    let two = cluster.node().await;
    two.follows(&leader).await;
    let admin = one.app.admin().await;
    let (alice_id, alice_login) = one.app.create_attendant(&admin, "Alice", 2).await;
    let (_, bob_login) = one.app.create_attendant(&admin, "Bob", 2).await;
    let mut alice = one.app.attendant(&alice_login).await;

    let (marks_one, marks_two) = (one.log.mark(), two.log.mark());
    cluster.broker.stop().await;
    one.log.said(marks_one, BUS_DOWN).await;
    two.log.said(marks_two, BUS_DOWN).await;
    // Decided by the leader while node two cannot hear it.
    alice
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    alice
        .wait_for("away", |f| {
            f["type"] == "presence" && f["presence"] == "away"
        })
        .await;
    let (marks_one, marks_two) = (one.log.mark(), two.log.mark());
    cluster
        .broker
        .start_again()
        .await
        .unwrap_or_else(|why| panic!("{why}"));
    one.log.said(marks_one, BUS_UP).await;
    two.log.said(marks_two, BUS_UP).await;
    one.assert_ready().await;
    two.assert_ready().await;

    // Node two learns what it missed: its replica is copied whole again, and Alice is away
    // there (its replica, read by the directory).
    two.log
        .said(marks_two, "replica copied whole from the coordinator")
        .await;
    let body: Value = two
        .app
        .get("/api/attendants/directory", &admin)
        .await
        .json()
        .await
        .expect("json");
    let alice_there = body
        .as_array()
        .and_then(|all| all.iter().find(|a| a["id"] == alice_id.as_str()))
        .expect("Alice in the directory");
    assert_eq!(alice_there["presence"], "away");
    // And the leader knows who is connected on node two: Bob, there, gets the next chat.
    let mut bob = two.app.attendant(&bob_login).await;
    let mut customer = two.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    let assigned = bob.expect("assigned").await;
    assert_eq!(assigned["conversation"]["id"], conversation.as_str());
}

/// Every message the nodes publish on the cluster's topics, as they cross the broker.
struct Wiretap {
    payloads: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Wiretap {
    /// Subscribes to everything under the cluster's topic before `ready` returns.
    async fn start(cluster: &Cluster) -> Self {
        use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
        let url = url::Url::parse(&cluster.broker.url()).expect("broker url");
        let mut options = MqttOptions::new(
            format!("wiretap-{}", uuid::Uuid::new_v4().simple()),
            url.host_str().expect("host"),
            url.port().expect("port"),
        );
        options.set_max_packet_size(1 << 24, 1 << 24);
        let (client, mut events) = AsyncClient::new(options, 1024);
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        client
            .subscribe(format!("{}/#", cluster.topic), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let payloads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&payloads);
        let task = tokio::spawn(async move {
            let _client = client;
            let mut subscribed_tx = Some(subscribed_tx);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(tx) = subscribed_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        kept.lock().unwrap().push(publish.payload.to_vec());
                    }
                    Ok(_) => {}
                    Err(e) => panic!("the wiretap lost the broker: {e}"),
                }
            }
        });
        subscribed.await.expect("the wiretap is subscribed");
        Self {
            payloads,
            _task: task,
        }
    }

    fn taken(&self) -> Vec<Vec<u8>> {
        self.payloads.lock().unwrap().clone()
    }
}

fn cookie_value(auth: &Auth) -> String {
    match auth {
        Auth::Cookie(c) => c.split_once('=').expect("name=value").1.to_owned(),
        other => panic!("not a cookie: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_account_on_one_node_closes_its_socket_on_the_other() {
    let cluster = Cluster::start().await;
    let one = cluster.node().await;
    let leader = one.leading().await;
    let two = cluster.node().await;
    two.follows(&leader).await;
    let admin = one.app.admin().await;
    let (bob_id, bob) = one.app.create_attendant(&admin, "Bob", 2).await;
    let (carl_id, carl) = one.app.create_attendant(&admin, "Carl", 2).await;
    let mut bob_desk = two.app.attendant(&bob).await;
    let mut carl_desk = two.app.attendant(&carl).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    let holder = customer.expect("assigned").await["attendant"]["id"]
        .as_str()
        .expect("holder")
        .to_owned();

    // Disabled on node one: his socket on node two ends, and a chat he held goes back.
    let asked = std::time::Instant::now();
    let disabled = one
        .app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{bob_id}"),
            &admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(bob_desk.closed().await, Some(4401));
    eprintln!(
        "disabled on node one → socket on node two closed in {:?}",
        asked.elapsed()
    );
    if holder == bob_id {
        customer
            .wait_for("taken from Bob", |f| {
                f["type"] == "assigned" && f["attendant"]["id"] == carl_id.as_str()
            })
            .await;
    }
    // Logged out on node one: the same.
    assert_eq!(
        one.app.post("/api/logout", &carl, json!({})).await.status(),
        204
    );
    assert_eq!(carl_desk.closed().await, Some(4401));
    let _ = conversation;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_hash_or_token_ever_crosses_the_broker() {
    let cluster = Cluster::start().await;
    let tap = Wiretap::start(&cluster).await;
    let one = cluster.node().await;
    let leader = one.leading().await;
    let two = cluster.node().await;
    two.follows(&leader).await;

    // A day at the desk, spread over both nodes: sign-ins, accounts made and changed,
    // sockets, a chat that is transferred, resolved, reopened; passwords changed and reset.
    let admin = one.app.admin().await;
    let (bob_id, bob) = one.app.create_attendant(&admin, "Bob", 2).await;
    let (ann_id, ann) = two.app.create_attendant(&admin, "Ann", 2).await;
    let mut bob_desk = two.app.attendant(&bob).await;
    let mut ann_desk = one.app.attendant(&ann).await;
    // On the node that does not coordinate: its requests cross the broker.
    let mut customer = two
        .app
        .customer(Some(json!({"id": "site-7", "name": "Zoe"})))
        .await;
    let customer_token = customer.welcome["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let conversation = start_chat(&mut customer).await;
    let holder = customer.expect("assigned").await["attendant"]["id"]
        .as_str()
        .expect("holder")
        .to_owned();
    let (desk, other) = if holder == bob_id {
        (&mut bob_desk, ann_id.clone())
    } else {
        (&mut ann_desk, bob_id.clone())
    };
    desk.say(&conversation, "hello").await;
    desk.send(
        json!({"type": "transfer", "conversation": conversation, "to": {"attendant": other}}),
    )
    .await;
    customer
        .wait_for("transferred", |f| {
            f["type"] == "assigned" && f["attendant"]["id"] == other.as_str()
        })
        .await;
    let mut admin_desk = two.app.attendant(&admin).await;
    admin_desk
        .send(json!({"type": "resolve", "conversation": conversation}))
        .await;
    customer
        .wait_for("resolved", |f| {
            f["type"] == "conversation" && f["conversation"]["status"] == "resolved"
        })
        .await;
    admin_desk
        .send(json!({"type": "reopen", "conversation": conversation}))
        .await;
    admin_desk.expect("assigned").await;
    let changed = two
        .app
        .post(
            "/api/me/password",
            &bob,
            json!({"current": "secret-pass", "new": "bobs new secret"}),
        )
        .await;
    assert_eq!(changed.status(), 204);
    let reset = one
        .app
        .post(
            &format!("/api/attendants/{ann_id}/password"),
            &admin,
            json!({"password": "temporary-one"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    assert_eq!(ann_desk.closed().await, Some(4401));
    let demoted = one
        .app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{bob_id}"),
            &admin,
            json!({"queues": ["default"], "role": "admin"}),
        )
        .await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(bob_desk.closed().await, Some(4403));
    // The last of it has crossed: the revocation above was published after everything else.

    let secrets: Vec<String> = [&admin, &bob, &ann]
        .iter()
        .map(|a| cookie_value(a))
        .flat_map(|token| {
            use sha2::Digest;
            let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
            [token, hash]
        })
        .chain([customer_token])
        .collect();
    let payloads = tap.taken();
    let mut kinds = std::collections::BTreeSet::new();
    for payload in &payloads {
        let text = std::str::from_utf8(payload).expect("UTF-8 JSON");
        assert!(!text.contains("$argon2"), "a password hash crossed: {text}");
        assert!(
            !text.contains("password"),
            "a password field crossed: {text}"
        );
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a token crossed: {text}");
        }
        // Each one is a bus event the nodes understand.
        let envelope: Value = serde_json::from_str(text).expect("JSON");
        if envelope["event"].is_null() {
            continue; // a node's hello
        }
        let event: chimpassist_server::bus::BusEvent =
            serde_json::from_value(envelope["event"].clone()).expect("a bus event");
        let value = serde_json::to_value(&event).expect("encodes");
        let message = &value["message"];
        let kind = if message.is_object() {
            format!(
                "cluster:{}:{}",
                message["cluster"].as_str().unwrap_or_default(),
                message["request"]["op"].as_str().unwrap_or_default()
            )
        } else {
            format!("to:{}", value["to"].as_str().unwrap_or_default())
        };
        kinds.insert(kind);
    }
    eprintln!("{} messages crossed the broker: {kinds:?}", payloads.len());
    for expected in [
        "cluster:request:start_chat",
        "cluster:request:resolve",
        "cluster:request:reopen",
        "cluster:request:attendant_connected",
        "cluster:request:attendant_changed",
        "cluster:request:connections",
        "to:revoke",
        "to:attendant",
        "to:customer",
    ] {
        assert!(kinds.contains(expected), "{expected} not seen in {kinds:?}");
    }
}
