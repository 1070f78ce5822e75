//! WebSocket plumbing shared by every scenario: opening a client socket (optionally from a
//! chosen loopback source address), reading frames with a deadline, the frames we send, and a
//! lean parse of the frames we receive.
//!
//! Both the load generator and the target share two cores, so frames are parsed into borrowed
//! structs (no `serde_json::Value` trees) and written with `format!` (every value we put in a
//! frame is ours: UUIDs, digits and plain ASCII text, so none needs JSON escaping).

use std::borrow::Cow;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Deserialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub(crate) type Ws = WebSocketStream<TcpStream>;

/// The instant every timestamp of this process counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds since this process's epoch: what a message carries to measure its latency.
pub(crate) fn now_ns() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The source address for the `index`-th socket: 127.0.0.2, .3, … in turn, or none (the
/// kernel's choice, 127.0.0.1) when `sources` is 0.
pub(crate) fn source_addr(index: usize, sources: u8) -> Option<Ipv4Addr> {
    let sources = usize::from(sources);
    (sources > 0).then(|| {
        let host = 2 + u8::try_from(index % sources).unwrap_or(0);
        Ipv4Addr::new(127, 0, 0, host)
    })
}

/// How long a TCP connect plus WebSocket handshake may take (a target out of file
/// descriptors stops accepting, and connections then wait in its backlog forever).
const HANDSHAKE: Duration = Duration::from_secs(20);

/// Opens `ws://127.0.0.1:{port}{path}`, bound to `source` if given, with `cookie` if given.
/// Errors are short stable labels, counted by kind in the results.
pub(crate) async fn connect(
    port: u16,
    path: &str,
    source: Option<Ipv4Addr>,
    cookie: Option<&str>,
) -> Result<Ws, String> {
    tokio::time::timeout(HANDSHAKE, handshake(port, path, source, cookie))
        .await
        .unwrap_or_else(|_| Err("handshake timeout".into()))
}

async fn handshake(
    port: u16,
    path: &str,
    source: Option<Ipv4Addr>,
    cookie: Option<&str>,
) -> Result<Ws, String> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {:?}", e.kind()))?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::from((ip, 0)))
            .map_err(|e| format!("bind: {:?}", e.kind()))?;
    }
    let stream = socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("connect: {:?}", e.kind()))?;
    let _ = stream.set_nodelay(true);
    let mut request = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .map_err(|e| format!("request: {e}"))?;
    if let Some(cookie) = cookie {
        let value = cookie.parse().map_err(|_| "bad cookie".to_owned())?;
        request.headers_mut().insert("cookie", value);
    }
    // Small buffers: the client side must not be what runs out of memory first.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(res) => {
                format!("http {}", res.status().as_u16())
            }
            other => format!("handshake: {other}"),
        })?;
    Ok(ws)
}

/// The next text frame, or an error label when the socket closes or `deadline` passes.
pub(crate) async fn next_text(ws: &mut Ws, deadline: Instant) -> Result<String, String> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => return Err("timeout".into()),
            Ok(None | Some(Ok(Message::Close(_)))) => return Err("closed".into()),
            Ok(Some(Err(_))) => return Err("socket error".into()),
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.as_str().to_owned()),
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Waits for a frame of type `kind`, skipping others; `error` frames end the wait with
/// their code.
pub(crate) async fn expect(ws: &mut Ws, kind: &str, within: Duration) -> Result<String, String> {
    let deadline = Instant::now() + within;
    loop {
        let text = next_text(ws, deadline)
            .await
            .map_err(|e| format!("{e} waiting for {kind}"))?;
        let frame = Frame::parse(&text).ok_or("unparsable frame")?;
        if frame.kind == kind {
            return Ok(text);
        }
        if frame.kind == "error" {
            return Err(frame.code.map_or_else(|| "error".into(), Cow::into_owned));
        }
    }
}

