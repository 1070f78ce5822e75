//! The coordinator's in-memory picture of queues, attendants and open conversations, and
//! the pure decisions taken on it (who gets the next conversation, queue positions, EWT).
//! No I/O here, so the rules are unit-tested directly.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use chimpassist_protocol::{
    AssignmentMode, AttendantId, ChannelObservation, ConversationId, CustomerId, CustomerPresence,
    CustomerView, Presence, QueueId, QueueObservations, TimestampMs,
};
use chimpassist_store::{Conversation, Queue};

use super::wire::AttendantCard;
use tokio::time::Instant;

/// Handle time assumed for a queue before any conversation there has ended, seconds.
const DEFAULT_HANDLE_SECS: f64 = 180.0;
/// Weight of the newest handle time in the moving average.
const HANDLE_EMA_WEIGHT: f64 = 0.2;

#[derive(Debug)]
pub(crate) struct QueueState {
    pub(crate) config: Queue,
    /// Waiting conversations in FIFO order: (requested_at, id).
    pub(crate) waiting: BTreeSet<(TimestampMs, ConversationId)>,
    /// Moving average of assigned → ended, seconds.
    pub(crate) avg_handle_secs: f64,
    /// Last (position, ewt) told to each waiting customer, to push only changes.
    pub(crate) told: HashMap<ConversationId, (u32, u32)>,
}

impl QueueState {
    pub(crate) fn new(config: Queue) -> Self {
        Self {
            config,
            waiting: BTreeSet::new(),
            avg_handle_secs: DEFAULT_HANDLE_SECS,
            told: HashMap::new(),
        }
    }

    pub(crate) fn record_handle_time(&mut self, secs: f64) {
        self.avg_handle_secs =
            HANDLE_EMA_WEIGHT * secs.max(1.0) + (1.0 - HANDLE_EMA_WEIGHT) * self.avg_handle_secs;
    }
}

#[derive(Debug)]
pub(crate) struct AttendantState {
    /// The account as the coordinator knows it now (kept current by `attendant_changed`):
    /// every decision about this attendant reads it.
    pub(crate) record: AttendantCard,
    pub(crate) presence: Presence,
    pub(crate) connections: usize,
    /// Last frame or disconnect; the keep-alive counts from here when no connection is left.
    pub(crate) last_seen: Instant,
    /// Last time a conversation was given to them (`None`: never) — the tie-breaker.
    pub(crate) last_assigned: Option<Instant>,
    /// Open conversations held (assigned or active).
    pub(crate) open: BTreeSet<ConversationId>,
}

impl AttendantState {
    pub(crate) fn new(record: AttendantCard, now: Instant) -> Self {
        Self {
            record,
            presence: Presence::Offline,
            connections: 0,
            last_seen: now,
            last_assigned: None,
            open: BTreeSet::new(),
        }
    }

    pub(crate) fn free_capacity(&self) -> u32 {
        self.record
            .capacity
            .saturating_sub(u32::try_from(self.open.len()).unwrap_or(u32::MAX))
    }

    fn serves(&self, queue: &Queue) -> bool {
        !self.record.disabled
            && self.record.queues.contains(&queue.id)
            && queue.skill.as_ref().is_none_or(|s| *s == self.record.skill)
    }
}

#[derive(Debug)]
pub(crate) struct ConvState {
    pub(crate) record: Conversation,
    /// As attendants see them (what conversation views show).
    pub(crate) customer: CustomerView,
    /// The client network the chat request came from (`None`: loaded from the store, or
    /// reopened), counted against the cap on open conversations per network.
    pub(crate) client: Option<IpAddr>,
    /// While a bot holds it (see [`super::bots`]): queued, but not offered to people.
    pub(crate) bot: Option<BotHold>,
}

/// A queue's bot answering a new conversation, until it hands it over or `until` passes.
#[derive(Debug)]
pub(crate) struct BotHold {
    pub(crate) name: String,
    pub(crate) until: Instant,
}

#[derive(Debug)]
pub(crate) struct CustomerState {
    pub(crate) connections: usize,
    /// Since when no connection is left (`None` while connected).
    pub(crate) gone_since: Option<Instant>,
    pub(crate) presence: CustomerPresence,
}

