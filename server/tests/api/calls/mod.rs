//! Calls: signalling between a conversation's two sides only, one call at a time, ended by
//! whatever ends the conversation or a connection in it; and the TURN credentials the server
//! hands out, checked by a real coturn (Debian's, started per test with `use-auth-secret`, as
//! `deploy/` runs it). The browsers' side is in the e2e suite.
//!
//! - `relay`: TURN credentials against a real coturn, and the deployed relay's refusals;
//! - `signalling`: a call's exchange between the two sides, one call at a time, strangers
//!   refused;
//! - `requests`: customers asking for calls, where their queue lets them;
//! - `ending`: ring-out, a closed tab, a revoked session, resolve and transfer.
//!
//! This file: a chat ready to call, and the frames the tests wait for.

mod ending;
mod relay;
mod requests;
mod signalling;

use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// The TURN secret of every server and relay here.
const SECRET: &str = "a-secret-shared-with-coturn";

/// A conversation between Ana (a customer) and Alice (who holds it), on a server with a STUN
/// server and a TURN relay configured.
struct Chat {
    app: TestApp,
    admin: Auth,
    alice_id: String,
    alice: Ws,
    customer: Ws,
    conversation: String,
}

async fn a_chat(tweak: impl FnOnce(&mut chimpassist_server::config::Config)) -> Chat {
    let app = spawn_app_with(|config| {
        config.stun_urls = vec!["stun:stun.example.com:3478".parse().unwrap()];
        config.turn_urls = vec!["turn:turn.example.com:3478?transport=udp".parse().unwrap()];
        config.turn_secret = Some(SecretString::from(SECRET));
        tweak(config);
    })
    .await;
    let AnaAndAlice {
        admin,
        alice_id,
        alice,
        customer,
        conversation,
        ..
    } = app.ana_with_alice().await;
    Chat {
        app,
        admin,
        alice_id,
        alice,
        customer,
        conversation,
    }
}

fn call_id() -> String {
    Uuid::now_v7().to_string()
}

/// The next `call` frame of `call` in `state`.
async fn call_in(ws: &mut Ws, call: &str, state: &str) -> Value {
    ws.wait_for(&format!("call {state}"), |f| {
        f["type"] == "call" && f["call"]["id"] == call && f["call"]["state"] == state
    })
    .await
}

async fn ice_of(ws: &mut Ws, call: &str) -> Value {
    ws.wait_for("call_ice", |f| {
        f["type"] == "call_ice" && f["call_id"] == call
    })
    .await
}

async fn ended(ws: &mut Ws, call: &str) -> Value {
    ws.wait_for("call_ended", |f| {
        f["type"] == "call_ended" && f["call_id"] == call
    })
    .await
}

/// The transcript message that records `call`.
async fn recorded(ws: &mut Ws, call: &str) -> Value {
    ws.wait_for("the call's record", |f| {
        f["type"] == "message" && f["message"]["call"]["call_id"] == call
    })
    .await["message"]
        .clone()
}

async fn error_of(ws: &mut Ws) -> Value {
    ws.expect("error").await
}

/// Alice calls (video), Ana accepts: returns the call id.
async fn connected(chat: &mut Chat) -> String {
    let call = call_id();
    chat.alice
        .send(json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call, "media": "video"}))
        .await;
    call_in(&mut chat.customer, &call, "ringing").await;
    chat.customer
        .send(json!({"type": "call_accept", "call_id": call}))
        .await;
    call_in(&mut chat.alice, &call, "active").await;
    call_in(&mut chat.customer, &call, "active").await;
    call
}

/// Sets the default queue's call policy through the admin API.
async fn calls_in_default_queue(chat: &Chat, policy: &str) {
    let queue = chat
        .app
        .put_queue_with(
            &chat.admin,
            "default",
            json!({"mode": "auto", "calls": policy}),
        )
        .await;
    assert_eq!(queue["calls"], policy);
}
