//! The visitor's context and the site's attributes of a customer: sub-documents `visit`
//! and `attributes` of the customer's document (read and written whole; the attributes'
//! values also as text in `attribute_values`, for search).

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{Attributes, CustomerId, TimestampMs, VisitView};
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

/// One transaction: the attributes, their search text and `contact.updated` (with the
/// site id the update reads back).
pub(crate) async fn set_customer_attributes(
    store: &MongoStore,
    id: &CustomerId,
    attributes: &Attributes,
    at: TimestampMs,
) -> StoreResult<()> {
    let kept = bson::to_bson(attributes)
        .map_err(|e| StoreError::internal(format!("attributes do not write: {e}")))?;
    let update = doc! {"$set": {"attributes": kept, "attribute_values": attributes.search_text()}};
    let wanted = store.recording.wants(WebhookEventType::ContactUpdated);
    let customers = store.db.collection::<Document>(CUSTOMERS);
    let outbox = webhooks::outbox(store);
    let (id, attributes) = (id.clone(), attributes.clone());
    transaction::run(&store.client, |session| {
        let (customers, outbox, update) = (customers.clone(), outbox.clone(), update.clone());
        let (id, attributes) = (id.clone(), attributes.clone());
        Box::pin(async move {
            let before = customers
                .find_one_and_update(doc! {"_id": id.as_str()}, update)
                .projection(doc! {"external_id": 1, "verified": 1})
                .session(&mut *session)
                .await?;
            let Some(before) = before else {
                return Ok(Err(StoreError::NotFound));
            };
            if wanted {
                // The site's id only when the site proved it: anyone can claim one.
                let site_id = before
                    .get_bool("verified")
                    .unwrap_or(false)
                    .then(|| before.get_str("external_id").ok().map(str::to_owned))
                    .flatten();
                let event = events::contact_updated(&id, site_id, &attributes, at);
                webhooks::record(&outbox, &[EventDoc::new(&event)], &mut *session).await?;
            }
            Ok(Ok(()))
        })
    })
    .await
}
