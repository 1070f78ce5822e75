//! The read loop both sockets share, generic over what a peer does with its frames.

use std::time::Duration;

use async_trait::async_trait;
use chimpassist_protocol::{ClientFrame, ErrorBody, Limits, decode};

use chimpassist_store::{Appended, StoreResult};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;

use super::connection::{Incoming, Throttle, WsStream, next_frame};
use crate::delivery::outbox::{OutboxRx, OutboxTx};
use crate::delivery::{Answers, Kill, Outbound, Registration, Sent, ServerFrame, Submitted};
use crate::error::{AppError, AppResult};
use crate::revoke::CloseReason;
use crate::state::AppState;

/// A failed frame: the error, and what it answers (a `send`, not stored; a call frame).
pub(super) struct Failure {
    pub error: AppError,
    pub answers: Option<Answers>,
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Self {
            error,
            answers: None,
        }
    }
}

impl From<crate::coordinator::CoordError> for Failure {
    fn from(error: crate::coordinator::CoordError) -> Self {
        AppError::from(error).into()
    }
}

/// What handling a frame left running.
pub(super) enum Step {
    /// Nothing: the frame is handled.
    Done,
    /// A `send` whose message the store is committing: [`Peer::committed`] finishes it.
    Committing(Submitted),
}

/// One side of the conversation protocol.
#[async_trait]
pub(super) trait Peer: Send {
    type In: ClientFrame + Send;
    /// What the server sends this side.
    type Out: ServerFrame;
    /// Whether `frame` is a `send`: it may be handled while earlier sends still commit.
    /// Every other frame waits for those first, so it sees their effects (an `end_chat`
    /// after a message ends the conversation after the message, as the client meant).
    fn pipelines(frame: &Self::In) -> bool;
    /// Handles one decoded frame.
    async fn handle(&mut self, frame: Self::In) -> Result<Step, Failure>;
    /// What a `send` implies for the coordinator once its message is stored, delivered and
    /// acked. Called in the order the sends were read.
    async fn committed(&mut self, sent: &Sent) -> AppResult<()>;
    /// Runs every heartbeat: `Err` cuts the connection for that reason (an attendant whose
    /// session ended or whose rights changed). Customers have nothing to check.
    async fn recheck(&mut self) -> Result<(), CloseReason> {
        Ok(())
    }
    /// What a raw frame answers to, for errors raised before `handle` (rate limit).
    fn answers(frame: &str) -> Option<Answers> {
        Answers::of_raw(frame)
    }
}

/// Everything the read loop needs besides the peer.
pub(super) struct LoopContext<'a> {
    pub state: &'a AppState,
    pub tx: OutboxTx,
    pub idle: Duration,
    pub limits: Limits,
    pub kill: Kill,
    /// How often [`Peer::recheck`] runs.
    pub recheck: Duration,
}

/// An error frame for `P`'s side.
fn error_frame<P: Peer>(body: ErrorBody, answers: Option<Answers>) -> Outbound {
    P::Out::error_frame(body, answers).into()
}

/// Most sends of one connection committing at once. Enough that a client sending a burst
/// (a pasted list, a resend after reconnecting) fills the store's batches instead of waiting
/// one commit per message; small enough that one connection cannot hog the writer.
const WINDOW: usize = 32;

/// The sends of one connection being committed, oldest first, with the refused ones among
/// them (so every send is answered in the order it was read).
type InFlight = FuturesOrdered<BoxFuture<'static, Answer>>;

/// A send's outcome: the store's answer, or why it was refused before reaching the store.
type Answer = Result<(StoreResult<Appended>, Sent), Refusal>;

/// An error to answer, and the frame it refuses.
type Refusal = (ErrorBody, Option<Answers>);

/// Reads frames until the socket closes, goes idle, is cut, or the server stops. Every bad
/// frame gets a typed error and the loop goes on.
///
/// Sends are pipelined: the loop reads the next frame while up to [`WINDOW`] earlier
/// messages commit, and finishes them (deliver, ack) strictly in the order they were read.
/// When the loop ends, the messages already submitted are still finished, so none is stored
/// without being delivered.
pub(super) async fn read_loop<P: Peer>(peer: &mut P, stream: &mut WsStream, cx: LoopContext<'_>) {
    let throttle = Throttle::new(cx.state.config.rate_limit_per_second);
    let mut recheck = tokio::time::interval(cx.recheck);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.tick().await;
    let mut inflight = InFlight::new();
    'frames: loop {
        // One read across rechecks and commits: neither may restart the idle timeout.
        let next = next_frame(stream, cx.idle);
        tokio::pin!(next);
        let incoming = loop {
            tokio::select! {
                _ = cx.state.stop.cancelled() => break 'frames,
                _ = cx.kill.cut_off() => break 'frames,
                _ = recheck.tick() => {
                    if let Err(reason) = peer.recheck().await {
                        cx.kill.cut(reason);
                        break 'frames;
                    }
                }
                Some(answer) = inflight.next(), if !inflight.is_empty() => {
                    finish(peer, &cx, answer).await;
                }
                incoming = &mut next, if inflight.len() < WINDOW => break incoming,
            }
        };
        let text = match incoming {
            Incoming::Closed => break 'frames,
            Incoming::Rejected(body) => {
                refuse::<P>(&cx, &mut inflight, (body, None)).await;
                continue;
            }
            Incoming::Text(text) => text,
        };
        if let Err(body) = throttle.check() {
            refuse::<P>(&cx, &mut inflight, (body, P::answers(&text))).await;
            continue;
        }
        let frame = match decode::<P::In>(&text, &cx.limits) {
            Ok(frame) => frame,
            Err(e) => {
                refuse::<P>(&cx, &mut inflight, (e.body(), P::answers(&text))).await;
                continue;
            }
        };
        if !P::pipelines(&frame) {
            drain(peer, &cx, &mut inflight).await;
        }
        match peer.handle(frame).await {
            Ok(Step::Done) => {}
            Ok(Step::Committing(Submitted { commit, sent })) => {
                inflight.push_back(Box::pin(async move { Ok((commit.await, sent)) }));
            }
            Err(failure) => {
                let refusal = (failure.error.body(), failure.answers);
                refuse::<P>(&cx, &mut inflight, refusal).await;
            }
        }
    }
    drain(peer, &cx, &mut inflight).await;
}

