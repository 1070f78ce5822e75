//! The flooding customer of the `flood` scenario: an ordinary customer (hello, `start_chat`)
//! that, for a set span, writes `send` frames to its own conversation as fast as its socket
//! takes them. It reads its socket all along, on a task of its own: the server answers every
//! rejected frame with an error, and a flooder that stopped reading would only measure TCP
//! back-pressure, not the rate limit.
//!
//! The server may close the flooder's socket (its outbound queue fills with error frames
//! faster than any client reads them, and the server cuts slow readers). A real abuser would
//! come straight back, so the flooder reconnects as the same customer (its token) and goes
//! on until the span ends: the other clients live with a flood for the whole span.
//!
//! Its frames are its own business: they are not in the ledgers (its conversation may have
//! no attendant at all, so nothing it sends is expected to be delivered).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::endpoint::client_id;
use crate::wire::{self, Frame, Ws};

/// Frames written between flushes.
const BATCH: usize = 64;
/// How long the conversation may take to show up after `start_chat`.
const CHAT: Duration = Duration::from_secs(30);
/// Most sockets the flooder opens in one span (it is closed about twice a second).
const MAX_CONNECTIONS: u64 = 1000;
/// How long the reader keeps reading after the flood ends (the server still answers what
/// is in its buffers).
const LINGER: Duration = Duration::from_secs(2);

/// What the flooder did and heard.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FloodReport {
    /// `send` frames written, and over how long.
    pub(crate) sent: u64,
    pub(crate) seconds: f64,
    pub(crate) per_second: f64,
    /// Frames the server let through and stored.
    pub(crate) acked: u64,
    /// `rate_limited` errors, and the text of the first one.
    pub(crate) rate_limited: u64,
    pub(crate) message: Option<String>,
    /// Every other error code.
    pub(crate) other_errors: BTreeMap<String, u64>,
    /// The same count seen by the server (`chimpassist_frames_rejected_total`).
    pub(crate) server_rejected: Option<u64>,
    /// Whether an attendant held the flooder's conversation (else it waited in the queue).
    pub(crate) assigned: bool,
    /// Sockets the flooder used, and how the server closed them (code and reason).
    pub(crate) connections: u64,
    pub(crate) closes: BTreeMap<String, u64>,
}

/// A customer with a conversation, ready to flood it.
#[derive(Debug)]
pub(crate) struct Flooder {
    ws: Ws,
    port: u16,
    source: Option<Ipv4Addr>,
    token: Option<String>,
    conversation: String,
    assigned: bool,
}

/// Connects the flooder: hello, `start_chat`, and the first frame naming its conversation
/// (`assigned` if an attendant had room, else `conversation` / `queue_status`).
pub(crate) async fn connect(port: u16, source: Option<Ipv4Addr>) -> Result<Flooder, String> {
    let (mut ws, token) = open(port, source, None).await?;
    ws.send(wire::start_chat())
        .await
        .map_err(|_| "closed sending start_chat".to_owned())?;
    let deadline = std::time::Instant::now() + CHAT;
    loop {
        let text = wire::next_text(&mut ws, deadline).await?;
        let Some(frame) = Frame::parse(&text) else {
            continue;
        };
        if matches!(&*frame.kind, "assigned" | "conversation" | "queue_status")
            && let Some(conversation) = frame.conversation_id()
        {
            let assigned = frame.kind == "assigned";
            return Ok(Flooder {
                ws,
                port,
                source,
                token,
                conversation,
                assigned,
            });
        }
    }
}

/// A customer socket that said hello (as the customer `token` names, if given).
async fn open(
    port: u16,
    source: Option<Ipv4Addr>,
    token: Option<&str>,
) -> Result<(Ws, Option<String>), String> {
    let mut ws = wire::connect(port, "/ws/customer", source, None).await?;
    ws.send(wire::hello_resume(token, &[]))
        .await
        .map_err(|_| "closed sending hello".to_owned())?;
    let welcome = wire::expect(&mut ws, "welcome", CHAT).await?;
    let token = Frame::parse(&welcome).and_then(|f| f.token.map(String::from));
    Ok((ws, token))
}

