//! Callback requests left while nobody was available.

use chimpassist_protocol::{AttendantId, CallbackId, TimestampMs};
use chimpassist_store::{Callback, StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, doc};

use crate::MongoStore;
use crate::codec::{CallbackDoc, uuid};
use crate::error::OrStore;
use crate::schema::CALLBACKS;

fn callbacks(store: &MongoStore) -> Collection<CallbackDoc> {
    store.db.collection(CALLBACKS)
}

pub(crate) async fn create(store: &MongoStore, c: &Callback) -> StoreResult<()> {
    callbacks(store)
        .insert_one(CallbackDoc::new(c))
        .await
        .or_store()?;
    Ok(())
}

/// Open ones (`done_at: null`) are a prefix of `callbacks_open`; all of them are
/// `callbacks_newest`.
pub(crate) async fn list(store: &MongoStore, include_done: bool) -> StoreResult<Vec<Callback>> {
    let filter = if include_done {
        doc! {}
    } else {
        doc! {"done_at": Bson::Null}
    };
    let docs: Vec<CallbackDoc> = callbacks(store)
        .find(filter)
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
