//! The server on MongoDB (SecantusDB, a MongoDB wire-protocol server; `cargo xtask setup`
//! installs it, and these tests fail — never skip — without it): a chat works, a database
//! that is down at start is waited for, and one that goes down later costs acks, not data.

use std::time::{Duration, Instant};

use crate::helpers::*;
use chimpassist_store_mongo::test_support::{self, SecantusServer, TestDatabase};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

/// How long a test waits for the server to become ready (or unready).
const READY_DEADLINE: Duration = Duration::from_secs(30);
/// Pause between readiness checks.
const READY_POLL: Duration = Duration::from_millis(50);

/// Server-selection timeout in the test URIs: an unreachable database is reported in
/// 300 ms instead of the store's 5 s default, so outages show quickly.
const FAST_FAILURE: &str = "&serverSelectionTimeoutMS=300";

/// A server on `database` (whose URI may point at nothing yet).
async fn spawn_on(uri: String, database: &TestDatabase) -> TestApp {
    let name = database.name().to_owned();
    spawn_app_with(move |config| {
        config.mongo_connection_url = Some(SecretString::from(uri));
        config.mongo_database = name;
    })
    .await
}

async fn readyz(app: &TestApp) -> u16 {
    app.get("/readyz", &Auth::None).await.status().as_u16()
}

/// Polls `/readyz` until it answers `status`; fails after [`READY_DEADLINE`].
async fn wait_for_readiness(app: &TestApp, status: u16) {
    let started = Instant::now();
    loop {
        let now = readyz(app).await;
        if now == status {
            return;
        }
        assert!(
            started.elapsed() < READY_DEADLINE,
            "/readyz still {now}, not {status}, after {READY_DEADLINE:?}"
        );
        tokio::time::sleep(READY_POLL).await;
    }
}

async fn start_secantus(port: u16, data: Option<std::path::PathBuf>) -> SecantusServer {
    tokio::task::spawn_blocking(move || match data {
        Some(data) => SecantusServer::start_with_data(port, &data),
        None => SecantusServer::start(port),
    })
    .await
    .expect("start task")
    .unwrap_or_else(|why| panic!("{why}"))
}

async fn stop_secantus(server: SecantusServer) {
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .expect("stop task");
}

/// A customer and an attendant in one assigned conversation; returns (customer, attendant,
/// conversation id).
async fn chat_pair(app: &TestApp) -> (Ws, Ws, String) {
    let admin = app.admin().await;
    let (_, login) = app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = app.attendant(&login).await;
    let mut customer = app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    customer.expect("assigned").await;
    alice.expect("assigned").await;
    (customer, alice, conversation)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_and_an_attendant_chat_on_mongodb() {
    let database = test_support::fresh_database().await;
    let app = spawn_on(database.uri().to_owned(), &database).await;
    wait_for_readiness(&app, 200).await;
    let (mut customer, mut alice, conversation) = chat_pair(&app).await;

    let ack = customer
        .say(&conversation, "hello, stored in MongoDB")
        .await;
    assert_eq!(ack["seq"], 1);
    let seen = message_seq(&mut alice, 1).await;
    assert_eq!(seen["message"]["text"], "hello, stored in MongoDB");
    let reply = alice.say(&conversation, "Hi! How can I help?").await;
    assert_eq!(reply["seq"], 2);
    let got = message_seq(&mut customer, 2).await;
    assert_eq!(got["message"]["from"]["party"], "attendant");

    let token = customer.welcome["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let page: Value = app
        .get(
            &format!("/session/{conversation}/messages"),
            &Auth::Bearer(token),
        )
        .await
        .json()
        .await
        .expect("json");
    let seqs: Vec<_> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["seq"].clone())
        .collect();
    assert_eq!(
        seqs,
        [json!(2), json!(1)],
        "history comes back from MongoDB"
    );
    customer.close().await;
    alice.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_before_its_database_becomes_ready_when_it_appears() {
    let port = test_support::free_port();
    let uri = format!("{}{FAST_FAILURE}", test_support::uri_for(port));
    let database = TestDatabase::new(uri.clone());
    let app = spawn_on(uri, &database).await;

    assert_eq!(app.get("/healthz", &Auth::None).await.status(), 200);
    assert_eq!(readyz(&app).await, 503, "not ready without its database");
    let refused = app
        .post(
            "/api/login",
            &Auth::None,
            json!({"email": "admin", "password": "admin"}),
        )
        .await;
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["code"], "unavailable");

    let server = start_secantus(port, None).await;
    wait_for_readiness(&app, 200).await;
    // The start finished: the first admin exists and a chat works.
    let (mut customer, _alice, conversation) = chat_pair(&app).await;
    assert_eq!(customer.say(&conversation, "finally").await["seq"], 1);

    app.stop().await;
    drop(database);
    stop_secantus(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_costs_acks_not_messages() {
    let port = test_support::free_port();
    let uri = format!("{}{FAST_FAILURE}", test_support::uri_for(port));
    let data = tempfile::tempdir().expect("data dir");
    let server = start_secantus(port, Some(data.path().to_owned())).await;
    let database = TestDatabase::new(uri.clone());
    let app = spawn_on(uri, &database).await;
    wait_for_readiness(&app, 200).await;
    let (mut customer, mut alice, conversation) = chat_pair(&app).await;
    assert_eq!(customer.say(&conversation, "before").await["seq"], 1);

    stop_secantus(server).await;
    wait_for_readiness(&app, 503).await;
    // Not stored, so not acknowledged: the client keeps it pending.
    let client_id = Uuid::new_v4().to_string();
    let send = json!({"type": "send", "conversation": conversation, "client_id": client_id, "text": "during"});
    customer.send(send.clone()).await;
    let refused = customer
        .wait_for("refusal", |f| {
            f["type"] == "error" && f["client_id"] == client_id.as_str()
        })
        .await;
    assert_eq!(refused["code"], "unavailable");

    let server = start_secantus(port, Some(data.path().to_owned())).await;
    wait_for_readiness(&app, 200).await;
    // The client resends: stored once, with the next seq.
    customer.send(send.clone()).await;
    let ack = customer
        .wait_for("ack", |f| {
            f["type"] == "ack" && f["client_id"] == client_id.as_str()
        })
        .await;
    assert_eq!(ack["seq"], 2);
    assert_eq!(
        message_seq(&mut alice, 2).await["message"]["text"],
        "during"
    );
    customer.send(send).await;
    let again = customer
        .wait_for("ack of the resend", |f| {
            f["type"] == "ack" && f["client_id"] == client_id.as_str()
        })
        .await;
    assert_eq!(again["seq"], 2, "a resend is acked with the original seq");

    app.stop().await;
    drop(database);
    stop_secantus(server).await;
}
