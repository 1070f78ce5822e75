//! The attendant's side of a conversation, driven over the real attendant WebSocket (the
//! approach of `server/tests/api/helpers.rs`): log in over REST, connect `/ws/attendant` with
//! the session cookie and a same-origin `Origin`, then exchange JSON frames.

use std::collections::VecDeque;

use chimpassist_protocol::TypingState;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::{ChimpServer, WAIT};

/// Password given to attendants made by [`create_attendant`].
pub const ATTENDANT_PASSWORD: &str = "secret-pass";
/// Password [`admin_cookie`] gives the default `admin` account: the server refuses everything
/// but a password change to `admin`/`admin`.
pub const ADMIN_PASSWORD: &str = "admin-e2e-password";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A logged-in attendant with an open WebSocket. Frames not asked for yet are kept, so a
/// test may wait for frames in any order.
#[derive(Debug)]
pub struct Attendant {
    socket: Socket,
    pending: VecDeque<Value>,
    welcome: Value,
    cookie: String,
}

impl Attendant {
    /// Logs in, connects, says `hello` and waits for `welcome`.
    pub async fn login(server: &ChimpServer, email: &str, password: &str) -> Self {
        let cookie = login_cookie(server, email, password).await;
        Self::connect(server, cookie).await
    }

    /// Connects with a session cookie, says `hello` and waits for `welcome`.
    pub async fn connect(server: &ChimpServer, cookie: String) -> Self {
        let mut request = server
            .ws_url("/ws/attendant")
            .into_client_request()
            .expect("WebSocket request");
        let headers = request.headers_mut();
        headers.insert("cookie", cookie.parse().expect("cookie header"));
        headers.insert("origin", server.origin().parse().expect("origin header"));
        let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("the attendant socket opens in time")
            .expect("attendant WebSocket");
        let mut attendant = Self {
            socket,
            pending: VecDeque::new(),
            welcome: Value::Null,
            cookie,
        };
        attendant
            .send_frame(json!({"type": "hello", "protocol": 1}))
            .await;
        attendant.welcome = attendant.next_frame_of_type("welcome").await;
        attendant
    }

    /// Logs in as the bootstrap admin (see [`admin_cookie`]).
    pub async fn admin(server: &ChimpServer) -> Self {
        let cookie = admin_cookie(server).await;
        Self::connect(server, cookie).await
    }

    /// The `welcome` frame (with `me`, `presence`, `conversations`).
    pub fn welcome(&self) -> &Value {
        &self.welcome
    }

    /// My attendant id.
    pub fn id(&self) -> &str {
        self.welcome["me"]["id"].as_str().expect("welcome.me.id")
    }

    /// The session cookie (`chimp_session=…`), for REST calls as this attendant.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// Goes online (takes new conversations) and waits until the server confirms.
    pub async fn online(&mut self) {
        self.set_presence("online").await;
    }

    /// Goes away (keeps current conversations, takes no new ones) and waits for the server.
    pub async fn away(&mut self) {
        self.set_presence("away").await;
    }

    async fn set_presence(&mut self, presence: &str) {
        self.send_frame(json!({"type": "set_presence", "presence": presence}))
            .await;
        self.wait_for(&format!("presence {presence}"), |f| {
            f["type"] == "presence" && f["presence"] == presence
        })
        .await;
    }

    /// Sends any frame.
    pub async fn send_frame(&mut self, frame: Value) {
        self.socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("sending on the attendant socket");
    }

    /// Waits (up to [`WAIT`]) for the next frame of type `ty`; other frames stay buffered.
    pub async fn next_frame_of_type(&mut self, ty: &str) -> Value {
        self.wait_for(ty, |f| f["type"] == ty).await
    }

