//! A call across nodes: the customer on the coordinating node, the attendant on the other.

use serde_json::{Value, json};

use crate::Cluster;
use crate::helpers::*;
use crate::wiretap::Wiretap;

const TURN_SECRET: &str = "turn-secret-of-the-cluster";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_rings_connects_and_signals_across_nodes_and_no_credential_crosses_the_broker() {
    let cluster = Cluster::start().await;
    let tap = Wiretap::start(&cluster).await;
    let (one, two) = cluster
        .pair_with(&[
            ("TURN_URLS", "turn:turn.example.com:3478"),
            ("TURN_SECRET", TURN_SECRET),
        ])
        .await;
    let admin = one.app.admin().await;
    let (_, login) = two.app.create_attendant(&admin, "Alice", 2).await;
    let mut alice = two.app.attendant(&login).await;
    let mut customer = one.app.customer(None).await;
    let conversation = start_chat(&mut customer).await;
    customer.expect("assigned").await;
    alice.expect("assigned").await;

    let call = uuid::Uuid::now_v7().to_string();
    let is = |kind: &'static str, call: &str| {
        let call = call.to_owned();
        move |f: &Value| {
            f["type"] == kind && (f["call_id"] == call.as_str() || f["call"]["id"] == call.as_str())
        }
    };
    alice
        .send(json!({"type": "call_invite", "conversation": conversation, "call_id": call, "media": "video"}))
        .await;
    let alice_ice = alice.wait_for("call_ice", is("call_ice", &call)).await;
    let ringing = customer.wait_for("call", is("call", &call)).await;
    assert_eq!(ringing["call"]["state"], "ringing");
    customer
        .send(json!({"type": "call_accept", "call_id": call}))
        .await;
    let customer_ice = customer.wait_for("call_ice", is("call_ice", &call)).await;
    alice
        .wait_for("active", |f| {
            f["type"] == "call" && f["call"]["state"] == "active"
        })
        .await;

    let offer = json!({"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"});
    alice
        .send(json!({"type": "call_signal", "call_id": call, "signal": offer}))
        .await;
    let got = customer.wait_for("offer", is("call_signal", &call)).await;
    assert_eq!(got["signal"], offer);
    let answer = json!({"kind": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"});
    customer
        .send(json!({"type": "call_signal", "call_id": call, "signal": answer}))
        .await;
    let got = alice.wait_for("answer", is("call_signal", &call)).await;
    assert_eq!(got["signal"], answer);

    alice
        .send(json!({"type": "call_hangup", "call_id": call}))
        .await;
    for ws in [&mut alice, &mut customer] {
        let over = ws.wait_for("call_ended", is("call_ended", &call)).await;
        assert_eq!(
            (over["reason"].as_str(), over["by"].as_str()),
            (Some("hung_up"), Some("attendant"))
        );
    }

    // Each side's TURN credentials were made on its own node: none crossed the broker, nor
    // the secret.
    let credentials: Vec<String> = [&alice_ice, &customer_ice]
        .iter()
        .map(|ice| {
            ice["ice_servers"][0]["credential"]
                .as_str()
                .expect("a credential")
                .to_owned()
        })
        .collect();
    let crossed: Vec<String> = tap
        .taken()
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    assert!(
        crossed.iter().any(|t| t.contains("call_signal")),
        "the signals went over the broker"
    );
    for text in &crossed {
        assert!(!text.contains(TURN_SECRET), "{text}");
        for credential in &credentials {
            assert!(!text.contains(credential.as_str()), "{text}");
        }
    }
}
