//! Calls: signalling between a conversation's two sides only, one call at a time, ended by
//! whatever ends the conversation or a connection in it; and the TURN credentials the server
//! hands out, checked by a real coturn (Debian's, started per test with `use-auth-secret`, as
//! `deploy/` runs it). The browsers' side is in the e2e suite.

use std::time::{Duration, SystemTime};

use chimpassist_server::calls::IceSettings;
use chimpassist_server::services::coturn::{Coturn, Relay};
use chimpassist_server::startup::Application;
use secrecy::SecretString;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::app::test_config;
use crate::helpers::*;

const SECRET: &str = "a-secret-shared-with-coturn";

fn settings(coturn: &Coturn, secret: &str, lifetime: Duration) -> IceSettings {
    IceSettings::new(
        vec![],
        vec![coturn.url().parse().expect("a TURN URL")],
        Some(SecretString::from(secret)),
        lifetime,
    )
    .expect("valid settings")
}

/// The username and password of the relay entry of `settings` for `who` at `at`.
fn credentials(settings: &IceSettings, who: &str, at: SystemTime) -> (String, String) {
    let relay = settings
        .servers_for(who, at)
        .into_iter()
        .find(|s| s.username.is_some())
        .expect("a TURN entry");
    (relay.username.unwrap(), relay.credential.unwrap())
}

#[tokio::test]
async fn the_relay_accepts_the_credentials_a_participant_gets_and_nothing_else() {
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    let ours = settings(&coturn, SECRET, Duration::from_secs(600));
    let now = SystemTime::now();

    let (user, password) = credentials(&ours, "call-1.customer", now);
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::Relayed,
        "coturn's log:\n{}",
        coturn.log()
    );

    // Someone who changes the name (to stretch the expiry) or guesses the password: refused.
    let later = user.replacen(|c: char| c.is_ascii_digit(), "9", 1);
    assert_eq!(
        coturn.relay(&later, &password).await.unwrap(),
        Relay::Refused
    );
    assert_eq!(
        coturn.relay(&user, "not-the-password").await.unwrap(),
        Relay::Refused
    );

    // Credentials that expired (handed out 20 minutes ago for 10): refused.
    let (old_user, old_password) =
        credentials(&ours, "call-1.customer", now - Duration::from_secs(1200));
    assert_eq!(
        coturn.relay(&old_user, &old_password).await.unwrap(),
        Relay::Refused
    );

    // Credentials made with another secret: refused.
    let theirs = settings(&coturn, "another-secret", Duration::from_secs(600));
    let (user, password) = credentials(&theirs, "call-1.customer", now);
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::Refused
    );
}

#[tokio::test]
async fn the_deployed_relay_lets_callers_in_but_never_onto_an_internal_address() {
    let coturn = Coturn::start_deployed(SECRET).await.expect("coturn starts");
    let ours = settings(&coturn, SECRET, Duration::from_secs(600));
    let (user, password) = credentials(&ours, "call-1.attendant", SystemTime::now());
    // Allocated with our credentials, then refused a peer on 127.0.0.1, as it would be one on
    // 10.x, 172.16.x or 192.168.x: the relay cannot be turned against the network it runs in.
    assert_eq!(
        coturn.relay(&user, &password).await.unwrap(),
        Relay::ForbiddenPeer,
        "coturn's log:\n{}",
        coturn.log()
    );
    assert_eq!(coturn.relay(&user, "wrong").await.unwrap(), Relay::Refused);
}

#[tokio::test]
async fn a_relay_without_its_secret_fails_the_start_with_what_to_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(dir.path());
    config.turn_urls = vec!["turn:turn.example.com:3478".parse().unwrap()];
    let Err(error) = Application::build(config).await else {
        panic!("an open relay is refused");
    };
    let message = format!("{error:#}");
    assert!(message.contains("TURN_SECRET"), "{message}");
}

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
    let admin = app.admin().await;
    let (alice_id, login) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&login).await;
    let mut customer = app
        .customer(Some(json!({"id": "ana-1", "name": "Ana"})))
        .await;
    let conversation = start_chat(&mut customer).await;
    customer.expect("assigned").await;
    alice.expect("assigned").await;
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

