//! Webhooks, part one: endpoints and the outbox that writes fill (see
//! `chimpassist_store::webhooks`). Deliveries, claims, the log and pruning are in
//! `deliveries.rs`.
//!
//! # The outbox
//! An event is a document of `webhook_events`, inserted by [`record`] *inside the transaction
//! of the write that causes it* (`conversations::create`, `conversations::transition`,
//! `conversations::set_rating`, `messages::append_batch`, `callbacks::create`): both commit
//! or neither does, so an event exists exactly when its change does. A write that is refused
//! (a resend, a compare-and-set that fails, a taken id) aborts its transaction before or
//! with the event, and so records nothing. The cost is one more insert in a transaction the
//! write opens anyway (creations and ratings, single writes before, now open one).
//!
//! Events are ordered oldest first by `(at, _id)`: `at` is when the change happened and
//! `_id` the event's UUIDv7 as text, which sorts by creation within a millisecond. MongoDB
//! has no insertion counter to order by, and a counter document would make every write of
//! every conversation conflict on it.

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{WebhookEventId, WebhookId};
use chimpassist_store::{
    HealthChange, PreviousSecret, RecordedEvent, StoreError, StoreResult, WebhookEndpoint,
};
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, doc};
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::error::{OrStore, bad_document};
use crate::schema::{WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES, WEBHOOK_EVENTS, WEBHOOKS};
use crate::transaction;

// --- the outbox ------------------------------------------------------------------------------

/// An event as `webhook_events` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EventDoc {
    /// The event id (UUIDv7) as text.
    #[serde(rename = "_id")]
    pub(crate) id: String,
    /// Its type's wire form (`message.created`, …).
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) at: i64,
    /// The event's `data`, JSON text.
    pub(crate) data: String,
    /// Set once fan-out has made its deliveries (`deliveries::fan_out`).
    pub(crate) fanned: bool,
}

impl EventDoc {
    pub(crate) fn new(e: &RecordedEvent) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind.as_str().to_owned(),
            at: e.at,
            data: e.data.clone(),
            fanned: false,
        }
    }

    pub(crate) fn into_model(self) -> StoreResult<RecordedEvent> {
        Ok(RecordedEvent {
            id: WebhookEventId::parse(&self.id).map_err(bad_document)?,
            kind: event_type(&self.kind)?,
            at: self.at,
            data: self.data,
        })
    }
}

pub(crate) fn event_type(raw: &str) -> StoreResult<WebhookEventType> {
    WebhookEventType::parse(raw).ok_or_else(|| bad_document(format!("event type {raw:?}")))
}

pub(crate) fn outbox(store: &MongoStore) -> Collection<EventDoc> {
    store.db.collection(WEBHOOK_EVENTS)
}

/// Inserts `events` into the outbox inside the caller's transaction (see the module docs).
/// One round trip whatever their number; none when there are none.
pub(crate) async fn record(
    outbox: &Collection<EventDoc>,
    events: &[EventDoc],
    session: &mut ClientSession,
) -> Result<(), mongodb::error::Error> {
    match events {
        [] => {}
        [one] => {
            outbox.insert_one(one).session(session).await?;
        }
        many => {
            outbox.insert_many(many).session(session).await?;
        }
    }
    Ok(())
}

// --- endpoints -------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PreviousSecretDoc {
    secret: String,
    until: i64,
}

/// An endpoint as `webhooks` keeps it: the model's fields, ids and event types as text.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WebhookDoc {
    #[serde(rename = "_id")]
    id: String,
    url: String,
    events: Vec<String>,
    enabled: bool,
    description: Option<String>,
    created_at: i64,
    secret: String,
    previous_secret: Option<PreviousSecretDoc>,
    disabled_reason: Option<String>,
    failing_since: Option<i64>,
}

impl WebhookDoc {
    fn new(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url.clone(),
            events: e.events.iter().map(|k| k.as_str().to_owned()).collect(),
            enabled: e.enabled,
            description: e.description.clone(),
            created_at: e.created_at,
            secret: e.secret.clone(),
            previous_secret: e.previous_secret.as_ref().map(|p| PreviousSecretDoc {
                secret: p.secret.clone(),
                until: p.until,
            }),
            disabled_reason: e.disabled_reason.clone(),
            failing_since: e.failing_since,
        }
    }

    fn into_model(self) -> StoreResult<WebhookEndpoint> {
        Ok(WebhookEndpoint {
            id: WebhookId::parse(&self.id).map_err(bad_document)?,
            url: self.url,
            events: self
                .events
                .iter()
                .map(|k| event_type(k.as_str()))
                .collect::<StoreResult<_>>()?,
            enabled: self.enabled,
            description: self.description,
            created_at: self.created_at,
            secret: self.secret,
            previous_secret: self.previous_secret.map(|p| PreviousSecret {
                secret: p.secret,
                until: p.until,
            }),
            disabled_reason: self.disabled_reason,
            failing_since: self.failing_since,
        })
    }
}

