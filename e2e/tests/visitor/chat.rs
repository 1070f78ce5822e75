//! The customer widget in headless Chromium, on a host page of another origin, against the
//! real server; the attendant side is driven over the attendant WebSocket.
//!
//! Screenshots of the main states go to docs/screenshots/widget-*.png.

use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, Key, TypingState, snippet};
use serde_json::{Value, json};

const W: &str = "#chimpassist";

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
    // Notes when the bubble's host element appears, to report the loader's cost.
    let watch = "<script>new MutationObserver(() => { if (!window.bubbleAt && document.getElementById('chimpassist')) \
                 window.bubbleAt = performance.now(); }).observe(document.documentElement, {childList: true, subtree: true});</script>";
    let page = snippet(&server.origin(), json!({"title": "Help"}))
        .replace("<h1>", &format!("{watch}<h1>"));
    let host = HostPage::serve(page).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    browser.goto(&host.cross_site_url("/")).await;
    browser.wait_shadow(W, "[data-testid=launcher]").await;
    let timing = browser
        .eval(&format!(
            "(() => {{ const e = performance.getEntriesByName({:?})[0]; \
             return {{requested: e.startTime, loaded: e.responseEnd, bubble: window.bubbleAt}}; }})()",
            server.url("/widget.js")
        ))
        .await;
    let ms = |k: &str| timing[k].as_f64().expect("timing");
    println!(
        "bubble visible {:.1} ms after widget.js arrived ({:.1} ms after it was requested)",
        ms("bubble") - ms("loaded"),
        ms("bubble") - ms("requested")
    );
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

    browser.shadow_click(W, "[data-testid=launcher]").await;
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

