//! The Webhooks admin page: an endpoint added through the form, its secret shown once, its
//! deliveries appearing in the log as they happen, a redelivery, and the endpoint disabled.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use chimpassist_e2e::{ADMIN_PASSWORD, Browser, ChimpServer, HostPage};
use serde_json::json;

use crate::support::*;

const ROW: &str = ".webhook-row";

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_an_endpoint_and_follows_its_deliveries() {
    let server = ChimpServer::start_with(|c| {
        c.webhook_allow_private_destinations = true;
        c.webhook_poll_ms = 50;
    })
    .await;
    // The receiving side: a site's endpoint that takes every delivery.
    let receiver = HostPage::serve_router(
        Router::new().route("/hook", post(|| async { StatusCode::NO_CONTENT })),
    )
    .await;
    chimpassist_e2e::admin_cookie(&server).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office.goto(&server.url("/#/admin/webhooks")).await;
    office.wait_for(".webhooks-empty").await;

    office
        .type_into("#webhook-url", &receiver.url("/hook"))
        .await;
    office.type_into("#webhook-description", "Our CRM").await;
    office
        .click("#webhook-new input[data-event=\"callback.requested\"]")
        .await;
    office.click("#webhook-create").await;
    office.wait_for(".webhook-secret").await;
    let secret = office
        .eval("document.querySelector('.webhook-secret').value")
        .await;
    assert!(
        secret.as_str().is_some_and(|s| s.starts_with("whsec_")),
        "{secret}"
    );
    office
        .wait_text(&format!("{ROW} .webhook-url"), &receiver.url("/hook"))
        .await;
    office
        .wait_for(&format!("{ROW} .webhook-status[data-state=enabled]"))
        .await;
    office.click(".webhook-secret-dismiss").await;
    office.wait_gone(".webhook-secret").await;
    // Shown once: the page (and the API) no longer has it.
    office.goto(&server.url("/")).await;
    office.goto(&server.url("/#/admin/webhooks")).await;
    office.wait_for(ROW).await;
    assert_eq!(office.count(".webhook-secret").await, 0);

    // A visitor leaves a callback request: the open log shows the delivery by itself.
    office.click(&format!("{ROW} .webhook-deliveries")).await;
    office.wait_for(".delivery-empty").await;
    let asked = reqwest::Client::new()
        .post(server.url("/api/callback"))
        .json(&json!({"name": "Ana", "phone": "+55 61 5555 0101"}))
        .send()
        .await
        .expect("callback request");
    assert_eq!(asked.status(), 201);
    office
        .wait_for(".delivery-row[data-outcome=delivered]")
        .await;
    office
        .wait_text(".delivery-row .delivery-event", "callback.requested")
        .await;
    office
        .wait_text(".delivery-row .delivery-status", "204")
        .await;
    office.screenshot("backoffice-webhooks").await;

    // Redeliver: a second attempt of the same event, delivered too.
    office.click(".delivery-row .delivery-redeliver").await;
    office
        .wait_until(
            "document.querySelectorAll('.delivery-row[data-outcome=delivered]').length === 2",
        )
        .await;
    let ids = office
        .eval("[...document.querySelectorAll('.delivery-row')].map(r => r.dataset.eventId)")
        .await;
    assert_eq!(ids[0], ids[1], "the same event, sent again");
    assert_eq!(
        receiver
            .requests()
            .iter()
            .filter(|p| p.ends_with("/hook"))
            .count(),
        2
    );

    // Disabled by the admin: the badge says so.
    office.click(&format!("{ROW} .webhook-toggle")).await;
    office
        .wait_for(&format!("{ROW} .webhook-status[data-state=disabled]"))
        .await;
    office.close().await;
}
