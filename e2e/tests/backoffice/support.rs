//! What every back-office test does: sign in, go online, a customer starting a chat, an
//! admin changing an account, a page that counts its sockets.

use chimpassist_e2e::{ATTENDANT_PASSWORD, Browser, ChimpServer, HostPage, Key, create_attendant};
use serde_json::{Value, json};

pub(crate) const W: &str = "#chimpassist";
pub(crate) const NEW_ADMIN_PASSWORD: &str = "a-much-better-one";

pub(crate) fn enter() -> String {
    char::from(Key::Enter).to_string()
}

/// Signs in through the login page and waits for the attendant screen.
pub(crate) async fn sign_in(browser: &Browser, server: &ChimpServer, email: &str, password: &str) {
    browser.goto(&server.url("/")).await;
    browser.type_into("[data-testid=login-email]", email).await;
    browser
        .type_into("[data-testid=login-password]", password)
        .await;
    browser.click("[data-testid=login-submit]").await;
}

/// The first sign-in of `admin`/`admin`: the app insists on a new password first.
pub(crate) async fn first_admin_sign_in(browser: &Browser, server: &ChimpServer) {
    browser.goto(&server.url("/")).await;
    browser.wait_for("[data-testid=login] form").await;
    browser.screenshot("backoffice-login").await;
    sign_in(browser, server, "admin", "wrong").await;
    browser
        .wait_text("[data-testid=login-error]", "wrong")
        .await;
    browser
        .execute(
            "document.querySelector('[data-testid=login-password]').value = '';",
            vec![],
        )
        .await;
    browser
        .type_into("[data-testid=login-password]", "admin")
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser.wait_for("[data-testid=current-password]").await;
    browser
        .type_into("[data-testid=current-password]", "admin")
        .await;
    browser
        .type_into("[data-testid=new-password]", NEW_ADMIN_PASSWORD)
        .await;
    browser
        .type_into("[data-testid=repeat-password]", NEW_ADMIN_PASSWORD)
        .await;
    browser.click("[data-testid=password-submit]").await;
    browser.wait_for("[data-testid=lists]").await;
}

pub(crate) async fn go_online(browser: &Browser) {
    browser.click("[data-testid=presence-online]").await;
    browser
        .wait_for("[data-testid=presence-online][aria-pressed=true]")
        .await;
}

/// Opens the widget on a host page and starts a chat from its pre-chat form.
pub(crate) async fn customer_starts_chat(
    customer: &Browser,
    host: &HostPage,
    name: &str,
    problem: &str,
) {
    customer.open_widget(&host.cross_site_url("/")).await;
    customer.shadow_send_keys(W, "input[name=name]", name).await;
    customer
        .shadow_send_keys(W, "textarea[name=problem]", problem)
        .await;
    customer.shadow_click(W, "button.ca-start").await;
    customer.wait_shadow(W, ".ca-composer textarea").await;
}

/// `PATCH /api/attendants/{id}` as an admin.
pub(crate) async fn patch_attendant(
    server: &ChimpServer,
    admin_cookie: &str,
    id: &str,
    body: Value,
) {
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
pub(crate) async fn watch_page(office: &Browser) {
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

/// A queue `sales` beside `default`, and Ana (of `default`) signed in in a browser; her id and
/// the browser.
pub(crate) async fn ana_beside_a_sales_queue(
    server: &ChimpServer,
    admin_cookie: &str,
) -> (String, Browser) {
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
    office.wait_for("[data-testid=lists]").await;
    (ana, office)
}
