//! The Greetings admin page: a rule made through the form is listed and served to pages,
//! edited in place, turned off it is no longer served, and a bad path is refused with the
//! reason shown.

use chimpassist_e2e::{ADMIN_PASSWORD, Browser, ChimpServer};

use crate::support::*;

const ROW: &str = ".ba-admin-greetings tbody tr[data-greeting]";

/// `GET /api/greetings` as a page would: its status and body.
async fn served(server: &ChimpServer) -> (u16, String) {
    let response = reqwest::get(server.url("/api/greetings"))
        .await
        .expect("the public rules");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_writes_a_greeting_edits_it_turns_it_off_and_deletes_it() {
    let server = ChimpServer::start().await;
    chimpassist_e2e::admin_cookie(&server).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office.goto(&server.url("/#/admin/greetings")).await;
    office.wait_for(".ba-new-greeting").await;
    assert_eq!(served(&server).await.0, 204, "no rules, nothing served");

    let form = ".ba-new-greeting";
    office
        .type_into(&format!("{form} input[name=name]"), "Pricing page")
        .await;
    office
        .type_into(&format!("{form} input[name=path]"), "pricing")
        .await;
    office
        .type_into(
            &format!("{form} textarea[name=text]"),
            "Questions about our plans?",
        )
        .await;
    office
        .type_into(&format!("{form} input[name=from]"), "Ana")
        .await;
    office.click(&format!("{form} button[type=submit]")).await;
    office
        .wait_text(&format!("{form} .ba-error"), "must start with /")
        .await;
    assert_eq!(office.count(ROW).await, 0);

    office
        .eval("document.querySelector('.ba-new-greeting input[name=path]').value = ''")
        .await;
    office
        .type_into(&format!("{form} input[name=path]"), "/pricing*")
        .await;
    office.click(&format!("{form} button[type=submit]")).await;
    office.wait_text(ROW, "Pricing page").await;
    office.wait_text(&format!("{ROW} code"), "/pricing*").await;
    let (status, body) = served(&server).await;
    assert_eq!(status, 200);
    assert!(body.contains("Questions about our plans?"), "{body}");
    assert!(
        body.contains("\"delay_seconds\":30"),
        "the form's default: {body}"
    );

    // Edited in place: the page's next load gets the new words.
    office.click(&format!("{ROW} .ba-edit")).await;
    let edit = ".ba-edit-greeting";
    office
        .eval(&format!(
            "document.querySelector('{edit} textarea[name=text]').value = 'Need help choosing a plan?'"
        ))
        .await;
    office.click(&format!("{edit} button[type=submit]")).await;
    office.wait_gone(edit).await;
    office.wait_text(ROW, "Need help choosing a plan?").await;
    let (_, body) = served(&server).await;
    assert!(body.contains("Need help choosing a plan?"), "{body}");
    office
        .eval("document.querySelector('.ba-admin-section h2').scrollIntoView()")
        .await;
    office.screenshot("backoffice-greetings").await;

    office.click(&format!("{ROW} .ba-toggle")).await;
    office
        .wait_text(&format!("{ROW} .ba-toggle"), "Turn on")
        .await;
    assert_eq!(
        served(&server).await.0,
        204,
        "a rule turned off is not served"
    );

    office.click(&format!("{ROW} .ba-delete")).await;
    office.click(".ba-confirm .ba-confirm-yes").await;
    office.wait_gone(ROW).await;
    office.close().await;
    server.stop().await;
}
