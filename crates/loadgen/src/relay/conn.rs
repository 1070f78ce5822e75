//! One relay connection: handshake (role and pairs from the query string), a writer task
//! that drains the outbox, and a reader loop that answers `hello`, numbers and forwards
//! `send`, and forwards `receipt`/`typing` untouched.
//!
//! No persistence, no coordinator, no auth: this is the floor the real server is compared
//! with. The writer batches whatever is queued into one flush, which is what a tuned
//! implementation would do; the tungstenite buffer sizes are left at their defaults, the
//! same as the server's axum sockets, so memory per socket compares like for like.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use crate::pairing::{Outbox, Pairs, Role};

/// Frames a connection may have queued; a full outbox makes the *sender* wait (backpressure),
/// it never drops a frame.
const OUTBOX: usize = 1024;
/// Most pairs one attendant socket may hold.
const MAX_PAIRS_PER_SOCKET: usize = 1000;

/// Who a connection is: from `/ws?role=customer|attendant&pair=K`. An attendant may give a
/// comma-separated list (`pair=1,5,9`) to hold several conversations on one socket, as a real
/// attendant does, so both benchmark targets see the same number of sockets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) role: Role,
    pub(crate) pairs: Vec<u64>,
}

/// Parses the handshake's path and query.
pub(crate) fn parse_identity(path: &str, query: Option<&str>) -> Result<Identity, String> {
    if path != "/ws" {
        return Err(format!("unknown path {path}; use /ws?role=…&pair=…"));
    }
    let (mut role, mut pairs) = (None, Vec::new());
    for (key, value) in query
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
    {
        match key {
            "role" => {
                role = Some(match value {
                    "customer" => Role::Customer,
                    "attendant" => Role::Attendant,
                    other => return Err(format!("unknown role {other}")),
                });
            }
            "pair" => {
                for raw in value.split(',') {
                    pairs.push(raw.parse().map_err(|_| format!("bad pair {raw}"))?);
                }
            }
            _ => {}
        }
    }
    let role = role.ok_or("missing role")?;
    match (role, pairs.len()) {
        (_, 0) => Err("missing pair".into()),
        (Role::Customer, 1) => Ok(Identity { role, pairs }),
        (Role::Customer, _) => Err("a customer holds exactly one pair".into()),
        (Role::Attendant, n) if n > MAX_PAIRS_PER_SOCKET => Err("too many pairs".into()),
        (Role::Attendant, _) => Ok(Identity { role, pairs }),
    }
}

/// Runs one connection to its end.
#[expect(
    clippy::result_large_err,
    reason = "tungstenite's handshake callback returns its own large error response"
)]
pub(crate) async fn serve(stream: TcpStream, pairs: Arc<Pairs>) {
    let mut identity = None;
    let handshake = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, res: Response| {
        match parse_identity(req.uri().path(), req.uri().query()) {
            Ok(found) => {
                identity = Some(found);
                Ok(res)
            }
            Err(message) => {
                let mut refusal = ErrorResponse::new(Some(message));
                *refusal.status_mut() = StatusCode::BAD_REQUEST;
                Err(refusal)
            }
        }
    })
    .await;
    let (Ok(ws), Some(identity)) = (handshake, identity) else {
        return;
    };
    let (sink, mut stream) = ws.split();
    let (tx, rx) = mpsc::channel(OUTBOX);
    let connection = pairs.connection_id();
    for &pair in &identity.pairs {
        pairs.join(identity.role, pair, connection, tx.clone());
    }
    let writer = tokio::spawn(write_loop(sink, rx));
    while let Some(Ok(message)) = stream.next().await {
        let go_on = match message {
            Message::Text(text) => handle(&text, &identity, &tx, &pairs).await.is_ok(),
            Message::Close(_) => false,
            _ => true,
        };
        if !go_on {
            break;
        }
    }
    for &pair in &identity.pairs {
        pairs.leave(identity.role, pair, connection);
    }
    drop(tx);
    let _ = writer.await;
}

