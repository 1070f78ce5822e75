//! How long the back-office takes to become interactive with many open conversations.
//!
//! `cargo run --release -p chimpassist-e2e --example backoffice_load -- [N]` (default 1000;
//! needs `cargo xtask backoffice` and `cargo xtask widget` built, and Chromium). It starts the
//! server in-process, opens N customer sockets that each start a chat (all wait in the queue
//! of an attendant who is not online yet), signs that attendant in through the page, and
//! prints:
//! - sign-in click → every waiting conversation listed;
//! - a reload (page navigation start → every conversation listed), the cold-start figure;
//! - click on a conversation → its chat pane drawn.
//!
//! Times come from the browser's clock (`performance.now()`), read one WebDriver round trip
//! after the condition held (a few ms late at most).

use std::time::Instant;

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Browser, ChimpServer, create_attendant, guest_chat, page_now_ms,
};

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N: a number"))
        .unwrap_or(1000);
    let server = ChimpServer::start_with(|c| {
        c.max_connections = n + 100;
    })
    .await;
    let admin = chimpassist_e2e::admin_cookie(&server).await;
    create_attendant(&server, &admin, "ana@example.com", "Ana").await;

    let seeding = Instant::now();
    let mut sockets = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(50) {
        let batch = (chunk * 50..((chunk + 1) * 50).min(n)).map(|_| guest_chat(&server));
        sockets.extend(futures_util::future::join_all(batch).await);
    }
    println!(
        "seeded {n} open conversations in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let browser = Browser::new().await;
    browser.goto(&server.url("/")).await;
    browser
        .type_into("[data-testid=login-email]", "ana@example.com")
        .await;
    browser
        .type_into("[data-testid=login-password]", ATTENDANT_PASSWORD)
        .await;
    // Waiting, plus the few an online attendant is given at once (up to capacity).
    let all_listed =
        format!("document.querySelectorAll('[data-testid=conversation]').length === {n}");
    let clicked = page_now_ms(&browser).await;
    browser.click("[data-testid=login-submit]").await;
    browser.wait_until(&all_listed).await;
    let listed = page_now_ms(&browser).await;
    println!(
        "sign-in → {n} conversations listed: {:.0} ms",
        listed - clicked
    );

    browser.goto(&server.url("/")).await;
    browser.wait_until(&all_listed).await;
    let cold = page_now_ms(&browser).await;
    println!(
        "reload → {n} conversations listed: {:.0} ms after navigation start",
        cold
    );

    let before = page_now_ms(&browser).await;
    browser
        .click("[data-testid=waiting] [data-testid=conversation]:last-child button")
        .await;
    browser.wait_for("[data-testid=chat-customer-name]").await;
    let opened = page_now_ms(&browser).await;
    println!("click → conversation shown: {:.0} ms", opened - before);

    browser.close().await;
    drop(sockets);
    server.stop().await;
}
