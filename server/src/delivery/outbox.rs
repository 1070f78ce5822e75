//! One connection's queue of frames to send, which coalesces superseded state.
//!
//! Why: a rush of chat requests changes the state of many conversations and queues many
//! times a second, and every attendant who may see them is told. A plain bounded channel
//! fills up at an attendant who reads a little slower than that, and the connection is cut
//! (1013) — the desk goes dark exactly when it is needed. But a `conversation` frame is the
//! whole current state of its conversation: once a newer one is queued, the older one is
//! worth nothing. So this queue keeps at most one pending frame per piece of state
//! ([`StateKey`]) and bounds only the frames that must all arrive.
//!
//! # Guarantees
//! - **What must arrive, arrives, in order.** Frames without a state key (messages, acks,
//!   receipts, assignments, errors, history…) are never merged or dropped; they leave in the
//!   order they were pushed.
//! - **State is never older than what came before it.** A state frame that supersedes a
//!   pending one removes it and joins the *back* of the queue, so the receiver gets the
//!   pushed sequence minus superseded state frames: nothing overtakes anything pushed before
//!   it (a `conversation: resolved` never jumps ahead of the last message).
//! - **Bounded.** At most `cap` frames that must arrive and at most `state_cap` distinct
//!   pieces of state wait; past either, [`OutboxTx::try_push`] answers [`Push::Full`] and the
//!   hub cuts the connection, as before.
//! - **State paced, never late behind what must arrive.** A [paced](OutboxRx::paced)
//!   receiver takes state at most once per period, all pending state in one run
//!   ([`Taken::State`], which the writer may send as one `batch` frame): a desk that would be
//!   told of a thousand changes a second is told a few times a second, each time the newest
//!   state. The first change after a quiet period goes at once, and a frame that must
//!   arrive never waits behind held state: the state ahead of it goes first, right away.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use super::frame::{Outbound, StateKey};

/// Distinct pieces of state one connection may have pending: far more than one desk shows,
/// few enough to bound a stuck connection's memory (each entry shares its frame).
pub const STATE_CAP: usize = 4096;

/// What happened to a pushed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    Queued,
    /// Queued, and an older frame of the same state was dropped.
    Coalesced,
    /// No room: the receiver is too slow.
    Full,
    /// The receiver is gone.
    Closed,
}

/// A new queue: the sending and the receiving half.
pub fn outbox(cap: usize, state_cap: usize) -> (OutboxTx, OutboxRx) {
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            next: 0,
            order: BTreeMap::new(),
            keyed: HashMap::new(),
            ordered: 0,
            cap: cap.max(1),
            state_cap: state_cap.max(1),
            receiver_gone: false,
            senders: 1,
        }),
        ready: Notify::new(),
        room: Notify::new(),
    });
    (
        OutboxTx {
            shared: Arc::clone(&shared),
        },
        OutboxRx {
            shared,
            pace: Duration::ZERO,
            next_state: None,
        },
    )
}

#[derive(Debug)]
struct Shared {
    inner: Mutex<Inner>,
    /// Wakes the receiver: a frame was pushed, or the last sender left.
    ready: Notify,
    /// Wakes senders waiting for room.
    room: Notify,
}

#[derive(Debug)]
struct Inner {
    next: u64,
    /// Pending frames by push order.
    order: BTreeMap<u64, Entry>,
    /// The pending frame of each piece of state, by its place in `order`.
    keyed: HashMap<StateKey, u64>,
    /// Pending frames without a state key.
    ordered: usize,
    cap: usize,
    state_cap: usize,
    receiver_gone: bool,
    senders: usize,
}

#[derive(Debug)]
struct Entry {
    frame: Outbound,
    key: Option<StateKey>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending half; clones share the queue.
#[derive(Debug)]
pub struct OutboxTx {
    shared: Arc<Shared>,
}

impl Clone for OutboxTx {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for OutboxTx {
    fn drop(&mut self) {
        let last = {
            let mut inner = self.shared.lock();
            inner.senders -= 1;
            inner.senders == 0
        };
        if last {
            self.shared.ready.notify_one();
        }
    }
}

impl OutboxTx {
    /// Queues `frame` now, or says why not.
    pub fn try_push(&self, frame: Outbound) -> Push {
        let key = frame.state_key();
        let outcome = {
            let mut inner = self.shared.lock();
            if inner.receiver_gone {
                return Push::Closed;
            }
            inner.push(frame, key)
        };
        if outcome != Push::Full {
            self.shared.ready.notify_one();
        }
        outcome
    }