/// What we read from any frame; everything else is skipped unparsed.
#[derive(Debug, Deserialize)]
pub(crate) struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Cow<'a, str>,
    #[serde(default, borrow)]
    conversation: Option<ConvRef<'a>>,
    #[serde(default)]
    pub(crate) seq: Option<u64>,
    #[serde(default, borrow)]
    pub(crate) client_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) code: Option<Cow<'a, str>>,
    /// A customer `welcome`'s token, to say hello with after a reconnect.
    #[serde(default, borrow)]
    pub(crate) token: Option<Cow<'a, str>>,
    /// The whole frame, to read a `message` frame's message (its `message` field is a text
    /// in `error` frames, so it is left out of this parse).
    #[serde(skip)]
    raw: &'a str,
}

/// A conversation id (customer `assigned`, `ack`) or a conversation view (attendant
/// `assigned`, `conversation`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ConvRef<'a> {
    Id(#[serde(borrow)] Cow<'a, str>),
    View { id: String },
}

#[derive(Deserialize)]
struct MessageFrame<'a> {
    #[serde(borrow)]
    message: Delivered<'a>,
}

/// The `message` of a `message` frame.
#[derive(Debug, Deserialize)]
pub(crate) struct Delivered<'a> {
    #[serde(borrow)]
    pub(crate) conversation: Cow<'a, str>,
    pub(crate) seq: u64,
    /// The sender's id for it: one message must never show up under two seqs.
    #[serde(default, borrow)]
    pub(crate) client_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub(crate) text: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) from: Author<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Author<'a> {
    #[serde(borrow)]
    pub(crate) party: Cow<'a, str>,
}

impl<'a> Frame<'a> {
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        let mut frame: Self = serde_json::from_str(text).ok()?;
        frame.raw = text;
        Some(frame)
    }

    /// The conversation id, whether the frame carries it bare or inside a view.
    pub(crate) fn conversation_id(&self) -> Option<String> {
        match self.conversation.as_ref()? {
            ConvRef::Id(id) => Some(id.clone().into_owned()),
            ConvRef::View { id } => Some(id.clone()),
        }
    }

    /// The delivered message of a `message` frame (a second, targeted parse).
    pub(crate) fn delivered(&self) -> Option<Delivered<'a>> {
        if self.kind != "message" {
            return None;
        }
        serde_json::from_str::<MessageFrame<'a>>(self.raw)
            .ok()
            .map(|f| f.message)
    }
}

/// A frame's `type` read without parsing it, when it is the first field (the server writes
/// every frame's tag first, as `serde` does for tagged enums); `None` otherwise. Why: a
/// desk in a rush receives thousands of state frames a second, and the load generator shares
/// the machine with the server.
pub(crate) fn sniff_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(r#"{"type":""#)?;
    rest.split_once('"').map(|(kind, _)| kind)
}

/// Message text carrying its send instant, padded to a typical chat line (~70 bytes).
pub(crate) fn stamped_text(sent_ns: u64) -> String {
    format!("t{sent_ns} hello, I have a question about my order, could you help?")
}

/// The send instant a [`stamped_text`] carries.
pub(crate) fn stamp_of(text: &str) -> Option<u64> {
    text.strip_prefix('t')?.split(' ').next()?.parse().ok()
}

