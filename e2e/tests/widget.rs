//! The customer widget in headless Chromium, on a host page of another origin, against the
//! real server; the attendant side is driven over the attendant WebSocket.
//!
//! Screenshots of the main states go to docs/screenshots/widget-*.png.

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, Key, TypingState, snippet};
use serde_json::{Value, json};

const W: &str = "#chimpassist";

/// A visitor on the host page with the widget open and connected.
async fn open_widget(browser: &Browser, url: &str) {
    browser.goto(url).await;
    browser.wait_shadow(W, "button.b").await;
    browser.shadow_click(W, "button.b").await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser.wait_shadow(W, ".ca-conn.online").await;
}

/// Starts a conversation from the pre-chat form; returns its id as the attendant sees it.
async fn start_chat(browser: &Browser, attendant: &mut Attendant, name: Option<&str>) -> String {
    if let Some(name) = name {
        browser.shadow_send_keys(W, "input[name=name]", name).await;
    }
    browser
        .shadow_send_keys(W, "textarea[name=problem]", "My order is late")
        .await;
    browser.shadow_click(W, "button.ca-start").await;
    let conversation = attendant.wait_assigned().await;
    browser.wait_shadow(W, ".ca-composer textarea").await;
    conversation
}

async fn message_texts(browser: &Browser) -> Vec<String> {
    browser.shadow_texts(W, ".ca-msg .ca-text").await
}

#[tokio::test(flavor = "multi_thread")]
async fn visitor_and_attendant_chat_across_origins() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"title": "Help"}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    browser.goto(&host.cross_site_url("/")).await;
    browser.wait_shadow(W, "button.b").await;
    browser
        .execute(
            "window.events = []; ['ready','opened','closed','message','conversation-started']\
             .forEach(e => ChimpAssist.on(e, d => window.events.push(e)));",
            vec![],
        )
        .await;
    let before: Vec<String> = browser.resource_urls().await;
    assert!(
        !before.iter().any(|u| u.ends_with(".wasm")),
        "no WASM may be fetched before the visitor opens the chat: {before:?}"
    );
    browser.screenshot("widget-bubble").await;

    browser.shadow_click(W, "button.b").await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser.wait_shadow(W, ".ca-conn.online").await;
    assert!(
        browser
            .resource_urls()
            .await
            .iter()
            .any(|u| u.ends_with(".wasm")),
        "opening loads the chat"
    );
    browser.screenshot("widget-prechat").await;

    let conversation = start_chat(&browser, &mut attendant, Some("Grace Hopper")).await;
    browser
        .wait_shadow_text(W, ".ca-subtitle", "Administrator")
        .await;

    attendant
        .typing(&conversation, TypingState::Composing)
        .await;
    browser.wait_shadow(W, ".ca-typing").await;

    let evil = "Hi <img src=x onerror=\"window.pwned=1\"> see https://example.com/help.";
    let seq = attendant.send(&conversation, evil).await;
    browser
        .wait_shadow_text(W, ".ca-msg .ca-text", "onerror")
        .await;
    assert_eq!(
        browser
            .eval("document.querySelector('#chimpassist').shadowRoot.querySelectorAll('.ca-log img').length")
            .await,
        0,
        "message text must never become HTML"
    );
    assert_eq!(browser.eval("window.pwned === undefined").await, true);
    assert_eq!(
        browser
            .eval(
                "document.querySelector('#chimpassist').shadowRoot.querySelector('.ca-text a').href"
            )
            .await,
        "https://example.com/help"
    );
    // The visitor has the panel open: the attendant is told it was read.
    attendant
        .wait_for("read receipt", |f| {
            f["type"] == "receipt" && f["receipts"]["customer_read"].as_u64() >= Some(seq)
        })
        .await;

    browser
        .shadow_send_keys(W, ".ca-composer textarea", "Thanks!")
        .await;
    attendant
        .wait_for("customer typing", |f| {
            f["type"] == "typing" && f["state"] == "composing"
        })
        .await;
    browser
        .shadow_send_keys(
            W,
            ".ca-composer textarea",
            &char::from(Key::Enter).to_string(),
        )
        .await;
    let got = attendant
        .wait_for("customer message", |f| {
            f["type"] == "message" && f["message"]["text"] == "Thanks!"
        })
        .await;
    let their_seq = got["message"]["seq"].as_u64().expect("seq");
    browser
        .wait_shadow(W, ".ca-msg.me .ca-tick.sent, .ca-msg.me .ca-tick.delivered")
        .await;
    attendant.read(&conversation, their_seq).await;
    browser.wait_shadow(W, ".ca-msg.me .ca-tick.read").await;
    assert_eq!(
        browser.shadow_texts(W, ".ca-msg .ca-text").await.len(),
        2,
        "one line per message"
    );
    browser.screenshot("widget-chat").await;

    let events: Value = browser.eval("window.events").await;
    for e in ["ready", "opened", "conversation-started", "message"] {
        assert!(
            events.as_array().expect("array").iter().any(|x| x == e),
            "event {e} fired: {events}"
        );
    }

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}