#[tokio::test(flavor = "multi_thread")]
async fn reload_keeps_history_and_a_server_restart_loses_nothing() {
    let mut server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;
    let url = host.cross_site_url("/");

    browser.open_widget(&url).await;
    let conversation = start_chat(&browser, &mut attendant, Some("Ada")).await;
    attendant.send(&conversation, "first from attendant").await;
    browser
        .wait_shadow_text(W, ".ca-log", "first from attendant")
        .await;
    let enter = char::from(Key::Enter).to_string();
    browser
        .shadow_send_keys(
            W,
            ".ca-composer textarea",
            &format!("first from visitor{enter}"),
        )
        .await;
    let seq = attendant
        .wait_for("visitor message", |f| {
            f["type"] == "message" && f["message"]["text"] == "first from visitor"
        })
        .await["message"]["seq"]
        .as_u64()
        .expect("seq");
    attendant.read(&conversation, seq).await;
    browser.wait_shadow(W, ".ca-msg.me .ca-tick.read").await;

    // Reload: same visitor (token in localStorage), history and read ticks back.
    browser.open_widget(&url).await;
    browser
        .wait_shadow_text(W, ".ca-log", "first from visitor")
        .await;
    browser.wait_shadow(W, ".ca-msg.me .ca-tick.read").await;
    assert_eq!(
        message_texts(&browser).await,
        vec!["first from attendant", "first from visitor"]
    );

    // The server goes away: the widget says so, keeps what the visitor types as pending…
    server.pause().await;
    browser.wait_shadow(W, ".ca-banner.warn").await;
    browser
        .shadow_send_keys(
            W,
            ".ca-composer textarea",
            &format!("typed while offline{enter}"),
        )
        .await;
    browser.wait_shadow(W, ".ca-msg.me .ca-tick.pending").await;
    browser.screenshot("widget-reconnecting").await;

    // …and after the restart sends it once, with nothing lost or doubled on either side.
    server.resume().await;
    browser.wait_shadow(W, ".ca-conn.online").await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    browser.wait_shadow_gone(W, ".ca-tick.pending").await;
    attendant.send(&conversation, "after the restart").await;
    browser
        .wait_shadow_text(W, ".ca-log", "after the restart")
        .await;
    assert_eq!(
        message_texts(&browser).await,
        vec![
            "first from attendant",
            "first from visitor",
            "typed while offline",
            "after the restart"
        ]
    );
    let page: Value = reqwest::Client::new()
        .get(server.url(&format!("/session/{conversation}/messages")))
        .header("cookie", attendant.cookie())
        .send()
        .await
        .expect("history request")
        .json()
        .await
        .expect("history json");
    let stored: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        stored
            .iter()
            .filter(|t| **t == "typed while offline")
            .count(),
        1,
        "stored exactly once: {stored:?}"
    );

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn user_data_is_used_and_another_id_sees_none_of_the_first_history() {
    let server = ChimpServer::start().await;
    let page = |id: &str, name: &str| {
        snippet(&server.origin(), json!({})).replace(
            "<script>window.ChimpAssistConfig",
            &format!(
                "<script>localStorage.userData = JSON.stringify({{id: {id:?}, name: {name:?}, avatarURL: ''}});</script>\
                 <script>window.ChimpAssistConfig"
            ),
        )
    };
    let host = HostPage::serve_pages([
        ("/ada".to_owned(), page("site-1", "Ada Lovelace")),
        ("/bob".to_owned(), page("site-2", "Bob Builder")),
    ])
    .await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    browser.open_widget(&host.cross_site_url("/ada")).await;
    assert!(
        !browser.shadow_query(W, "input[name=name]").await,
        "the name is known from userData and not asked"
    );
    browser
        .shadow_send_keys(W, "textarea[name=problem]", "Where is my order?")
        .await;
    browser.shadow_click(W, "button.ca-start").await;
    let assigned = attendant
        .wait_for("assignment", |f| f["type"] == "assigned")
        .await;
    assert_eq!(
        assigned["conversation"]["customer"]["name"], "Ada Lovelace",
        "{assigned}"
    );
    let conversation = assigned["conversation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    attendant.send(&conversation, "secret for Ada").await;
    browser
        .wait_shadow_text(W, ".ca-log", "secret for Ada")
        .await;

    // Same browser, same localStorage, another site user without verification.
    browser.open_widget(&host.cross_site_url("/bob")).await;
    browser.wait_shadow(W, "button.ca-start").await;
    assert_eq!(browser.shadow_count(W, ".ca-msg").await, 0);
    assert!(
        !browser
            .shadow_texts(W, ".ca-panel")
            .await
            .concat()
            .contains("secret for Ada"),
        "Bob must not see Ada's conversation"
    );

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_chat_asks_for_a_rating_and_starting_again_opens_a_new_one() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    let browser = Browser::new().await;

    browser.open_widget(&host.cross_site_url("/")).await;
    let first = start_chat(&browser, &mut attendant, Some("Rita")).await;
    browser.shadow_click(W, "button.ca-end").await;
    browser.wait_shadow(W, ".ca-rating").await;
    browser
        .shadow_click(W, ".ca-stars button[data-score='4']")
        .await;
    browser
        .shadow_send_keys(W, ".ca-rating textarea", "Quick and kind")
        .await;
    browser.screenshot("widget-rating").await;
    browser.shadow_click(W, "button.ca-rate").await;
    browser.wait_shadow(W, ".ca-thanks").await;
    let rated = attendant
        .wait_for("rating", |f| {
            f["type"] == "conversation" && !f["conversation"]["rating"].is_null()
        })
        .await;
    assert_eq!(rated["conversation"]["rating"]["score"], 4);
    assert_eq!(rated["conversation"]["rating"]["comment"], "Quick and kind");

    browser.shadow_click(W, "button.ca-new").await;
    browser.wait_shadow(W, "button.ca-start").await;
    browser.shadow_click(W, "button.ca-start").await;
    let second = attendant.wait_assigned().await;
    assert_ne!(
        first, second,
        "a new conversation, not the old one reopened"
    );
    browser.wait_shadow(W, ".ca-composer textarea").await;
    assert_eq!(browser.shadow_count(W, ".ca-msg").await, 0);

    browser.close().await;
    attendant.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_online_offers_a_callback_in_the_visitors_language() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"locale": "pt-BR"}))).await;
    let browser = Browser::new().await;

    browser.open_widget(&host.cross_site_url("/")).await;
    browser.wait_shadow(W, ".ca-offline").await;
    assert_eq!(
        browser.shadow_text(W, "button.ca-start").await,
        "Deixar uma mensagem"
    );
    browser.shadow_click(W, "button.ca-callback").await;
    browser
        .shadow_send_keys(W, ".ca-callback-form input[name=name]", "Zé")
        .await;
    browser
        .shadow_send_keys(W, ".ca-callback-form input[name=phone]", "+55 11 5555-0000")
        .await;
    browser.screenshot("widget-callback").await;
    browser
        .shadow_click(W, ".ca-callback-form button[type=submit]")
        .await;
    browser
        .wait_shadow_text(W, ".ca-note", "Vamos ligar para você")
        .await;
    let cookie = chimpassist_e2e::admin_cookie(&server).await;
    let callbacks: Value = reqwest::Client::new()
        .get(server.url("/api/callbacks"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("callbacks request")
        .json()
        .await
        .expect("callbacks json");
    assert!(
        callbacks.to_string().contains("+55 11 5555-0000"),
        "{callbacks}"
    );

    // Narrow phones get the chat full-screen.
    browser.set_viewport(375, 667).await;
    let width = browser
        .eval("document.querySelector('#chimpassist').shadowRoot.querySelector('.ca-panel').getBoundingClientRect().width")
        .await;
    assert_eq!(width, 375);
    browser.screenshot("widget-mobile").await;

    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_business_hours_the_widget_says_when_it_opens_and_offers_the_forms() {
    let server = ChimpServer::start().await;
    let mut attendant = Attendant::admin(&server).await;
    attendant.online().await;
    // Open all day every day in UTC, but today and tomorrow are holidays: someone is online,
    // yet the queue is closed until the day after tomorrow.
    let cookie = chimpassist_e2e::admin_cookie(&server).await;
    let day = |offset: u64| {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 86_400
            + offset;
        civil(days)
    };
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"day": d, "open": "00:00", "close": "24:00"}))
        .collect();
    let saved = reqwest::Client::new()
        .put(server.url("/api/queues/default"))
        .header("cookie", cookie)
        .json(&json!({"id": "default", "name": "Default", "mode": "auto",
            "hours": {"time_zone": "UTC", "weekly": weekly, "holidays": [day(0), day(1)]}}))
        .send()
        .await
        .expect("queue request");
    assert_eq!(saved.status(), 200);
    let stats: Value = reqwest::get(server.url("/api/stats/default"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let opens_at = stats["opens_at"].as_f64().expect("opens_at");
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let browser = Browser::new().await;
    browser.open_widget(&host.cross_site_url("/")).await;
    browser.wait_shadow(W, ".ca-offline").await;
    browser
        .wait_shadow_text(W, ".ca-offline", "We're closed now. We open ")
        .await;
    // The day of the opening, as the visitor's browser counts days.
    let date = browser
        .eval(&format!("String(new Date({opens_at}).getDate())"))
        .await;
    let said = browser.shadow_text(W, ".ca-offline").await;
    let date = date.as_str().unwrap();
    assert!(
        said.split(|c: char| !c.is_ascii_digit()).any(|n| n == date),
        "{said}: the day of the month, {date}, of {opens_at}"
    );
    assert_eq!(
        browser.shadow_text(W, "button.ca-start").await,
        "Leave a message"
    );
    browser.wait_shadow(W, "button.ca-callback").await;
    browser.screenshot("widget-closed").await;
    browser.close().await;
    server.stop().await;
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