#[tokio::test]
async fn the_holder_calls_the_customer_accepts_and_their_browsers_signal_through_the_server() {
    let mut chat = a_chat(|_| {}).await;
    let call = call_id();
    chat.alice
        .send(json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call, "media": "video"}))
        .await;

    // The inviting connection gets its ICE servers: STUN, and TURN with credentials of its own.
    let ice = ice_of(&mut chat.alice, &call).await;
    assert!(!ice.to_string().contains(SECRET), "{ice}");
    let servers = ice["ice_servers"].as_array().expect("a list");
    assert_eq!(servers[0]["urls"], json!(["stun:stun.example.com:3478"]));
    assert_eq!(
        servers[1]["urls"],
        json!(["turn:turn.example.com:3478?transport=udp"])
    );
    let username = servers[1]["username"].as_str().expect("a username");
    assert!(
        username.ends_with(&format!(":{call}.attendant")),
        "{username}"
    );
    assert!(servers[1]["credential"].as_str().is_some());

    // Both sides see it ring: who calls whom, and what kind of call.
    for ws in [&mut chat.alice, &mut chat.customer] {
        let ringing = call_in(ws, &call, "ringing").await;
        assert_eq!(ringing["call"]["conversation"], chat.conversation.as_str());
        assert_eq!(ringing["call"]["media"], "video");
        assert_eq!(ringing["call"]["started_by"], "attendant");
        assert_eq!(ringing["call"]["caller_name"], "Alice");
        assert_eq!(ringing["call"]["callee_name"], "Ana");
    }

    // Signals before the call is accepted are refused.
    chat.alice
        .send(json!({"type": "call_signal", "call_id": call, "signal": {"kind": "offer", "sdp": "v=0\r\n"}}))
        .await;
    assert_eq!(error_of(&mut chat.alice).await["code"], "conflict");

    chat.customer
        .send(json!({"type": "call_accept", "call_id": call}))
        .await;
    let ice = ice_of(&mut chat.customer, &call).await;
    assert!(!ice.to_string().contains(SECRET), "{ice}");
    let username = ice["ice_servers"][1]["username"]
        .as_str()
        .expect("a username");
    assert!(
        username.ends_with(&format!(":{call}.customer")),
        "{username}"
    );
    for ws in [&mut chat.alice, &mut chat.customer] {
        let active = call_in(ws, &call, "active").await;
        assert!(active["call"]["answered_at"].as_i64().is_some());
    }

    // Offer from the side that called, answer from the other, candidates both ways: each
    // reaches the other side as it was sent.
    let offer = json!({"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"});
    let answer = json!({"kind": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n"});
    let candidate = json!({"kind": "candidate", "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host",
        "sdpMid": "0", "sdpMLineIndex": 0}});
    for (from_alice, signal) in [
        (true, &offer),
        (false, &answer),
        (true, &candidate),
        (false, &candidate),
    ] {
        let frame = json!({"type": "call_signal", "call_id": call, "signal": signal});
        let (from, to) = if from_alice {
            (&mut chat.alice, &mut chat.customer)
        } else {
            (&mut chat.customer, &mut chat.alice)
        };
        from.send(frame).await;
        let got = to
            .wait_for("call_signal", |f| f["type"] == "call_signal")
            .await;
        assert_eq!(got["call_id"], call.as_str());
        assert_eq!(&got["signal"], signal);
    }
    // The answering side never offers (no glare), the calling side never answers.
    chat.customer
        .send(json!({"type": "call_signal", "call_id": call, "signal": offer}))
        .await;
    // Errors answering a call frame name the call (they are the call code's, not the chat's).
    let refused = error_of(&mut chat.customer).await;
    assert_eq!(
        (refused["code"].as_str(), refused["call_id"].as_str()),
        (Some("conflict"), Some(call.as_str()))
    );
    chat.alice
        .send(json!({"type": "call_signal", "call_id": call, "signal": answer}))
        .await;
    assert_eq!(error_of(&mut chat.alice).await["code"], "conflict");
    // What is not a session description or a candidate line never reaches the other side.
    chat.alice
        .send(json!({"type": "call_signal", "call_id": call, "signal": {"kind": "offer", "sdp": "<img src=x>"}}))
        .await;
    // Even refused before it could be read (a malformed field), the error names the call.
    let malformed = error_of(&mut chat.alice).await;
    assert_eq!(
        (malformed["code"].as_str(), malformed["call_id"].as_str()),
        (Some("invalid_field"), Some(call.as_str()))
    );

    chat.customer
        .send(json!({"type": "call_hangup", "call_id": call}))
        .await;
    for ws in [&mut chat.alice, &mut chat.customer] {
        let over = ended(ws, &call).await;
        assert_eq!(over["reason"], "hung_up");
        assert_eq!(over["by"], "customer");
        assert_eq!(over["conversation"], chat.conversation.as_str());
    }
    // The call is in the transcript on both sides: who called, what kind, answered, how long.
    for ws in [&mut chat.alice, &mut chat.customer] {
        let record = recorded(ws, &call).await;
        assert_eq!(record["from"]["party"], "attendant");
        assert_eq!(record["from"]["name"], "Alice");
        let call_record = &record["call"];
        assert_eq!(call_record["media"], "video");
        assert_eq!(call_record["started_by"], "attendant");
        assert_eq!(call_record["reason"], "hung_up");
        let answered = call_record["answered_at"].as_i64().expect("answered");
        let ended_at = call_record["ended_at"].as_i64().expect("ended");
        assert!(call_record["invited_at"].as_i64().unwrap() <= answered && answered <= ended_at);
        assert!(
            record["text"]
                .as_str()
                .unwrap()
                .starts_with("Video call, 0:0"),
            "{record}"
        );
    }
    let transcript: Value = chat
        .app
        .get(
            &format!("/session/{}/messages", chat.conversation),
            &chat.admin,
        )
        .await
        .json()
        .await
        .expect("json");
    let listed = transcript
        .as_array()
        .or_else(|| transcript["messages"].as_array())
        .expect("a list");
    assert!(
        listed.iter().any(|m| m["call"]["call_id"] == call.as_str()),
        "{transcript}"
    );
    assert!(chat.alice.answers().await && chat.customer.answers().await);
}

