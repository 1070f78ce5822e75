//! One client socket through a run: a customer (one conversation) or an attendant (many),
//! sending by a [`Sending`] policy, answering with receipts, and checking every ack and
//! delivery against the conversation ledgers.
//!
//! The run moves through [`Phase`]s broadcast by the runner: `Setup` (connected, learning
//! assignments), `Run` (sending), `Drain` (no new sends; acks and deliveries still counted),
//! `Stop` (close). Every loop here ends at `Stop` or when the socket closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use crate::ledger::Ledger;
use crate::stats::{Recorder, micros_between};
use crate::wire::{self, Frame, Ws};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Setup,
    Run,
    Drain,
    Stop,
}

/// When this socket sends messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Sending {
    Never,
    /// `per_conversation` messages per second to each held conversation, each after a
    /// `typing composing`; the first at `phase` (0..1) of a period, to spread sockets out.
    Rate {
        per_conversation: f64,
        phase: f64,
    },
    /// Keep this many sends unacked (max throughput).
    Window(usize),
}

/// How this socket acknowledges what it receives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Receipts {
    /// `delivered` for each message, and `read` for the newest every period, if given.
    EachDelivered { read_every: Option<Duration> },
    /// One cumulative `delivered` per conversation per period.
    Batched(Duration),
}

/// Sees every text frame a socket receives, and how the socket ended if that was before
/// `Stop`: for scenarios that measure the frames themselves (`rush` counts state frames per
/// second and sockets the server cut), without a second read loop beside this one.
pub(crate) trait Tap: Send {
    /// A text frame, before the endpoint handles it.
    fn frame(&mut self, text: &str);
    /// The socket ended under us (not closed by us at `Stop`).
    fn ended(&mut self, how: End);
}

/// How a socket ended under us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The server sent a close frame, with its code if it gave one (1013: too slow).
    Closed(Option<u16>),
    /// The stream ended without a close frame.
    Eof,
    /// Reading failed (reset, protocol error).
    ReadError,
    /// Writing failed.
    WriteFailed,
}

impl End {
    /// A stable label for counting ends by kind.
    pub(crate) fn label(self) -> String {
        match self {
            Self::Closed(Some(code)) => format!("close {code}"),
            Self::Closed(None) => "close (no code)".into(),
            Self::Eof => "eof".into(),
            Self::ReadError => "read error".into(),
            Self::WriteFailed => "write failed".into(),
        }
    }
}

/// Counts events the runner waits for (attendants' `assigned` frames).
#[derive(Debug, Default)]
pub(crate) struct Counter {
    count: AtomicUsize,
    notify: Notify,
}

impl Counter {
    pub(crate) fn add(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.notify.notify_waiters();
    }

    /// Waits until the count reaches `n` or `within` passes; returns the count.
    pub(crate) async fn wait_for(&self, n: usize, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let notified = self.notify.notified();
            let count = self.count.load(Ordering::Relaxed);
            if count >= n || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count.load(Ordering::Relaxed);
            }
        }
    }
}

/// A fresh client id: a UUID from a per-process random prefix and a counter (cheaper than
/// drawing 122 random bits per message; the server only needs them unique).
pub(crate) fn client_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    uuid::Uuid::from_u64_pair(prefix, NEXT.fetch_add(1, Ordering::Relaxed)).to_string()
}

struct Conv {
    id: String,
    ledger: Arc<Ledger>,
    /// Whether this socket sends to it (attendants only send to conversations they hold).
    sends: bool,
    /// Newest seq delivered here, and the newest receipted as read / batch-delivered.
    seen: u64,
    receipted: u64,
}

struct Pending {
    conv: usize,
    sent_ns: u64,
}

/// The socket was closed under us or a write failed.
struct Closed;

/// A client socket and what it holds.
pub(crate) struct Endpoint {
    ws: Ws,
    /// `customer` or `attendant`: our own echoes come back with this party and are skipped.
    party: &'static str,
    convs: Vec<Conv>,
    index: HashMap<String, usize>,
    pending: HashMap<String, Pending>,
    sending: Sending,
    receipts: Receipts,
    rec: Recorder,
    assigned: Option<Arc<Counter>>,
    tap: Option<Box<dyn Tap>>,
    next_conv: usize,
    running: bool,
}

impl Endpoint {
    pub(crate) fn new(
        ws: Ws,
        party: &'static str,
        sending: Sending,
        receipts: Receipts,
        rec: Recorder,
    ) -> Self {
        Self {
            ws,
            party,
            convs: Vec::new(),
            index: HashMap::new(),
            pending: HashMap::new(),
            sending,
            receipts,
            rec,
            assigned: None,
            tap: None,
            next_conv: 0,
            running: false,
        }
    }