    /// Waits (up to [`WAIT`]) for the first frame matching `pred`, earlier frames first;
    /// frames that do not match stay buffered.
    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).expect("present");
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.read_frame()).await {
                Ok(Some(frame)) => frame,
                Ok(None) => panic!(
                    "attendant socket closed while waiting for {what}; buffered: {:?}",
                    self.pending
                ),
                Err(_) => panic!(
                    "timed out after {WAIT:?} waiting for {what}; buffered: {:?}",
                    self.pending
                ),
            };
            if pred(&frame) {
                return frame;
            }
            self.pending.push_back(frame);
        }
    }

    /// Next application frame, or `None` once the socket is closed.
    async fn read_frame(&mut self) -> Option<Value> {
        loop {
            match self.socket.next().await? {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(&text).expect("JSON frame"));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Waits for a conversation to be assigned to me; returns its id.
    pub async fn wait_assigned(&mut self) -> String {
        let frame = self.next_frame_of_type("assigned").await;
        frame["conversation"]["id"]
            .as_str()
            .expect("assigned.conversation.id")
            .to_owned()
    }

    /// Sends a message and waits for its `ack`; returns its seq.
    pub async fn send(&mut self, conversation: &str, text: &str) -> u64 {
        let client_id = Uuid::new_v4().to_string();
        self.send_frame(json!({
            "type": "send",
            "conversation": conversation,
            "client_id": client_id,
            "text": text,
        }))
        .await;
        let ack = self
            .wait_for(&format!("ack of {text:?}"), |f| {
                (f["type"] == "ack" || f["type"] == "error") && f["client_id"] == client_id
            })
            .await;
        assert_eq!(ack["type"], "ack", "sending {text:?} failed: {ack}");
        ack["seq"].as_u64().expect("ack.seq")
    }

    /// Reports typing (`TypingState::Composing`) or a pause.
    pub async fn typing(&mut self, conversation: &str, state: TypingState) {
        self.send_frame(json!({"type": "typing", "conversation": conversation, "state": state}))
            .await;
    }

    /// Read receipt up to and including `up_to_seq`.
    pub async fn read(&mut self, conversation: &str, up_to_seq: u64) {
        self.receipt(conversation, "read", up_to_seq).await;
    }

    /// Delivery receipt up to and including `up_to_seq`.
    pub async fn delivered(&mut self, conversation: &str, up_to_seq: u64) {
        self.receipt(conversation, "delivered", up_to_seq).await;
    }

    async fn receipt(&mut self, conversation: &str, kind: &str, up_to_seq: u64) {
        self.send_frame(json!({
            "type": "receipt",
            "conversation": conversation,
            "kind": kind,
            "up_to_seq": up_to_seq,
        }))
        .await;
    }

    /// Ends the conversation and waits until the server reports it resolved.
    pub async fn resolve(&mut self, conversation: &str) {
        self.send_frame(json!({"type": "resolve", "conversation": conversation}))
            .await;
        let frame = self
            .wait_for(&format!("{conversation} resolved"), |f| {
                (f["type"] == "conversation"
                    && f["conversation"]["id"] == conversation
                    && f["conversation"]["status"] == "resolved")
                    || (f["type"] == "error" && f.get("client_id").is_none())
            })
            .await;
        assert_eq!(
            frame["type"], "conversation",
            "resolving {conversation} failed: {frame}"
        );
    }

    /// Closes the socket (the server then counts the attendant as disconnected).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// Logs in over REST; returns the session cookie as `chimp_session=…`.
pub async fn login_cookie(server: &ChimpServer, email: &str, password: &str) -> String {
    let response = reqwest::Client::new()
        .post(server.url("/api/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request");
    assert_eq!(response.status(), 200, "login of {email} failed");
    session_cookie(&response)
}

/// A session cookie of the bootstrap admin, whose `admin`/`admin` password is first changed to
/// [`ADMIN_PASSWORD`] if that has not happened yet.
pub async fn admin_cookie(server: &ChimpServer) -> String {
    let client = reqwest::Client::new();
    let settled = client
        .post(server.url("/api/login"))
        .json(&json!({"email": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login request");
    if settled.status() == 200 {
        return session_cookie(&settled);
    }
    let cookie = login_cookie(server, "admin", "admin").await;
    let changed = client
        .post(server.url("/api/me/password"))
        .header("cookie", &cookie)
        .json(&json!({"current": "admin", "new": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("password change request");
    assert_eq!(
        changed.status(),
        204,
        "changing the default admin's password"
    );
    cookie
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("chimp_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// Creates an attendant through the admin API (password [`ATTENDANT_PASSWORD`]); returns
/// its id. `admin_cookie` comes from [`login_cookie`] (or [`Attendant::cookie`]) of an admin.
pub async fn create_attendant(
    server: &ChimpServer,
    admin_cookie: &str,
    email: &str,
    name: &str,
) -> String {
    let response = reqwest::Client::new()
        .post(server.url("/api/attendants"))
        .header("cookie", admin_cookie)
        .json(&json!({"email": email, "name": name, "password": ATTENDANT_PASSWORD}))
        .send()
        .await
        .expect("create-attendant request");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(status, 201, "creating attendant {email} failed: {body}");
    body["id"].as_str().expect("attendant id").to_owned()
}
