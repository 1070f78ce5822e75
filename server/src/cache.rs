//! Short, time-bounded caches in front of things anyone may ask for often: a queue's
//! public numbers and its business hours (`GET /api/stats/{queue}`), the greeting rules
//! every visitor's loader reads (`GET /api/greetings`) and the site's statistics answers
//! (the proxy in `api::upstream`). `CACHE_SECONDS` bounds their age; a burst of identical requests costs
//! one coordinator read or one upstream call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chimpassist_protocol::greeting::Greetings;
use chimpassist_protocol::{QueueId, QueueObservations};
use serde_json::Value;
use tokio::time::Instant;

use crate::coordinator::Coordinator;
use crate::hours::Schedule;

/// Most cached upstream answers kept; the cache is emptied when full.
const MAX_CACHED: usize = 10_000;

/// Queue numbers with their EWT, as cached.
pub type QueueNumbers = (QueueObservations, u32);

/// Time-bounded caches.
#[derive(Debug, Default)]
pub struct Caches {
    stats: Mutex<HashMap<QueueId, (Instant, QueueNumbers)>>,
    /// Queues' business hours (`None`: always open), so that stats polls and streams do not
    /// read the store each time.
    hours: Mutex<HashMap<QueueId, (Instant, Option<Schedule>)>>,
    answers: Mutex<HashMap<String, (Instant, Value)>>,
    /// The enabled greeting rules, as every visitor's loader asks for them.
    greetings: Mutex<Option<(Instant, Greetings)>>,
}

impl Caches {
    /// Queue numbers, at most `CACHE_SECONDS` old.
    pub fn queue_stats(
        &self,
        ttl: Duration,
        coordinator: &Coordinator,
        queue: &QueueId,
    ) -> Option<QueueNumbers> {
        let mut cache = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, value)) = cache.get(queue)
            && at.elapsed() < ttl
        {
            return Some(value.clone());
        }
        let value = coordinator.observations(queue)?;
        cache.insert(queue.clone(), (Instant::now(), value.clone()));
        Some(value)
    }

    /// A queue's hours as cached, at most `ttl` old; `None` when they must be read again.
    pub fn hours(&self, queue: &QueueId, ttl: Duration) -> Option<Option<Schedule>> {
        let cache = self.hours.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(queue)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, s)| s.clone())
    }

    /// A queue's hours changed here: read them again at the next ask (other nodes follow
    /// within `CACHE_SECONDS`).
    pub fn forget_hours(&self, queue: &QueueId) {
        let mut cache = self.hours.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(queue);
    }

    /// The public greeting rules as cached, at most `ttl` old.
    pub fn greetings(&self, ttl: Duration) -> Option<Greetings> {
        let cache = self.greetings.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .as_ref()
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, g)| g.clone())
    }

    pub fn keep_greetings(&self, greetings: Greetings) {
        *self.greetings.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), greetings));
    }

    /// After a rule is saved: this node's next read goes to the store.
    pub fn forget_greetings(&self) {
        *self.greetings.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn keep_hours(&self, queue: QueueId, schedule: Option<Schedule>) {
        let mut cache = self.hours.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(queue, (Instant::now(), schedule));
    }

    /// A statistics answer for `url`, at most `ttl` old.
    pub fn cached(&self, url: &str, ttl: Duration) -> Option<Value> {
        let cache = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(url)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    /// Keeps a statistics answer; the cache is emptied when full.
    pub fn store(&self, url: String, value: Value) {
        let mut cache = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(url, (Instant::now(), value));
    }
}
