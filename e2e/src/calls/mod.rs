//! Two browsers in a chat, ready to call: a customer and an attendant (Alice), each in a
//! headless Chromium with a fake camera and microphone, each running `side.js` over its own
//! chat socket — what a call client does, written plainly: the inviting side offers, the
//! other answers, candidates both ways, `getStats()` watched until media flows. The side's
//! state is `window.__side` in each page.

use serde_json::{Value, json};

use crate::{
    ATTENDANT_PASSWORD, Browser, ChimpServer, admin_cookie, create_attendant, login_cookie,
};

/// The call side script; `arguments[0]`: `{role, ws, relayOnly, media, autoAccept}`.
pub const SIDE: &str = include_str!("side.js");

/// Who answers a call by themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    Customer,
    Attendant,
}

/// How the desk's calls go.
#[derive(Clone, Copy, Debug)]
pub struct CallSetup<'a> {
    /// `turn:` URL of the relay, with its shared secret.
    pub turn: (&'a str, &'a str),
    /// Only relay candidates (`iceTransportPolicy: relay`).
    pub relay_only: bool,
    /// `voice` or `video`.
    pub media: &'a str,
    pub answers: Answers,
}

/// A server and the two sides of a chat on it.
#[derive(Debug)]
pub struct CallDesk {
    pub server: ChimpServer,
    pub alice: Browser,
    pub customer: Browser,
}

impl CallDesk {
    /// Starts the server (its calls using the relay), signs Alice in and opens the chat.
    /// Where the customer calls, the default queue lets customers call.
    pub async fn open(setup: CallSetup<'_>) -> Self {
        let (url, secret) = (setup.turn.0.to_owned(), setup.turn.1.to_owned());
        let server = ChimpServer::start_without_widget_with(move |config| {
            config.turn_urls = vec![url.parse().expect("a TURN URL")];
            config.turn_secret = Some(secret.into());
        })
        .await;
        let admin = admin_cookie(&server).await;
        create_attendant(&server, &admin, "alice@example.com", "Alice").await;
        if setup.answers == Answers::Attendant {
            let response = reqwest::Client::new()
                .put(server.url("/api/queues/default"))
                .header("cookie", &admin)
                .json(&json!({"id": "default", "name": "Default", "mode": "auto", "calls": "either_side"}))
                .send()
                .await
                .expect("PUT /api/queues/default");
            assert_eq!(response.status(), 200);
        }
        let cookie = login_cookie(&server, "alice@example.com", ATTENDANT_PASSWORD).await;
        let alice = Browser::with_fake_media().await;
        let customer = Browser::with_fake_media().await;
        // A page of the server's own origin: the attendant socket takes only that, with the
        // session cookie.
        alice.goto(&server.url("/healthz")).await;
        alice
            .execute(
                &format!("document.cookie = {cookie:?} + '; path=/';"),
                vec![],
            )
            .await;
        customer.goto(&server.url("/healthz")).await;
        for (browser, role, answers) in [
            (&alice, "attendant", Answers::Attendant),
            (&customer, "customer", Answers::Customer),
        ] {
            let options = json!({"role": role, "relayOnly": setup.relay_only, "media": setup.media,
                "autoAccept": setup.answers == answers, "ws": server.ws_url(&format!("/ws/{role}"))});
            browser.execute(SIDE, vec![options]).await;
        }
        customer.wait_until("window.__side.conversation").await;
        alice.wait_until("window.__side.conversation").await;
        Self {
            server,
            alice,
            customer,
        }
    }

    /// `caller` calls (`media`), the other side accepts by itself; waits until media flows
    /// both ways on both sides and returns (Alice's side, the customer's side).
    pub async fn talk(&self, caller: &Browser, media: &str) -> (Value, Value) {
        caller
            .execute(&format!("window.__side.invite({media:?});"), vec![])
            .await;
        for browser in [&self.customer, &self.alice] {
            browser.wait_until("window.__side.flowingAt").await;
        }
        (side(&self.alice).await, side(&self.customer).await)
    }
}

/// A page's call side as JSON (without its connection and media objects).
pub async fn side(browser: &Browser) -> Value {
    browser
        .eval("{...window.__side, pc: undefined, local: undefined}")
        .await
}