#[tokio::test]
async fn one_call_at_a_time_and_nobody_else_can_ring_join_or_end_it() {
    let mut chat = a_chat(|_| {}).await;
    let call = connected(&mut chat).await;

    // A second call in the same conversation, from either side.
    chat.alice
        .send(json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call_id(), "media": "voice"}))
        .await;
    let refused = error_of(&mut chat.alice).await;
    assert_eq!(refused["code"], "call_in_progress");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("hang it up")),
        "{refused}"
    );

    // Another attendant and another customer, who know the ids, are refused everything.
    let (_, bob_login) = chat.app.create_attendant(&chat.admin, "Bob", 3).await;
    let mut bob = chat.app.attendant(&bob_login).await;
    let mut eve = chat
        .app
        .customer(Some(json!({"id": "eve-1", "name": "Eve"})))
        .await;
    let forged = [
        json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call_id(), "media": "video"}),
        json!({"type": "call_accept", "call_id": call}),
        json!({"type": "call_decline", "call_id": call}),
        json!({"type": "call_signal", "call_id": call, "signal": {"kind": "offer", "sdp": "v=0\r\n"}}),
        json!({"type": "call_hangup", "call_id": call}),
    ];
    for stranger in [&mut bob, &mut eve] {
        for frame in &forged {
            stranger.send(frame.clone()).await;
            let refused = error_of(stranger).await;
            assert_eq!(refused["code"], "forbidden", "{frame}: {refused}");
        }
    }
    // The call goes on, and neither side heard of the strangers.
    chat.alice
        .send(json!({"type": "call_signal", "call_id": call, "signal": {"kind": "offer", "sdp": "v=0\r\n"}}))
        .await;
    let got = chat
        .customer
        .wait_for("call_signal", |f| f["type"] == "call_signal")
        .await;
    assert_eq!(got["signal"]["kind"], "offer");
    for ws in [&chat.alice, &chat.customer] {
        assert!(
            !ws.pending_frames()
                .iter()
                .any(|f| f["type"] == "call_ended"),
            "{:?}",
            ws.pending_frames()
        );
    }
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

