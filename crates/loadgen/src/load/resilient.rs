//! A chat client that survives its connection: the behaviour the server's fault tests
//! (`server/tests/ops/client.rs`) give a good widget, at full size. It chats like the
//! `chat` scenario (a steady rate with `typing`, a `delivered` receipt per message, `read`
//! every second), and when the socket drops it:
//!
//! 1. keeps every unacked message, and queues new ones while offline;
//! 2. reconnects with exponential backoff and jitter, a bounded number of times;
//! 3. says `hello` with its token (customers) or its cookie (attendants) and, per
//!    conversation, the highest seq it holds without a gap ([`Held`]);
//! 4. resends every unacked message in send order with its original client id.
//!
//! A send refused `unavailable` (the store is down) stays pending too, and is written again
//! once the store answers ([`retry`]).
//!
//! It proves what it sees: every ack, echo and delivery is checked against the shared
//! ledgers (once per seq, one seq per client id), and a seq it already holds is a duplicate
//! unless it lies above the resume point it just sent, where the protocol replays it again.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures_util::SinkExt;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::dial::{self, Dial, Role, next_message, wait_until};
use crate::endpoint::{Counter, Phase, client_id, tick};
use crate::ledger::Ledger;
use crate::recovery::{Recovery, Samples};
use crate::resume::{Held, Outbox, backoff, inversions};
use crate::stats::Recorder;
use crate::wire::{self, Ws};

mod inbound;
mod retry;

/// Reconnect attempts after one drop before the client gives up (about a minute at the
/// 2 s backoff cap).
const MAX_ATTEMPTS: u32 = 40;
/// `read` receipts are sent this often.
const READ_EVERY: Duration = Duration::from_secs(1);

struct Conv {
    id: String,
    ledger: Arc<Ledger>,
    held: Held,
    /// Held seqs above the last resume point: replayed once more, legitimately.
    replayable: BTreeSet<u64>,
    /// Newest partner seq seen, and the newest receipted as read.
    seen: u64,
    receipted: u64,
    /// This client's acks here: (send index, seq), to check the send order.
    acks: Vec<(u64, u64)>,
    /// Send indexes of messages refused `unavailable` at least once: written again later,
    /// they may be stored after younger ones, which is not an ordering fault.
    retried: BTreeSet<u64>,
}

/// The socket was closed under us or a write failed.
struct Closed;