    /// Queues `frame`, waiting for room if need be (direct replies: the connection's own
    /// reader waits, never the hub). False when the receiver is gone.
    pub async fn send(&self, frame: Outbound) -> bool {
        loop {
            let room = self.shared.room.notified();
            match self.try_push(frame.clone()) {
                Push::Queued | Push::Coalesced => return true,
                Push::Closed => return false,
                Push::Full => room.await,
            }
        }
    }
}

impl Inner {
    fn push(&mut self, frame: Outbound, key: Option<StateKey>) -> Push {
        let superseded = key.as_ref().and_then(|k| self.keyed.get(k).copied());
        match (&key, superseded) {
            (None, _) if self.ordered >= self.cap => return Push::Full,
            (Some(_), None) if self.keyed.len() >= self.state_cap => return Push::Full,
            _ => {}
        }
        if let Some(old) = superseded {
            self.order.remove(&old);
        }
        let at = self.next;
        self.next += 1;
        match &key {
            Some(k) => {
                self.keyed.insert(k.clone(), at);
            }
            None => self.ordered += 1,
        }
        self.order.insert(at, Entry { frame, key });
        if superseded.is_some() {
            Push::Coalesced
        } else {
            Push::Queued
        }
    }

    /// Whether the next frame is state (`None` when nothing is pending).
    fn head_is_state(&self) -> Option<bool> {
        self.order.first_key_value().map(|(_, e)| e.key.is_some())
    }

    /// The state frames at the head, up to the first frame that must arrive.
    fn pop_state_run(&mut self) -> Vec<Outbound> {
        let mut run = Vec::new();
        while self.head_is_state() == Some(true) {
            run.extend(self.pop());
        }
        run
    }

    fn pop(&mut self) -> Option<Outbound> {
        let (_, entry) = self.order.pop_first()?;
        match entry.key {
            Some(k) => {
                self.keyed.remove(&k);
            }
            None => self.ordered -= 1,
        }
        Some(entry.frame)
    }
}

/// What a paced receiver takes next.
#[derive(Debug)]
pub enum Taken {
    /// A frame that must arrive.
    Frame(Outbound),
    /// The newest pending state, one frame per piece of state, in push order.
    State(Vec<Outbound>),
}

/// The receiving half: the connection's writer.
#[derive(Debug)]
pub struct OutboxRx {
    shared: Arc<Shared>,
    /// Least time between two runs of state.
    pace: Duration,
    /// When the next run of state may go.
    next_state: Option<Instant>,
}

impl Drop for OutboxRx {
    fn drop(&mut self) {
        self.shared.lock().receiver_gone = true;
        self.shared.room.notify_waiters();
    }
}

impl OutboxRx {
    /// The next frame; `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<Outbound> {
        loop {
            let ready = self.shared.ready.notified();
            {
                let mut inner = self.shared.lock();
                if let Some(frame) = inner.pop() {
                    drop(inner);
                    self.shared.room.notify_waiters();
                    return Some(frame);
                }
                if inner.senders == 0 {
                    return None;
                }
            }
            ready.await;
        }
    }

    /// Takes state at most once per `every` from now on (see [`OutboxRx::take`]).
    pub fn paced(mut self, every: Duration) -> Self {
        self.pace = every;
        self
    }

