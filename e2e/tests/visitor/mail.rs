//! E-mail in the browser: the visitor leaves an address in the chat, leaves the site, gets
//! the attendant's reply by e-mail (aiosmtpd), and the mail's link opens the widget on that
//! conversation, where the chat goes on.

use std::time::Duration;

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, Key, snippet};
use chimpassist_server::config::Schedule;
use chimpassist_server::services::smtp::Smtp;
use secrecy::SecretString;
use serde_json::json;

const W: &str = "#chimpassist";

/// Types `text` in the composer and sends it with Enter.
async fn say(browser: &Browser, text: &str) {
    let line = format!("{text}{}", char::from(Key::Enter));
    browser
        .shadow_send_keys(W, ".ca-composer textarea", &line)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_mailed_to_a_visitor_who_left_reopens_the_chat_from_its_link() {
    let smtp = Smtp::start().await.expect("aiosmtpd");
    let smtp_url = smtp.url();
    let server = ChimpServer::start_with(|c| {
        c.smtp_url = Some(SecretString::from(smtp_url));
        c.public_url = Some("https://chat.acme.test".into());
        c.email_away_seconds = 1;
        c.webhook_poll_ms = 50;
        c.webhook_retry_schedule = Schedule(vec![Duration::ZERO, Duration::from_millis(200)]);
    })
    .await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"title": "Help"}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    // A guest skips the address in the pre-chat form, and leaves it in the chat.
    browser.open_widget(&host.cross_site_url("/")).await;
    browser.shadow_send_keys(W, "input[name=name]", "Zoë").await;
    browser.shadow_click(W, "button.ca-start").await;
    let conversation = attendant.wait_assigned().await;
    browser.wait_shadow(W, ".ca-email").await;
    browser
        .shadow_send_keys(W, ".ca-email input[name=email]", "zoe@example.com")
        .await;
    browser.screenshot("widget-email").await;
    browser.shadow_click(W, ".ca-email button").await;
    browser.wait_shadow_gone(W, ".ca-email").await;
    say(&browser, "Has my parcel left?").await;
    attendant
        .wait_for("her message", |f| {
            f["type"] == "message" && f["message"]["text"] == "Has my parcel left?"
        })
        .await;

    // She leaves; the reply reaches her by e-mail.
    browser.goto("about:blank").await;
    attendant.send(&conversation, "Yes, it left today.").await;
    let mail = smtp.wait_for(1).await.remove(0);
    assert!(mail.header("To").unwrap().contains("zoe@example.com"));
    let text = mail.text();
    assert!(text.contains("Yes, it left today."), "{text}");
    let token = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("Continue the conversation: https://chat.acme.test/mail/open#")
        })
        .unwrap_or_else(|| panic!("a link in {text}"))
        .trim()
        .to_owned();

    // The link (on this server's address) opens the chat on that conversation.
    browser
        .goto(&server.url(&format!("/mail/open#{token}")))
        .await;
    browser.wait_shadow(W, ".ca-panel.open").await;
    browser
        .wait_shadow_text(W, ".ca-log", "Yes, it left today.")
        .await;
    let address = browser.eval("location.href").await;
    assert!(
        !address.as_str().unwrap_or_default().contains('#'),
        "the token is taken off the address bar: {address}"
    );
    browser.screenshot("widget-reopened-from-mail").await;
    say(&browser, "Thank you!").await;
    let answer = attendant
        .wait_for("her answer", |f| {
            f["type"] == "message" && f["message"]["text"] == "Thank you!"
        })
        .await;
    assert_eq!(answer["message"]["conversation"], conversation.as_str());

    // An expired or altered link says so (from another page: a new fragment alone would
    // not load the page again).
    browser.goto("about:blank").await;
    browser
        .goto(&server.url(&format!("/mail/open#{token}x")))
        .await;
    browser.wait_for("#failed[style*=block]").await;
    browser.close().await;
}
