//! A chat client that behaves like a good widget: it keeps unacked messages pending, resumes
//! from its last gap-free seq after a reconnect, resends what is pending with the same client
//! ids, and notices any duplicate delivery.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One side of one conversation.
pub(crate) struct ChatClient {
    pub(crate) url: String,
    cookie: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) conversation: String,
    socket: Option<Socket>,
    /// Sent, not acked yet: client id → text.
    pub(crate) pending: BTreeMap<String, String>,
    /// Acked: client id → seq.
    pub(crate) acked: HashMap<String, u64>,
    /// Received from the other side: seq → text.
    pub(crate) received: BTreeMap<u64, String>,
    /// Messages the server sent twice where the protocol does not allow it: on one
    /// connection, or at or below the point this connection resumed from.
    pub(crate) duplicates: u64,
    /// Seqs received on the current connection.
    here: std::collections::HashSet<u64>,
    /// The current connection's resume point.
    resumed_from: u64,
    sent_at: HashMap<String, Instant>,
    /// Ack latencies, ms.
    pub(crate) latencies: Vec<f64>,
    /// Error codes received.
    pub(crate) errors: Vec<String>,
}

impl ChatClient {
    pub(crate) fn new(
        url: String,
        cookie: Option<String>,
        token: Option<String>,
        conversation: String,
    ) -> Self {
        Self {
            url,
            cookie,
            token,
            conversation,
            socket: None,
            pending: BTreeMap::new(),
            acked: HashMap::new(),
            received: BTreeMap::new(),
            duplicates: 0,
            here: Default::default(),
            resumed_from: 0,
            sent_at: HashMap::new(),
            latencies: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Highest seq held with no gap below it (what a client resumes from).
    pub(crate) fn contiguous(&self) -> u64 {
        // Our own messages are seqs too: count acked ones as held.
        let mut held: Vec<u64> = self.received.keys().copied().collect();
        held.extend(self.acked.values().copied());
        held.sort_unstable();
        held.dedup();
        let mut last = 0;
        for seq in held {
            if seq == last + 1 {
                last = seq;
            } else if seq > last + 1 {
                break;
            }
        }
        last
    }

    /// (Re)connects: hello with token and resume point; then resends everything pending.
    pub(crate) async fn connect(&mut self, url: &str) {
        self.url = url.to_owned();
        let mut request = url.into_client_request().expect("request");
        if let Some(cookie) = &self.cookie {
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("header"));
        }
        let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
            .await
            .expect("connect");
        self.resumed_from = self.contiguous();
        self.here.clear();
        let resume = if self.conversation.is_empty() {
            json!([])
        } else {
            json!([{"conversation": self.conversation, "last_seq": self.resumed_from}])
        };
        let mut hello = json!({"type": "hello", "protocol": 1, "resume": resume});
        if let Some(token) = &self.token {
            hello["token"] = json!(token);
        }
        socket
            .send(Message::Text(hello.to_string().into()))
            .await
            .expect("hello");
        self.socket = Some(socket);
        let welcome = self.next_frame().await.expect("welcome");
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        if let Some(token) = welcome["token"].as_str() {
            self.token = Some(token.to_owned());
        }
        let resend: Vec<(String, String)> = self
            .pending
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (client_id, text) in resend {
            self.write(&client_id, &text).await;
        }
    }

    async fn write(&mut self, client_id: &str, text: &str) -> bool {
        let frame = json!({"type": "send", "conversation": self.conversation, "client_id": client_id, "text": text});
        self.sent_at.insert(client_id.to_owned(), Instant::now());
        match &mut self.socket {
            Some(socket) => socket
                .send(Message::Text(frame.to_string().into()))
                .await
                .is_ok(),
            None => false,
        }
    }

    /// Sends any frame (not tracked).
    pub(crate) async fn send_frame(&mut self, frame: Value) {
        if let Some(socket) = &mut self.socket {
            let _ = socket.send(Message::Text(frame.to_string().into())).await;
        }
    }

    /// Reads until a frame matches `pred`.
    pub(crate) async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let frame = self
                .next_frame()
                .await
                .expect("socket closed while waiting");
            if pred(&frame) {
                return frame;
            }
        }
    }

    /// Queues a new message and sends it if connected.
    pub(crate) async fn send(&mut self, text: String) -> String {
        let client_id = Uuid::now_v7().to_string();
        self.pending.insert(client_id.clone(), text.clone());
        self.write(&client_id, &text).await;
        client_id
    }

    /// Next text frame, handled for bookkeeping; `None` when the socket is gone.
    pub(crate) async fn next_frame(&mut self) -> Option<Value> {
        let socket = self.socket.as_mut()?;
        loop {
            let message =
                match tokio::time::timeout(std::time::Duration::from_secs(20), socket.next()).await
                {
                    Ok(Some(Ok(message))) => message,
                    Ok(_) => {
                        self.socket = None;
                        return None;
                    }
                    Err(_) => panic!("no frame within 20 s"),
                };
            let Message::Text(text) = message else {
                if matches!(message, Message::Close(_)) {
                    self.socket = None;
                    return None;
                }
                continue;
            };
            let frame: Value = serde_json::from_str(&text).expect("json");
            self.account(&frame);
            return Some(frame);
        }
    }

    fn account(&mut self, frame: &Value) {
        match frame["type"].as_str() {
            Some("ack") => {
                let client_id = frame["client_id"].as_str().unwrap_or_default().to_owned();
                let seq = frame["seq"].as_u64().unwrap_or_default();
                if let Some(previous) = self.acked.insert(client_id.clone(), seq) {
                    assert_eq!(previous, seq, "a resend was acked with another seq");
                }
                self.pending.remove(&client_id);
                if let Some(at) = self.sent_at.remove(&client_id) {
                    self.latencies.push(at.elapsed().as_secs_f64() * 1000.0);
                }
            }
            Some("message") => {
                let m = &frame["message"];
                // Our own messages echo to our other connections; keep only the other side's.
                if self
                    .acked
                    .contains_key(m["client_id"].as_str().unwrap_or_default())
                    || self
                        .pending
                        .contains_key(m["client_id"].as_str().unwrap_or_default())
                {
                    return;
                }
                let seq = m["seq"].as_u64().unwrap_or_default();
                let text = m["text"].as_str().unwrap_or_default().to_owned();
                let again_here = !self.here.insert(seq);
                // A held seq above a gap comes again in the replay after a reconnect: the
                // resume point is the highest seq *without a gap below it*, and the protocol
                // tells clients to drop seqs they hold. Anything else twice is the server's
                // fault.
                if self.received.insert(seq, text).is_some()
                    && (again_here || seq <= self.resumed_from)
                {
                    self.duplicates += 1;
                }
            }
            Some("error") => self
                .errors
                .push(frame["code"].as_str().unwrap_or_default().to_owned()),
            _ => {}
        }
    }

    /// Reads until nothing is pending (or the socket drops); returns false on a drop.
    pub(crate) async fn drain_acks(&mut self) -> bool {
        while !self.pending.is_empty() {
            if self.next_frame().await.is_none() {
                return false;
            }
        }
        true
    }

    /// Reads until `count` messages from the other side are held (or the socket drops).
    pub(crate) async fn receive_until(&mut self, count: usize) -> bool {
        while self.received.len() < count {
            if self.next_frame().await.is_none() {
                return false;
            }
        }
        true
    }

    pub(crate) fn drop_socket(&mut self) {
        self.socket = None;
    }
}

/// p50 and p99 of a sample, ms.
pub(crate) fn percentiles(sample: &[f64]) -> (f64, f64) {
    let mut v = sample.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| {
        v.get(((v.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (at(0.5), at(0.99))
}
