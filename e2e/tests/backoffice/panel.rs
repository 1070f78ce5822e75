//! The customer panel: the visitor's pages and the site's attributes live, contact info,
//! statistics, identity marks.

use chimpassist_e2e::{ATTENDANT_PASSWORD, Browser, ChimpServer, HostPage, create_attendant};
use serde_json::{Value, json};

use crate::support::*;

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
    office.wait_for("[data-testid=lists]").await;
    go_online(&office).await;
    let customer = Browser::new().await;
    known_customer_starts_chat(
        &customer,
        &host.cross_site_url("/maria"),
        "Where is my parcel?",
    )
    .await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Maria")
        .await;

    // The shop signed Maria's site id but not her name and e-mail (an HMAC covers the id
    // only): the ✓ goes by the id, and the name and e-mail say they are claims.
    office
        .wait_text(
            "[data-testid=online] [data-testid=conversation] .ba-site-mark",
            "ID 42 ✓",
        )
        .await;
    assert_eq!(
        office
            .count("[data-testid=online] [data-testid=conversation] .ba-id")
            .await,
        0
    );
    office
        .wait_text(".ba-panel-name .ba-claim", "(unverified)")
        .await;
    office
        .wait_text(".ba-panel-email .ba-claim", "(unverified)")
        .await;
    office.wait_for(".ba-panel-site .ba-id.verified").await;
    assert_eq!(office.count(".ba-panel-name .ba-id").await, 0);
    assert_eq!(
        office.count(".panel-export").await,
        0,
        "exports are for admins"
    );

    // Where Maria is: the widget told the page she chats from, with her browser and clock.
    office.wait_text(".ba-visit-now a", "Host shop").await;
    office.wait_text(".ba-visit-agent", "Chrome").await;
    office.wait_for(".ba-visit-clock").await;
    // She moves on inside the (single-page) shop: the attendant sees it without a reload,
    // and the coupon in the address never leaves her browser.
    customer
        .execute(
            "history.pushState({}, '', '/maria/pricing?coupon=SECRET#plans'); document.title = 'Pricing';",
            vec![],
        )
        .await;
    office.wait_text(".ba-visit-now a", "Pricing").await;
    let href = office
        .eval("document.querySelector('.ba-visit-now a').getAttribute('href')")
        .await;
    assert!(
        href.as_str().is_some_and(|h| h.ends_with("/maria/pricing")),
        "{href}"
    );
    assert_eq!(
        office.texts(".ba-visit-page .ba-visit-title").await,
        ["Pricing", "Host shop"]
    );
    // The shop tells what it knows about her through the JS API: shown live, by name.
    customer
        .execute(
            "ChimpAssist.setAttributes({plan: 'Gold', orders: 12, vip: true});",
            vec![],
        )
        .await;
    office
        .wait_text(".ba-attributes [data-attribute=plan] dd", "Gold")
        .await;
    customer
        .execute(
            "ChimpAssist.setAttributes({plan: 'Platinum', vip: null});",
            vec![],
        )
        .await;
    office
        .wait_text(".ba-attributes [data-attribute=plan] dd", "Platinum")
        .await;
    assert_eq!(
        office.texts(".ba-attributes dt").await,
        ["orders", "plan"],
        "vip removed"
    );
    assert_eq!(office.texts(".ba-attributes dd").await, ["12", "Platinum"]);

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
        .wait_text(
            "[data-testid=online] [data-testid=conversation] [data-testid=customer-name]",
            "Rui",
        )
        .await;
    office
        .click("[data-testid=online] [data-testid=conversation]:has(.ba-id.unverified) button")
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
