//! The admin pages.

use chimpassist_e2e::{ADMIN_PASSWORD, ATTENDANT_PASSWORD, Browser, ChimpServer, create_attendant};
use serde_json::{Value, json};

use crate::support::*;

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
    office.wait_for("[data-testid=lists]").await;
    assert_eq!(
        office.count("[data-testid=nav-admin]").await,
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
    office.wait_for("[data-testid=lists]").await;
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
    office.click("[data-testid=load-more]").await;
    office.wait_until(&rows(53)).await;
    office.wait_gone("[data-testid=load-more]").await;
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
    assert_eq!(office.count("[data-testid=load-more]").await, 0);
    office
        .select_option(".ba-callback-filter select", "all")
        .await;
    office.wait_until(&rows(50)).await;
    office.wait_for("[data-testid=load-more]").await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_lets_customers_ask_for_calls_in_a_queue() {
    let server = ChimpServer::start().await;
    let office = Browser::new().await;
    first_admin_sign_in(&office, &server).await;
    office.goto(&server.url("/#/admin/queues")).await;
    let form = "form.ba-queue[data-queue=default]";
    office.wait_for(&format!("{form} select[name=calls]")).await;
    // The default: attendants call customers.
    let policy = format!("document.querySelector('{form} select[name=calls]').value");
    let calls = || office.eval(&policy);
    assert_eq!(calls().await, json!("attendant_starts"));
    office
        .execute(
            &format!("const s = document.querySelector('{form} select[name=calls]'); s.value = 'either_side'; s.dispatchEvent(new Event('change', {{bubbles: true}}));"),
            vec![],
        )
        .await;
    office.click(&format!("{form} button[type=submit]")).await;
    office.wait_for(&format!("{form} .ba-ok")).await;
    let queues = office
        .client()
        .execute_async(
            "fetch('/api/queues').then(r => r.json()).then(arguments[0]);",
            vec![],
        )
        .await
        .expect("fetch from the page");
    let default = queues
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["id"] == "default"))
        .expect("the default queue");
    assert_eq!(default["calls"], "either_side");
    // Read back from the server when the page shows the queues again; the rest is kept.
    office.goto(&server.url("/#/admin/attendants")).await;
    office.goto(&server.url("/#/admin/queues")).await;
    office.wait_for(&format!("{form} select[name=calls]")).await;
    assert_eq!(calls().await, json!("either_side"));
    assert_eq!(default["mode"], "auto");
    office.close().await;
}

/// The value of the input `name` in the form `form`.
async fn input_value(office: &Browser, form: &str, name: &str) -> Value {
    office
        .eval(&format!(
            "document.querySelector('{form} input[name={name}]').value"
        ))
        .await
}

/// `open` in the queue's public stats.
async fn open_now(server: &ChimpServer) -> Value {
    let stats: Value = reqwest::get(server.url("/api/stats/default"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats JSON");
    stats["open"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_sets_a_queues_business_hours() {
    let server = ChimpServer::start().await;
    let office = Browser::new().await;
    first_admin_sign_in(&office, &server).await;
    office.goto(&server.url("/#/admin/queues")).await;
    let form = "form.ba-queue[data-queue=default]";
    let hours_on = format!("{form} input[name=hours_on]");
    office.wait_for(&hours_on).await;
    assert_eq!(open_now(&server).await, json!(true));

    // Mondays 09–12 and 13–18 in UTC, and today a holiday: closed now.
    office.click(&hours_on).await;
    let set = |name: &str, value: &str| {
        format!("const i = document.querySelector('{form} input[name={name}]'); i.value = {value};")
    };
    office.execute(&set("time_zone", "'UTC'"), vec![]).await;
    office.execute(&set("day0", "'9-5'"), vec![]).await;
    office.click(&format!("{form} button[type=submit]")).await;
    office
        .wait_text(
            &format!("{form} .ba-error"),
            "Monday: write the hours as 09:00-18:00",
        )
        .await;
    office
        .execute(&set("day0", "'09:00-12:00, 13:00-18:00'"), vec![])
        .await;
    office
        .execute(
            &set("holidays", "new Date().toISOString().slice(0, 10)"),
            vec![],
        )
        .await;
    office.click(&format!("{form} button[type=submit]")).await;
    office.wait_for(&format!("{form} .ba-ok")).await;
    assert_eq!(open_now(&server).await, json!(false), "a holiday today");

    // Read back when the page shows the queues again.
    office.goto(&server.url("/#/admin/attendants")).await;
    office.goto(&server.url("/#/admin/queues")).await;
    office.wait_for(&hours_on).await;
    assert_eq!(
        input_value(&office, form, "day0").await,
        json!("09:00-12:00, 13:00-18:00")
    );
    assert_eq!(
        input_value(&office, form, "day1").await,
        json!(""),
        "Tuesday closed"
    );
    assert_eq!(input_value(&office, form, "time_zone").await, json!("UTC"));
    office
        .eval(&format!(
            "document.querySelector('{form} .ba-hours').scrollIntoView()"
        ))
        .await;
    office.screenshot("backoffice-hours").await;

    // Hours off: answered at any time again.
    office.click(&hours_on).await;
    office.click(&format!("{form} button[type=submit]")).await;
    office.wait_for(&format!("{form} .ba-ok")).await;
    assert_eq!(open_now(&server).await, json!(true));
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_shows_what_admins_changed() {
    let server = ChimpServer::start().await;
    let admin_cookie = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin_cookie, "eve@example.com", "Eve").await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office.goto(&server.url("/#/admin/audit")).await;
    let created = "tr.audit-row[data-action=\"attendant.created\"]";
    office.wait_for(created).await;
    office
        .wait_text(&format!("{created} .audit-actor"), "Administrator")
        .await;
    office
        .wait_text(&format!("{created} .audit-summary"), "role: attendant")
        .await;
    let target = office
        .eval(&format!(
            "document.querySelector('{created} .audit-target').textContent"
        ))
        .await;
    assert!(
        target.as_str().is_some_and(|t| t.starts_with("a-")),
        "{target}"
    );
    office.close().await;
}
