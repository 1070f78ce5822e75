//! The harness itself, without the widget: Chromium opens a host page, the attendant side
//! logs in, the shadow-root helpers work, the server restarts on its port.

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, Key, snippet};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn chromium_opens_the_host_page_and_the_attendant_goes_online() {
    let server = ChimpServer::start_without_widget().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"title": "Help"}))).await;
    let browser = Browser::new().await;

    browser.goto(&host.url("/")).await;
    assert_eq!(browser.eval("document.title").await, "Host shop");
    browser.wait_for("h1").await;
    assert_eq!(
        browser.eval("window.ChimpAssistConfig").await,
        json!({"backendEndpoint": server.origin(), "title": "Help"})
    );
    assert!(
        host.requests().iter().any(|p| p == "/"),
        "{:?}",
        host.requests()
    );
    let loader = server.url("/widget.js");
    browser
        .wait_until(&format!(
            "performance.getEntriesByType('resource').some(e => e.name === {loader:?})"
        ))
        .await;
    assert!(browser.resource_urls().await.contains(&loader));

    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    assert_eq!(attendant.welcome()["me"]["email"], "admin");

    let shot = browser.screenshot("smoke").await;
    assert!(std::fs::metadata(&shot).expect("screenshot written").len() > 0);
    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

/// Builds `#chimpassist` with an open shadow root a moment after load, as the widget does
/// after its WASM starts.
const SHADOW_PAGE: &str = r#"<!doctype html><html><head><title>Shadow</title></head><body>
<div id="chimpassist"></div>
<script>
setTimeout(() => {
  const root = document.getElementById('chimpassist').attachShadow({mode: 'open'});
  root.innerHTML = `
    <button class="count" type="button">0</button>
    <input class="entry" type="text">
    <ul class="log"></ul>
    <p class="echo"></p>
    <p class="gone">bye</p>`;
  const button = root.querySelector('.count');
  button.addEventListener('click', () => {
    button.textContent = String(Number(button.textContent) + 1);
    root.querySelector('.gone')?.remove();
  });
  const entry = root.querySelector('.entry');
  entry.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const li = document.createElement('li');
      li.textContent = entry.value;
      root.querySelector('.log').append(li);
      entry.value = '';
    }
  });
  entry.addEventListener('input', () => {
    root.querySelector('.echo').textContent = 'typed: ' + entry.value;
  });
  console.log('shadow ready');
}, 200);
</script></body></html>"#;

#[tokio::test(flavor = "multi_thread")]
async fn shadow_helpers_click_and_type_inside_an_open_shadow_root() {
    let host = HostPage::serve(SHADOW_PAGE).await;
    let browser = Browser::new().await;
    browser.goto(&host.url("/")).await;

    browser.wait_shadow("#chimpassist", ".count").await;
    assert!(browser.shadow_query("#chimpassist", ".entry").await);
    assert!(!browser.shadow_query("#chimpassist", ".missing").await);
    assert!(!browser.shadow_query("#nowhere", ".count").await);

    browser.shadow_click("#chimpassist", ".count").await;
    browser
        .wait_shadow_text("#chimpassist", ".count", "1")
        .await;
    browser.wait_shadow_gone("#chimpassist", ".gone").await;

    let keys = format!("hello{}", char::from(Key::Enter));
    browser
        .shadow_send_keys("#chimpassist", ".entry", &keys)
        .await;
    browser
        .shadow_send_keys(
            "#chimpassist",
            ".entry",
            &format!("again{}", char::from(Key::Enter)),
        )
        .await;
    browser
        .wait_shadow_text("#chimpassist", ".log li", "again")
        .await;
    assert_eq!(
        browser.shadow_texts("#chimpassist", ".log li").await,
        ["hello", "again"]
    );
    assert_eq!(browser.shadow_count("#chimpassist", ".log li").await, 2);

    browser
        .shadow_type("#chimpassist", ".entry", "by script")
        .await;
    assert_eq!(
        browser.shadow_text("#chimpassist", ".echo").await,
        "typed: by script"
    );

    let root = browser.shadow("#chimpassist").await;
    let button = root
        .find(chimpassist_e2e::Locator::Css(".count"))
        .await
        .expect("button in the shadow root");
    assert_eq!(button.text().await.expect("button text"), "1");

    let logs = browser.console_logs().await;
    assert!(
        logs.iter().any(|entry| entry["message"]
            .as_str()
            .unwrap_or_default()
            .contains("shadow ready")),
        "{logs:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn set_viewport_sizes_the_page_not_the_window() {
    let host = HostPage::serve("<!doctype html><title>Phone</title><p>small</p>").await;
    let browser = Browser::new().await;
    browser.goto(&host.url("/")).await;
    browser.set_viewport(375, 667).await;
    assert_eq!(
        browser
            .eval("[window.innerWidth, window.innerHeight]")
            .await,
        json!([375, 667])
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_server_keeps_its_port_and_its_data() {
    let mut server = ChimpServer::start_without_widget().await;
    let port = server.port();
    let admin = Attendant::admin(&server).await;
    let id =
        chimpassist_e2e::create_attendant(&server, admin.cookie(), "ana@example.com", "Ana").await;
    admin.close().await;

    server.restart().await;

    assert_eq!(server.port(), port);
    let ana = Attendant::login(
        &server,
        "ana@example.com",
        chimpassist_e2e::ATTENDANT_PASSWORD,
    )
    .await;
    assert_eq!(ana.id(), id);
    ana.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_attendant_helpers_follow_a_conversation_to_its_end() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let server = ChimpServer::start_without_widget().await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;

    let (mut customer, _) = tokio_tungstenite::connect_async(server.ws_url("/ws/customer"))
        .await
        .expect("customer socket");
    for frame in [
        json!({"type": "hello", "protocol": 1, "resume": []}),
        json!({"type": "start_chat"}),
    ] {
        customer
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("customer send");
    }

    let conversation = attendant.wait_assigned().await;
    attendant
        .typing(&conversation, chimpassist_e2e::TypingState::Composing)
        .await;
    let seq = attendant
        .send(&conversation, "Hello, how can I help?")
        .await;
    assert!(seq > 0);

    // The customer sees the message (frames before it are skipped).
    loop {
        let message = tokio::time::timeout(chimpassist_e2e::WAIT, customer.next())
            .await
            .expect("a customer frame in time")
            .expect("customer socket open")
            .expect("customer frame");
        if let Message::Text(text) = message {
            let frame: serde_json::Value = serde_json::from_str(&text).expect("json");
            if frame["type"] == "message" {
                assert_eq!(frame["message"]["text"], "Hello, how can I help?");
                break;
            }
        }
    }

    attendant.read(&conversation, seq).await;
    attendant.resolve(&conversation).await;
    attendant.close().await;
    server.stop().await;
}
