//! The attendant back-office in headless Chromium against the real server, with a customer
//! in a second browser using the widget on a host page of another origin.
//!
//! Screenshots of the main screens go to docs/screenshots/backoffice-*.png.

use chimpassist_e2e::{
    ADMIN_PASSWORD, ATTENDANT_PASSWORD, Attendant, Browser, ChimpServer, HostPage, Key,
    create_attendant, login_cookie, snippet,
};
use serde_json::{Value, json};

const W: &str = "#chimpassist";
const NEW_ADMIN_PASSWORD: &str = "a-much-better-one";

fn enter() -> String {
    char::from(Key::Enter).to_string()
}

/// Signs in through the login page and waits for the attendant screen.
async fn sign_in(browser: &Browser, server: &ChimpServer, email: &str, password: &str) {
    browser.goto(&server.url("/")).await;
    browser
        .type_into(".ba-login input[name=email]", email)
        .await;
    browser
        .type_into(".ba-login input[name=password]", password)
        .await;
    browser.click(".ba-login button[type=submit]").await;
}

/// The first sign-in of `admin`/`admin`: the app insists on a new password first.
async fn first_admin_sign_in(browser: &Browser, server: &ChimpServer) {
    browser.goto(&server.url("/")).await;
    browser.wait_for(".ba-login form").await;
    browser.screenshot("backoffice-login").await;
    sign_in(browser, server, "admin", "wrong").await;
    browser.wait_text(".ba-login .ba-error", "wrong").await;
    browser
        .execute(
            "document.querySelector('.ba-login input[name=password]').value = '';",
            vec![],
        )
        .await;
    browser
        .type_into(".ba-login input[name=password]", "admin")
        .await;
    browser.click(".ba-login button[type=submit]").await;
    browser.wait_for("input[name=current]").await;
    browser.type_into("input[name=current]", "admin").await;
    browser
        .type_into("input[name=new]", NEW_ADMIN_PASSWORD)
        .await;
    browser
        .type_into("input[name=again]", NEW_ADMIN_PASSWORD)
        .await;
    browser.click(".ba-card button[type=submit]").await;
    browser.wait_for(".ba-shell .ba-lists").await;
}

async fn go_online(browser: &Browser) {
    browser.click(".ba-presence .ba-online").await;
    browser.wait_for(".ba-presence.online").await;
}

