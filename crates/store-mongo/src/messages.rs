//! Messages: the sequenced, idempotent append and the three ways to read them back.

use std::collections::BTreeMap;

use chimpassist_protocol::{ConversationId, CustomerId, Seq};
use chimpassist_store::{
    Appended, MessageCursor, NewMessage, StoreError, StoreResult, StoredMessage,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;
use serde::Deserialize;

use crate::MongoStore;
use crate::codec::{MessageDoc, int, uuid};
use crate::error::{OrStore, is_duplicate_key};
use crate::schema::{CONVERSATIONS, MESSAGES};
use crate::transaction;

/// The part of a conversation an append reads back from its counter update.
#[derive(Debug, Deserialize)]
struct Counter {
    last_seq: i64,
    customer_id: String,
}

fn messages(store: &MongoStore) -> Collection<MessageDoc> {
    store.db.collection(MESSAGES)
}

/// Appends in one transaction: `$inc` the conversation's `last_seq` (returning the new
/// value), then insert the message under that seq.
///
/// Why a transaction: seqs must be dense (1, 2, 3, … with no gaps, see the `Store` docs).
/// Allocating a seq and inserting the message are writes to two documents; if the insert
/// failed after the `$inc` had been kept — a resend racing its original into the unique
/// `(conversation_id, client_id)` index, a dropped connection, a crash — that seq would be
/// a gap forever. In the transaction, either both writes commit or neither does.
///
/// Concurrent appends to one conversation all write its document, so all but one get a write
/// conflict and are retried (`transaction::run`). Within this process appends go through the
/// batcher (`batch.rs`), one batch at a time, so conflicts only arise between processes.
///
/// Idempotency: no lookup before the write (it would cost every append a round trip). A
/// resend makes the insert hit the unique client-id index; the transaction is then aborted
/// (undoing the `$inc`) and the original is read and returned.
pub(crate) async fn append(store: &MongoStore, m: NewMessage) -> StoreResult<Appended> {
    match append_batch(store, &[&m]).await {
        Ok(mut stored) => Ok(Appended {
            message: stored
                .pop()
                .ok_or_else(|| StoreError::internal("an append wrote nothing"))?,
            duplicate: false,
        }),
        // The transaction aborted (undoing the `$inc`): the original is looked up.
        Err(StoreError::DuplicateClientId) => original(store, &m).await,
        Err(e) => Err(e),
    }
}

/// A message document without its seq and customer (the counter update gives both).
fn draft(m: &NewMessage) -> MessageDoc {
    MessageDoc {
        conversation_id: uuid(m.conversation.as_uuid()),
        seq: 0,
        client_id: uuid(m.client_id.as_uuid()),
        customer_id: String::new(),
        sender_party: m.sender_party.as_str().to_owned(),
        sender_id: m.sender_id.clone(),
        sender_name: m.sender_name.clone(),
        text: m.text.as_str().to_owned(),
        timestamp: m.timestamp,
    }
}

/// Appends messages in one transaction: per conversation, one `$inc` by its number of
/// messages (seqs given in `batch` order), then one `insertMany` of them all. Answers the
/// stored messages in `batch` order, or `DuplicateClientId` / `NotFound` when one of them is
/// a resend or has no conversation (nothing is written then).
pub(crate) async fn append_batch(
    store: &MongoStore,
    batch: &[&NewMessage],
) -> StoreResult<Vec<StoredMessage>> {
    let mut groups: BTreeMap<ConversationId, Vec<usize>> = BTreeMap::new();
    for (i, m) in batch.iter().enumerate() {
        groups.entry(m.conversation).or_default().push(i);
    }
    let counters = store.db.collection::<Counter>(CONVERSATIONS);
    let messages = messages(store);
    let drafts: Vec<MessageDoc> = batch.iter().map(|m| draft(m)).collect();
    let written = transaction::run(&store.client, |session| {
        let counters = counters.clone();
        let messages = messages.clone();
        let mut docs = drafts.clone();
        let groups = groups.clone();
        Box::pin(async move {
            for (conversation, indexes) in &groups {
                let count = i64::try_from(indexes.len()).unwrap_or(i64::MAX);
                let counter = counters
                    .find_one_and_update(
                        doc! {"_id": uuid(conversation.as_uuid())},
                        doc! {"$inc": {"last_seq": count}},
                    )
                    .projection(doc! {"last_seq": 1, "customer_id": 1})
                    .return_document(ReturnDocument::After)
                    .session(&mut *session)
                    .await?;
                let Some(counter) = counter else {
                    return Ok(Err(StoreError::NotFound));
                };
                let first = counter.last_seq - count + 1;
                for (offset, &i) in (0..).zip(indexes.iter()) {
                    docs[i].seq = first + offset;
                    docs[i].customer_id.clone_from(&counter.customer_id);
                }
            }
            match messages.insert_many(&docs).session(&mut *session).await {
                Ok(_) => Ok(Ok(docs)),
                Err(e) if is_duplicate_key(&e) => Ok(Err(StoreError::DuplicateClientId)),
                Err(e) => Err(e),
            }
        })
    })
    .await?;
    written.into_iter().map(MessageDoc::into_model).collect()
}

/// The message a resend collided with: returned as a duplicate when it came from the same
/// sender, refused otherwise.
async fn original(store: &MongoStore, m: &NewMessage) -> StoreResult<Appended> {
    let found = messages(store)
        .find_one(doc! {
            "conversation_id": uuid(m.conversation.as_uuid()),
            "client_id": uuid(m.client_id.as_uuid()),
        })
        .await
        .or_store()?;
    let Some(found) = found else {
        // The unique index that refused the insert was `(conversation_id, seq)`: the counter
        // is behind the stored messages, which only a hand edit can cause.
        return Err(StoreError::internal(format!(
            "conversation {} has messages beyond its last_seq",
            m.conversation
        )));
    };
    let original = found.into_model()?;
    if original.sender_party != m.sender_party || original.sender_id != m.sender_id {
        return Err(StoreError::DuplicateClientId);
    }
    Ok(Appended {
        message: original,
        duplicate: true,
    })
}

async fn list(
    store: &MongoStore,
    filter: Document,
    sort: Document,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    // The server reads a limit of 0 as "no limit".
    if limit == 0 {
        return Ok(Vec::new());
    }
    let docs: Vec<MessageDoc> = messages(store)
        .find(filter)
        .sort(sort)
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(MessageDoc::into_model).collect()
}

/// A backwards range of `messages_seq`.
pub(crate) async fn before(
    store: &MongoStore,
    conversation: &ConversationId,
    before: Option<Seq>,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    let before = before.map_or(i64::MAX, int);
    list(
        store,
        doc! {"conversation_id": uuid(conversation.as_uuid()), "seq": {"$lt": before}},
        doc! {"seq": -1},
        limit,
    )
    .await
}

/// A forward range of `messages_seq`.
pub(crate) async fn after(
    store: &MongoStore,
    conversation: &ConversationId,
    after: Seq,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    list(
        store,
        doc! {"conversation_id": uuid(conversation.as_uuid()), "seq": {"$gt": int(after)}},
        doc! {"seq": 1},
        limit,
    )
    .await
}

/// A backwards range of `messages_by_customer`, strictly below the cursor in
/// `(timestamp, conversation_id, seq)` order.
pub(crate) async fn of_customer(
    store: &MongoStore,
    customer: &CustomerId,
    before: Option<MessageCursor>,
    limit: u64,
) -> StoreResult<Vec<StoredMessage>> {
    let mut filter = doc! {"customer_id": customer.as_str()};
    if let Some(c) = before {
        let conversation = uuid(c.conversation.as_uuid());
        filter.insert(
            "$or",
            vec![
                doc! {"timestamp": {"$lt": c.timestamp}},
                doc! {"timestamp": c.timestamp, "conversation_id": {"$lt": conversation}},
                doc! {
                    "timestamp": c.timestamp,
                    "conversation_id": conversation,
                    "seq": {"$lt": int(c.seq)},
                },
            ],
        );
    }
    list(
        store,
        filter,
        doc! {"timestamp": -1, "conversation_id": -1, "seq": -1},
        limit,
    )
    .await
}
