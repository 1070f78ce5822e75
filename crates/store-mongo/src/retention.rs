//! The retention sweep (see `Store::purge_ended_before`). The due conversations' files go
//! first (bytes, then records), then one transaction takes their messages and notes and marks
//! them emptied; a crash between leaves conversations without files that the next sweep
//! finds again and finishes.

use chimpassist_protocol::TimestampMs;
use chimpassist_store::retention::ENDED;
use chimpassist_store::{Purged, StoreResult};
use mongodb::bson::{Bson, Document, doc};

use crate::schema::{CONVERSATIONS, MESSAGES, NOTES};
use crate::{MongoStore, conversations, files, transaction};

/// Deletes the documents of `collection` that belong to one of `conversations`, in the
/// session's transaction; returns how many.
pub(crate) async fn delete_of(
    db: &mongodb::Database,
    collection: &str,
    conversations: &[Bson],
    session: &mut mongodb::ClientSession,
) -> mongodb::error::Result<u64> {
    Ok(db
        .collection::<Document>(collection)
        .delete_many(doc! {"conversation_id": {"$in": conversations}})
        .session(session)
        .await?
        .deleted_count)
}

pub(crate) async fn purge(
    store: &MongoStore,
    cutoff: TimestampMs,
    at: TimestampMs,
    limit: u32,
) -> StoreResult<Purged> {
    if limit == 0 {
        return Ok(Purged::default());
    }
    let filter = doc! {
        "status": {"$in": ENDED.to_vec()},
        "ended_at": {"$lt": cutoff},
        "purged_at": {"$exists": false},
    };
    let due = conversations::ids_where(store, filter, doc! {"ended_at": 1}, Some(i64::from(limit)))
        .await?;
    if due.is_empty() {
        return Ok(Purged::default());
    }
    let files = files::delete_in(store, &due).await?;
    let db = store.db.clone();
    let (conversations, messages, notes) = transaction::run(&store.client, |session| {
        let (db, due) = (db.clone(), due.clone());
        Box::pin(async move {
            let messages = delete_of(&db, MESSAGES, &due, session).await?;
            let notes = delete_of(&db, NOTES, &due, session).await?;
            // Still ended and not emptied: one reopened meanwhile keeps what it has.
            let emptied = db
                .collection::<Document>(CONVERSATIONS)
                .update_many(
                    doc! {"_id": {"$in": &due}, "open_customer": {"$exists": false}},
                    doc! {
                        "$set": {"purged_at": at},
                        "$unset": {"subject": "", "rating.comment": ""},
                    },
                )
                .session(&mut *session)
                .await?
                .modified_count;
            Ok(Ok((emptied, messages, notes)))
        })
    })
    .await?;
    Ok(Purged {
        conversations,
        messages,
        notes,
        files,
    })
}