#[derive(Debug, Default)]
pub(crate) struct Model {
    pub(crate) queues: HashMap<QueueId, QueueState>,
    pub(crate) attendants: HashMap<AttendantId, AttendantState>,
    /// Open conversations only. Changed through [`Model::open_conversation`] and
    /// [`Model::close_conversation`], which keep `by_client` in step.
    pub(crate) conversations: HashMap<ConversationId, ConvState>,
    pub(crate) customers: HashMap<CustomerId, CustomerState>,
    /// Open conversations per client network.
    by_client: HashMap<IpAddr, u32>,
}

impl Model {
    /// Adds an open conversation.
    pub(crate) fn open_conversation(&mut self, state: ConvState) {
        if let Some(client) = state.client {
            *self.by_client.entry(client).or_default() += 1;
        }
        if let Some(old) = self.conversations.insert(state.record.id, state) {
            self.uncount(old.client);
        }
    }

    /// Removes an open conversation (it ended).
    pub(crate) fn close_conversation(&mut self, id: &ConversationId) -> Option<ConvState> {
        let state = self.conversations.remove(id)?;
        self.uncount(state.client);
        Some(state)
    }

    fn uncount(&mut self, client: Option<IpAddr>) {
        if let Some(client) = client
            && let Some(n) = self.by_client.get_mut(&client)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_client.remove(&client);
            }
        }
    }

    /// Open conversations started from `client`'s network.
    pub(crate) fn open_from(&self, client: IpAddr) -> u32 {
        self.by_client.get(&client).copied().unwrap_or(0)
    }

    /// The attendant who should get the next conversation of `queue`: online, serving the
    /// queue (membership and skill), with free capacity; the least loaded, and among equals
    /// the one who has waited longest since their last assignment.
    pub(crate) fn pick_attendant(&self, queue: &Queue) -> Option<AttendantId> {
        self.attendants
            .values()
            .filter(|a| a.presence == Presence::Online && a.serves(queue) && a.free_capacity() > 0)
            .min_by(|a, b| {
                a.open
                    .len()
                    .cmp(&b.open.len())
                    .then(a.last_assigned.cmp(&b.last_assigned))
                    .then(a.record.id.cmp(&b.record.id))
            })
            .map(|a| a.record.id.clone())
    }

    /// The open conversation of a customer, if any.
    pub(crate) fn open_of(&self, customer: &CustomerId) -> Option<ConversationId> {
        self.conversations
            .values()
            .find(|c| &c.record.customer_id == customer)
            .map(|c| c.record.id)
    }

    /// Oldest waiting conversation among the given queues (manual "next customer").
    pub(crate) fn oldest_waiting(&self, queues: &[QueueId]) -> Option<ConversationId> {
        queues
            .iter()
            .filter_map(|q| self.queues.get(q)?.waiting.first())
            .min()
            .map(|(_, id)| *id)
    }

    /// Live numbers of one queue.
    pub(crate) fn observations(&self, queue: &QueueId) -> QueueObservations {
        let Some(state) = self.queues.get(queue) else {
            return QueueObservations::default();
        };
        let members = self
            .attendants
            .values()
            .filter(|a| a.presence != Presence::Offline && a.serves(&state.config));
        let (mut available, mut busy) = (0u32, 0u32);
        for a in members {
            if a.presence == Presence::Online && a.free_capacity() > 0 {
                available += 1;
            } else {
                busy += 1;
            }
        }
        let interacting = self
            .conversations
            .values()
            .filter(|c| &c.record.queue_id == queue && c.record.attendant_id.is_some())
            .count();
        QueueObservations {
            available_agents: available,
            busy_agents: busy,
            chat: ChannelObservation {
                interacting: u32::try_from(interacting).unwrap_or(u32::MAX),
                waiting: u32::try_from(state.waiting.len()).unwrap_or(u32::MAX),
            },
        }
    }

    /// Estimated wait, seconds, for the conversation at `position` (1 = next) of `queue`.
    ///
    /// With `slots` = total capacity of online members and `free` = their free capacity:
    /// positions within `free` wait nothing (in manual mode: until someone presses "next");
    /// beyond that, every `slots` conversations ahead take one average handle time.
    pub(crate) fn estimated_wait(&self, queue: &QueueId, position: u32) -> u32 {
        let Some(state) = self.queues.get(queue) else {
            return 0;
        };
        let online = self
            .attendants
            .values()
            .filter(|a| a.presence == Presence::Online && a.serves(&state.config));
        let (mut slots, mut free) = (0u32, 0u32);
        for a in online {
            slots += a.record.capacity;
            free += a.free_capacity();
        }
        if position <= free && state.config.mode == AssignmentMode::Auto {
            return 0;
        }
        let ahead = position.saturating_sub(free);
        let rounds = f64::from(ahead) / f64::from(slots.max(1));
        // Saturating float → int conversion is what we want for a display estimate.
        (rounds * state.avg_handle_secs).ceil() as u32
    }

    /// 1-based position of each waiting conversation of a queue.
    pub(crate) fn positions(&self, queue: &QueueId) -> Vec<(ConversationId, u32)> {
        self.queues.get(queue).map_or_else(Vec::new, |q| {
            q.waiting
                .iter()
                .zip(1u32..)
                .map(|((_, id), pos)| (*id, pos))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chimpassist_protocol::Role;

    fn queue(id: &str, skill: Option<&str>) -> Queue {
        Queue {
            id: QueueId::parse(id).unwrap(),
            name: id.into(),
            mode: AssignmentMode::Auto,
            skill: skill.map(Into::into),
            greeting: None,
            away_message: None,
            calls: Default::default(),
            bot: None,
            hours: None,
        }
    }

    fn attendant(id: &str, queues: &[&str], skill: &str, capacity: u32) -> AttendantCard {
        AttendantCard {
            id: AttendantId::parse(id).unwrap(),
            name: id.into(),
            avatar_url: None,
            role: Role::Attendant,
            skill: skill.into(),
            queues: queues.iter().map(|q| QueueId::parse(*q).unwrap()).collect(),
            capacity,
            disabled: false,
        }
    }

    fn online(model: &mut Model, a: AttendantCard) {
        let mut state = AttendantState::new(a, Instant::now());
        state.presence = Presence::Online;
        model.attendants.insert(state.record.id.clone(), state);
    }

    #[test]
    fn picks_least_loaded_then_longest_idle() {
        let mut model = Model::default();
        let q = queue("default", None);
        online(&mut model, attendant("a", &["default"], "s", 3));
        online(&mut model, attendant("b", &["default"], "s", 3));
        let now = Instant::now();
        model
            .attendants
            .get_mut(&AttendantId::parse("a").unwrap())
            .unwrap()
            .last_assigned = Some(now);
        // both hold 0: b never got one, so b waited longest
        assert_eq!(model.pick_attendant(&q).unwrap().as_str(), "b");
        model
            .attendants
            .get_mut(&AttendantId::parse("b").unwrap())
            .unwrap()
            .open
            .insert(ConversationId::new());
        // b now holds one, a holds none
        assert_eq!(model.pick_attendant(&q).unwrap().as_str(), "a");
    }

    #[test]
    fn skips_away_full_other_queue_wrong_skill_and_disabled() {
        let mut model = Model::default();
        let q = queue("billing", Some("finance"));
        online(
            &mut model,
            attendant("other-queue", &["default"], "finance", 3),
        );
        online(
            &mut model,
            attendant("wrong-skill", &["billing"], "support", 3),
        );
        online(&mut model, attendant("full", &["billing"], "finance", 0));
        let mut disabled = attendant("disabled", &["billing"], "finance", 3);
        disabled.disabled = true;
        online(&mut model, disabled);
        let mut away = AttendantState::new(
            attendant("away", &["billing"], "finance", 3),
            Instant::now(),
        );
        away.presence = Presence::Away;
        model.attendants.insert(away.record.id.clone(), away);
        assert_eq!(model.pick_attendant(&q), None);
        online(&mut model, attendant("right", &["billing"], "finance", 1));
        assert_eq!(model.pick_attendant(&q).unwrap().as_str(), "right");
    }

    #[test]
    fn estimated_wait_grows_with_position_beyond_free_capacity() {
        let mut model = Model::default();
        let q = queue("default", None);
        model
            .queues
            .insert(q.id.clone(), QueueState::new(q.clone()));
        online(&mut model, attendant("a", &["default"], "s", 2));
        assert_eq!(model.estimated_wait(&q.id, 1), 0);
        assert_eq!(model.estimated_wait(&q.id, 2), 0);
        // third in line: one conversation ahead beyond the 2 free slots, 2 slots per round
        assert_eq!(model.estimated_wait(&q.id, 3), 90);
        assert!(model.estimated_wait(&q.id, 5) > model.estimated_wait(&q.id, 3));
    }
}
