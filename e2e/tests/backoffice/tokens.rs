//! The API tokens admin page: a token made through the form is shown once, opens what its
//! scope opens on the REST API, shows when it was last used, and stops working the moment
//! the admin revokes it; the audit log names both actions.

use chimpassist_e2e::{ADMIN_PASSWORD, Browser, ChimpServer};

use crate::support::*;

const ROW: &str = ".token-row";

async fn status(server: &ChimpServer, path: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("an API call")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_makes_a_token_sees_it_used_and_revokes_it() {
    let server = ChimpServer::start().await;
    chimpassist_e2e::admin_cookie(&server).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office.goto(&server.url("/#/admin/tokens")).await;
    office.wait_for(".tokens-empty").await;

    // Nothing is sent without a scope.
    office.type_into("#token-name", "CRM sync").await;
    office.click("#token-create").await;
    office.wait_for("#token-new .ba-error").await;
    assert_eq!(office.count(ROW).await, 0);

    office
        .click("#token-new input[value=\"conversations:read\"]")
        .await;
    office.select_option("#token-expiry", "30").await;
    office.click("#token-create").await;
    office.wait_for(".token-secret").await;
    let secret = office
        .eval("document.querySelector('.token-secret').value")
        .await;
    let secret = secret.as_str().expect("the token").to_owned();
    assert!(secret.starts_with("chimp_"), "{secret}");
    office
        .wait_text(&format!("{ROW} .token-name"), "CRM sync")
        .await;
    office
        .wait_for(&format!(
            "{ROW}[data-state=active] [data-scope=\"conversations:read\"]"
        ))
        .await;
    office
        .wait_text(&format!("{ROW} .token-facts"), "Never used")
        .await;

    // What its scope opens, and nothing more.
    assert_eq!(status(&server, "/api/search?q=anyone", &secret).await, 200);
    assert_eq!(status(&server, "/api/reports/live", &secret).await, 403);

    // Shown once; the list now says it was used.
    office.click(".token-secret-dismiss").await;
    office.wait_gone(".token-secret").await;
    office.goto(&server.url("/")).await;
    office.goto(&server.url("/#/admin/tokens")).await;
    office
        .wait_text(&format!("{ROW} .token-facts"), "Last used")
        .await;
    assert_eq!(office.count(".token-secret").await, 0);
    let hint = office
        .eval(&format!(
            "document.querySelector('{ROW} .token-hint').textContent"
        ))
        .await;
    assert!(
        hint.as_str()
            .is_some_and(|h| secret.ends_with(h.trim_start_matches("chimp_…"))),
        "{hint}"
    );
    office.screenshot("backoffice-tokens").await;

    // Revoked (asked first): the row says so and the token is refused at once.
    office.click(&format!("{ROW} .token-revoke")).await;
    office.click(".ba-confirm-yes").await;
    office.wait_for(&format!("{ROW}[data-state=revoked]")).await;
    assert_eq!(office.count(".token-revoke").await, 0);
    assert_eq!(status(&server, "/api/search?q=anyone", &secret).await, 401);

    office.goto(&server.url("/#/admin/audit")).await;
    office
        .wait_for("tr.audit-row[data-action=\"token.revoked\"]")
        .await;
    office
        .wait_text(
            "tr.audit-row[data-action=\"token.created\"] .audit-summary",
            "conversations:read",
        )
        .await;
    office.close().await;
}
