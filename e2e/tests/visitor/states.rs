//! The widget's quieter states in headless Chromium: replies while closed (badge, page
//! title, chime), waiting in the queue, identity rotation through the JS API, older history
//! on scroll, and `autoConnect`.

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, snippet};
use serde_json::json;

const W: &str = "#chimpassist";
const SHADOW: &str = "document.querySelector('#chimpassist').shadowRoot";

async fn start_chat(browser: &Browser, problem: &str) {
    browser
        .shadow_send_keys(W, "textarea[name=problem]", problem)
        .await;
    browser.shadow_click(W, "button.ca-start").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_while_closed_show_a_badge_a_title_notice_and_chime() {
    let server = ChimpServer::start().await;
    // Counts the chimes the widget plays (the real Web Audio node still plays them).
    let spy = "<script>window.chimes = 0; const start = OscillatorNode.prototype.start; \
               OscillatorNode.prototype.start = function (...a) { window.chimes++; return start.apply(this, a); };</script>";
    let page =
        snippet(&server.origin(), json!({"sound": true})).replace("<h1>", &format!("{spy}<h1>"));
    let host = HostPage::serve(page).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    browser.open_widget(&host.cross_site_url("/")).await;
    browser.shadow_send_keys(W, "input[name=name]", "Lin").await;
    start_chat(&browser, "Where is my parcel?").await;
    let conversation = attendant.wait_assigned().await;
    browser.wait_shadow(W, ".ca-composer textarea").await;

    browser.execute("ChimpAssist.close()", vec![]).await;
    browser.wait_shadow_gone(W, ".ca-panel.open").await;
    attendant
        .send(&conversation, "Your parcel ships today")
        .await;
    browser
        .wait_until("document.title === '(1) New message – Host shop'")
        .await;
    browser
        .wait_until(&format!(
            "{SHADOW}.querySelector('.n').textContent === '1' && !{SHADOW}.querySelector('.n').hidden"
        ))
        .await;
    let second = attendant
        .send(&conversation, "Tracking number follows")
        .await;
    browser
        .wait_until("document.title === '(2) New message – Host shop'")
        .await;
    assert_eq!(
        browser.eval("window.chimes").await,
        2,
        "one chime per reply while closed"
    );
    browser.screenshot("widget-unread").await;

    // Opening shows them: badge and title notice go, and the attendant gets a read receipt.
    browser.shadow_click(W, "[data-testid=launcher]").await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser.wait_until("document.title === 'Host shop'").await;
    browser
        .wait_until(&format!("{SHADOW}.querySelector('.n').hidden"))
        .await;
    attendant
        .wait_for("read receipt from the visitor", |f| {
            f["type"] == "receipt" && f["receipts"]["customer_read"].as_u64() >= Some(second)
        })
        .await;
    assert_eq!(
        browser.eval("window.chimes").await,
        2,
        "no chime while reading"
    );

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_visitors_see_their_live_position_then_the_attendant() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let url = host.cross_site_url("/");
    let first = Browser::new().await;
    let second = Browser::new().await;

    // Nobody online: the widget says so, and a visitor may still wait in line.
    first.open_widget(&url).await;
    first.wait_shadow(W, ".ca-offline").await;
    start_chat(&first, "First in line").await;
    first.wait_shadow_text(W, ".ca-queue .ca-pos", "1").await;
    first.wait_shadow(W, ".ca-queue .ca-ewt").await;
    second.open_widget(&url).await;
    start_chat(&second, "Second in line").await;
    second.wait_shadow_text(W, ".ca-queue .ca-pos", "2").await;
    second.screenshot("widget-queued").await;

    // The first gives up: the second moves up without reloading.
    first.shadow_click(W, "button.ca-end").await;
    first.wait_shadow(W, ".ca-ended").await;
    second.wait_shadow_text(W, ".ca-queue .ca-pos", "1").await;

    // An attendant comes online: the second is assigned and sees who is helping.
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    attendant.wait_assigned().await;
    second
        .wait_shadow_text(W, ".ca-subtitle", "Administrator")
        .await;
    second.wait_shadow_gone(W, ".ca-queue").await;

    first.close().await;
    second.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_user_and_reset_user_rotate_the_identity_cleanly() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    // A guest chats…
    browser.open_widget(&host.cross_site_url("/")).await;
    browser
        .shadow_send_keys(W, "input[name=name]", "Guest Gus")
        .await;
    start_chat(&browser, "Guest question").await;
    let guest_conversation = attendant.wait_assigned().await;
    attendant
        .send(&guest_conversation, "Answer for the guest")
        .await;
    browser
        .wait_shadow_text(W, ".ca-log", "Answer for the guest")
        .await;

    // …then logs in on the host site: the page calls setUser. The guest's chat is gone, and
    // the name is not asked again.
    browser
        .execute(
            "ChimpAssist.setUser({id: 'cust-42', name: 'Zoe Zed'})",
            vec![],
        )
        .await;
    // Enabled once the server has welcomed the new identity.
    browser
        .wait_shadow(W, "button.ca-start:not([disabled])")
        .await;
    browser.wait_shadow_gone(W, ".ca-msg").await;
    assert!(
        !browser.shadow_query(W, "input[name=name]").await,
        "the name comes from setUser"
    );
    start_chat(&browser, "Question as Zoe").await;
    let zoe_conversation = attendant.wait_assigned().await;
    assert_ne!(zoe_conversation, guest_conversation);
    attendant.send(&zoe_conversation, "Hello Zoe").await;
    browser.wait_shadow_text(W, ".ca-log", "Hello Zoe").await;
    assert!(
        !browser
            .shadow_text(W, ".ca-log")
            .await
            .contains("Answer for the guest"),
        "Zoe never sees the guest's chat"
    );

    // Logging out: resetUser makes a fresh guest, who sees none of Zoe's chat.
    browser.execute("ChimpAssist.resetUser()", vec![]).await;
    browser.wait_shadow(W, "input[name=name]").await;
    browser.wait_shadow_gone(W, ".ca-msg").await;
    browser.goto(&host.cross_site_url("/")).await;
    browser.wait_shadow(W, "[data-testid=launcher]").await;
    browser.shadow_click(W, "[data-testid=launcher]").await;
    browser.wait_shadow(W, ".ca-conn.online").await;
    browser.wait_shadow(W, "input[name=name]").await;
    assert_eq!(browser.shadow_count(W, ".ca-msg").await, 0);

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn older_messages_load_when_scrolling_up() {
    // The attendant sends 45 messages at once: above the default per-socket rate limit,
    // which this test is not about.
    let server = ChimpServer::start_with(|c| c.rate_limit_per_second = 1_000).await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;
    let url = host.cross_site_url("/");

    browser.open_widget(&url).await;
    browser.shadow_send_keys(W, "input[name=name]", "Ann").await;
    start_chat(&browser, "Long chat").await;
    let conversation = attendant.wait_assigned().await;
    let sent: Vec<String> = (1..=45).map(|i| format!("line {i:02}")).collect();
    for text in &sent {
        attendant.send(&conversation, text).await;
    }
    browser.wait_shadow_text(W, ".ca-log", "line 45").await;

    // A reload shows the newest page only; scrolling to the top brings the rest, in order.
    browser.open_widget(&url).await;
    browser.wait_shadow_text(W, ".ca-log", "line 45").await;
    let first_page = browser.shadow_count(W, ".ca-msg").await;
    assert!(
        first_page < sent.len(),
        "the first page is not the whole history ({first_page} lines)"
    );
    browser
        .execute(
            &format!("{SHADOW}.querySelector('.ca-log').scrollTop = 0"),
            vec![],
        )
        .await;
    browser.wait_shadow_text(W, ".ca-log", "line 01").await;
    let texts = browser.shadow_texts(W, ".ca-msg .ca-text").await;
    let lines: Vec<&String> = texts.iter().filter(|t| t.starts_with("line ")).collect();
    assert_eq!(
        lines,
        sent.iter().collect::<Vec<_>>(),
        "every line once, in order"
    );

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_connect_loads_the_chat_without_opening_it() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"autoConnect": true}))).await;
    let browser = Browser::new().await;

    browser.goto(&host.cross_site_url("/")).await;
    // Connected in the background, panel still closed.
    browser.wait_shadow(W, ".ca-conn.online").await;
    assert!(!browser.shadow_query(W, ".ca-panel.open").await);
    assert!(
        browser
            .resource_urls()
            .await
            .iter()
            .any(|u| u.ends_with(".wasm")),
        "autoConnect fetches the chat on idle"
    );

    browser.close().await;
    server.stop().await;
}