/// Sends everything queued, flushing once per batch; ends when every outbox sender is gone.
async fn write_loop(
    mut sink: SplitSink<WebSocketStream<TcpStream>, Message>,
    mut rx: mpsc::Receiver<Message>,
) {
    while let Some(first) = rx.recv().await {
        if sink.feed(first).await.is_err() {
            return;
        }
        while let Ok(next) = rx.try_recv() {
            if sink.feed(next).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

/// The outbox of this connection is closed: stop reading.
struct Gone;

async fn handle(text: &str, me: &Identity, tx: &Outbox, pairs: &Pairs) -> Result<(), Gone> {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return reply(tx, error("malformed_json", "frame is not JSON")).await;
    };
    let kind = frame.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "hello" => reply(tx, json!({"type": "welcome"})).await,
        "ping" => {
            let nonce = frame.get("nonce").cloned().unwrap_or(json!(0));
            reply(tx, json!({"type": "pong", "nonce": nonce})).await
        }
        "send" | "receipt" | "typing" => {
            let Some(pair) = conversation_of(&frame, me) else {
                return reply(tx, error("not_found", "conversation is not one of yours")).await;
            };
            if kind == "send" {
                relay_message(&frame, pair, me.role, tx, pairs).await
            } else {
                if let Some(partner) = pairs.partner(me.role, pair) {
                    // The partner's own connection may be gone; that is not our failure.
                    let _ = partner.send(Message::text(text)).await;
                }
                Ok(())
            }
        }
        other => {
            reply(
                tx,
                error("unknown_type", &format!("unknown type `{other}`")),
            )
            .await
        }
    }
}

/// The pair a frame's `conversation` names (a number or its text), if this socket holds it.
fn conversation_of(frame: &Value, me: &Identity) -> Option<u64> {
    let pair = match frame.get("conversation")? {
        Value::String(s) => s.parse().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    me.pairs.contains(&pair).then_some(pair)
}

/// Numbers the message, acks the sender and forwards it to the partner.
async fn relay_message(
    frame: &Value,
    pair: u64,
    role: Role,
    tx: &Outbox,
    pairs: &Pairs,
) -> Result<(), Gone> {
    let conversation = frame.get("conversation").cloned().unwrap_or(Value::Null);
    let client_id = frame.get("client_id").cloned().unwrap_or(Value::Null);
    let text = frame.get("text").cloned().unwrap_or(Value::Null);
    let (seq, partner) = pairs.next_seq(role, pair);
    let timestamp = now_ms();
    if let Some(partner) = partner {
        let message = json!({"type": "message", "message": {
            "conversation": conversation, "seq": seq, "client_id": client_id, "text": text,
            "timestamp": timestamp, "from": {"party": role.as_str()},
        }});
        let _ = partner.send(Message::text(message.to_string())).await;
    }
    reply(
        tx,
        json!({"type": "ack", "conversation": conversation, "client_id": client_id,
               "seq": seq, "timestamp": timestamp}),
    )
    .await
}

async fn reply(tx: &Outbox, frame: Value) -> Result<(), Gone> {
    tx.send(Message::text(frame.to_string()))
        .await
        .map_err(|_| Gone)
}

fn error(code: &str, message: &str) -> Value {
    json!({"type": "error", "code": code, "message": message})
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_come_from_the_query() {
        assert_eq!(
            parse_identity("/ws", Some("role=customer&pair=3")),
            Ok(Identity {
                role: Role::Customer,
                pairs: vec![3]
            })
        );
        assert_eq!(
            parse_identity("/ws", Some("pair=1,5,9&role=attendant")),
            Ok(Identity {
                role: Role::Attendant,
                pairs: vec![1, 5, 9]
            })
        );
        assert!(parse_identity("/ws", Some("role=customer&pair=1,2")).is_err());
        assert!(parse_identity("/ws", Some("role=boss&pair=1")).is_err());
        assert!(parse_identity("/ws", Some("role=customer")).is_err());
        assert!(parse_identity("/other", Some("role=customer&pair=1")).is_err());
    }

    #[test]
    fn only_held_conversations_are_accepted() {
        let me = Identity {
            role: Role::Attendant,
            pairs: vec![4, 6],
        };
        assert_eq!(conversation_of(&json!({"conversation": "6"}), &me), Some(6));
        assert_eq!(conversation_of(&json!({"conversation": 4}), &me), Some(4));
        assert_eq!(conversation_of(&json!({"conversation": "5"}), &me), None);
        assert_eq!(conversation_of(&json!({}), &me), None);
    }
}
