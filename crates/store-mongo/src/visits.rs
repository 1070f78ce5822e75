//! The visitor's context and the site's attributes of a customer: sub-documents `visit`
//! and `attributes` of the customer's document (read and written whole; the attributes'
//! values also as text in `attribute_values`, for search).

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{AttributeChanges, Attributes, CustomerId, TimestampMs, VisitView};
use chimpassist_store::{StoreError, StoreResult, events};
use mongodb::bson::{self, Document, doc};

use crate::accounts::found;
use crate::error::OrStore;
use crate::schema::CUSTOMERS;
use crate::webhooks::{self, EventDoc};
use crate::{MongoStore, transaction};

pub(crate) async fn customer_visit(
    store: &MongoStore,
    id: &CustomerId,
) -> StoreResult<Option<VisitView>> {
    let found = store
        .db
        .collection::<Document>(CUSTOMERS)
        .find_one(doc! {"_id": id.as_str()})
        .projection(doc! {"visit": 1})
        .await
        .or_store()?;
    match found.and_then(|d| d.get("visit").cloned()) {
        None | Some(bson::Bson::Null) => Ok(None),
        Some(visit) => bson::from_bson(visit)
            .map(Some)
            .map_err(|e| StoreError::internal(format!("a stored visit does not read: {e}"))),
    }
}

pub(crate) async fn set_customer_visit(
    store: &MongoStore,
    id: &CustomerId,
    visit: &VisitView,
) -> StoreResult<()> {
    let visit = bson::to_bson(visit)
        .map_err(|e| StoreError::internal(format!("a visit does not write: {e}")))?;
    let result = store
        .db
        .collection::<Document>(CUSTOMERS)
        .update_one(doc! {"_id": id.as_str()}, doc! {"$set": {"visit": visit}})
        .await
        .or_store()?;
    found(result.matched_count)
}

pub(crate) async fn customer_attributes(
    store: &MongoStore,
    id: &CustomerId,
) -> StoreResult<Attributes> {
    let found = store
        .db
        .collection::<Document>(CUSTOMERS)
        .find_one(doc! {"_id": id.as_str()})
        .projection(doc! {"attributes": 1})
        .await
        .or_store()?;
    match found.and_then(|d| d.get("attributes").cloned()) {
        None | Some(bson::Bson::Null) => Ok(Attributes::default()),
        Some(a) => bson::from_bson(a)
            .map_err(|e| StoreError::internal(format!("stored attributes do not read: {e}"))),
    }
}

/// One transaction: read, merge, write the attributes and their search text, and record
/// `contact.updated` (a concurrent change makes one of the two transactions retry, so both
/// land).
pub(crate) async fn update_customer_attributes(
    store: &MongoStore,
    id: &CustomerId,
    changes: &AttributeChanges,
    at: TimestampMs,
) -> StoreResult<Option<Attributes>> {
    let wanted = store.recording.wants(WebhookEventType::ContactUpdated);
    let customers = store.db.collection::<Document>(CUSTOMERS);
    let outbox = webhooks::outbox(store);
    let (id, changes) = (id.clone(), changes.clone());
    transaction::run(&store.client, |session| {
        let (customers, outbox) = (customers.clone(), outbox.clone());
        let (id, changes) = (id.clone(), changes.clone());
        Box::pin(async move {
            let found = customers
                .find_one(doc! {"_id": id.as_str()})
                .projection(doc! {"attributes": 1, "external_id": 1, "verified": 1})
                .session(&mut *session)
                .await?;
            let Some(found) = found else {
                return Ok(Err(StoreError::NotFound));
            };
            let kept: Attributes = match found.get("attributes") {
                None | Some(bson::Bson::Null) => Attributes::default(),
                Some(a) => match bson::from_bson(a.clone()) {
                    Ok(a) => a,
                    Err(e) => {
                        return Ok(Err(StoreError::internal(format!(
                            "stored attributes do not read: {e}"
                        ))));
                    }
                },
            };
            let next = match kept.merged(&changes) {
                Ok(next) if next == kept => return Ok(Ok(None)),
                Ok(next) => next,
                Err(e) => return Ok(Err(StoreError::Conflict(e.to_string()))),
            };
            let stored = match bson::to_bson(&next) {
                Ok(b) => b,
                Err(e) => {
                    return Ok(Err(StoreError::internal(format!(
                        "attributes do not write: {e}"
                    ))));
                }
            };
            customers
                .update_one(
                    doc! {"_id": id.as_str()},
                    doc! {"$set": {"attributes": stored, "attribute_values": next.search_text()}},
                )
                .session(&mut *session)
                .await?;
            if wanted {
                // The site's id only when the site proved it: anyone can claim one.
                let site_id = found
                    .get_bool("verified")
                    .unwrap_or(false)
                    .then(|| found.get_str("external_id").ok().map(str::to_owned))
                    .flatten();
                let event = events::contact_updated(&id, site_id, &next, at);
                webhooks::record(&outbox, &[EventDoc::new(&event)], &mut *session).await?;
            }
            Ok(Ok(Some(next)))
        })
    })
    .await
}
