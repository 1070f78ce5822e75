//! What the queue looks like from outside: each waiting customer's position and estimated
//! wait, and each queue's numbers for the attendants, announced at most every
//! [`ANNOUNCE_PACE`].
//!
//! Why paced: every request, assignment and end moves the positions of everyone behind it
//! and the numbers every attendant sees. Announced after each command, a rush of 2,000
//! requests costs O(waiting) work per command and a stream of frames per attendant that
//! grows with the square of the queue. Announced a few times a second, a rush costs a few
//! rounds a second, each telling only what changed since the last round.
//!
//! # Guarantees
//! - The first change after a quiet pace is announced right after the command that made it;
//!   later ones within the pace at its end, in one round. Nothing changed goes untold.
//! - Announcements are computed from the model when they go out, so they are never older
//!   than the commands before them.

use chimpassist_protocol::{QueueId, ServerToAttendant, ServerToCustomer};
use tokio::time::{Duration, Instant};

use super::actor::Actor;
use super::wire::ReplicaUpdate;
use crate::bus::BusEvent;

/// Least time between two rounds of announcements.
pub(super) const ANNOUNCE_PACE: Duration = Duration::from_millis(250);

/// Whether a round is owed, and when the next may go.
#[derive(Debug)]
pub(super) struct Pace {
    owed: bool,
    next: Instant,
}

impl Pace {
    pub(super) fn new(now: Instant) -> Self {
        Self {
            owed: false,
            next: now,
        }
    }

    /// When the owed round is due, if one is owed.
    pub(super) fn due_at(&self) -> Option<Instant> {
        self.owed.then_some(self.next)
    }
}

impl Actor {
    /// The queue changed (a request, an assignment, an end…): its positions and numbers
    /// are owed.
    pub(super) fn queue_changed(&mut self) {
        self.announce.owed = true;
    }

    /// Announces what is owed if the pace allows it now (the actor calls this after every
    /// input and when [`Pace::due_at`] comes).
    pub(super) async fn announce_if_due(&mut self) {
        let now = Instant::now();
        if self.announce.owed && now >= self.announce.next {
            self.announce.owed = false;
            self.announce.next = now + ANNOUNCE_PACE;
            self.push_positions().await;
            self.refresh_observations().await;
        }
    }

    /// Sends each waiting customer their position and EWT when they changed.
    async fn push_positions(&mut self) {
        let mut updates = Vec::new();
        let queue_ids: Vec<_> = self.model.queues.keys().cloned().collect();
        for queue in queue_ids {
            for (id, position) in self.model.positions(&queue) {
                let ewt = self.model.estimated_wait(&queue, position);
                let Some(q) = self.model.queues.get_mut(&queue) else {
                    continue;
                };
                if q.told.get(&id) != Some(&(position, ewt)) {
                    q.told.insert(id, (position, ewt));
                    if let Some(c) = self.model.conversations.get(&id) {
                        updates.push((c.record.customer_id.clone(), id, position, ewt));
                    }
                }
            }
        }
        for (customer, conversation, position, ewt_seconds) in updates {
            self.publish(BusEvent::Customer {
                customer,
                frame: ServerToCustomer::QueueStatus {
                    conversation,
                    position,
                    ewt_seconds,
                },
            });
        }
    }

    /// Recomputes queue numbers; pushes changed numbers to attendants.
    pub(super) async fn refresh_observations(&self) {
        let mut changed = Vec::new();
        let ids: Vec<QueueId> = self.model.queues.keys().cloned().collect();
        for id in ids {
            let waiting = self.model.queues.get(&id).map_or(0, |q| q.waiting.len());
            let next = u32::try_from(waiting).unwrap_or(u32::MAX).saturating_add(1);
            let (observations, ewt_seconds) = (
                self.model.observations(&id),
                self.model.estimated_wait(&id, next),
            );
            if self.replica.replica.observations(&id).as_ref()
                != Some(&(observations.clone(), ewt_seconds))
            {
                changed.push((id.clone(), observations.clone()));
                self.replica.set(ReplicaUpdate::Queue {
                    queue: id,
                    observations,
                    ewt_seconds,
                });
            }
        }
        for (queue, observations) in changed {
            self.publish(BusEvent::AllAttendants {
                frame: ServerToAttendant::Queue {
                    queue,
                    observations,
                },
            });
        }
    }
}