    /// Holds `conversation` (and sends to it if this socket sends at all).
    pub(crate) fn hold(&mut self, conversation: &str) {
        let i = self.conv_index(conversation);
        if let Some(conv) = self.convs.get_mut(i) {
            conv.sends = true;
        }
    }

    /// Learns conversations from `assigned` frames, counting them on `counter`.
    pub(crate) fn learn_assignments(mut self, counter: Arc<Counter>) -> Self {
        self.assigned = Some(counter);
        self
    }

    /// Shows every received frame and an early end to `tap`.
    pub(crate) fn with_tap(mut self, tap: Box<dyn Tap>) -> Self {
        self.tap = Some(tap);
        self
    }

    fn conv_index(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let ledger = self.rec.shared().ledgers.get(id);
        self.convs.push(Conv {
            id: id.to_owned(),
            ledger,
            sends: false,
            seen: 0,
            receipted: 0,
        });
        self.index.insert(id.to_owned(), self.convs.len() - 1);
        self.convs.len() - 1
    }

    /// Runs until `Stop` or until the socket closes.
    pub(crate) async fn run(mut self, mut phase: watch::Receiver<Phase>) {
        let mut ticker: Option<Interval> = None;
        let period = match self.receipts {
            Receipts::EachDelivered { read_every } => read_every.unwrap_or(Duration::MAX / 4),
            Receipts::Batched(every) => every,
        };
        let mut receipts = tokio::time::interval(period);
        receipts.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut current = *phase.borrow_and_update();
        let mut closed = false;
        let mut end = End::WriteFailed;
        if current == Phase::Run {
            ticker = self.start_sending().await.unwrap_or(None);
        }
        while current != Phase::Stop {
            let outcome = tokio::select! {
                changed = phase.changed() => {
                    let next = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Stop };
                    let was = std::mem::replace(&mut current, next);
                    match next {
                        Phase::Run if was == Phase::Setup => {
                            self.start_sending().await.map(|t| ticker = t)
                        }
                        Phase::Drain | Phase::Stop => {
                            self.set_running(false);
                            ticker = None;
                            Ok(())
                        }
                        _ => Ok(()),
                    }
                }
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(tap) = &mut self.tap {
                            tap.frame(text.as_str());
                        }
                        self.on_frame(text.as_str()).await
                    }
                    Some(Ok(Message::Close(frame))) => {
                        end = End::Closed(frame.map(|f| u16::from(f.code)));
                        Err(Closed)
                    }
                    Some(Err(_)) => {
                        end = End::ReadError;
                        Err(Closed)
                    }
                    None => {
                        end = End::Eof;
                        Err(Closed)
                    }
                    Some(Ok(_)) => Ok(()),
                },
                () = tick(&mut ticker) => self.send_next().await,
                _ = receipts.tick() => self.periodic_receipts().await,
            };
            if outcome.is_err() {
                closed = true;
                break;
            }
        }
        self.set_running(false);
        if closed {
            if let Some(tap) = &mut self.tap {
                tap.ended(end);
            }
            self.rec
                .error(&format!("{}: socket closed early", self.party));
        } else {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
        }
    }

    /// Counts this endpoint in or out of the ones that may still send, so the drain does
    /// not end while one of them has yet to see `Drain` (it could still send, then close at
    /// `Stop` before its ack arrives).
    fn set_running(&mut self, on: bool) {
        if self.running != on {
            self.running = on;
            let sending = &self.rec.shared().sending;
            if on {
                sending.fetch_add(1, Ordering::SeqCst);
            } else {
                sending.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Enters `Run`: returns the rate ticker, or fills the window.
    async fn start_sending(&mut self) -> Result<Option<Interval>, Closed> {
        self.set_running(true);
        match self.sending {
            Sending::Never => Ok(None),
            Sending::Rate {
                per_conversation,
                phase,
            } => {
                let held = self.convs.iter().filter(|c| c.sends).count();
                if held == 0 {
                    return Ok(None);
                }
                let period = Duration::from_secs_f64(1.0 / (per_conversation * held as f64));
                let first = Instant::now() + period.mul_f64(phase.clamp(0.0, 1.0));
                Ok(Some(tokio::time::interval_at(first, period)))
            }
            Sending::Window(n) => {
                for _ in 0..n {
                    self.send_next().await?;
                }
                Ok(None)
            }
        }
    }

    /// Sends one message to the next held conversation in turn.
    async fn send_next(&mut self) -> Result<(), Closed> {
        let held = self.convs.len();
        let Some(i) = (0..held)
            .map(|k| (self.next_conv + k) % held)
            .find(|&i| self.convs[i].sends)
        else {
            return Ok(());
        };
        self.next_conv = i + 1;
        let id = client_id();
        let sent_ns = wire::now_ns();
        let conv = &self.convs[i].id;
        if matches!(self.sending, Sending::Rate { .. }) {
            self.ws
                .feed(wire::composing(conv))
                .await
                .map_err(|_| Closed)?;
        }
        let frame = wire::send(conv, &id, &wire::stamped_text(sent_ns));
        self.ws.feed(frame).await.map_err(|_| Closed)?;
        self.ws.flush().await.map_err(|_| Closed)?;
        self.pending.insert(id, Pending { conv: i, sent_ns });
        self.rec.sent();
        Ok(())
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), Closed> {
        // Most frames of a busy desk are state (`conversation`, `queue`, `batch`) that this
        // endpoint ignores: skip them without the full parse.
        if wire::sniff_type(text)
            .is_some_and(|kind| !matches!(kind, "message" | "ack" | "assigned" | "error"))
        {
            return Ok(());
        }
        let Some(frame) = Frame::parse(text) else {
            self.rec.error("unparsable frame");
            return Ok(());
        };
        match &*frame.kind {
            "message" => {
                let Some(m) = frame.delivered() else {
                    self.rec.error("unparsable message");
                    return Ok(());
                };
                if m.from.party == self.party {
                    return Ok(()); // our own message, echoed to all our connections
                }
                let i = self.conv_index(&m.conversation);
                let conv = &mut self.convs[i];
                conv.seen = conv.seen.max(m.seq);
                if conv.ledger.delivered(m.seq) {
                    let sent = wire::stamp_of(&m.text).unwrap_or(0);
                    self.rec.delivered(micros_between(sent, wire::now_ns()));
                } else {
                    self.rec
                        .error(&format!("{}: duplicate delivery", self.party));
                }
                if let Receipts::EachDelivered { .. } = self.receipts {
                    let receipt = wire::receipt(&self.convs[i].id, "delivered", m.seq);
                    self.ws.send(receipt).await.map_err(|_| Closed)?;
                }
            }
            "ack" => {
                let pending = frame
                    .client_id
                    .as_deref()
                    .and_then(|c| self.pending.remove(c));
                if let (Some(p), Some(seq)) = (pending, frame.seq) {
                    self.convs[p.conv].ledger.acked(seq);
                    self.rec.acked(micros_between(p.sent_ns, wire::now_ns()));
                    return self.refill().await;
                }
            }
            "assigned" => {
                if let (Some(counter), Some(id)) = (self.assigned.clone(), frame.conversation_id())
                {
                    let known = self.index.get(&id).is_some_and(|&i| self.convs[i].sends);
                    if !known {
                        self.hold(&id);
                        counter.add();
                    }
                }
            }
            "error" => {
                let code = frame.code.as_deref().unwrap_or("error");
                let pending = frame
                    .client_id
                    .as_deref()
                    .and_then(|c| self.pending.remove(c));
                let label = format!("{}: {code}", self.party);
                if pending.is_some() {
                    self.rec.send_failed(&label);
                    return self.refill().await;
                }
                self.rec.error(&label);
            }
            _ => {}
        }
        Ok(())
    }

    /// In window mode, replaces a send that was answered.
    async fn refill(&mut self) -> Result<(), Closed> {
        if self.running && matches!(self.sending, Sending::Window(_)) {
            self.send_next().await?;
        }
        Ok(())
    }

    /// `read` (each-delivered mode) or cumulative `delivered` (batched mode) receipts for
    /// every conversation with something new.
    async fn periodic_receipts(&mut self) -> Result<(), Closed> {
        let kind = match self.receipts {
            Receipts::EachDelivered { read_every: None } => return Ok(()),
            Receipts::EachDelivered { .. } => "read",
            Receipts::Batched(_) => "delivered",
        };
        let mut any = false;
        for conv in &mut self.convs {
            if conv.seen > conv.receipted {
                conv.receipted = conv.seen;
                let receipt = wire::receipt(&conv.id, kind, conv.seen);
                self.ws.feed(receipt).await.map_err(|_| Closed)?;
                any = true;
            }
        }
        if any {
            self.ws.flush().await.map_err(|_| Closed)?;
        }
        Ok(())
    }
}

/// Waits for the next tick, or forever when there is no ticker.
pub(crate) async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}
