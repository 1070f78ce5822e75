//! Signing in, and sessions that end or change while the page is open.

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Browser, ChimpServer, HostPage, create_attendant, snippet,
};
use serde_json::{Value, json};

use crate::support::*;

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
    office.wait_text("[data-testid=login-error]", "wrong").await;
    office
        .execute(
            "document.querySelector('[data-testid=login-password]').value = '';",
            vec![],
        )
        .await;
    office
        .type_into("[data-testid=login-password]", "from-the-site")
        .await;
    office.click("[data-testid=login-submit]").await;
    office
        .wait_text("[data-testid=me-name]", "Sofia Site")
        .await;
    assert!(hook.requests().iter().any(|r| r == "/chimpassist/auth"));
    office.close().await;
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
            "[data-testid=session-ended]",
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
        .type_into("[data-testid=login-email]", "ana@example.com")
        .await;
    office
        .type_into("[data-testid=login-password]", ATTENDANT_PASSWORD)
        .await;
    office.click("[data-testid=login-submit]").await;
    office.wait_text("[data-testid=login-error]", "wrong").await;
    assert_eq!(office.count("[data-testid=session-ended]").await, 1);
    office.close().await;
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
    office.wait_for("[data-testid=lists]").await;
    assert_eq!(office.count("[data-testid=nav-admin]").await, 0);
    office.click("[data-testid=presence-away]").await;
    office
        .wait_for("[data-testid=presence-away][aria-pressed=true]")
        .await;

    // Nobody is online: the customer waits in Ana's queue, and she looks at it.
    let customer = Browser::new().await;
    customer_starts_chat(&customer, &host, "Rui", "Where is my refund?").await;
    office
        .click("[data-testid=waiting] [data-testid=conversation] button")
        .await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Rui")
        .await;
    watch_page(&office).await;

    // Her queues change: the socket is cut (4403) and comes back at once with the new ones.
    // The conversation of a queue no longer hers leaves the list and the chat pane.
    patch_attendant(&server, &admin_cookie, &ana, json!({"queues": ["sales"]})).await;
    office.wait_until("window.__sockets === 1").await;
    office
        .wait_gone("[data-testid=waiting] [data-testid=conversation]")
        .await;
    office.wait_gone("[data-testid=chat-header]").await;
    office.wait_for("[data-testid=chat-placeholder]").await;
    // Connected: the server takes her presence.
    go_online(&office).await;

    // A new role: the Administration menu appears, and the admin pages answer her.
    patch_attendant(&server, &admin_cookie, &ana, json!({"role": "admin"})).await;
    office.wait_for("[data-testid=nav-admin]").await;
    office.wait_until("window.__sockets === 2").await;
    office.click("[data-testid=nav-admin]").await;
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
    assert_eq!(
        office
            .count("[data-testid=presence-online][aria-pressed=true]")
            .await,
        1
    );
    customer.close().await;
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_sign_in_attempts_say_how_long_to_wait() {
    let server = ChimpServer::start_with(|c| c.logins_per_minute_per_ip = 1).await;
    let office = Browser::new().await;
    sign_in(&office, &server, "nobody@example.com", "wrong-password").await;
    office.wait_text("[data-testid=login-error]", "wrong").await;
    office.click("[data-testid=login-submit]").await;
    office
        .wait_text(
            "[data-testid=login-error]",
            "Too many sign-in attempts. Try again in ",
        )
        .await;
    let said = office.texts("[data-testid=login-error]").await.concat();
    let seconds: u64 = said
        .trim_start_matches("Too many sign-in attempts. Try again in ")
        .trim_end_matches(" seconds.")
        .parse()
        .unwrap_or_else(|_| panic!("a wait in seconds: {said:?}"));
    assert!((1..=60).contains(&seconds), "{said:?}");
    office.close().await;
}
