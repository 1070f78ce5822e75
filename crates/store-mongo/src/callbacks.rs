//! Callback requests left while nobody was available.

use chimpassist_protocol::{AttendantId, CallbackId, CustomerId, TimestampMs};
use chimpassist_store::{
    Callback, CallbackCursor, CallbackFilter, StoreError, StoreResult, events,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};

use crate::MongoStore;
use crate::codec::{CallbackDoc, int, uuid};
use crate::error::{OrStore, is_duplicate_key, store_error};
use crate::schema::CALLBACKS;
use crate::transaction;
use crate::webhooks::{self, EventDoc};

fn callbacks(store: &MongoStore) -> Collection<CallbackDoc> {
    store.db.collection(CALLBACKS)
}

/// The callback and its `callback.requested` event in one transaction (see `webhooks.rs`);
/// a taken id is a `Conflict` and records nothing.
pub(crate) async fn create(store: &MongoStore, c: &Callback) -> StoreResult<()> {
    let doc = CallbackDoc::new(c);
    let Some(event) = store.recording.keep(events::callback(c)) else {
        // No endpoint takes the event: the single insert it was before webhooks.
        callbacks(store).insert_one(&doc).await.or_store()?;
        return Ok(());
    };
    let event = EventDoc::new(&event);
    let (callbacks, outbox) = (callbacks(store), webhooks::outbox(store));
    transaction::run(&store.client, |session| {
        let (callbacks, outbox) = (callbacks.clone(), outbox.clone());
        let (doc, event) = (doc.clone(), event.clone());
        Box::pin(async move {
            match callbacks.insert_one(&doc).session(&mut *session).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Ok(Err(store_error(e))),
                Err(e) => return Err(e),
            }
            webhooks::record(&outbox, &[event], &mut *session).await?;
            Ok(Ok(()))
        })
    })
    .await
}

/// The documents `filter` lets through. Open ones (`done_at: null`) are a prefix of
/// `callbacks_open`; all, or done ones, come from `callbacks_newest`.
fn filter_doc(filter: CallbackFilter) -> Document {
    match filter {
        CallbackFilter::Open => doc! {"done_at": Bson::Null},
        CallbackFilter::Done => doc! {"done_at": {"$ne": Bson::Null}},
        CallbackFilter::All => doc! {},
    }
}

/// Strictly below the cursor in `(created_at, _id)` order. `_id` is the UUID as BSON binary
/// subtype 4, which compares byte by byte like SQLite's blobs, so both backends page alike.
fn below(cursor: &CallbackCursor) -> Document {
    let id = uuid(cursor.id.as_uuid());
    doc! {
        "$or": [
            {"created_at": {"$lt": cursor.created_at}},
            {"created_at": cursor.created_at, "_id": {"$lt": id}},
        ]
    }
}

/// A backwards range of the index the filter picks, newest first.
pub(crate) async fn list(
    store: &MongoStore,
    filter: CallbackFilter,
    before: Option<CallbackCursor>,
    limit: u64,
) -> StoreResult<Vec<Callback>> {
    // The server reads a limit of 0 as "no limit".
    if limit == 0 {
        return Ok(Vec::new());
    }
    let mut query = filter_doc(filter);
    if let Some(cursor) = &before {
        query.extend(below(cursor));
    }
    let docs: Vec<CallbackDoc> = callbacks(store)
        .find(query)
        .sort(doc! {"created_at": -1, "_id": -1})
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(CallbackDoc::into_model).collect()
}

/// A customer's callbacks, newest first (`callbacks_by_customer`).
pub(crate) async fn of_customer(
    store: &MongoStore,
    customer: &CustomerId,
) -> StoreResult<Vec<Callback>> {
    let docs: Vec<CallbackDoc> = callbacks(store)
        .find(doc! {"customer_id": customer.as_str()})
        .sort(doc! {"created_at": -1, "_id": -1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(CallbackDoc::into_model).collect()
}

/// Only an open callback is changed, so the first attendant to mark it stays on record.
pub(crate) async fn mark_done(
    store: &MongoStore,
    id: &CallbackId,
    by: &AttendantId,
    at: TimestampMs,
) -> StoreResult<Callback> {
    let id = uuid(id.as_uuid());
    let callbacks = callbacks(store);
    callbacks
        .update_one(
            doc! {"_id": id, "done_at": Bson::Null},
            doc! {"$set": {"done_at": at, "done_by": by.as_str()}},
        )
        .await
        .or_store()?;
    callbacks
        .find_one(doc! {"_id": id})
        .await
        .or_store()?
        .ok_or(StoreError::NotFound)?
        .into_model()
}
