//! Calls between two real browsers (headless Chromium with a fake camera and microphone):
//! the server's signalling, its ICE servers and a real coturn relay, end to end. Each side runs
//! `e2e/src/calls/side.js` over its own chat socket; media is checked with `getStats()` on
//! both sides.

use chimpassist_e2e::calls::{Answers, CallDesk, CallSetup, side};
use chimpassist_server::services::coturn::Coturn;
use serde_json::json;

const SECRET: &str = "e2e-turn-secret";

async fn desk(coturn: &Coturn, relay_only: bool, media: &str, answers: Answers) -> CallDesk {
    CallDesk::open(CallSetup {
        turn: (&coturn.url(), SECRET),
        relay_only,
        media,
        answers,
    })
    .await
}

#[tokio::test]
async fn a_video_call_connects_browser_to_browser_and_either_side_ends_it() {
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    let desk = desk(&coturn, false, "video", Answers::Customer).await;
    let (alice, customer) = desk.talk(&desk.alice, "video").await;
    for s in [&alice, &customer] {
        assert_eq!(s["errors"], json!([]), "{s}");
        assert!(s["stats"]["video"]["frames"].as_u64().unwrap() > 0, "{s}");
        assert!(s["stats"]["audio"]["bytes"].as_u64().unwrap() > 0, "{s}");
    }
    // The customer hangs up: both calls end.
    desk.customer
        .execute("window.__side.hangUp();", vec![])
        .await;
    for browser in [&desk.alice, &desk.customer] {
        browser.wait_until("window.__side.ended").await;
        let ended = side(browser).await["ended"].clone();
        assert_eq!(
            (ended["reason"].as_str(), ended["by"].as_str()),
            (Some("hung_up"), Some("customer"))
        );
    }
}

#[tokio::test]
async fn a_call_forced_through_the_relay_flows_through_coturn_with_our_credentials() {
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    let desk = desk(&coturn, true, "voice", Answers::Customer).await;
    let (alice, customer) = desk.talk(&desk.alice, "voice").await;
    for s in [&alice, &customer] {
        assert_eq!(s["errors"], json!([]), "{s}");
        assert_eq!(s["pair"]["local"], "relay", "{s}");
        assert!(s["stats"]["audio"]["bytes"].as_u64().unwrap() > 0, "{s}");
    }
    // Closing the customer's tab ends Alice's call.
    let CallDesk {
        alice: alice_page,
        customer: customer_page,
        server: _server,
    } = desk;
    customer_page.close().await;
    alice_page.wait_until("window.__side.ended").await;
    assert_eq!(side(&alice_page).await["ended"]["reason"], "disconnected");
}

#[tokio::test]
async fn a_voice_call_the_customer_asks_for_connects_when_the_attendant_accepts() {
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    let desk = desk(&coturn, false, "voice", Answers::Attendant).await;
    let (alice, customer) = desk.talk(&desk.customer, "voice").await;
    for s in [&alice, &customer] {
        assert_eq!(s["errors"], json!([]), "{s}");
        assert_eq!(s["call"]["started_by"], "customer", "{s}");
        assert!(s["stats"]["audio"]["bytes"].as_u64().unwrap() > 0, "{s}");
        assert!(
            s["stats"].get("video").is_none(),
            "a voice call sends no video: {s}"
        );
    }
    desk.alice.execute("window.__side.hangUp();", vec![]).await;
    desk.customer.wait_until("window.__side.ended").await;
}
