//! Rights revoked on one node reach the other; nothing secret crosses the broker.

use serde_json::{Value, json};

use crate::Cluster;
use crate::helpers::*;
use crate::wiretap::{Wiretap, cookie_value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_an_account_on_one_node_closes_its_socket_on_the_other() {
    let cluster = Cluster::start().await;
    let (one, two) = cluster.pair().await;
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
    let (one, two) = cluster.pair().await;

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
