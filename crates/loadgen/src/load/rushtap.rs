//! What `rush` watches on each socket through the endpoints' [`Tap`]: the attendants' frames
//! per second and the assignments they receive, each customer's first answer to its chat
//! request, and every socket the server cut. The chat itself (sends, acks, deliveries) stays
//! with the [`crate::endpoint::Endpoint`] the tap rides on.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;

use crate::endpoint::{End, Tap};
use crate::rushcount::{Buckets, batch_kinds};
use crate::wire::{self, Frame};

/// What every socket of a rush reports to, shared.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// When the first customer was due; unset while the desks come online.
    began: OnceLock<Instant>,
    /// Conversations an attendant got an `assigned` frame for.
    assigned: Mutex<HashSet<String>>,
    assignments: AtomicUsize,
    /// The conversations the customers learned of.
    requested: Mutex<HashSet<String>>,
    /// Customers told they were assigned (`assigned`, or `conversation` assigned/active).
    pub(crate) told_assigned: AtomicUsize,
    /// Per customer, µs from its `start_chat` to its first answer, and µs since the rush
    /// began when it came.
    answers: Mutex<Vec<(u64, u64)>>,
    pub(crate) answered: AtomicUsize,
    /// Conversations with a side the server cut: nothing sent there could arrive.
    orphaned: Mutex<HashSet<String>>,
    /// Sockets cut, by `side: how`.
    cuts: Mutex<BTreeMap<String, u64>>,
    /// Each attendant socket's buckets, handed over when its endpoint ends.
    buckets: Mutex<Vec<Buckets>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Watch {
    /// Starts the rush clock (once).
    pub(crate) fn begin(&self, at: Instant) {
        let _ = self.began.set(at);
    }

    /// Time since the rush began, or `None` before it.
    pub(crate) fn since(&self) -> Option<Duration> {
        Instant::now().checked_duration_since(*self.began.get()?)
    }

    pub(crate) fn assignments(&self) -> usize {
        self.assignments.load(Ordering::Relaxed)
    }

    fn assigned(&self, conversation: String) {
        if lock(&self.assigned).insert(conversation) {
            self.assignments.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn cut(&self, side: &str, how: End, conversations: &[String]) {
        *lock(&self.cuts)
            .entry(format!("{side}: {}", how.label()))
            .or_default() += 1;
        lock(&self.orphaned).extend(conversations.iter().cloned());
    }

    pub(crate) fn cuts(&self) -> BTreeMap<String, u64> {
        lock(&self.cuts).clone()
    }

    pub(crate) fn answers(&self) -> Vec<(u64, u64)> {
        lock(&self.answers).clone()
    }

    pub(crate) fn buckets(&self) -> Vec<Buckets> {
        lock(&self.buckets).clone()
    }

    /// Assigned conversations that some customer of the run asked for.
    pub(crate) fn matched(&self) -> usize {
        let requested = lock(&self.requested);
        lock(&self.assigned)
            .iter()
            .filter(|id| requested.contains(*id))
            .count()
    }

    /// Whether both ends of `conversation` could chat: an attendant got it and neither
    /// side's socket was cut.
    pub(crate) fn intact(&self) -> impl Fn(&str) -> bool + use<> {
        let assigned = lock(&self.assigned).clone();
        let orphaned = lock(&self.orphaned).clone();
        move |id| assigned.contains(id) && !orphaned.contains(id)
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// An attendant socket's tap: counts its frames per second; learns its assignments.
#[derive(Debug)]
pub(crate) struct DeskTap {
    watch: Arc<Watch>,
    buckets: Buckets,
    held: Vec<String>,
}

impl DeskTap {
    pub(crate) fn new(watch: &Arc<Watch>) -> Self {
        Self {
            watch: Arc::clone(watch),
            buckets: Buckets::default(),
            held: Vec::new(),
        }
    }
}

impl Tap for DeskTap {
    fn frame(&mut self, text: &str) {
        let since = self.watch.since();
        match wire::sniff_type(text) {
            Some("batch") => self.buckets.record(since, "batch", &batch_kinds(text)),
            Some(kind) => {
                self.buckets.record(since, kind, &[]);
                if kind == "assigned"
                    && let Some(id) = Frame::parse(text).and_then(|f| f.conversation_id())
                {
                    self.held.push(id.clone());
                    self.watch.assigned(id);
                }
            }
            None => {
                let kind = Frame::parse(text).map_or_else(|| "unparsable".into(), |f| f.kind);
                self.buckets.record(since, &kind, &[]);
            }
        }
    }

    fn ended(&mut self, how: End) {
        self.buckets.cut(self.watch.since());
        self.watch.cut("attendant", how, &self.held);
    }
}

impl Drop for DeskTap {
    fn drop(&mut self) {
        let buckets = std::mem::take(&mut self.buckets);
        lock(&self.watch.buckets).push(buckets);
    }
}

/// The parts of a customer's `conversation` frame the tap reads.
#[derive(Deserialize)]
struct ConversationFrame<'a> {
    #[serde(borrow)]
    conversation: View<'a>,
}

#[derive(Deserialize)]
struct View<'a> {
    id: String,
    #[serde(borrow)]
    status: std::borrow::Cow<'a, str>,
}

/// A customer socket's tap: the first answer to its chat request, and its conversation.
#[derive(Debug)]
pub(crate) struct CustomerTap {
    watch: Arc<Watch>,
    /// When `start_chat` was sent.
    asked: Instant,
    conversation: Option<String>,
    answered: bool,
    told_assigned: bool,
}

impl CustomerTap {
    pub(crate) fn new(watch: &Arc<Watch>, asked: Instant) -> Self {
        Self {
            watch: Arc::clone(watch),
            asked,
            conversation: None,
            answered: false,
            told_assigned: false,
        }
    }

    fn learn(&mut self, id: String) {
        if self.conversation.is_none() {
            lock(&self.watch.requested).insert(id.clone());
            self.conversation = Some(id);
        }
    }

    fn answer(&mut self, assigned: bool) {
        if !self.answered {
            self.answered = true;
            let at = self.watch.since().map_or(0, micros);
            lock(&self.watch.answers).push((micros(self.asked.elapsed()), at));
            self.watch.answered.fetch_add(1, Ordering::Relaxed);
        }
        if assigned && !self.told_assigned {
            self.told_assigned = true;
            self.watch.told_assigned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Tap for CustomerTap {
    fn frame(&mut self, text: &str) {
        match wire::sniff_type(text) {
            Some("queue_status" | "assigned") => {
                let Some(frame) = Frame::parse(text) else {
                    return;
                };
                if let Some(id) = frame.conversation_id() {
                    self.learn(id);
                }
                self.answer(frame.kind == "assigned");
            }
            Some("conversation") => {
                let Ok(frame) = serde_json::from_str::<ConversationFrame<'_>>(text) else {
                    return;
                };
                let status = frame.conversation.status;
                self.learn(frame.conversation.id);
                if matches!(&*status, "assigned" | "active") {
                    self.answer(true);
                }
            }
            _ => {}
        }
    }

    fn ended(&mut self, how: End) {
        let conversation: Vec<String> = self.conversation.iter().cloned().collect();
        self.watch.cut("customer", how, &conversation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_is_answered_once_and_counted_assigned_once() {
        let watch = Arc::new(Watch::default());
        watch.begin(Instant::now());
        let mut tap = CustomerTap::new(&watch, Instant::now());
        tap.frame(r#"{"type":"conversation","conversation":{"id":"c1","queue":"q","status":"queued","customer":{"id":"k"},"requested_at":1,"last_seq":0}}"#);
        assert_eq!(
            watch.answered.load(Ordering::Relaxed),
            0,
            "queued is no answer"
        );
        tap.frame(r#"{"type":"queue_status","conversation":"c1","position":3,"ewt_seconds":10}"#);
        tap.frame(r#"{"type":"queue_status","conversation":"c1","position":2,"ewt_seconds":5}"#);
        tap.frame(r#"{"type":"assigned","conversation":"c1","attendant":{"id":"a","name":"A"}}"#);
        tap.frame(r#"{"type":"conversation","conversation":{"id":"c1","queue":"q","status":"active","customer":{"id":"k"},"requested_at":1,"last_seq":1}}"#);
        assert_eq!(watch.answered.load(Ordering::Relaxed), 1);
        assert_eq!(watch.told_assigned.load(Ordering::Relaxed), 1);
        assert_eq!(watch.answers().len(), 1);
        tap.ended(End::Closed(Some(1013)));
        assert!(!watch.intact()("c1"));
    }

    #[test]
    fn desks_count_distinct_assignments_and_hand_over_their_buckets() {
        let watch = Arc::new(Watch::default());
        watch.begin(Instant::now());
        let assigned = r#"{"type":"assigned","conversation":{"id":"c1","status":"assigned"}}"#;
        {
            let mut one = DeskTap::new(&watch);
            let mut two = DeskTap::new(&watch);
            one.frame(assigned);
            two.frame(assigned);
            one.frame(r#"{"type":"batch","frames":[{"type":"queue"},{"type":"withdrawn"}]}"#);
            two.ended(End::Closed(Some(1013)));
        }
        assert_eq!(watch.assignments(), 1);
        assert_eq!(watch.buckets().len(), 2);
        assert_eq!(watch.cuts().get("attendant: close 1013"), Some(&1));
        assert!(!watch.intact()("c1"), "its second holder was cut");
        assert_eq!(watch.matched(), 0, "no customer of this test asked for it");
    }
}
