//! Calls in both transcripts, as the back-office and the widget show them.

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Attendant, Browser, ChimpServer, HostPage, create_attendant, snippet,
};
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_call_nobody_answered_is_in_both_transcripts() {
    let server = ChimpServer::start_with(|c| c.call_ring_seconds = 1).await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let office = Browser::new().await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Lia", "Please call me").await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Lia")
        .await;

    // Ana calls from another connection of hers (the back-office has no call controls yet);
    // nobody answers.
    let mut ana = Attendant::login(&server, "ana@example.com", ATTENDANT_PASSWORD).await;
    let conversation = ana.welcome()["conversations"][0]["id"]
        .as_str()
        .expect("Ana's conversation")
        .to_owned();
    ana.send_frame(json!({"type": "call_invite", "conversation": conversation,
        "call_id": uuid::Uuid::now_v7().to_string(), "media": "video"}))
        .await;
    let over = ana.next_frame_of_type("call_ended").await;
    assert_eq!(over["reason"], "missed");

    office
        .wait_text("[data-testid=call-record]", "Video call · missed")
        .await;
    office.wait_text("[data-testid=call-record]", "Ana").await;
    customer
        .wait_shadow_text(W, ".ca-log", "Missed video call")
        .await;
}
