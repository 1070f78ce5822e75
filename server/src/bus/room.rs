//! Flow control between a node's publishers and its subscribers.
//!
//! Why: a bus hands each local subscriber its events through a bounded queue, and a
//! subscriber that falls `capacity` events behind gets a gap, which closes every connection
//! of the node. One subscriber (the node's delivery task) serves every connection, so
//! connections that publish faster than it delivers (a burst of pipelined sends from
//! hundreds of sockets) would fill the queue in well under a second. [`Room::wait`] makes
//! such publishers wait while the queue holds [`HIGH`] events (or a quarter of its
//! capacity, if less), until it is down to half that: the burst is slowed down where it comes
//! from instead of cutting everyone. A short queue also keeps delivery fast: at 50,000 events
//! a second, 1,024 queued events are 20 ms of waiting between an ack and its delivery.
//!
//! A subscriber that stops reading must not stall publishers for ever, so a publisher waits
//! at most [`MOST`]; after that it publishes anyway, and that subscriber gets its gap as
//! before.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Queued events at which publishers wait (at most).
pub(super) const HIGH: usize = 1024;

/// The longest a publisher waits for room.
pub(super) const MOST: Duration = Duration::from_secs(1);

/// The shared state of a bus's flow control.
#[derive(Debug)]
pub(super) struct Room {
    notify: Notify,
    /// Publishers waiting now: subscribers only signal when someone listens.
    waiting: AtomicUsize,
    /// At or above this many queued events, publishers wait.
    high: usize,
    /// Waiting publishers go on once a subscriber is down to this many.
    low: usize,
}

impl Room {
    /// For a queue of `capacity` events per subscriber.
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            notify: Notify::new(),
            waiting: AtomicUsize::new(0),
            high: (capacity / 4).clamp(1, HIGH),
            low: (capacity / 4).clamp(1, HIGH) / 2,
        }
    }

    /// Waits (at most [`MOST`]) while `queued()` — the events the slowest subscriber has yet
    /// to receive — is at the high-water mark.
    pub(super) async fn wait(&self, queued: impl Fn() -> usize) {
        if queued() < self.high {
            return;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _done = Waiting(&self.waiting);
        let _ = tokio::time::timeout(MOST, async {
            loop {
                let notified = self.notify.notified();
                tokio::pin!(notified);
                // Listen before looking, so a signal between the two is not missed.
                notified.as_mut().enable();
                if queued() < self.high {
                    return;
                }
                notified.await;
            }
        })
        .await;
    }

    /// Called by a subscriber after each event it takes, with how many it still has queued.
    pub(super) fn taken(&self, left: usize) {
        if left <= self.low && self.waiting.load(Ordering::SeqCst) > 0 {
            self.notify.notify_waiters();
        }
    }
}

/// Counts a waiting publisher out however its wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_publisher_waits_at_the_high_mark_until_the_subscriber_is_down_to_the_low_one() {
        let room = Arc::new(Room::new(64));
        let queued = Arc::new(AtomicUsize::new(16));
        let waiter = {
            let (room, queued) = (room.clone(), queued.clone());
            tokio::spawn(async move { room.wait(|| queued.load(Ordering::SeqCst)).await })
        };
        // The subscriber takes events one by one; the publisher goes on only at the low mark.
        for left in (8..16).rev() {
            tokio::task::yield_now().await;
            assert!(!waiter.is_finished(), "went on with {} queued", left + 1);
            queued.store(left, Ordering::SeqCst);
            room.taken(left);
        }
        waiter.await.expect("the publisher went on");
    }

    #[tokio::test(start_paused = true)]
    async fn a_subscriber_that_stops_reading_holds_a_publisher_back_at_most_a_second() {
        let room = Room::new(64);
        let started = tokio::time::Instant::now();
        room.wait(|| 64).await;
        assert_eq!(started.elapsed(), MOST);
    }

    #[tokio::test]
    async fn below_the_high_mark_nobody_waits() {
        let room = Room::new(64);
        room.wait(|| 15).await;
        assert_eq!(room.waiting.load(Ordering::SeqCst), 0);
    }
}