/// `hello` for either socket.
pub(crate) fn hello() -> Message {
    Message::text(r#"{"type":"hello","protocol":1}"#)
}

/// An attendant's `hello` that takes `batch` frames (older servers ignore the field).
pub(crate) fn hello_batch() -> Message {
    Message::text(r#"{"type":"hello","protocol":1,"batch":true}"#)
}

/// `hello` of a returning client: the customer's `token` from its last `welcome`, and per
/// conversation the highest seq held without a gap (the server replays what follows).
/// Rare, so built with `serde_json` (a token is the server's string, not ours).
pub(crate) fn hello_resume(token: Option<&str>, resume: &[(String, u64)]) -> Message {
    let resume: Vec<serde_json::Value> = resume
        .iter()
        .map(|(conversation, last_seq)| {
            serde_json::json!({"conversation": conversation, "last_seq": last_seq})
        })
        .collect();
    let mut hello = serde_json::json!({"type": "hello", "protocol": 1, "resume": resume});
    if let Some(token) = token {
        hello["token"] = serde_json::Value::from(token);
    }
    Message::text(hello.to_string())
}

pub(crate) fn start_chat() -> Message {
    Message::text(r#"{"type":"start_chat"}"#)
}

pub(crate) fn end_chat(conversation: &str) -> Message {
    Message::text(format!(
        r#"{{"type":"end_chat","conversation":"{conversation}"}}"#
    ))
}

pub(crate) fn send(conversation: &str, client_id: &str, text: &str) -> Message {
    Message::text(format!(
        r#"{{"type":"send","conversation":"{conversation}","client_id":"{client_id}","text":"{text}"}}"#
    ))
}

pub(crate) fn receipt(conversation: &str, kind: &str, up_to_seq: u64) -> Message {
    Message::text(format!(
        r#"{{"type":"receipt","conversation":"{conversation}","kind":"{kind}","up_to_seq":{up_to_seq}}}"#
    ))
}

pub(crate) fn composing(conversation: &str) -> Message {
    Message::text(format!(
        r#"{{"type":"typing","conversation":"{conversation}","state":"composing"}}"#
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip() {
        assert_eq!(stamp_of(&stamped_text(123_456_789)), Some(123_456_789));
        assert_eq!(stamp_of("hello"), None);
    }

    #[test]
    fn frames_parse_both_conversation_shapes_and_messages() {
        let ack = r#"{"type":"ack","conversation":"c1","client_id":"x","seq":4,"timestamp":1}"#;
        let frame = Frame::parse(ack).expect("ack parses");
        assert_eq!(frame.kind, "ack");
        assert_eq!(frame.seq, Some(4));
        assert_eq!(frame.conversation_id().as_deref(), Some("c1"));

        let assigned = r#"{"type":"assigned","conversation":{"id":"c2","status":"assigned","customer":{"id":"k"}}}"#;
        let frame = Frame::parse(assigned).expect("assigned parses");
        assert_eq!(frame.conversation_id().as_deref(), Some("c2"));

        let message = r#"{"type":"message","message":{"conversation":"c3","seq":9,"client_id":"y","from":{"party":"customer","id":"k","name":"K"},"text":"t5 hi","timestamp":2}}"#;
        let delivered = Frame::parse(message)
            .and_then(|f| f.delivered())
            .expect("message parses");
        assert_eq!(
            (
                &*delivered.conversation,
                delivered.seq,
                &*delivered.from.party
            ),
            ("c3", 9, "customer")
        );
        assert_eq!(stamp_of(&delivered.text), Some(5));
        assert_eq!(delivered.client_id.as_deref(), Some("y"));

        let welcome = r#"{"type":"welcome","protocol":1,"customer":{"id":"k"},"token":"tk","max_text_bytes":4096}"#;
        let frame = Frame::parse(welcome).expect("welcome parses");
        assert_eq!(frame.token.as_deref(), Some("tk"));

        let error = r#"{"type":"error","code":"rate_limited","message":"slow down"}"#;
        let frame = Frame::parse(error).expect("error parses");
        assert_eq!(frame.code.as_deref(), Some("rate_limited"));
        assert!(frame.delivered().is_none());
    }

    #[test]
    fn the_type_is_sniffed_only_when_it_comes_first() {
        assert_eq!(sniff_type(r#"{"type":"queue","queue":"q"}"#), Some("queue"));
        assert_eq!(sniff_type(r#"{"type":"batch","frames":[]}"#), Some("batch"));
        assert_eq!(sniff_type(r#"{"queue":"q","type":"queue"}"#), None);
        assert_eq!(sniff_type(r#"{"type":"#), None);
    }

    #[test]
    fn sources_rotate_from_127_0_0_2() {
        assert_eq!(source_addr(5, 0), None);
        assert_eq!(source_addr(0, 3), Some(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(source_addr(4, 3), Some(Ipv4Addr::new(127, 0, 0, 3)));
    }

    #[test]
    fn sent_frames_are_valid_json() {
        for message in [
            send("c", "id", &stamped_text(1)),
            receipt("c", "read", 3),
            composing("c"),
            end_chat("c"),
            hello_resume(Some("t\"k"), &[("c".into(), 7)]),
            hello_resume(None, &[]),
            hello_batch(),
        ] {
            let text = message.into_text().expect("text frame");
            serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
        }
    }
}