/// Finishes every send still committing, in order.
async fn drain<P: Peer>(peer: &mut P, cx: &LoopContext<'_>, inflight: &mut InFlight) {
    while let Some(answer) = inflight.next().await {
        finish(peer, cx, answer).await;
    }
}

/// Delivers and acks a committed send, or answers its error.
async fn finish<P: Peer>(peer: &mut P, cx: &LoopContext<'_>, answer: Answer) {
    let refusal = match answer {
        Ok((result, sent)) => {
            let answers = Some(Answers::Send(sent.client_id));
            let outcome = match result {
                Ok(appended) => {
                    let stored = sent.deliver(&cx.state.delivery, appended).await;
                    reply(&cx.tx, P::Out::ack_frame(&stored)).await;
                    peer.committed(&sent).await
                }
                Err(e) => Err(AppError::from(e)),
            };
            match outcome {
                Ok(()) => return,
                Err(error) => (error.body(), answers),
            }
        }
        Err(refusal) => refusal,
    };
    report::<P>(cx, refusal).await;
}

/// Answers a refused frame: at once, or after the sends still committing, so every frame
/// is answered in the order it was read.
async fn refuse<P: Peer>(cx: &LoopContext<'_>, inflight: &mut InFlight, refusal: Refusal) {
    if inflight.is_empty() {
        report::<P>(cx, refusal).await;
    } else {
        inflight.push_back(Box::pin(std::future::ready(Err(refusal))));
    }
}

/// Answers a failed frame with its error.
async fn report<P: Peer>(cx: &LoopContext<'_>, (body, answers): Refusal) {
    cx.state.metrics.rejected(body.code);
    reply(&cx.tx, error_frame::<P>(body, answers)).await;
}

/// Waits for the opening `hello` (at most 10 frames), answering anything else with a typed
/// error. `hello` returns the protocol version and payload of a hello frame, `None` for
/// other frames.
pub(crate) async fn await_hello<P: Peer, H>(
    sink: &mut super::connection::WsSink,
    stream: &mut WsStream,
    state: &AppState,
    hello: impl Fn(P::In) -> Option<(u32, H)>,
) -> Option<H> {
    use chimpassist_protocol::{ErrorCode, PROTOCOL_VERSION};
    let limits = state.config.limits();
    for _ in 0..10 {
        let error = match next_frame(stream, state.config.heartbeat() * 3).await {
            Incoming::Closed => return None,
            Incoming::Rejected(body) => body,
            Incoming::Text(text) => match decode::<P::In>(&text, &limits).map(&hello) {
                Ok(Some((protocol, payload))) if protocol == PROTOCOL_VERSION => {
                    return Some(payload);
                }
                Ok(Some(_)) => ErrorBody::new(
                    ErrorCode::UnsupportedVersion,
                    format!("this server speaks protocol {PROTOCOL_VERSION}"),
                ),
                Ok(None) => ErrorBody::new(ErrorCode::HelloRequired, "send `hello` first"),
                Err(e) => e.body(),
            },
        };
        state.metrics.rejected(error.code);
        let frame = P::Out::error_frame(error, None);
        super::connection::send_text(sink, chimpassist_protocol::encode(&frame)).await;
    }
    None
}

/// What the opening handshake settled.
pub(super) struct Greeted<'a> {
    /// Where the client's copies end: what it missed is replayed.
    pub resume: &'a [chimpassist_protocol::ResumePoint],
    /// The `welcome` went out (else the connection only closes).
    pub welcomed: bool,
    /// The client takes `batch` frames.
    pub batch: bool,
}

/// Everything after the `welcome`: replays what the client missed, starts the writer, reads
/// frames until the connection ends (only if the welcome went out), then unregisters and
/// waits for the writer to close the socket.
pub(crate) async fn run<P: Peer>(
    state: &std::sync::Arc<AppState>,
    mut sink: super::connection::WsSink,
    mut stream: WsStream,
    (registration, rx): (Registration, OutboxRx),
    hello: Greeted<'_>,
    make_peer: impl FnOnce(OutboxTx) -> P,
) {
    let replayed = super::history::replay::<P::Out>(state, &mut sink, hello.resume)
        .await
        .unwrap_or_default();
    let writer = super::connection::spawn_writer(
        sink,
        rx,
        super::connection::WriterSetup {
            replayed,
            heartbeat: state.config.heartbeat(),
            batch: hello.batch,
        },
        registration.kill.clone(),
        state.stop.clone(),
    );
    let welcomed = hello.welcomed;
    if welcomed {
        let mut peer = make_peer(registration.tx.clone());
        let cx = LoopContext {
            state,
            tx: registration.tx.clone(),
            idle: state.config.heartbeat() * 3,
            limits: state.config.limits(),
            kill: registration.kill.clone(),
            recheck: state.config.heartbeat(),
        };
        read_loop(&mut peer, &mut stream, cx).await;
    }
    registration.kill.cancel();
    drop(registration);
    let _ = writer.await;
}

/// Queues a direct reply. Waiting here only slows this client's own reads.
pub(super) async fn reply(tx: &OutboxTx, frame: impl Into<Outbound>) {
    tx.send(frame.into()).await;
}
