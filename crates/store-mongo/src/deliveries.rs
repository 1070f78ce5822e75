//! Webhooks, part two: fan-out, claims, finishing attempts, the log, redelivery and pruning
//! (endpoints and the outbox are in `webhooks.rs`).
//!
//! A delivery is a document of `webhook_deliveries` keyed `{event}:{endpoint}`, so fan-out is
//! an insert that a duplicate key makes harmless: nodes fanning out the same event at once
//! make one delivery per endpoint. Claims and moves are conditional single-document writes
//! (MongoDB applies each atomically, re-checking its filter), so no transaction is needed
//! where one document decides; redelivery and pruning, which decide across documents, run
//! in transactions.

use std::collections::{BTreeSet, HashMap};

use chimpassist_protocol::{AttemptId, TimestampMs, WebhookEventId, WebhookId};
use chimpassist_store::{
    ClaimedDelivery, DeliveryAttempt, DeliveryNext, StoreError, StoreResult, Subscription,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::int;
use crate::error::{OrStore, bad_document, is_duplicate_key, only_duplicate_keys, store_error};
use crate::schema::{WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES, WEBHOOK_EVENTS, WEBHOOKS};
use crate::transaction;
use crate::webhooks::{EventDoc, event_type, outbox};

const PENDING: &str = "pending";
/// Events one pruning transaction looks at, so a transaction stays small however much has
/// piled up.
const PRUNE_PAGE: usize = 500;

/// The part of an event that fan-out, redelivery and pruning read.
#[derive(Debug, Deserialize)]
struct EventHead {
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "type")]
    kind: String,
    at: i64,
}