    /// The next frame that must arrive, or the run of pending state: at once when a frame
    /// that must arrive waits behind it, when the last run went a period ago, or when every
    /// sender is gone; else when the period ends (state pushed meanwhile joins the run).
    /// `None` once every sender is gone and the queue is empty. Cancel-safe: nothing is
    /// taken from the queue before an await.
    pub async fn take(&mut self) -> Option<Taken> {
        loop {
            let ready = self.shared.ready.notified();
            let wait_until = {
                let mut inner = self.shared.lock();
                match inner.head_is_state() {
                    None if inner.senders == 0 => return None,
                    None => None,
                    Some(false) => {
                        let frame = inner.pop();
                        drop(inner);
                        self.shared.room.notify_waiters();
                        return frame.map(Taken::Frame);
                    }
                    Some(true) => {
                        let now = Instant::now();
                        let due = self.next_state.is_none_or(|at| now >= at);
                        if due || inner.ordered > 0 || inner.senders == 0 {
                            let run = inner.pop_state_run();
                            drop(inner);
                            self.next_state = Some(now + self.pace);
                            self.shared.room.notify_waiters();
                            return Some(Taken::State(run));
                        }
                        self.next_state
                    }
                }
            };
            match wait_until {
                Some(at) => {
                    tokio::select! {
                        _ = ready => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => ready.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::{
        ChannelObservation, ClientMessageId, ConversationId, QueueId, QueueObservations,
        ServerToAttendant,
    };

    use super::*;
    use crate::delivery::frame::tests_support::{conversation, message};

    fn drain(rx: &mut OutboxRx) -> Vec<Outbound> {
        let mut out = Vec::new();
        while let Some(Some(frame)) = futures_util::FutureExt::now_or_never(rx.recv()) {
            out.push(frame);
        }
        out
    }

    fn texts(frames: &[Outbound]) -> Vec<String> {
        frames.iter().map(|f| f.text().to_string()).collect()
    }

    fn queue(waiting: u32) -> Outbound {
        Outbound::from(ServerToAttendant::Queue {
            queue: QueueId::default_queue(),
            observations: QueueObservations {
                chat: ChannelObservation {
                    waiting,
                    interacting: 0,
                },
                ..Default::default()
            },
        })
    }

    fn ack() -> Outbound {
        Outbound::from(chimpassist_protocol::ServerToCustomer::Ack {
            conversation: ConversationId::new(),
            client_id: ClientMessageId::new(),
            seq: 1,
            timestamp: 0,
        })
    }

    #[tokio::test]
    async fn frames_that_must_arrive_arrive_in_order_until_the_cap() {
        let (tx, mut rx) = outbox(3, 10);
        let c = ConversationId::new();
        let sent: Vec<_> = (1..=3).map(|seq| message(c, seq)).collect();
        for m in &sent {
            assert_eq!(tx.try_push(m.clone()), Push::Queued);
        }
        assert_eq!(tx.try_push(message(c, 4)), Push::Full);
        assert_eq!(texts(&drain(&mut rx)), texts(&sent));
    }

    #[tokio::test]
    async fn a_newer_state_replaces_the_pending_one_and_never_overtakes_a_message() {
        let (tx, mut rx) = outbox(8, 8);
        let c = ConversationId::new();
        let (v1, m, v2) = (
            conversation(c, "queued"),
            message(c, 1),
            conversation(c, "active"),
        );
        assert_eq!(tx.try_push(v1), Push::Queued);
        assert_eq!(tx.try_push(m.clone()), Push::Queued);
        assert_eq!(tx.try_push(v2.clone()), Push::Coalesced);
        assert_eq!(texts(&drain(&mut rx)), texts(&[m, v2]));
    }

    #[tokio::test]
    async fn state_never_fills_the_queue_of_frames_that_must_arrive() {
        let (tx, mut rx) = outbox(2, 101);
        let conversations: Vec<_> = (0..100).map(|_| ConversationId::new()).collect();
        for round in 0..100 {
            for c in &conversations {
                let status = if round % 2 == 0 { "queued" } else { "assigned" };
                assert_ne!(tx.try_push(conversation(*c, status)), Push::Full);
            }
            assert_ne!(tx.try_push(queue(round)), Push::Full);
        }
        assert_eq!(tx.try_push(ack()), Push::Queued);
        let out = drain(&mut rx);
        assert_eq!(out.len(), 102, "one per conversation, one queue, the ack");
        assert!(out.last().unwrap().text().contains("\"ack\""));
        assert!(out[0].text().contains("\"assigned\""), "the latest state");
    }

    #[tokio::test]
    async fn too_many_distinct_states_is_full() {
        let (tx, _rx) = outbox(8, 2);
        assert_eq!(
            tx.try_push(conversation(ConversationId::new(), "queued")),
            Push::Queued
        );
        assert_eq!(tx.try_push(queue(1)), Push::Queued);
        let third = conversation(ConversationId::new(), "queued");
        assert_eq!(tx.try_push(third), Push::Full);
        assert_eq!(
            tx.try_push(queue(2)),
            Push::Coalesced,
            "a known state still fits"
        );
    }

    #[tokio::test]
    async fn the_receiver_ends_when_every_sender_is_gone_and_senders_see_it_leave() {
        let (tx, mut rx) = outbox(4, 4);
        let other = tx.clone();
        assert_eq!(tx.try_push(ack()), Push::Queued);
        drop(tx);
        drop(other);
        assert!(rx.recv().await.is_some());
        assert!(rx.recv().await.is_none());

        let (tx, rx) = outbox(4, 4);
        drop(rx);
        assert_eq!(tx.try_push(ack()), Push::Closed);
        assert!(!tx.send(ack()).await);
    }

    #[tokio::test]
    async fn send_waits_for_room_instead_of_failing() {
        let (tx, mut rx) = outbox(1, 1);
        assert!(tx.send(ack()).await);
        let waiting = tokio::spawn(async move { tx.send(ack()).await });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert!(rx.recv().await.is_some());
        assert!(waiting.await.expect("task"));
        assert!(rx.recv().await.is_some());
    }

    fn taken_texts(taken: Option<Taken>) -> (bool, Vec<String>) {
        match taken.expect("a frame") {
            Taken::Frame(f) => (false, texts(&[f])),
            Taken::State(run) => (true, texts(&run)),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn paced_state_goes_at_once_then_at_most_once_a_period_coalesced() {
        let (tx, rx) = outbox(8, 8);
        let mut rx = rx.paced(Duration::from_millis(250));
        let (a, b) = (ConversationId::new(), ConversationId::new());
        tx.try_push(conversation(a, "queued"));
        let started = Instant::now();
        assert_eq!(
            taken_texts(rx.take().await),
            (true, texts(&[conversation(a, "queued")]))
        );
        assert_eq!(Instant::now(), started, "the first change goes at once");
        for status in ["assigned", "active"] {
            tx.try_push(conversation(a, status));
            tx.try_push(conversation(b, status));
            tx.try_push(queue(1));
        }
        let run = taken_texts(rx.take().await);
        assert_eq!(Instant::now() - started, Duration::from_millis(250));
        assert_eq!(
            run,
            (
                true,
                texts(&[
                    conversation(a, "active"),
                    conversation(b, "active"),
                    queue(1)
                ])
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_frame_that_must_arrive_releases_the_state_ahead_of_it_at_once() {
        let (tx, rx) = outbox(8, 8);
        let mut rx = rx.paced(Duration::from_secs(10));
        let c = ConversationId::new();
        tx.try_push(conversation(c, "queued"));
        rx.take().await;
        let started = Instant::now();
        let m = message(c, 1);
        tx.try_push(conversation(c, "assigned"));
        tx.try_push(m.clone());
        tx.try_push(queue(3));
        assert_eq!(
            taken_texts(rx.take().await),
            (true, texts(&[conversation(c, "assigned")]))
        );
        assert_eq!(taken_texts(rx.take().await), (false, texts(&[m])));
        assert_eq!(Instant::now(), started, "nothing waited");
        drop(tx);
        assert_eq!(
            taken_texts(rx.take().await),
            (true, texts(&[queue(3)])),
            "held state still goes when the senders leave"
        );
        assert!(rx.take().await.is_none());
    }

    /// The receiver gets the pushed sequence minus superseded state frames, for any mix.
    #[tokio::test]
    async fn the_output_is_the_input_minus_superseded_state() {
        let conversations: Vec<_> = (0..4).map(|_| ConversationId::new()).collect();
        let mut seed = 20261205u64;
        for _case in 0..200 {
            let (tx, mut rx) = outbox(1000, 1000);
            let mut pushed: Vec<(Option<StateKey>, String)> = Vec::new();
            for _ in 0..40 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let c = conversations[(seed >> 33) as usize % conversations.len()];
                let frame = match (seed >> 40) % 4 {
                    0 => message(c, seed % 1000),
                    1 => conversation(c, "queued"),
                    2 => conversation(c, "active"),
                    _ => queue((seed % 50) as u32),
                };
                pushed.push((frame.state_key(), frame.text().to_string()));
                tx.try_push(frame);
            }
            let expected: Vec<String> = pushed
                .iter()
                .enumerate()
                .filter(|(i, (key, _))| {
                    key.as_ref()
                        .is_none_or(|k| !pushed[i + 1..].iter().any(|(l, _)| l.as_ref() == Some(k)))
                })
                .map(|(_, (_, text))| text.clone())
                .collect();
            assert_eq!(texts(&drain(&mut rx)), expected);
        }
    }
}
