//! WebSocket clients that keep the frames they were not asked for yet, and the
//! [`TestApp`] methods that open them as a customer or an attendant.

use std::collections::VecDeque;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::{Auth, TestApp, WAIT};

impl TestApp {
    pub(crate) async fn customer(&self, user: Option<Value>) -> Ws {
        self.customer_with(user, None, json!([])).await
    }

    /// Opens a customer socket, says hello, waits for `welcome`.
    pub(crate) async fn customer_with(
        &self,
        user: Option<Value>,
        token: Option<&str>,
        resume: Value,
    ) -> Ws {
        let url = format!("ws://127.0.0.1:{}/ws/customer", self.port);
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("customer ws");
        let mut ws = Ws::new(stream);
        let mut hello = json!({"type": "hello", "protocol": 1, "resume": resume});
        if let Some(user) = user {
            hello["user"] = user;
        }
        if let Some(token) = token {
            hello["token"] = json!(token);
        }
        ws.send(hello).await;
        let welcome = ws.expect("welcome").await;
        ws.welcome = welcome;
        ws
    }

    /// Opens an attendant socket with the session cookie, says hello, waits for `welcome`.
    pub(crate) async fn attendant(&self, auth: &Auth) -> Ws {
        self.attendant_with(auth, json!([])).await
    }

    pub(crate) async fn attendant_with(&self, auth: &Auth, resume: Value) -> Ws {
        self.attendant_saying(
            auth,
            json!({"type": "hello", "protocol": 1, "resume": resume}),
        )
        .await
    }

    /// An attendant socket that takes `batch` frames, as the back-office does.
    pub(crate) async fn attendant_batching(&self, auth: &Auth) -> Ws {
        self.attendant_saying(auth, json!({"type": "hello", "protocol": 1, "batch": true}))
            .await
    }

    async fn attendant_saying(&self, auth: &Auth, hello: Value) -> Ws {
        let mut request = format!("ws://127.0.0.1:{}/ws/attendant", self.port)
            .into_client_request()
            .expect("request");
        if let Auth::Cookie(cookie) = auth {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("header"));
        }
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("attendant ws");
        let mut ws = Ws::new(stream);
        ws.send(hello).await;
        ws.welcome = ws.expect("welcome").await;
        ws
    }
}

/// A WebSocket client that keeps frames it was not asked for yet.
pub(crate) struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pending: VecDeque<Value>,
    pub(crate) welcome: Value,
}

impl Ws {
    pub(crate) fn new(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            stream,
            pending: VecDeque::new(),
            welcome: Value::Null,
        }
    }

    pub(crate) async fn send(&mut self, frame: Value) {
        self.send_raw(frame.to_string()).await;
    }

    pub(crate) async fn send_raw(&mut self, text: String) {
        self.stream
            .send(Message::Text(text.into()))
            .await
            .expect("send");
    }

    /// Next application frame, or `None` when the socket closed.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for a frame")?;
            match message {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("json frame"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next frame, kept ones first; panics when the socket closed.
    pub(crate) async fn next(&mut self) -> Value {
        if let Some(frame) = self.pending.pop_front() {
            return frame;
        }
        self.read().await.expect("socket closed")
    }

    /// Waits for the first frame matching `pred` (earlier non-matching frames are kept).
    pub(crate) async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("present");
        }
        loop {
            match self.read().await {
                Some(frame) if pred(&frame) => return frame,
                Some(frame) => self.pending.push_back(frame),
                None => panic!(
                    "socket closed while waiting for {what}; got {:?}",
                    self.pending
                ),
            }
        }
    }

    pub(crate) async fn expect(&mut self, kind: &str) -> Value {
        self.wait_for(kind, |f| f["type"] == kind).await
    }

    /// Sends a message and waits for its ack; returns the ack.
    pub(crate) async fn say(&mut self, conversation: &str, text: &str) -> Value {
        let client_id = Uuid::new_v4().to_string();
        self.send(json!({"type": "send", "conversation": conversation, "client_id": client_id, "text": text}))
            .await;
        self.wait_for("ack", |f| {
            f["type"] == "ack" && f["client_id"] == client_id.as_str()
        })
        .await
    }

    /// Reads until the server closes the socket; returns the close frame's code (`None`
    /// when it closed without one). Fails after [`WAIT`].
    pub(crate) async fn closed(&mut self) -> Option<u16> {
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for the server to close the socket");
            match message {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(Message::Text(text))) => {
                    if let Ok(frame) = serde_json::from_str(&text) {
                        self.pending.push_back(frame);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Frames received and not asked for yet.
    pub(crate) fn pending_frames(&self) -> &VecDeque<Value> {
        &self.pending
    }

    /// Whether the socket still answers: a `ping` frame gets its `pong`.
    pub(crate) async fn answers(&mut self) -> bool {
        let nonce = rand_nonce();
        self.send(json!({"type": "ping", "nonce": nonce})).await;
        loop {
            let message = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("timed out waiting for a pong");
            match message {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).expect("json frame");
                    if frame["type"] == "pong" && frame["nonce"] == nonce {
                        return true;
                    }
                    self.pending.push_back(frame);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
                Some(Ok(_)) => {}
            }
        }
    }

    pub(crate) async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

fn rand_nonce() -> u64 {
    u64::from(Uuid::new_v4().as_fields().0)
}

/// Starts a chat as a customer and returns the conversation id.
pub(crate) async fn start_chat(customer: &mut Ws) -> String {
    customer.send(json!({"type": "start_chat"})).await;
    let frame = customer
        .wait_for("conversation", |f| f["type"] == "conversation")
        .await;
    frame["conversation"]["id"].as_str().expect("id").to_owned()
}

/// Waits for the chat message with `seq` on `ws`.
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) async fn message_seq(ws: &mut Ws, seq: u64) -> Value {
    ws.wait_for(&format!("message {seq}"), |f| {
        f["type"] == "message" && f["message"]["seq"] == seq
    })
    .await
}

/// Ana (a customer) chatting with Alice, who holds the conversation: where the tests of what
/// happens inside a chat (calls, files) start.
#[allow(dead_code)] // used by the tests that include this file, not all of them
pub(crate) struct AnaAndAlice {
    pub(crate) admin: Auth,
    pub(crate) alice_id: String,
    pub(crate) alice_auth: Auth,
    pub(crate) alice: Ws,
    pub(crate) customer: Ws,
    /// The customer's token, for REST calls as them.
    pub(crate) customer_auth: Auth,
    pub(crate) conversation: String,
}

impl TestApp {
    /// Alice (capacity 3) online, then Ana starting a chat that is given to her.
    #[allow(dead_code)] // used by the tests that include this file, not all of them
    pub(crate) async fn ana_with_alice(&self) -> AnaAndAlice {
        let admin = self.admin().await;
        let (alice_id, alice_auth) = self.create_attendant(&admin, "Alice", 3).await;
        let mut alice = self.attendant(&alice_auth).await;
        let mut customer = self
            .customer(Some(json!({"id": "ana-1", "name": "Ana"})))
            .await;
        let token = customer.welcome["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let conversation = start_chat(&mut customer).await;
        customer.expect("assigned").await;
        alice.expect("assigned").await;
        AnaAndAlice {
            admin,
            alice_id,
            alice_auth,
            alice,
            customer,
            customer_auth: Auth::Bearer(token),
            conversation,
        }
    }
}