#[tokio::test]
async fn customers_ask_for_calls_only_where_the_queue_lets_them_and_may_be_declined() {
    let mut chat = a_chat(|_| {}).await;
    let ask = |call: &str| json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call, "media": "voice"});
    // By default only attendants call.
    chat.customer.send(ask(&call_id())).await;
    assert_eq!(
        error_of(&mut chat.customer).await["code"],
        "calls_not_allowed"
    );

    calls_in_default_queue(&chat, "either_side").await;
    let call = call_id();
    chat.customer.send(ask(&call)).await;
    let ringing = call_in(&mut chat.alice, &call, "ringing").await;
    assert_eq!(ringing["call"]["started_by"], "customer");
    assert_eq!(ringing["call"]["media"], "voice");
    assert_eq!(ringing["call"]["caller_name"], "Ana");
    ice_of(&mut chat.customer, &call).await;
    chat.alice
        .send(json!({"type": "call_decline", "call_id": call}))
        .await;
    for ws in [&mut chat.alice, &mut chat.customer] {
        let over = ended(ws, &call).await;
        assert_eq!(
            (over["reason"].as_str(), over["by"].as_str()),
            (Some("declined"), Some("attendant"))
        );
    }

    // Declined: the customer may not ring again at once; the attendant may call back.
    let again = call_id();
    chat.customer.send(ask(&again)).await;
    let paused = error_of(&mut chat.customer).await;
    assert_eq!(paused["code"], "rate_limited");
    assert_eq!(paused["call_id"], again.as_str());
    let wait = paused["retry_after_seconds"].as_u64().expect("a wait");
    assert!((1..=30).contains(&wait), "{paused}");
    let back = call_id();
    chat.alice.send(ask(&back)).await;
    call_in(&mut chat.customer, &back, "ringing").await;
    chat.alice
        .send(json!({"type": "call_hangup", "call_id": back}))
        .await;
    ended(&mut chat.customer, &back).await;

    // With calls off, nobody calls.
    calls_in_default_queue(&chat, "off").await;
    chat.alice.send(ask(&call_id())).await;
    assert_eq!(error_of(&mut chat.alice).await["code"], "calls_not_allowed");
}

#[tokio::test]
async fn the_customer_is_told_when_they_may_ask_for_a_call_also_after_reconnecting() {
    // By default only attendants call: the widget offers no call button.
    let chat = a_chat(|_| {}).await;
    let token = chat.customer.welcome["token"].as_str().unwrap().to_owned();
    let again = chat
        .app
        .customer_with(
            Some(json!({"id": "ana-1", "name": "Ana"})),
            Some(&token),
            json!([]),
        )
        .await;
    assert_eq!(
        again.welcome["conversation"]["status"], "assigned",
        "{}",
        again.welcome
    );
    assert_eq!(again.welcome.get("may_call"), None, "{}", again.welcome);

    // In a queue that lets customers call, the assignment says so, and so does the welcome
    // of a page opened later.
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.put_queue_with(
        &admin,
        "default",
        json!({"mode": "auto", "calls": "either_side"}),
    )
    .await;
    let (_, login) = app.create_attendant(&admin, "Alice", 3).await;
    let mut alice = app.attendant(&login).await;
    let mut customer = app.customer(None).await;
    start_chat(&mut customer).await;
    assert_eq!(customer.expect("assigned").await["may_call"], true);
    alice.expect("assigned").await;
    let token = customer.welcome["token"].as_str().unwrap().to_owned();
    let again = app.customer_with(None, Some(&token), json!([])).await;
    assert_eq!(again.welcome["may_call"], true, "{}", again.welcome);
}

