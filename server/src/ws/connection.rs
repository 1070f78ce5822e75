//! The transport loop shared by both sockets: a writer task fed by a bounded queue, a reader
//! loop with an idle timeout and a rate limit, and the resume handshake.
//!
//! Resume without gaps or duplicates: the connection registers with the hub *before* it
//! reads the missed messages from the store, and messages are published only after they are
//! stored. So every message is either in the store read or arrives live afterwards; the
//! writer drops live messages the replay already covered.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use chimpassist_protocol::{ConversationId, ErrorBody, ErrorCode, Seq};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use governor::{Quota, RateLimiter};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::delivery::Kill;
use crate::delivery::outbox::{OutboxRx, Taken};
use crate::delivery::{MAX_BATCH, Outbound, batch_text};

/// Frames that must arrive a connection may have queued before the hub cuts it as too slow
/// (state frames do not count: they coalesce, see [`crate::delivery::outbox`]).
pub(super) const OUTBOUND_QUEUE: usize = 512;
/// Least time between two runs of state frames on one connection: a few a second is as
/// fast as a person reads a list, and what changes in between is coalesced.
pub(super) const STATE_PACE: Duration = Duration::from_millis(250);
/// Messages replayed on resume before answering `resync` instead.
pub(super) const MAX_REPLAY: u64 = 500;
/// Close code sent when the server stops (1001 "going away").
const GOING_AWAY: u16 = 1001;

pub(super) type WsSink = SplitSink<WebSocket, Message>;
pub(super) type WsStream = SplitStream<WebSocket>;

/// Sends a text frame directly on the sink (before the writer task starts).
pub(super) async fn send_text(sink: &mut WsSink, text: impl Into<Utf8Bytes>) -> bool {
    sink.send(Message::Text(text.into())).await.is_ok()
}

/// How the writer sends.
pub(super) struct WriterSetup {
    /// Messages already replayed, per conversation: their live copies are skipped.
    pub replayed: HashMap<ConversationId, Seq>,
    pub heartbeat: Duration,
    /// The client takes `batch` frames (an attendant who said so in its `hello`).
    pub batch: bool,
}

/// Runs the writer: queued frames in order (minus already replayed messages), each encoded
/// once per event (see [`crate::delivery::Outbound::text`]), state at most every
/// [`STATE_PACE`] (as one `batch` frame when the client takes them), pings every
/// `heartbeat`, and a close frame when the server stops or the connection is cut (with the
/// cut's code: too slow, stale, session ended, rights changed).
pub(super) fn spawn_writer(
    mut sink: WsSink,
    rx: OutboxRx,
    setup: WriterSetup,
    kill: Kill,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let WriterSetup {
        replayed,
        heartbeat,
        batch,
    } = setup;
    let mut rx = rx.paced(STATE_PACE);
    tokio::spawn(async move {
        let mut ping = tokio::time::interval(heartbeat);
        ping.tick().await;
        let close = loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => break Some((GOING_AWAY, "server shutting down")),
                _ = kill.cut_off() => break kill.reason().map(|r| (r.code(), r.text())),
                taken = rx.take() => {
                    let texts = match taken {
                        None => break None,
                        Some(Taken::Frame(frame)) => {
                            if let Some((conversation, seq)) = frame.message()
                                && replayed.get(&conversation).is_some_and(|last| seq <= *last)
                            {
                                continue;
                            }
                            vec![frame.text()]
                        }
                        Some(Taken::State(run)) if batch && run.len() > 1 => {
                            run.chunks(MAX_BATCH).map(batch_text).collect()
                        }
                        Some(Taken::State(run)) => run.iter().map(Outbound::text).collect(),
                    };
                    if !send_all(&mut sink, texts).await {
                        break None;
                    }
                }
                _ = ping.tick() => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break None;
                    }
                }
            }
        };
        if let Some((code, reason)) = close {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                })))
                .await;
        }
        let _ = sink.close().await;
    })
}

/// Sends texts in order, flushing once at the end. False when the socket is gone.
async fn send_all(sink: &mut WsSink, texts: Vec<Utf8Bytes>) -> bool {
    let mut texts = texts.into_iter().peekable();
    while let Some(text) = texts.next() {
        let message = Message::Text(text);
        let sent = if texts.peek().is_some() {
            sink.feed(message).await
        } else {
            sink.send(message).await
        };
        if sent.is_err() {
            return false;
        }
    }
    true
}

/// What the reader got.
pub(super) enum Incoming {
    Text(Utf8Bytes),
    /// A frame the protocol does not accept (binary); answer with this error.
    Rejected(ErrorBody),
    /// Socket closed, errored, or idle too long.
    Closed,
}

/// Reads the next application frame, answering pings implicitly (axum does) and treating
/// silence longer than `idle` as a dead connection.
pub(super) async fn next_frame(stream: &mut WsStream, idle: Duration) -> Incoming {
    loop {
        let next = match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(_)) | None) | Err(_) => return Incoming::Closed,
        };
        match next {
            Message::Text(text) => return Incoming::Text(text),
            Message::Binary(_) => {
                return Incoming::Rejected(ErrorBody::new(
                    ErrorCode::MalformedJson,
                    "binary frames are not accepted; send JSON text",
                ));
            }
            Message::Close(_) => return Incoming::Closed,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// Per-connection token bucket: `per_second` on average, bursts of twice that.
pub(super) struct Throttle(
    RateLimiter<
        governor::state::NotKeyed,
        governor::state::InMemoryState,
        governor::clock::DefaultClock,
    >,
);

impl Throttle {
    pub(super) fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
        Self(RateLimiter::direct(
            Quota::per_second(rate).allow_burst(burst),
        ))
    }

    /// `Err` with a typed error when over the limit.
    pub(super) fn check(&self) -> Result<(), ErrorBody> {
        self.0.check().map_err(|_| {
            ErrorBody::new(
                ErrorCode::RateLimited,
                "too many frames; slow down (nothing from the rejected frame was stored)",
            )
        })
    }
}