/// One reconnecting client socket (a customer with one conversation, or an attendant).
pub(crate) struct Client {
    role: Role,
    dial: Dial,
    party: &'static str,
    ws: Option<Ws>,
    convs: Vec<Conv>,
    index: HashMap<String, usize>,
    outbox: Outbox,
    /// Messages per second per conversation.
    rate: f64,
    /// This client's number, to spread its sends and its reconnects.
    k: usize,
    next_conv: usize,
    rec: Recorder,
    recovery: Arc<Recovery>,
    samples: Samples,
    assigned: Option<Arc<Counter>>,
    retry_at: Option<Instant>,
    attempt: u32,
    /// A send was refused `unavailable`: new messages wait; one pending message probes.
    holding: bool,
    probe: Option<String>,
    probe_at: Option<Instant>,
    probe_attempt: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("party", &self.party)
            .field("k", &self.k)
            .field("connected", &self.ws.is_some())
            .field("unacked", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(
        ws: Ws,
        role: Role,
        dial: Dial,
        rate: f64,
        k: usize,
        rec: Recorder,
        recovery: Arc<Recovery>,
    ) -> Self {
        let party = match role {
            Role::Customer { .. } => "customer",
            Role::Attendant { .. } => "attendant",
        };
        Self {
            role,
            dial,
            party,
            ws: Some(ws),
            convs: Vec::new(),
            index: HashMap::new(),
            outbox: Outbox::default(),
            rate,
            k,
            next_conv: 0,
            rec,
            recovery,
            samples: Samples::default(),
            assigned: None,
            retry_at: None,
            attempt: 0,
            holding: false,
            probe: None,
            probe_at: None,
            probe_attempt: 0,
        }
    }

    /// Holds `conversation` and sends to it.
    pub(crate) fn hold(&mut self, conversation: &str) {
        self.conv_index(conversation);
    }

    /// Learns (attendants') conversations from `assigned` frames, counting them.
    pub(crate) fn learn_assignments(mut self, counter: Arc<Counter>) -> Self {
        self.assigned = Some(counter);
        self
    }

    fn conv_index(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.convs.push(Conv {
            id: id.to_owned(),
            ledger: self.rec.shared().ledgers.get(id),
            held: Held::default(),
            replayable: BTreeSet::new(),
            seen: 0,
            receipted: 0,
            acks: Vec::new(),
            retried: BTreeSet::new(),
        });
        self.index.insert(id.to_owned(), self.convs.len() - 1);
        self.convs.len() - 1
    }

    /// Runs until `Stop`, reconnecting whenever the socket drops.
    pub(crate) async fn run(mut self, mut phase: watch::Receiver<Phase>) {
        let mut current = *phase.borrow_and_update();
        let mut ticker = (current == Phase::Run).then(|| self.ticker()).flatten();
        let mut reads = tokio::time::interval(READ_EVERY);
        reads.set_missed_tick_behavior(MissedTickBehavior::Skip);
        while current != Phase::Stop {
            let step = tokio::select! {
                changed = phase.changed() => {
                    let next = if changed.is_ok() { *phase.borrow_and_update() } else { Phase::Stop };
                    let was = std::mem::replace(&mut current, next);
                    if next == Phase::Run && was == Phase::Setup {
                        ticker = self.ticker();
                    } else if matches!(next, Phase::Drain | Phase::Stop) {
                        ticker = None;
                    }
                    Ok(())
                }
                message = next_message(&mut self.ws) => self.on_message(message).await,
                () = wait_until(self.retry_at) => {
                    self.reconnect().await;
                    Ok(())
                }
                () = wait_until(self.probe_at) => self.probe().await,
                () = tick(&mut ticker) => self.send_new().await,
                _ = reads.tick() => self.read_receipts().await,
            };
            if step.is_err() {
                self.dropped();
            }
        }
        self.finish().await;
    }

    fn ticker(&self) -> Option<Interval> {
        if self.convs.is_empty() {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / (self.rate * self.convs.len() as f64));
        let first = Instant::now() + period.mul_f64(crate::window::spread(self.k));
        Some(tokio::time::interval_at(first, period))
    }

    /// The socket is gone: remember what was in flight and schedule the first attempt.
    fn dropped(&mut self) {
        if self.ws.take().is_none() {
            return;
        }
        Recovery::add(&self.recovery.drops, 1);
        Recovery::add(&self.recovery.in_flight, self.outbox.dropped());
        self.stop_holding();
        self.attempt = 0;
        self.retry_at = Some(Instant::now() + backoff(1, self.jitter()));
    }

    fn jitter(&self) -> f64 {
        crate::window::spread(self.k * 64 + self.attempt as usize)
    }

    async fn reconnect(&mut self) {
        self.retry_at = None;
        self.attempt += 1;
        let resume: Vec<(String, u64)> = self
            .convs
            .iter()
            .map(|c| (c.id.clone(), c.held.contiguous()))
            .collect();
        match dial::reopen(&mut self.role, self.dial, &resume).await {
            Ok(ws) => {
                self.ws = Some(ws);
                for conv in &mut self.convs {
                    conv.replayable = conv.held.above().clone();
                }
                self.recovery.reconnected(wire::now_ns());
                if self.resend().await.is_err() {
                    self.dropped();
                }
            }
            Err(label) => {
                Recovery::add(&self.recovery.failed_attempts, 1);
                if self.attempt >= MAX_ATTEMPTS {
                    Recovery::add(&self.recovery.gave_up, 1);
                    self.rec
                        .error(&format!("{}: gave up reconnecting ({label})", self.party));
                } else {
                    self.retry_at = Some(Instant::now() + backoff(self.attempt + 1, self.jitter()));
                }
            }
        }
    }

    /// Writes every unacked message, oldest first, with its original client id.
    async fn resend(&mut self) -> Result<(), Closed> {
        let Some(ws) = self.ws.as_mut() else {
            return Ok(());
        };
        for index in self.outbox.unsent() {
            let Some((m, resend)) = self.outbox.write(index) else {
                continue;
            };
            let counter = if resend {
                &self.recovery.resent
            } else {
                &self.recovery.queued_offline
            };
            Recovery::add(counter, 1);
            let frame = wire::send(&self.convs[m.conv].id, &m.client_id, &m.text);
            ws.feed(frame).await.map_err(|_| Closed)?;
        }
        ws.flush().await.map_err(|_| Closed)
    }

    /// A new message to the next conversation in turn; written now, or queued if offline.
    async fn send_new(&mut self) -> Result<(), Closed> {
        if self.convs.is_empty() {
            return Ok(());
        }
        let i = self.next_conv % self.convs.len();
        self.next_conv = i + 1;
        let now = wire::now_ns();
        let index = self
            .outbox
            .push(i, client_id(), wire::stamped_text(now), now);
        self.rec.sent();
        let Some(ws) = self.ws.as_mut().filter(|_| !self.holding) else {
            return Ok(());
        };
        let conversation = &self.convs[i].id;
        let Some((m, _)) = self.outbox.write(index) else {
            return Ok(());
        };
        ws.feed(wire::composing(conversation))
            .await
            .map_err(|_| Closed)?;
        ws.feed(wire::send(conversation, &m.client_id, &m.text))
            .await
            .map_err(|_| Closed)?;
        ws.flush().await.map_err(|_| Closed)
    }

    /// A `read` receipt for every conversation with something new.
    async fn read_receipts(&mut self) -> Result<(), Closed> {
        let Some(ws) = self.ws.as_mut() else {
            return Ok(());
        };
        let mut any = false;
        for conv in self.convs.iter_mut().filter(|c| c.seen > c.receipted) {
            conv.receipted = conv.seen;
            let receipt = wire::receipt(&conv.id, "read", conv.seen);
            ws.feed(receipt).await.map_err(|_| Closed)?;
            any = true;
        }
        if any {
            ws.flush().await.map_err(|_| Closed)?;
        }
        Ok(())
    }

    /// Books what is still unacked and the send order, hands in the samples, closes.
    async fn finish(mut self) {
        Recovery::add(&self.recovery.unanswered, self.outbox.len() as u64);
        for conv in &mut self.convs {
            let mut first_try: Vec<(u64, u64)> = conv
                .acks
                .iter()
                .filter(|(index, _)| !conv.retried.contains(index))
                .copied()
                .collect();
            let faults = inversions(&mut first_try);
            let all = inversions(&mut conv.acks);
            Recovery::add(&self.recovery.out_of_order, faults);
            Recovery::add(
                &self.recovery.reordered_by_retry,
                all.saturating_sub(faults),
            );
        }
        self.recovery.merge(std::mem::take(&mut self.samples));
        if let Some(mut ws) = self.ws.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
        }
    }
}
