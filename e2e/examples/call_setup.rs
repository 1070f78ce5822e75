//! How long a call takes to connect: from the customer's `call_accept` to media flowing both
//! ways (every inbound stream growing between two `getStats()` samples 200 ms apart, video
//! frames decoded), on both sides, in two headless Chromiums on this machine, through the
//! server's signalling. Direct (host candidates on loopback) and forced through a real coturn
//! relay. Prints each call and the median.
//!
//! `cargo run --release -p chimpassist-e2e --example call_setup -- [calls]` (default 5; needs
//! `cargo xtask setup`: Chromium, chromedriver, coturn).

use chimpassist_e2e::Browser;
use chimpassist_e2e::calls::{Answers, CallDesk, CallSetup};
use chimpassist_server::services::coturn::Coturn;
const SECRET: &str = "bench-turn-secret";

#[tokio::main]
async fn main() {
    let calls: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("a number of calls"))
        .unwrap_or(5);
    let coturn = Coturn::start(SECRET).await.expect("coturn starts");
    for (relay_only, media) in [(false, "video"), (true, "video"), (false, "voice")] {
        let desk = CallDesk::open(CallSetup {
            turn: (&coturn.url(), SECRET),
            relay_only,
            media,
            answers: Answers::Customer,
        })
        .await;
        let (alice, customer) = (&desk.alice, &desk.customer);
        let mut took = Vec::new();
        for _ in 0..calls {
            alice
                .execute(&format!("window.__side.invite({media:?});"), vec![])
                .await;
            alice.wait_until("window.__side.flowingAt").await;
            customer.wait_until("window.__side.flowingAt").await;
            let accepted = at(customer, "acceptedAt").await;
            let flowing = at(alice, "flowingAt")
                .await
                .max(at(customer, "flowingAt").await);
            took.push(flowing - accepted);
            alice.execute("window.__side.hangUp();", vec![]).await;
            customer.wait_until("window.__side.ended").await;
        }
        let path = if relay_only {
            "relay (coturn)"
        } else {
            "direct"
        };
        let mut sorted = took.clone();
        sorted.sort_unstable();
        println!(
            "{media} call, {path}: accept → media both ways {took:?} ms; median {} ms",
            sorted[sorted.len() / 2]
        );
        drop(desk);
    }
}

/// A time the side script noted (`Date.now()`; both browsers share the machine's clock).
async fn at(browser: &Browser, what: &str) -> i64 {
    browser
        .eval(&format!("window.__side.{what}"))
        .await
        .as_i64()
        .unwrap_or_else(|| panic!("no {what}"))
}
