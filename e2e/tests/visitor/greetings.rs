//! Proactive greetings: a rule's greeting shows after its time on the pages its path
//! matches and not on others, without the chat (no WASM fetched); the visitor's answer
//! loads the chat and opens a conversation that starts with the greeting. The site can also
//! send a message as the visitor (`ChimpAssist.sendMessage`), which opens the chat on it.

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, snippet};
use serde_json::{Value, json};

const W: &str = "#chimpassist";
const GREETING: &str = "[data-testid=greeting]";

async fn add_rule(server: &ChimpServer, cookie: &str, rule: Value) {
    let created = reqwest::Client::new()
        .post(server.url("/api/greeting-rules"))
        .header("cookie", cookie)
        .json(&rule)
        .send()
        .await
        .expect("rule request");
    assert_eq!(created.status(), 201);
}

fn wasm_fetched(urls: &[String]) -> bool {
    urls.iter().any(|u| u.ends_with(".wasm"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_greeting_shows_on_its_pages_in_its_time_and_the_answer_starts_the_chat() {
    let server = ChimpServer::start().await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let cookie = chimpassist_e2e::admin_cookie(&server).await;
    add_rule(
        &server,
        &cookie,
        json!({"name": "Pricing", "path": "/pricing*", "delay_seconds": 1,
            "only_when_online": true, "text": "Questions about our plans?", "from": "Ana"}),
    )
    .await;
    add_rule(
        &server,
        &cookie,
        json!({"name": "About", "path": "/about", "delay_seconds": 2, "frequency": "every_page",
            "text": "Want to know more about us?", "from": "The team"}),
    )
    .await;
    let page = snippet(&server.origin(), json!({}));
    let host = HostPage::serve_pages([
        ("/about".to_owned(), page.clone()),
        ("/pricing/team".to_owned(), page),
    ])
    .await;
    let browser = Browser::new().await;

    // On /about the pricing rule (1 s) never fires: the greeting that shows, one at a time,
    // is the about rule's (2 s).
    browser.goto(&host.cross_site_url("/about")).await;
    browser.wait_shadow(W, GREETING).await;
    assert_eq!(
        browser.shadow_text(W, &format!("{GREETING} p")).await,
        "Want to know more about us?"
    );
    assert_eq!(browser.shadow_count(W, GREETING).await, 1);
    let urls = browser.resource_urls().await;
    assert!(!wasm_fetched(&urls), "no chat for a greeting: {urls:?}");
    assert!(
        urls.iter().any(|u| u.contains("/widget/greet-")),
        "{urls:?}"
    );

    // Under /pricing: its own greeting, signed.
    browser.goto(&host.cross_site_url("/pricing/team")).await;
    browser.wait_shadow(W, GREETING).await;
    assert_eq!(
        browser.shadow_text(W, &format!("{GREETING} p")).await,
        "Questions about our plans?"
    );
    assert_eq!(
        browser.shadow_text(W, &format!("{GREETING} b")).await,
        "Ana"
    );
    assert!(!wasm_fetched(&browser.resource_urls().await));
    browser.screenshot("widget-greeting").await;

    // The answer: the chat loads and opens on a conversation that starts with the greeting.
    browser
        .shadow_type(
            W,
            &format!("{GREETING} input"),
            "Is there a student discount?",
        )
        .await;
    browser
        .shadow_click(W, &format!("{GREETING} button.s"))
        .await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser.wait_shadow_gone(W, GREETING).await;
    browser
        .wait_shadow_text(W, ".ca-msg .ca-text", "Is there a student discount?")
        .await;
    assert_eq!(
        browser.shadow_texts(W, ".ca-msg .ca-text").await,
        ["Questions about our plans?", "Is there a student discount?"]
    );
    assert!(wasm_fetched(&browser.resource_urls().await));
    let conversation = attendant.wait_assigned().await;
    assert!(!conversation.is_empty());

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_site_sends_a_message_as_the_visitor_and_the_chat_opens_on_it() {
    let server = ChimpServer::start().await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let browser = Browser::new().await;
    browser.goto(&host.cross_site_url("/")).await;
    browser.wait_until("!!window.ChimpAssist").await;

    // Before the chat is loaded: it loads, opens and sends.
    browser
        .eval("ChimpAssist.sendMessage('Where is my order 42?')")
        .await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser
        .wait_shadow_text(W, ".ca-msg .ca-text", "Where is my order 42?")
        .await;
    let conversation = attendant.wait_assigned().await;
    // With the chat connected: straight into the open conversation.
    browser
        .eval("ChimpAssist.sendMessage('It was due Monday.')")
        .await;
    browser
        .wait_shadow_text(W, ".ca-msg .ca-text", "It was due Monday.")
        .await;
    let said = attendant
        .wait_for("the second message", |f| {
            f["type"] == "message" && f["message"]["text"] == "It was due Monday."
        })
        .await;
    assert_eq!(said["message"]["conversation"], conversation.as_str());
    assert_eq!(
        browser.shadow_texts(W, ".ca-msg .ca-text").await,
        ["Where is my order 42?", "It was due Monday."]
    );
    browser.close().await;
    attendant.close().await;
    server.stop().await;
}
