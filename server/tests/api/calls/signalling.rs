//! A call's exchange between the conversation's two sides, through the server only; one
//! call at a time; nobody else rings, joins or ends it.

use serde_json::json;

use super::*;

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