/// Floods from `start` to `end`, reconnecting whenever the server closes the socket.
pub(crate) async fn run(mut flooder: Flooder, start: Instant, end: Instant) -> FloodReport {
    let mut report = FloodReport {
        assigned: flooder.assigned,
        ..FloodReport::default()
    };
    tokio::time::sleep_until(start).await;
    let began = Instant::now();
    let mut ws = Some(flooder.ws);
    while Instant::now() < end && report.connections < MAX_CONNECTIONS {
        let socket = match ws.take() {
            Some(socket) => socket,
            None => match open(flooder.port, flooder.source, flooder.token.as_deref()).await {
                Ok((socket, token)) => {
                    flooder.token = token.or(flooder.token);
                    socket
                }
                Err(label) => {
                    *report
                        .closes
                        .entry(format!("reconnect: {label}"))
                        .or_default() += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        report.connections += 1;
        flood_one(socket, &flooder.conversation, end, &mut report).await;
    }
    // The flood itself, not the last socket's linger.
    report.seconds = began
        .elapsed()
        .min(end.saturating_duration_since(began))
        .as_secs_f64();
    report.per_second = crate::window::per_second(report.sent, report.seconds);
    report
}

/// Floods one socket until `end` or until it closes; then lets its reader finish.
async fn flood_one(ws: Ws, conversation: &str, end: Instant, report: &mut FloodReport) {
    let (mut sink, stream) = ws.split();
    let reader = tokio::spawn(read(stream));
    let sent = &mut report.sent;
    let timed_out = tokio::time::timeout_at(end, async {
        loop {
            for _ in 0..BATCH {
                let frame = wire::send(conversation, &client_id(), "flood");
                if sink.feed(frame).await.is_err() {
                    return;
                }
                *sent += 1;
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    })
    .await
    .is_err();
    let _ = tokio::time::timeout(LINGER, sink.close()).await;
    let abort = reader.abort_handle();
    match tokio::time::timeout(LINGER, reader).await {
        Ok(Ok(mut heard)) => {
            if timed_out {
                heard.close = None; // we closed this one: the span ended
            }
            heard.add_to(report);
        }
        _ => abort.abort(),
    }
}

/// What one socket's reader heard.
#[derive(Debug, Default)]
struct Heard {
    acked: u64,
    rate_limited: u64,
    message: Option<String>,
    other_errors: BTreeMap<String, u64>,
    close: Option<String>,
}

impl Heard {
    fn add_to(self, report: &mut FloodReport) {
        report.acked += self.acked;
        report.rate_limited += self.rate_limited;
        report.message = report.message.take().or(self.message);
        for (code, n) in self.other_errors {
            *report.other_errors.entry(code).or_default() += n;
        }
        if let Some(close) = self.close {
            *report.closes.entry(close).or_default() += 1;
        }
    }
}

/// Reads (and counts) one socket's frames until it closes.
async fn read(mut stream: SplitStream<Ws>) -> Heard {
    let mut heard = Heard::default();
    while let Some(message) = stream.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(frame)) => {
                heard.close = Some(frame.map_or_else(
                    || "closed without a code".to_owned(),
                    |f| format!("{} {}", u16::from(f.code), f.reason),
                ));
                break;
            }
            Err(e) => {
                heard.close = Some(format!("socket error: {e}"));
                break;
            }
            Ok(_) => continue,
        };
        let Some(frame) = Frame::parse(text.as_str()) else {
            continue;
        };
        match (&*frame.kind, frame.code.as_deref()) {
            ("ack", _) => heard.acked += 1,
            ("error", Some("rate_limited")) => {
                heard.rate_limited += 1;
                if heard.message.is_none() {
                    heard.message = error_text(text.as_str());
                }
            }
            ("error", code) => {
                *heard
                    .other_errors
                    .entry(code.unwrap_or("?").to_owned())
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    heard
}

/// The human-readable `message` of an `error` frame.
fn error_text(frame: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(frame).ok()?;
    value.get("message")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_text_is_read_from_the_frame() {
        let frame = r#"{"type":"error","code":"rate_limited","message":"too many frames; slow down","client_id":"x"}"#;
        assert_eq!(
            error_text(frame).as_deref(),
            Some("too many frames; slow down")
        );
        assert_eq!(error_text("{}"), None);
    }

    #[test]
    fn what_each_socket_heard_adds_up() {
        let mut report = FloodReport::default();
        for close in ["1013 too slow", "1013 too slow"] {
            Heard {
                acked: 2,
                rate_limited: 10,
                message: Some(close.to_owned()),
                other_errors: BTreeMap::from([("not_found".to_owned(), 1)]),
                close: Some(close.to_owned()),
            }
            .add_to(&mut report);
        }
        assert_eq!((report.acked, report.rate_limited), (4, 20));
        assert_eq!(report.other_errors.get("not_found"), Some(&2));
        assert_eq!(report.closes.get("1013 too slow"), Some(&2));
        assert_eq!(report.message.as_deref(), Some("1013 too slow"));
    }
}
