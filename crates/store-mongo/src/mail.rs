//! Addresses whose owner turned mail off: one document per address key.

use chimpassist_protocol::TimestampMs;
use chimpassist_store::StoreResult;
use mongodb::bson::{Document, doc};

use crate::MongoStore;
use crate::error::OrStore;
use crate::schema::MAIL_SUPPRESSIONS;

pub(crate) async fn mail_suppressed(
    store: &MongoStore,
    key: &str,
) -> StoreResult<Option<TimestampMs>> {
    let found = store
        .db
        .collection::<Document>(MAIL_SUPPRESSIONS)
        .find_one(doc! {"_id": key})
        .await
        .or_store()?;
    Ok(found.and_then(|d| d.get_i64("at").ok()))
}

/// An upsert with `$setOnInsert`: the first time is kept, a repeat changes nothing.
pub(crate) async fn suppress_mail(
    store: &MongoStore,
    key: &str,
    at: TimestampMs,
) -> StoreResult<()> {
    store
        .db
        .collection::<Document>(MAIL_SUPPRESSIONS)
        .update_one(doc! {"_id": key}, doc! {"$setOnInsert": {"at": at}})
        .upsert(true)
        .await
        .or_store()?;
    Ok(())
}