/// Opens the widget on a host page and starts a chat from its pre-chat form.
async fn customer_starts_chat(customer: &Browser, host: &HostPage, name: &str, problem: &str) {
    customer.open_widget(&host.cross_site_url("/")).await;
    customer.shadow_send_keys(W, "input[name=name]", name).await;
    customer
        .shadow_send_keys(W, "textarea[name=problem]", problem)
        .await;
    customer.shadow_click(W, "button.ca-start").await;
    customer.wait_shadow(W, ".ca-composer textarea").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_chat_from_login_to_rating() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({"title": "Help"}))).await;
    let office = Browser::new().await;

    first_admin_sign_in(&office, &server).await;
    let admin_cookie = login_cookie(&server, "admin", NEW_ADMIN_PASSWORD).await;
    let bob_id = create_attendant(&server, &admin_cookie, "bob@example.com", "Bob").await;
    let me: Value = reqwest::Client::new()
        .get(server.url("/api/me"))
        .header("cookie", &admin_cookie)
        .send()
        .await
        .expect("GET /api/me")
        .json()
        .await
        .expect("me as JSON");
    let admin_id = me["id"].as_str().expect("admin id").to_owned();
    let canned = reqwest::Client::new()
        .post(server.url("/api/canned"))
        .header("cookie", &admin_cookie)
        .json(&json!({"shortcut": "thanks", "text": "Thank you for waiting!"}))
        .send()
        .await
        .expect("creating a canned response");
    assert_eq!(canned.status(), 201);
    // Reload so the composer knows the canned response created behind its back.
    office.goto(&server.url("/")).await;
    go_online(&office).await;

    // The customer writes; the conversation is assigned and opens by itself.
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Maria", "My order is late").await;
    office
        .wait_text(".ba-online .ba-item .ba-name", "Maria")
        .await;
    office.wait_text(".ba-chat-header h2", "Maria").await;
    office.wait_text(".ba-subject", "My order is late").await;

    // Typing shows on the attendant's side.
    customer
        .shadow_send_keys(W, ".ca-composer textarea", "Are you th")
        .await;
    office.wait_for(".ba-typing-line").await;
    customer
        .shadow_send_keys(W, ".ca-composer textarea", &format!("ere?{}", enter()))
        .await;
    office
        .wait_text(".ba-msg.theirs .ba-text", "Are you there?")
        .await;

    // A reply, by a canned response: `/thanks` + Enter fills it in, Enter sends it.
    office.type_into(".ba-composer textarea", "/than").await;
    office.wait_text(".ba-canned", "/thanks").await;
    office.type_into(".ba-composer textarea", &enter()).await;
    office
        .wait_until(
            "document.querySelector('.ba-composer textarea').value === 'Thank you for waiting!'",
        )
        .await;
    office.type_into(".ba-composer textarea", &enter()).await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Thank you for waiting!")
        .await;
    // The widget is open and visible, so it reads at once: the reply gets the read tick.
    office.wait_for(".ba-msg.ours .ba-tick.read").await;

    // Markup typed by the attendant is shown as text on both sides.
    let markup = "<img src=x onerror=\"window.pwned=1\"><b>bold</b>";
    office
        .type_into(".ba-composer textarea", &format!("{markup}{}", enter()))
        .await;
    office.wait_text(".ba-msg.ours .ba-text", markup).await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", markup)
        .await;
    assert_eq!(office.count(".ba-text img, .ba-text b").await, 0);
    assert_eq!(
        office.eval("window.pwned === undefined").await,
        Value::Bool(true)
    );
    assert_eq!(
        customer.eval("window.pwned === undefined").await,
        Value::Bool(true)
    );

    // A private note: shown to attendants, never to the customer.
    office.click(".ba-note-toggle").await;
    office
        .type_into(
            ".ba-composer textarea",
            &format!("VIP customer, be quick{}", enter()),
        )
        .await;
    office
        .wait_text(".ba-msg.note .ba-text", "VIP customer")
        .await;
    office.screenshot("backoffice-chat").await;
    let customer_texts = customer.shadow_texts(W, ".ca-msg .ca-text").await;
    assert!(
        customer_texts.iter().all(|t| !t.contains("VIP")),
        "the customer saw a private note: {customer_texts:?}"
    );
    office.click(".ba-mode button:first-child").await;

    // Transfer to Bob: it leaves my lists and reaches him.
    let mut bob = Attendant::login(&server, "bob@example.com", ATTENDANT_PASSWORD).await;
    bob.online().await;
    office
        .select_option(".ba-transfer", &format!("a:{bob_id}"))
        .await;
    let conversation = bob.wait_assigned().await;
    office.wait_gone(".ba-online .ba-item").await;
    office
        .wait_text(".ba-not-yours", "not assigned to you")
        .await;

    // Bob hands it back; I resolve it; the customer rates it and I see the rating.
    bob.send_frame(json!({"type": "transfer", "conversation": conversation,
        "to": {"attendant": admin_id}}))
        .await;
    office.wait_for(".ba-online .ba-item").await;
    office.wait_for(".ba-composer textarea").await;
    office.click(".ba-resolve").await;
    office.wait_for(".ba-ended").await;
    customer.wait_shadow(W, ".ca-rating").await;
    customer
        .shadow_click(W, ".ca-stars button[data-score='4']")
        .await;
    customer
        .shadow_send_keys(W, ".ca-rating textarea", "Quick and kind")
        .await;
    customer.shadow_click(W, "button.ca-rate").await;
    office.wait_text(".ba-csat", "★★★★").await;
    office.wait_text(".ba-csat", "Quick and kind").await;

    // Resolved conversations stay findable: by message text, and in my recent ones.
    office.type_into(".ba-search input", "you there").await;
    office.wait_text(".ba-results .ba-name", "Maria").await;
    office.click(".ba-recent-toggle").await;
    office.wait_text(".ba-recent .ba-stars", "★★★★").await;

    // The admin pages: a new attendant created from the form appears in the table.
    office.click(".ba-nav-admin").await;
    office.wait_for(".ba-admin-attendants").await;
    office
        .type_into(
            "form.ba-new-attendant input[name=email]",
            "carla@example.com",
        )
        .await;
    office
        .type_into("form.ba-new-attendant input[name=name]", "Carla")
        .await;
    office
        .type_into(
            "form.ba-new-attendant input[name=password]",
            "carla-secret-1",
        )
        .await;
    office
        .click("form.ba-new-attendant button[type=submit]")
        .await;
    office
        .wait_text(".ba-admin-attendants tr", "carla@example.com")
        .await;
    office.screenshot("backoffice-admin").await;

    let errors: Vec<Value> = office
        .console_logs()
        .await
        .into_iter()
        // 401s from signing in with a wrong password, and from asking whether we are
        // signed in before we are, are expected; script errors are not.
        .filter(|e| e["level"] == "SEVERE" && e["source"] != "network")
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    bob.close().await;
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn manual_queue_next_customer() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let queue = reqwest::Client::new()
        .put(server.url("/api/queues/default"))
        .header("cookie", &admin_cookie)
        .json(&json!({"id": "default", "name": "Support", "mode": "manual"}))
        .send()
        .await
        .expect("switching the queue to manual");
    assert!(queue.status().is_success(), "{}", queue.status());

    let office = Browser::new().await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Rui", "Where is my refund?").await;

    // Waiting, with its wait time, until I take it.
    office
        .wait_text(".ba-waiting .ba-item .ba-name", "Rui")
        .await;
    office
        .wait_text(".ba-waiting .ba-item .ba-time", "waiting")
        .await;
    office.screenshot("backoffice-queue").await;
    office.click(".ba-next").await;
    office
        .wait_text(".ba-online .ba-item .ba-name", "Rui")
        .await;
    assert_eq!(office.count(".ba-waiting .ba-item").await, 0);
    customer.wait_shadow_text(W, ".ca-subtitle", "Ana").await;
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_pages_are_for_admins_only_in_the_forced_language() {
    let server = ChimpServer::start_with(|c| {
        c.force_i18n_language = Some(chimpassist_server::config::UiLanguage::PtBr);
    })
    .await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "eve@example.com", "Eve").await;

    let office = Browser::new().await;
    sign_in(&office, &server, "eve@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    assert_eq!(
        office.count(".ba-nav-admin").await,
        0,
        "no admin link for attendants"
    );
    office.goto(&server.url("/#/admin/attendants")).await;
    office.wait_for(".ba-forbidden").await;
    assert_eq!(office.count(".ba-admin-attendants").await, 0);
    // The server refuses too, whatever the page does.
    let status = office
        .client()
        .execute_async(
            "fetch('/api/attendants').then(r => arguments[0](r.status));",
            vec![],
        )
        .await
        .expect("fetch from the page");
    assert_eq!(status, json!(403));
    office.close().await;
}

