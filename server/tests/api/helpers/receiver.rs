//! A webhook receiver: a real HTTP server that checks Standard Webhooks signatures the way a
//! site's own code would — written here from the spec, not with the server's code — and
//! answers as a test tells it to (down, throttling, gone…).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

use super::{Auth, TestApp, WAIT};

/// What the receiver answers to the next request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reply {
    Status(u16),
    /// A status with `Retry-After: {seconds}`.
    Later(u16, u64),
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) signature: String,
    pub(crate) body: String,
    /// Whether one of the signatures matched a trusted secret.
    pub(crate) verified: bool,
    pub(crate) status: u16,
    pub(crate) at: Instant,
}

impl Received {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    secrets: Mutex<Vec<String>>,
    replies: Mutex<VecDeque<Reply>>,
}

pub(crate) struct Receiver {
    pub(crate) url: String,
    shared: Arc<Shared>,
    received: mpsc::UnboundedReceiver<Received>,
}

/// The spec's check: HMAC-SHA256 of `{id}.{timestamp}.{body}` with the base64 key after
/// `whsec_`, compared in constant time with each `v1,` signature in the header.
fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|k| STANDARD.decode(k).ok())
    else {
        return false;
    };
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|sig| {
            let Ok(sig) = STANDARD.decode(sig) else {
                return false;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body);
            mac.verify_slice(&sig).is_ok()
        })
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let (tx, received) = mpsc::unbounded_channel();
        let state = Arc::clone(&shared);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (state, tx) = (Arc::clone(&state), tx.clone());
                async move {
                    let (id, timestamp) = (
                        header(&headers, "webhook-id"),
                        header(&headers, "webhook-timestamp"),
                    );
                    let signature = header(&headers, "webhook-signature");
                    let fresh = timestamp.parse::<i64>().is_ok_and(|t| {
                        (t - unix_now()).abs() <= 300 // the spec's tolerance: 5 minutes
                    });
                    let verified = fresh
                        && state
                            .secrets
                            .lock()
                            .unwrap()
                            .iter()
                            .any(|s| verify(s, &id, &timestamp, &body, &signature));
                    let reply = state.replies.lock().unwrap().pop_front();
                    let (status, retry_after) = match (verified, reply) {
                        (false, _) => (401, None),
                        (true, None) => (204, None),
                        (true, Some(Reply::Status(s))) => (s, None),
                        (true, Some(Reply::Later(s, secs))) => (s, Some(secs)),
                    };
                    let _ = tx.send(Received {
                        id,
                        timestamp,
                        signature,
                        body: String::from_utf8_lossy(&body).into_owned(),
                        verified,
                        status,
                        at: Instant::now(),
                    });
                    let mut answer = HeaderMap::new();
                    if let Some(secs) = retry_after {
                        answer.insert("retry-after", secs.into());
                    }
                    (StatusCode::from_u16(status).expect("a status"), answer)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            received,
        }
    }

    /// Accepts signatures made with `secret` (as well as those trusted before).
    pub(crate) fn trust(&self, secret: &str) {
        self.shared.secrets.lock().unwrap().push(secret.to_owned());
    }

    /// Accepts only signatures made with `secret`.
    pub(crate) fn trust_only(&self, secret: &str) {
        *self.shared.secrets.lock().unwrap() = vec![secret.to_owned()];
    }

    /// Answers the next requests so, in order (then 204 again).
    pub(crate) fn then(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.replies.lock().unwrap().extend(replies);
    }

    /// The next request (fails the test after [`WAIT`]).
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.received.recv())
            .await
            .expect("a webhook within the wait")
            .expect("the receiver runs")
    }

    /// Sends `received`'s headers again with `body` instead of its own (a replayed or
    /// tampered delivery); returns the receiver's status.
    pub(crate) async fn replay(&mut self, received: &Received, body: &str) -> u16 {
        let status = reqwest::Client::new()
            .post(&self.url)
            .header("webhook-id", &received.id)
            .header("webhook-timestamp", &received.timestamp)
            .header("webhook-signature", &received.signature)
            .body(body.to_owned())
            .send()
            .await
            .expect("replay")
            .status()
            .as_u16();
        self.next().await; // its own record
        status
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl TestApp {
    /// Registers `receiver` for `events` (as `admin`) and has it trust the endpoint's secret;
    /// returns the endpoint's id and secret.
    pub(crate) async fn subscribe(
        &self,
        admin: &Auth,
        receiver: &Receiver,
        events: Value,
    ) -> (String, String) {
        let created = self
            .post(
                "/api/webhooks",
                admin,
                serde_json::json!({"url": receiver.url, "events": events, "description": "CRM"}),
            )
            .await;
        assert_eq!(created.status(), 201, "creating the endpoint");
        let created: Value = created.json().await.expect("json");
        let secret = created["secret"]
            .as_str()
            .expect("the secret, once")
            .to_owned();
        receiver.trust(&secret);
        let id = created["webhook"]["id"].as_str().expect("an id").to_owned();
        (id, secret)
    }
}