#[tokio::test]
async fn an_unanswered_call_rings_out_as_missed_on_both_sides() {
    let mut chat = a_chat(|config| config.call_ring_seconds = 1).await;
    let call = call_id();
    chat.alice
        .send(json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call, "media": "voice"}))
        .await;
    call_in(&mut chat.customer, &call, "ringing").await;
    for ws in [&mut chat.alice, &mut chat.customer] {
        let over = ended(ws, &call).await;
        assert_eq!(over["reason"], "missed");
        assert!(over.get("by").is_none(), "{over}");
        let record = recorded(ws, &call).await;
        assert_eq!(record["text"], "Missed voice call");
        assert_eq!(record["call"]["reason"], "missed");
        assert!(record["call"].get("answered_at").is_none(), "{record}");
    }
    // Too late to accept.
    chat.customer
        .send(json!({"type": "call_accept", "call_id": call}))
        .await;
    assert_eq!(error_of(&mut chat.customer).await["code"], "forbidden");
}

#[tokio::test]
async fn closing_the_customer_s_tab_ends_the_attendant_s_call() {
    let mut chat = a_chat(|_| {}).await;
    let call = connected(&mut chat).await;
    chat.customer.close().await;
    let over = ended(&mut chat.alice, &call).await;
    assert_eq!(over["reason"], "disconnected");
    assert_eq!(over["by"], "customer");
}

#[tokio::test]
async fn a_revoked_attendant_socket_ends_the_call_for_the_customer() {
    let mut chat = a_chat(|_| {}).await;
    let call = connected(&mut chat).await;
    let response = chat
        .app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/attendants/{}", chat.alice_id),
            &chat.admin,
            // New rights: every socket of Alice's is cut (4403) and the back-office
            // reconnects with them; she keeps her conversations.
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(chat.alice.closed().await, Some(4403));
    let over = ended(&mut chat.customer, &call).await;
    assert_eq!(over["reason"], "disconnected");
    assert_eq!(over["by"], "attendant");
}

#[tokio::test]
async fn resolving_or_transferring_the_conversation_ends_its_call() {
    let mut chat = a_chat(|_| {}).await;
    let call = connected(&mut chat).await;
    let (bob_id, bob_login) = chat.app.create_attendant(&chat.admin, "Bob", 3).await;
    let mut bob = chat.app.attendant(&bob_login).await;
    chat.alice
        .send(json!({"type": "transfer", "conversation": chat.conversation, "to": {"attendant": bob_id}}))
        .await;
    for ws in [&mut chat.alice, &mut chat.customer] {
        assert_eq!(ended(ws, &call).await["reason"], "transferred");
    }
    bob.expect("assigned").await;

    // Bob calls now; resolving the conversation ends that call.
    let call = call_id();
    bob.send(json!({"type": "call_invite", "conversation": chat.conversation, "call_id": call, "media": "voice"}))
        .await;
    call_in(&mut chat.customer, &call, "ringing").await;
    bob.send(json!({"type": "resolve", "conversation": chat.conversation}))
        .await;
    for ws in [&mut bob, &mut chat.customer] {
        assert_eq!(ended(ws, &call).await["reason"], "conversation_ended");
    }
}