fn endpoints(store: &MongoStore) -> Collection<WebhookDoc> {
    store.db.collection(WEBHOOKS)
}

/// The unique `_id` turns a taken id into `Conflict`.
pub(crate) async fn create(store: &MongoStore, e: &WebhookEndpoint) -> StoreResult<()> {
    endpoints(store)
        .insert_one(WebhookDoc::new(e))
        .await
        .or_store()?;
    Ok(())
}

/// Every field but `_id` and `created_at`, `$set` in one write.
pub(crate) async fn update(store: &MongoStore, e: &WebhookEndpoint) -> StoreResult<()> {
    let mut fields =
        mongodb::bson::to_document(&WebhookDoc::new(e)).map_err(StoreError::internal)?;
    fields.remove("_id");
    fields.remove("created_at");
    let result = endpoints(store)
        .update_one(doc! {"_id": e.id.to_string()}, doc! {"$set": fields})
        .await
        .or_store()?;
    if result.matched_count == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn get(
    store: &MongoStore,
    id: &WebhookId,
) -> StoreResult<Option<WebhookEndpoint>> {
    endpoints(store)
        .find_one(doc! {"_id": id.to_string()})
        .await
        .or_store()?
        .map(WebhookDoc::into_model)
        .transpose()
}

/// The index `webhooks_created`, in order.
pub(crate) async fn list(store: &MongoStore) -> StoreResult<Vec<WebhookEndpoint>> {
    let docs: Vec<WebhookDoc> = endpoints(store)
        .find(doc! {})
        .sort(doc! {"created_at": 1, "_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(WebhookDoc::into_model).collect()
}

/// The endpoint, its deliveries and its log in one transaction: a delivery left behind
/// would be pending for an endpoint nobody claims for, and keep its event from being pruned.
/// `redeliver` writes the endpoint's document in its transaction, so it cannot slip a new
/// delivery in beside a delete (one of the two conflicts and is retried).
pub(crate) async fn delete(store: &MongoStore, id: &WebhookId) -> StoreResult<()> {
    let id = id.to_string();
    let endpoints = store.db.collection::<mongodb::bson::Document>(WEBHOOKS);
    let deliveries = store
        .db
        .collection::<mongodb::bson::Document>(WEBHOOK_DELIVERIES);
    let attempts = store
        .db
        .collection::<mongodb::bson::Document>(WEBHOOK_ATTEMPTS);
    transaction::run(&store.client, |session| {
        let (endpoints, deliveries, attempts) =
            (endpoints.clone(), deliveries.clone(), attempts.clone());
        let id = id.clone();
        Box::pin(async move {
            let gone = endpoints
                .delete_one(doc! {"_id": id.as_str()})
                .session(&mut *session)
                .await?;
            if gone.deleted_count == 0 {
                return Ok(Err(StoreError::NotFound));
            }
            deliveries
                .delete_many(doc! {"endpoint_id": id.as_str()})
                .session(&mut *session)
                .await?;
            attempts
                .delete_many(doc! {"endpoint_id": id.as_str()})
                .session(&mut *session)
                .await?;
            Ok(Ok(()))
        })
    })
    .await
}

/// One targeted single-document write per change, so a delivery's outcome never overwrites
/// an admin's concurrent edit of the other fields. A streak's start is set only while none
/// runs (`failing_since: null` matches null and absent). An absent endpoint matches nothing.
pub(crate) async fn health(
    store: &MongoStore,
    id: &WebhookId,
    change: &HealthChange,
) -> StoreResult<()> {
    let id = id.to_string();
    let (filter, update) = match change {
        HealthChange::Succeeded => (
            doc! {"_id": id},
            doc! {"$set": {"failing_since": Bson::Null}},
        ),
        HealthChange::Failed { at } => (
            doc! {"_id": id, "failing_since": Bson::Null},
            doc! {"$set": {"failing_since": *at}},
        ),
        HealthChange::Disable { reason } => (
            doc! {"_id": id},
            doc! {"$set": {"enabled": false, "disabled_reason": reason.as_str()}},
        ),
    };
    endpoints(store)
        .update_one(filter, update)
        .await
        .or_store()?;
    Ok(())
}
