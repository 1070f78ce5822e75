//! Whether the back-office stays interactive through a rush of chat requests.
//!
//! `cargo run --release -p chimpassist-e2e --example backoffice_rush -- [REQUESTS] [ATTENDANTS]`
//! (defaults 2000 and 200; needs `cargo xtask backoffice` and `cargo xtask widget` built, and
//! Chromium). It starts the server in-process with ATTENDANTS attendants of capacity 10: one,
//! Ana, signed in through the page, the others on sockets that take `batch` frames like the
//! back-office does. Then REQUESTS guests each start a chat, spread evenly over 2 s. It prints:
//! - rush start → Ana's conversations listed (up to her capacity);
//! - the page's main thread over the rush and 3 s after it: long tasks (> 50 ms, from the
//!   browser's `longtask` entries) and the worst lateness of a 50 ms timer, i.e. how long a
//!   click could have waited;
//! - click on one of Ana's conversations (while the rush is still being told) → chat shown;
//! - the attendant sockets the server cut.
//!
//! Times come from the browser's clock (`performance.now()`), read one WebDriver round trip
//! after the condition held (a few ms late at most).

use std::time::{Duration, Instant};

use chimpassist_e2e::{
    ATTENDANT_PASSWORD, Browser, ChimpServer, guest_chat, login_cookie, page_now_ms,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const CAPACITY: u32 = 10;
const RAMP: Duration = Duration::from_secs(2);

/// Records long tasks and the worst lateness of a 50 ms timer into `window.__rush`.
const PROBE: &str = r#"
window.__rush = {longest: 0, total: 0, count: 0, lag: 0};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    window.__rush.count += 1;
    window.__rush.total += e.duration;
    window.__rush.longest = Math.max(window.__rush.longest, e.duration);
  }
}).observe({entryTypes: ['longtask']});
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  window.__rush.lag = Math.max(window.__rush.lag, now - last - 50);
  last = now;
}, 50);
"#;

async fn create(server: &ChimpServer, admin: &str, email: &str, name: &str) {
    let response = reqwest::Client::new()
        .post(server.url("/api/attendants"))
        .header("cookie", admin)
        .json(
            &json!({"email": email, "name": name, "password": ATTENDANT_PASSWORD,
            "capacity": CAPACITY}),
        )
        .send()
        .await
        .expect("create-attendant request");
    assert_eq!(response.status(), 201, "creating {email}");
}

/// An online attendant on a socket that reads everything; ends with the close code the
/// server sent, if it cut the socket.
async fn desk(server: &ChimpServer, cookie: String) -> JoinHandle<Option<u16>> {
    let mut request = server
        .ws_url("/ws/attendant")
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    headers.insert("cookie", cookie.parse().expect("cookie"));
    headers.insert("origin", server.origin().parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("attendant socket");
    for frame in [
        json!({"type": "hello", "protocol": 1, "batch": true}),
        json!({"type": "set_presence", "presence": "online"}),
    ] {
        ws.send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }
    tokio::spawn(async move {
        while let Some(message) = ws.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(2000, |a| a.parse().expect("REQUESTS"));
    let attendants: usize = args.next().map_or(200, |a| a.parse().expect("ATTENDANTS"));
    let server = ChimpServer::start_with(|c| {
        c.max_connections = requests + attendants + 100;
        c.lift_network_limits();
    })
    .await;
    let admin = chimpassist_e2e::admin_cookie(&server).await;
    create(&server, &admin, "ana@example.com", "Ana").await;
    let mut desks = Vec::new();
    for i in 1..attendants {
        let email = format!("desk{i}@example.com");
        create(&server, &admin, &email, &format!("Desk {i}")).await;
        let cookie = login_cookie(&server, &email, ATTENDANT_PASSWORD).await;
        desks.push(desk(&server, cookie).await);
    }

    let browser = Browser::new().await;
    browser.goto(&server.url("/")).await;
    browser
        .type_into("[data-testid=login-email]", "ana@example.com")
        .await;
    browser
        .type_into("[data-testid=login-password]", ATTENDANT_PASSWORD)
        .await;
    browser.click("[data-testid=login-submit]").await;
    browser.wait_for("[data-testid=presence-online]").await;
    browser.execute(PROBE, vec![]).await;

    let started = page_now_ms(&browser).await;
    let clock = Instant::now();
    let rush: Vec<_> = (0..requests)
        .map(|i| {
            let server = &server;
            async move {
                tokio::time::sleep(RAMP.mul_f64(i as f64 / requests as f64)).await;
                guest_chat(server).await
            }
        })
        .collect();
    let mut rushing = Box::pin(futures_util::future::join_all(rush));

    let mine = format!(
        "document.querySelectorAll('[data-testid=online] [data-testid=conversation]').length \
         === {}",
        CAPACITY.min(u32::try_from(requests).unwrap_or(u32::MAX))
    );
    let listed = tokio::select! {
        _ = browser.wait_until(&mine) => page_now_ms(&browser).await,
        _ = &mut rushing => {
            browser.wait_until(&mine).await;
            page_now_ms(&browser).await
        }
    };
    println!(
        "rush start → Ana's conversations listed: {:.0} ms",
        listed - started
    );
    let before = page_now_ms(&browser).await;
    browser
        .click("[data-testid=online] [data-testid=conversation]:last-child button")
        .await;
    browser.wait_for("[data-testid=chat-customer-name]").await;
    let opened = page_now_ms(&browser).await;
    println!(
        "click → conversation shown: {:.0} ms (at {:.1} s into the rush)",
        opened - before,
        (before - started) / 1000.0
    );

    let guests = (&mut rushing).await;
    drop(rushing);
    println!(
        "{requests} requests sent in {:.1} s",
        clock.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let probe: Value = browser.eval("window.__rush").await;
    println!(
        "main thread, rush + 3 s: {} long tasks, {:.0} ms in all, longest {:.0} ms; \
         worst 50 ms-timer lateness {:.0} ms",
        probe["count"],
        probe["total"].as_f64().unwrap_or(0.0),
        probe["longest"].as_f64().unwrap_or(0.0),
        probe["lag"].as_f64().unwrap_or(0.0),
    );

    browser.close().await;
    let cut = desks.iter().filter(|d| d.is_finished()).count();
    println!(
        "attendant sockets cut during the run: {cut} of {}",
        attendants - 1
    );
    drop(guests);
    server.stop().await;
}