fn heads(store: &MongoStore) -> Collection<EventHead> {
    store.db.collection(WEBHOOK_EVENTS)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeliveryDoc {
    /// `{event}:{endpoint}`: one delivery per pair, whoever fans out.
    #[serde(rename = "_id")]
    key: String,
    event_id: String,
    endpoint_id: String,
    /// `pending`, `done` or `failed`.
    state: String,
    due_at: i64,
    /// The event's `at`, copied so that "earliest due first, then event order" is one index
    /// of this collection (`webhook_deliveries_due`), with no join.
    event_at: i64,
    /// Attempts made so far.
    attempts: i64,
    claimed_by: Option<String>,
    /// 0 when unclaimed.
    claimed_until: i64,
}

fn key(event: &str, endpoint: &str) -> String {
    format!("{event}:{endpoint}")
}

impl DeliveryDoc {
    /// A first delivery, due when the event happened plus the subscription's delay.
    fn new(event: &EventHead, subscription: &Subscription) -> Self {
        let endpoint = subscription.endpoint.to_string();
        Self {
            key: key(&event.id, &endpoint),
            event_id: event.id.clone(),
            endpoint_id: endpoint,
            state: PENDING.to_owned(),
            due_at: event.at.saturating_add(subscription.delay_ms),
            event_at: event.at,
            attempts: 0,
            claimed_by: None,
            claimed_until: 0,
        }
    }
}

fn deliveries(store: &MongoStore) -> Collection<DeliveryDoc> {
    store.db.collection(WEBHOOK_DELIVERIES)
}

/// Takes up to `limit` unfanned events (a range of `webhook_events_order`), inserts their
/// deliveries in one unordered `insertMany` whose duplicate keys — another node fanning out
/// the same events — are ignored, then marks them fanned. A node that stops in between
/// leaves them unfanned, and the next fan-out inserts again, harmlessly.
pub(crate) async fn fan_out(
    store: &MongoStore,
    subscriptions: &[Subscription],
    limit: u64,
) -> StoreResult<u64> {
    // The server reads a limit of 0 as "no limit".
    if limit == 0 {
        return Ok(0);
    }
    let taken: Vec<EventHead> = heads(store)
        .find(doc! {"fanned": false})
        .sort(doc! {"at": 1, "_id": 1})
        .projection(doc! {"type": 1, "at": 1})
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    if taken.is_empty() {
        return Ok(0);
    }
    let made: Vec<DeliveryDoc> = taken
        .iter()
        .flat_map(|event| {
            subscriptions
                .iter()
                .filter(|s| s.events.iter().any(|k| k.as_str() == event.kind))
                .map(move |s| DeliveryDoc::new(event, s))
        })
        .collect();
    if !made.is_empty() {
        match deliveries(store).insert_many(&made).ordered(false).await {
            Ok(_) => {}
            Err(e) if only_duplicate_keys(&e) => {}
            Err(e) => return Err(store_error(e)),
        }
    }
    let ids: Vec<&str> = taken.iter().map(|e| e.id.as_str()).collect();
    outbox(store)
        .update_many(doc! {"_id": {"$in": ids}}, doc! {"$set": {"fanned": true}})
        .await
        .or_store()?;
    Ok(u64::try_from(taken.len()).unwrap_or(u64::MAX))
}

/// Claims one delivery at a time with `findAndModify`, earliest due first: its filter
/// requires the claim to have run out (`claimed_until <= now`) and its update moves
/// `claimed_until` past `now`, and MongoDB applies the two atomically to one document, so of
/// concurrent claimers (any node) exactly one gets each delivery; the others' filters no
/// longer match it and they move on to the next. A batch version (find candidates, then
/// `updateMany`) would need the same re-checking filter plus a read-back, and a retry for
/// whatever a competitor took — more round trips under contention, not fewer.
///
/// Then one read of the claimed deliveries' events. A delivery whose event is gone (pruned
/// while a stale fan-out or redelivery raced it) can never be sent: it is deleted.
pub(crate) async fn claim(
    store: &MongoStore,
    holder: &str,
    endpoints: &[WebhookId],
    now: TimestampMs,
    lease_ms: u64,
    limit: u64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    if endpoints.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let until = now.saturating_add(int(lease_ms));
    let to: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
    let deliveries = deliveries(store);
    let mut won: Vec<DeliveryDoc> = Vec::new();
    while u64::try_from(won.len()).unwrap_or(u64::MAX) < limit {
        let mut filter = doc! {
            "state": PENDING,
            "due_at": {"$lte": now},
            "claimed_until": {"$lte": now},
            "endpoint_id": {"$in": to.clone()},
        };
        if until <= now {
            // A claim of no time leaves the delivery claimable: do not take it twice.
            let mine: Vec<&str> = won.iter().map(|d| d.key.as_str()).collect();
            filter.insert("_id", doc! {"$nin": mine});
        }
        let next = deliveries
            .find_one_and_update(
                filter,
                doc! {"$set": {"claimed_by": holder, "claimed_until": until}},
            )
            .sort(doc! {"due_at": 1, "event_at": 1, "event_id": 1})
            .return_document(ReturnDocument::After)
            .await
            .or_store()?;
        match next {
            Some(delivery) => won.push(delivery),
            None => break,
        }
    }
    if won.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = won.iter().map(|d| d.event_id.as_str()).collect();
    let found: Vec<EventDoc> = outbox(store)
        .find(doc! {"_id": {"$in": ids}})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    let events: HashMap<String, EventDoc> = found.into_iter().map(|e| (e.id.clone(), e)).collect();
    let mut claimed = Vec::with_capacity(won.len());
    let mut orphans = Vec::new();
    for d in won {
        let Some(event) = events.get(&d.event_id) else {
            orphans.push(d.key);
            continue;
        };
        claimed.push(ClaimedDelivery {
            endpoint: WebhookId::parse(&d.endpoint_id).map_err(bad_document)?,
            event: event.clone().into_model()?,
            attempt: u32::try_from(d.attempts.saturating_add(1))
                .map_err(|_| bad_document(format!("delivery attempts {}", d.attempts)))?,
        });
    }
    if !orphans.is_empty() {
        tracing::warn!(
            count = orphans.len(),
            "deleting deliveries whose event is gone"
        );
        deliveries
            .delete_many(doc! {"_id": {"$in": orphans}, "claimed_by": holder})
            .await
            .or_store()?;
    }
    Ok(claimed)
}

/// An attempt as `webhook_attempts` keeps it. `_id` is the attempt's UUIDv7 as text, which
/// sorts by time: an endpoint's log, newest first, is one range of `webhook_attempts_log`.
#[derive(Debug, Serialize, Deserialize)]
struct AttemptDoc {
    #[serde(rename = "_id")]
    id: String,
    endpoint_id: String,
    event_id: String,
    #[serde(rename = "type")]
    kind: String,
    attempt: i64,
    at: i64,
    status: Option<i32>,
    duration_ms: i64,
    error: Option<String>,
    /// `done`, `retry` or `failed` (the embedded store's words).
    outcome: String,
    /// When a retry is due.
    next_at: Option<i64>,
}

impl AttemptDoc {
    fn new(a: &DeliveryAttempt) -> Self {
        Self {
            id: a.id.to_string(),
            endpoint_id: a.endpoint.to_string(),
            event_id: a.event.to_string(),
            kind: a.kind.as_str().to_owned(),
            attempt: i64::from(a.attempt),
            at: a.at,
            status: a.status.map(i32::from),
            duration_ms: int(a.duration_ms),
            error: a.error.clone(),
            outcome: match a.next {
                DeliveryNext::Done => "done",
                DeliveryNext::RetryAt(_) => "retry",
                DeliveryNext::GiveUp => "failed",
            }
            .to_owned(),
            next_at: a.next.retry_at(),
        }
    }

    fn into_model(self) -> StoreResult<DeliveryAttempt> {
        let next = match (self.outcome.as_str(), self.next_at) {
            ("done", _) => DeliveryNext::Done,
            ("retry", Some(at)) => DeliveryNext::RetryAt(at),
            ("failed", _) => DeliveryNext::GiveUp,
            (other, _) => return Err(bad_document(format!("attempt outcome {other:?}"))),
        };
        let number = |v: i64, what: &str| {
            u32::try_from(v).map_err(|_| bad_document(format!("{what} is {v}")))
        };
        Ok(DeliveryAttempt {
            id: AttemptId::parse(&self.id).map_err(bad_document)?,
            endpoint: WebhookId::parse(&self.endpoint_id).map_err(bad_document)?,
            event: WebhookEventId::parse(&self.event_id).map_err(bad_document)?,
            kind: event_type(&self.kind)?,
            attempt: number(self.attempt, "attempt")?,
            at: self.at,
            status: self
                .status
                .map(|s| u16::try_from(s).map_err(|_| bad_document(format!("status {s}"))))
                .transpose()?,
            duration_ms: u64::try_from(self.duration_ms).unwrap_or(0),
            error: self.error,
            next,
        })
    }
}

fn attempts(store: &MongoStore) -> Collection<AttemptDoc> {
    store.db.collection(WEBHOOK_ATTEMPTS)
}

/// Logs the attempt, then moves the delivery with one conditional write that matches only
/// while `holder` still holds it: a claim taken over since makes it match nothing (`false`).
/// No transaction: if the node stops between the two, the attempt is logged and the claim
/// runs out, so the delivery is tried again — the at-least-once the outbox promises. A
/// repeated call (its first answer lost) finds the attempt logged and goes on.
pub(crate) async fn finish(
    store: &MongoStore,
    holder: &str,
    a: &DeliveryAttempt,
) -> StoreResult<bool> {
    match attempts(store).insert_one(AttemptDoc::new(a)).await {
        Ok(_) => {}
        Err(e) if is_duplicate_key(&e) => {}
        Err(e) => return Err(store_error(e)),
    }
    let mut set = doc! {
        "attempts": i64::from(a.attempt),
        "claimed_by": Bson::Null,
        "claimed_until": 0_i64,
    };
    match a.next {
        DeliveryNext::Done => set.insert("state", "done"),
        DeliveryNext::RetryAt(at) => set.insert("due_at", at),
        DeliveryNext::GiveUp => set.insert("state", "failed"),
    };
    let moved = deliveries(store)
        .update_one(
            doc! {
                "_id": key(&a.event.to_string(), &a.endpoint.to_string()),
                "claimed_by": holder,
                "state": PENDING,
            },
            doc! {"$set": set},
        )
        .await
        .or_store()?;
    Ok(moved.matched_count == 1)
}

pub(crate) async fn log(
    store: &MongoStore,
    endpoint: &WebhookId,
    before: Option<AttemptId>,
    limit: u64,
) -> StoreResult<Vec<DeliveryAttempt>> {
    // The server reads a limit of 0 as "no limit".
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut filter = doc! {"endpoint_id": endpoint.to_string()};
    if let Some(before) = before {
        filter.insert("_id", doc! {"$lt": before.to_string()});
    }
    let docs: Vec<AttemptDoc> = attempts(store)
        .find(filter)
        .sort(doc! {"_id": -1})
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(AttemptDoc::into_model).collect()
}

/// One transaction that *writes* the endpoint's and the event's documents (a counter,
/// `redeliveries`) rather than only reading them: the writes are the existence checks
/// (`NotFound` when nothing matches) and also locks, so a concurrent `delete_webhook` or
/// prune, which delete those documents, conflicts with it and one of the two is retried.
/// With reads alone both could commit, leaving a pending delivery to nothing.
pub(crate) async fn redeliver(
    store: &MongoStore,
    endpoint: &WebhookId,
    event: &WebhookEventId,
    now: TimestampMs,
) -> StoreResult<()> {
    let (endpoint, event) = (endpoint.to_string(), event.to_string());
    let endpoints = store.db.collection::<Document>(WEBHOOKS);
    let (heads, deliveries) = (heads(store), deliveries(store));
    transaction::run(&store.client, |session| {
        let (endpoints, heads, deliveries) = (endpoints.clone(), heads.clone(), deliveries.clone());
        let (endpoint, event) = (endpoint.clone(), event.clone());
        Box::pin(async move {
            let touched = endpoints
                .update_one(
                    doc! {"_id": endpoint.as_str()},
                    doc! {"$inc": {"redeliveries": 1_i64}},
                )
                .session(&mut *session)
                .await?;
            if touched.matched_count == 0 {
                return Ok(Err(StoreError::NotFound));
            }
            let head = heads
                .find_one_and_update(
                    doc! {"_id": event.as_str()},
                    doc! {"$inc": {"redeliveries": 1_i64}},
                )
                .projection(doc! {"type": 1, "at": 1})
                .session(&mut *session)
                .await?;
            let Some(head) = head else {
                return Ok(Err(StoreError::NotFound));
            };
            deliveries
                .update_one(
                    doc! {"_id": key(&event, &endpoint)},
                    doc! {
                        "$set": {
                            "state": PENDING,
                            "due_at": now,
                            "attempts": 0_i64,
                            "claimed_by": Bson::Null,
                            "claimed_until": 0_i64,
                        },
                        "$setOnInsert": {
                            "event_id": event.as_str(),
                            "endpoint_id": endpoint.as_str(),
                            "event_at": head.at,
                        },
                    },
                )
                .upsert(true)
                .session(&mut *session)
                .await?;
            Ok(Ok(()))
        })
    })
    .await
}

/// What one page of pruning did.
#[derive(Debug)]
struct Pruned {
    /// Events looked at (a full page means there may be more).
    seen: usize,
    deleted: u64,
    /// The last one looked at, `(at, _id)`: the next page starts after it.
    last: Option<(i64, String)>,
}

/// Page by page along `webhook_events_order` (fanned events older than `before`), each page
/// one transaction: the events that no pending delivery waits for go, with their deliveries.
/// The transaction makes "nothing pending" and the delete one decision: a redelivery that
/// makes one pending again writes the event's document, so it conflicts with the delete.
/// Then the log entries older than `before`, a range of `webhook_attempts_at`.
pub(crate) async fn prune(store: &MongoStore, before: TimestampMs) -> StoreResult<u64> {
    // Deliveries to an endpoint deleted while a fan-out was under way would wait forever,
    // and keep their events: they go first.
    let mut endpoints: Vec<Bson> = store
        .db
        .collection::<Document>(WEBHOOKS)
        .distinct("_id", doc! {})
        .await
        .or_store()?;
    // The server's own subscribers (e-mail) have no document there.
    endpoints.extend(
        chimpassist_store::webhooks::internal::all().map(|id| Bson::String(id.to_string())),
    );
    store
        .db
        .collection::<Document>(WEBHOOK_DELIVERIES)
        .delete_many(doc! {"endpoint_id": {"$nin": endpoints}})
        .await
        .or_store()?;
    let mut gone = 0u64;
    let mut after = None;
    loop {
        let page = prune_page(store, before, after).await?;
        gone += page.deleted;
        match page.last {
            Some(last) if page.seen == PRUNE_PAGE => after = Some(last),
            _ => break,
        }
    }
    attempts(store)
        .delete_many(doc! {"at": {"$lt": before}})
        .await
        .or_store()?;
    Ok(gone)
}

async fn prune_page(
    store: &MongoStore,
    before: TimestampMs,
    after: Option<(i64, String)>,
) -> StoreResult<Pruned> {
    let mut filter = doc! {"fanned": true, "at": {"$lt": before}};
    if let Some((at, id)) = &after {
        filter.insert(
            "$or",
            vec![
                doc! {"at": {"$gt": *at}},
                doc! {"at": *at, "_id": {"$gt": id.as_str()}},
            ],
        );
    }
    let heads = heads(store);
    let events = store.db.collection::<Document>(WEBHOOK_EVENTS);
    let deliveries = store.db.collection::<Document>(WEBHOOK_DELIVERIES);
    let limit = i64::try_from(PRUNE_PAGE).unwrap_or(i64::MAX);
    transaction::run(&store.client, |session| {
        let (heads, events, deliveries) = (heads.clone(), events.clone(), deliveries.clone());
        let filter = filter.clone();
        Box::pin(async move {
            let mut seen = Vec::new();
            let mut cursor = heads
                .find(filter)
                .sort(doc! {"at": 1, "_id": 1})
                .projection(doc! {"type": 1, "at": 1})
                .limit(limit)
                .session(&mut *session)
                .await?;
            while let Some(head) = cursor.next(&mut *session).await.transpose()? {
                seen.push(head);
            }
            let ids: Vec<&str> = seen.iter().map(|h| h.id.as_str()).collect();
            let mut owed = BTreeSet::new();
            if !ids.is_empty() {
                let mut cursor = deliveries
                    .find(doc! {"event_id": {"$in": ids.clone()}, "state": PENDING})
                    .projection(doc! {"event_id": 1})
                    .session(&mut *session)
                    .await?;
                while let Some(d) = cursor.next(&mut *session).await.transpose()? {
                    if let Ok(id) = d.get_str("event_id") {
                        owed.insert(id.to_owned());
                    }
                }
            }
            let doomed: Vec<&str> = ids
                .iter()
                .copied()
                .filter(|id| !owed.contains(*id))
                .collect();
            let mut deleted = 0;
            if !doomed.is_empty() {
                deliveries
                    .delete_many(doc! {"event_id": {"$in": doomed.clone()}})
                    .session(&mut *session)
                    .await?;
                deleted = events
                    .delete_many(doc! {"_id": {"$in": doomed}})
                    .session(&mut *session)
                    .await?
                    .deleted_count;
            }
            Ok(Ok(Pruned {
                seen: seen.len(),
                deleted,
                last: seen.last().map(|h| (h.at, h.id.clone())),
            }))
        })
    })
    .await
}
