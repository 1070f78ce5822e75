//! What ends a call besides a hang-up: nobody answering, a closed tab, a revoked session,
//! the conversation resolved or transferred.

use serde_json::json;

use super::*;

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
