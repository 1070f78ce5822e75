//! Customers asking for calls: only where their queue lets them, told so, paused after an
//! unanswered request.

use serde_json::json;

use super::*;
use crate::helpers::*;

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