/// The site's statistics endpoints (seed format), answering for any customer.
fn fake_statistics() -> axum::Router {
    use axum::Json;
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/chimpassist/{id}/contactInfo",
            get(|| async { Json(json!({"e-mail": "maria@example.com", "phone1": "+55 61 5555 0101", "phone2": ""})) }),
        )
        .route(
            "/chimpassist/{id}/additionalInfo",
            get(|| async {
                Json(json!([
                    {"label": "customer since", "value": "14/09/2014"},
                    {"label": "left empty", "value": ""}
                ]))
            }),
        )
        .route("/chimpassist/{id}/statistics", get(statistics))
}

/// Days since 1970-01-01 of a `YYYYMMDD-HH:MM:SS` stamp (the proxy's date format).
fn day_number(stamp: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| stamp[r].parse::<i64>().expect("a date stamp");
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Statistics whose series has one point per day of the asked range (at least 5), so the
/// page shows which range it asked for.
async fn statistics(
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::Json<Value> {
    let days = match (q.get("start_date_time"), q.get("end_date_time")) {
        (Some(a), Some(b)) => day_number(b) - day_number(a),
        _ => 0,
    };
    let points: Vec<Value> = (0..days.max(5))
        .map(|i| json!({"x": format!("day {}", i + 1), "y": (i * 7) % 10}))
        .collect();
    axum::Json(json!([
        {"label": "Total items bought", "value": 42},
        {"label": "Unresolved tickets", "value": [
            {"url": "https://tickets.example.com/123", "label": "Error closing the cart"},
            {"url": "https://tickets.example.com/321", "label": "Card not accepted"}
        ]},
        {"label": "Visits per day", "value": points}
    ]))
}

/// The shop's secret for signing `userData` (`IDENTITY_SECRET`).
const IDENTITY_SECRET: &str = "e2e-identity-secret";

/// A host page of a signed-in shop user: `localStorage.userData` with the site id, name and
/// e-mail, and, when `signed`, `hash` = hex HMAC-SHA256([`IDENTITY_SECRET`], id) as the
/// shop's backend would print it (computed here by the page's WebCrypto). The widget's
/// loader is added once `userData` is set.
fn shop_user_page(server: &ChimpServer, id: &str, name: &str, email: &str, signed: bool) -> String {
    let user = json!({"id": id, "name": name, "email": email});
    let config = json!({"backendEndpoint": server.origin()});
    let secret = if signed {
        json!(IDENTITY_SECRET)
    } else {
        Value::Null
    };
    let loader = json!(server.url("/widget.js"));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Host shop</title></head>\
         <body><h1>Host shop</h1><script>\
         window.ChimpAssistConfig = {config};\
         (async () => {{\
           const user = {user}; const secret = {secret}; const bytes = new TextEncoder();\
           if (secret) {{\
             const key = await crypto.subtle.importKey('raw', bytes.encode(secret),\
               {{name: 'HMAC', hash: 'SHA-256'}}, false, ['sign']);\
             const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes.encode(user.id)));\
             user.hash = Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');\
           }}\
           localStorage.userData = JSON.stringify(user);\
           const loader = document.createElement('script'); loader.src = {loader};\
           document.body.appendChild(loader);\
         }})();</script></body></html>"
    )
}

/// Opens the widget on a page whose `userData` names the customer, and starts a chat (the
/// pre-chat form asks only for the problem).
async fn known_customer_starts_chat(customer: &Browser, url: &str, problem: &str) {
    customer.open_widget(url).await;
    customer
        .shadow_send_keys(W, "textarea[name=problem]", problem)
        .await;
    customer.shadow_click(W, "button.ca-start").await;
    customer.wait_shadow(W, ".ca-composer textarea").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_customer_panel_renders_every_statistic_shape() {
    let stats = HostPage::serve_router(fake_statistics()).await;
    let base = stats.url("/");
    let server = ChimpServer::start_with(|c| {
        c.statistics_base_endpoint = Some(base.parse().expect("statistics URL"));
        c.identity_secret = Some(IDENTITY_SECRET.to_owned().into());
    })
    .await;
    let host = HostPage::serve_pages([
        (
            "/maria".to_owned(),
            shop_user_page(&server, "42", "Maria", "maria@example.com", true),
        ),
        (
            "/rui".to_owned(),
            shop_user_page(&server, "43", "Rui", "rui@example.com", false),
        ),
    ])
    .await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;

    let office = Browser::new().await;
    office.set_viewport(1280, 720).await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    go_online(&office).await;
    let customer = Browser::new().await;
    known_customer_starts_chat(
        &customer,
        &host.cross_site_url("/maria"),
        "Where is my parcel?",
    )
    .await;
    office.wait_text(".ba-chat-header h2", "Maria").await;

    // The shop signed Maria's site id but not her name and e-mail (an HMAC covers the id
    // only): the ✓ goes by the id, and the name and e-mail say they are claims.
    office
        .wait_text(".ba-online .ba-item .ba-site-mark", "ID 42 ✓")
        .await;
    assert_eq!(office.count(".ba-online .ba-item .ba-id").await, 0);
    office
        .wait_text(".ba-panel-name .ba-claim", "(unverified)")
        .await;
    office
        .wait_text(".ba-panel-email .ba-claim", "(unverified)")
        .await;
    office.wait_for(".ba-panel-site .ba-id.verified").await;
    assert_eq!(office.count(".ba-panel-name .ba-id").await, 0);

    // Contact and additional info: values shown, empty ones hidden.
    office
        .wait_text(".ba-contact .ba-kv-value", "maria@example.com")
        .await;
    assert_eq!(office.count(".ba-contact .ba-kv-row").await, 2);
    office
        .wait_text(".ba-additional .ba-info-value", "14/09/2014")
        .await;
    assert_eq!(office.count(".ba-additional .ba-info-row").await, 1);

    // Each shape of statistic drawn its own way.
    office
        .wait_text("[data-shape=scalar] .ba-stat-value", "42")
        .await;
    let links = office
        .execute(
            "return [...document.querySelectorAll('[data-shape=links] a.ba-stat-link')].map(a => a.href);",
            vec![],
        )
        .await;
    assert_eq!(
        links,
        json!([
            "https://tickets.example.com/123",
            "https://tickets.example.com/321"
        ])
    );
    office.wait_for("[data-shape=chart] svg.ba-chart").await;
    assert_eq!(office.count("[data-shape=chart] .ba-point").await, 5);
    let titles = office.texts("[data-shape=chart] .ba-point title").await;
    assert_eq!(titles[3], "day 4: 1");
    office.screenshot("backoffice-panel").await;

    // The last 7 days: the endpoint is asked for that range, and the chart redraws.
    office.select_option(".ba-range-select", "7d").await;
    office
        .wait_until("document.querySelectorAll('[data-shape=chart] .ba-point').length === 7")
        .await;

    // A tablet: the lists and the chat stay usable.
    office.set_viewport(820, 1180).await;
    let chat_width = office
        .eval("document.querySelector('.ba-chat').getBoundingClientRect().width")
        .await;
    assert!(chat_width.as_f64().expect("width") > 400.0, "{chat_width}");
    office.screenshot("backoffice-tablet").await;

    // Rui's site id is only what his page claims: the site is not asked about him, and the
    // panel says why instead of showing an error.
    known_customer_starts_chat(&customer, &host.cross_site_url("/rui"), "Wrong size").await;
    office
        .wait_text(".ba-online .ba-item .ba-name", "Rui")
        .await;
    office
        .click(".ba-online .ba-item:has(.ba-id.unverified) button")
        .await;
    office.wait_text(".ba-panel-name", "Rui").await;
    for section in [".ba-contact", ".ba-additional", ".ba-statistics"] {
        office
            .wait_text(&format!("{section} .ba-panel-off"), "verified")
            .await;
    }
    assert_eq!(office.count(".ba-panel-error").await, 0);
    assert!(
        !stats.requests().iter().any(|r| r.contains("/43/")),
        "the site was asked about an unverified id: {:?}",
        stats.requests()
    );
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tabs_stay_in_step_and_survive_a_server_restart() {
    let mut server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let (tab_a, tab_b) = (Browser::new().await, Browser::new().await);
    for tab in [&tab_a, &tab_b] {
        sign_in(tab, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
        tab.wait_for(".ba-shell .ba-lists").await;
    }
    go_online(&tab_a).await;
    // Presence is the attendant's, not the tab's.
    tab_b.wait_for(".ba-presence.online").await;

    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Lia", "Broken zipper").await;
    for tab in [&tab_a, &tab_b] {
        tab.wait_text(".ba-online .ba-item .ba-name", "Lia").await;
        tab.wait_text(".ba-chat-header h2", "Lia").await;
    }
    tab_a
        .type_into(
            ".ba-composer textarea",
            &format!("Sorry to hear that{}", enter()),
        )
        .await;
    tab_b
        .wait_text(".ba-msg.ours .ba-text", "Sorry to hear that")
        .await;

    // The server goes away: both tabs say so; what is typed meanwhile waits, then goes once.
    server.pause().await;
    tab_a.wait_for(".ba-banner").await;
    tab_a
        .type_into(
            ".ba-composer textarea",
            &format!("Sending a new one today{}", enter()),
        )
        .await;
    tab_a
        .wait_for(".ba-msg.ours .ba-tick[aria-label=sending]")
        .await;
    server.resume().await;
    tab_a.wait_gone(".ba-banner").await;
    tab_a
        .wait_gone(".ba-msg.ours .ba-tick[aria-label=sending]")
        .await;
    customer
        .wait_shadow_text(W, ".ca-msg .ca-text", "Sending a new one today")
        .await;
    tab_b
        .wait_text(".ba-msg.ours .ba-text", "Sending a new one today")
        .await;
    // Stored exactly once, as the server's history says.
    let conversation = tab_a
        .eval("document.querySelector('.ba-online .ba-item').dataset.conversation")
        .await;
    let history: Value = reqwest::Client::new()
        .get(server.url(&format!(
            "/session/{}/messages",
            conversation.as_str().expect("conversation id")
        )))
        .header("cookie", &admin_cookie)
        .send()
        .await
        .expect("history")
        .json()
        .await
        .expect("history as JSON");
    let copies = history["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["text"] == "Sending a new one today")
        .count();
    assert_eq!(copies, 1, "{history}");
    assert_eq!(
        tab_a.texts(".ba-msg.ours .ba-text").await,
        ["Sorry to hear that", "Sending a new one today"],
        "each message once, in order"
    );
    // The customer leaves: the conversation moves to the offline list, with when last seen.
    customer.close().await;
    tab_a
        .wait_text(".ba-offline .ba-item .ba-name", "Lia")
        .await;
    tab_a
        .wait_text(".ba-chat-meta .ba-last-seen", "last seen")
        .await;
    tab_a.close().await;
    tab_b.close().await;
}

/// The site's authentication hook: one known user.
fn fake_auth() -> axum::Router {
    use axum::Json;
    use axum::http::StatusCode;
    use axum::routing::post;
    axum::Router::new().route(
        "/chimpassist/auth",
        post(|Json(body): Json<Value>| async move {
            if body == json!({"email": "sso@example.com", "password": "from-the-site"}) {
                Ok(Json(
                    json!({"id": 77, "name": "Sofia Site", "email": "sso@example.com"}),
                ))
            } else {
                Err(StatusCode::UNAUTHORIZED)
            }
        }),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn external_authentication_signs_in_through_the_same_form() {
    let hook = HostPage::serve_router(fake_auth()).await;
    let base = hook.url("/");
    let server = ChimpServer::start_with(|c| {
        c.authentication_endpoint = Some(base.parse().expect("hook URL"));
    })
    .await;
    let office = Browser::new().await;
    sign_in(&office, &server, "sso@example.com", "nope").await;
    office.wait_text(".ba-login .ba-error", "wrong").await;
    office
        .execute(
            "document.querySelector('.ba-login input[name=password]').value = '';",
            vec![],
        )
        .await;
    office
        .type_into(".ba-login input[name=password]", "from-the-site")
        .await;
    office.click(".ba-login button[type=submit]").await;
    office.wait_text(".ba-me-name", "Sofia Site").await;
    assert!(hook.requests().iter().any(|r| r == "/chimpassist/auth"));
    office.close().await;
}

/// `PATCH /api/attendants/{id}` as an admin.
async fn patch_attendant(server: &ChimpServer, admin_cookie: &str, id: &str, body: Value) {
    let response = reqwest::Client::new()
        .patch(server.url(&format!("/api/attendants/{id}")))
        .header("cookie", admin_cookie)
        .json(&body)
        .send()
        .await
        .expect("PATCH /api/attendants/{id}");
    assert_eq!(
        response.status(),
        200,
        "changing attendant {id} with {body}"
    );
}

/// From now on the page counts the WebSockets it opens (`window.__sockets`), its requests
/// to `/api/me` (`window.__me`), and remembers whether the connection banner or the sign-in
/// page ever showed (`window.__seen`). All of it is lost if the page reloads, which is the
/// point: these tests also check that it never does.
async fn watch_page(office: &Browser) {
    office
        .execute(
            "window.__sockets = 0; window.__me = 0; window.__seen = {banner: false, login: false};\
             window.WebSocket = new Proxy(window.WebSocket, {construct(target, args) {\
               window.__sockets += 1; return Reflect.construct(target, args); }});\
             const realFetch = window.fetch;\
             window.fetch = function (input, init) {\
               const url = typeof input === 'string' ? input : input.url;\
               if (new URL(url, location.href).pathname === '/api/me') window.__me += 1;\
               return realFetch.call(this, input, init); };\
             const look = () => {\
               if (document.querySelector('.ba-banner')) window.__seen.banner = true;\
               if (document.querySelector('.ba-login')) window.__seen.login = true; };\
             new MutationObserver(look).observe(document.body, {childList: true, subtree: true});",
            vec![],
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_disabled_by_an_admin_is_back_at_sign_in_at_once_saying_why() {
    let server = ChimpServer::start().await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    let (ana, office) = ana_beside_a_sales_queue(&server, &admin_cookie).await;
    go_online(&office).await;
    watch_page(&office).await;

    patch_attendant(&server, &admin_cookie, &ana, json!({"disabled": true})).await;
    office
        .wait_text(
            ".ba-login .ba-session-ended",
            "Your session ended. Sign in again.",
        )
        .await;
    // Straight there: the same page (no reload), no reconnection tried, not even a question
    // to the server first, and no "connection lost" on the way.
    let watched = office
        .eval("[window.__sockets, window.__me, window.__seen && window.__seen.banner]")
        .await;
    assert_eq!(watched, json!([0, 0, false]), "sockets, /api/me, banner");
    assert_eq!(office.count(".ba-shell").await, 0);
    office.screenshot("backoffice-session-ended").await;

    // Disabled reads like a wrong password now; the notice stays until a sign-in succeeds.
    office
        .type_into(".ba-login input[name=email]", "ana@example.com")
        .await;
    office
        .type_into(".ba-login input[name=password]", ATTENDANT_PASSWORD)
        .await;
    office.click(".ba-login button[type=submit]").await;
    office.wait_text(".ba-login .ba-error", "wrong").await;
    assert_eq!(office.count(".ba-login .ba-session-ended").await, 1);
    office.close().await;
}

/// A queue `sales` beside `default`, and Ana (of `default`) signed in in a browser; her id and
/// the browser.
async fn ana_beside_a_sales_queue(server: &ChimpServer, admin_cookie: &str) -> (String, Browser) {
    let sales = reqwest::Client::new()
        .put(server.url("/api/queues/sales"))
        .header("cookie", admin_cookie)
        .json(&json!({"id": "sales", "name": "Sales", "mode": "auto"}))
        .send()
        .await
        .expect("creating the sales queue");
    assert!(sales.status().is_success(), "{}", sales.status());
    let ana = create_attendant(server, admin_cookie, "ana@example.com", "Ana").await;
    let office = Browser::new().await;
    sign_in(&office, server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    (ana, office)
}

#[tokio::test(flavor = "multi_thread")]
async fn new_queues_or_a_new_role_keep_the_attendant_signed_in_and_connected() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    let sales = reqwest::Client::new()
        .put(server.url("/api/queues/sales"))
        .header("cookie", &admin_cookie)
        .json(&json!({"id": "sales", "name": "Sales", "mode": "auto"}))
        .send()
        .await
        .expect("creating the sales queue");
    assert!(sales.status().is_success(), "{}", sales.status());
    let ana = create_attendant(&server, &admin_cookie, "ana@example.com", "Ana").await;
    let office = Browser::new().await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    assert_eq!(office.count(".ba-nav-admin").await, 0);
    office.click(".ba-presence .ba-away").await;
    office.wait_for(".ba-presence.away").await;

    // Nobody is online: the customer waits in Ana's queue, and she looks at it.
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Rui", "Where is my refund?").await;
    office.click(".ba-waiting .ba-item button").await;
    office.wait_text(".ba-chat-header h2", "Rui").await;
    watch_page(&office).await;

    // Her queues change: the socket is cut (4403) and comes back at once with the new ones.
    // The conversation of a queue no longer hers leaves the list and the chat pane.
    patch_attendant(&server, &admin_cookie, &ana, json!({"queues": ["sales"]})).await;
    office.wait_until("window.__sockets === 1").await;
    office.wait_gone(".ba-waiting .ba-item").await;
    office.wait_gone(".ba-chat-header").await;
    office.wait_for(".ba-chat .ba-placeholder").await;
    // Connected: the server takes her presence.
    go_online(&office).await;

    // A new role: the Administration menu appears, and the admin pages answer her.
    patch_attendant(&server, &admin_cookie, &ana, json!({"role": "admin"})).await;
    office.wait_for(".ba-nav-admin").await;
    office.wait_until("window.__sockets === 2").await;
    office.click(".ba-nav-admin").await;
    office
        .wait_text(".ba-admin-attendants tr", "ana@example.com")
        .await;
    let watched = office.eval("window.__seen").await;
    assert_eq!(
        watched,
        json!({"banner": false, "login": false}),
        "signed in and connected all along, on the same page"
    );
    // Each change: her account read again, then one new socket.
    let counts = office.eval("[window.__me, window.__sockets]").await;
    assert_eq!(counts, json!([2, 2]), "/api/me, sockets");
    assert_eq!(office.count(".ba-presence.online").await, 1);
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_moved_out_of_my_queues_leaves_the_chat_pane() {
    let server = ChimpServer::start().await;
    let host = HostPage::serve(snippet(&server.origin(), json!({}))).await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    let (_, office) = ana_beside_a_sales_queue(&server, &admin_cookie).await;
    go_online(&office).await;
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Lia", "Which size?").await;
    office.wait_text(".ba-chat-header h2", "Lia").await;

    // Handed to a queue Ana is not in: the server withdraws it from her sight.
    office.select_option(".ba-transfer", "q:sales").await;
    office.wait_gone(".ba-chat-header").await;
    office.wait_for(".ba-chat .ba-placeholder").await;
    office
        .wait_text(".ba-notice", "moved out of your queues")
        .await;
    assert_eq!(office.count(".ba-item").await, 0);
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_are_listed_a_page_at_a_time_open_done_or_all() {
    let server = ChimpServer::start().await;
    let client = reqwest::Client::new();
    for n in 1..=53 {
        let created = client
            .post(server.url("/api/callback"))
            .json(&json!({"name": format!("Caller {n}"), "phone": "+55 61 5555 0101"}))
            .send()
            .await
            .expect("leaving a callback request");
        assert_eq!(created.status(), 201);
    }
    chimpassist_e2e::admin_cookie(&server).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for(".ba-shell .ba-lists").await;
    office.goto(&server.url("/#/admin/callbacks")).await;
    let rows = |n: usize| {
        format!("document.querySelectorAll('.ba-admin-callbacks tbody tr').length === {n}")
    };

    // Open ones, newest first, one page of 50; one marked done stays as it is on the page.
    office.wait_until(&rows(50)).await;
    office
        .wait_text(".ba-admin-callbacks tbody tr:first-child", "Caller 53")
        .await;
    office
        .click(".ba-admin-callbacks tbody tr:first-child .ba-mark-done")
        .await;
    office
        .wait_for(".ba-admin-callbacks tbody tr:first-child .ba-done-at")
        .await;
    // The older ones, and nothing more to load.
    office.click(".ba-load-more").await;
    office.wait_until(&rows(53)).await;
    office.wait_gone(".ba-load-more").await;
    office
        .wait_text(".ba-admin-callbacks tbody tr:last-child", "Caller 1")
        .await;
    assert_eq!(
        office
            .count(".ba-admin-callbacks tbody tr:first-child .ba-done-at")
            .await,
        1,
        "a page more keeps the rows already shown as they were"
    );

    // Done ones: just that one. All: a page again, with more to load.
    office
        .select_option(".ba-callback-filter select", "done")
        .await;
    office.wait_until(&rows(1)).await;
    office
        .wait_text(".ba-admin-callbacks tbody tr", "Caller 53")
        .await;
    assert_eq!(office.count(".ba-load-more").await, 0);
    office
        .select_option(".ba-callback-filter select", "all")
        .await;
    office.wait_until(&rows(50)).await;
    office.wait_for(".ba-load-more").await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_sign_in_attempts_say_how_long_to_wait() {
    let server = ChimpServer::start_with(|c| c.logins_per_minute_per_ip = 1).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "nobody@example.com", "wrong-password").await;
    office.wait_text(".ba-login .ba-error", "wrong").await;
    office.click(".ba-login button[type=submit]").await;
    office
        .wait_text(
            ".ba-login .ba-error",
            "Too many sign-in attempts. Try again in ",
        )
        .await;
    let said = office.texts(".ba-login .ba-error").await.concat();
    let seconds: u64 = said
        .trim_start_matches("Too many sign-in attempts. Try again in ")
        .trim_end_matches(" seconds.")
        .parse()
        .unwrap_or_else(|_| panic!("a wait in seconds: {said:?}"));
    assert!((1..=60).contains(&seconds), "{said:?}");
    office.close().await;
}
