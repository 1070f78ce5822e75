//! Messages: the sequenced, idempotent append and the three ways to read them back.

use std::collections::BTreeMap;

use chimpassist_protocol::{ConversationId, CustomerId, Seq};
use chimpassist_store::{
    Appended, MessageCursor, MessageTally, NewMessage, StoreError, StoreResult, StoredMessage,
    events,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;
use serde::Deserialize;

use crate::MongoStore;
use crate::codec::{AttachmentDoc, MessageDoc, int, uuid};
use crate::error::{OrStore, is_duplicate_key};
use crate::schema::{CONVERSATIONS, MESSAGES};
use crate::transaction;
use crate::webhooks::{self, EventDoc};

/// The part of a conversation an append reads back from its counter update.
#[derive(Debug, Deserialize)]
struct Counter {
    #[serde(rename = "_id")]
    id: mongodb::bson::Uuid,
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
    match append_batch(store, &[&m], true).await {
        Ok(stored) => Ok(Appended {
            message: stored
                .and_then(|mut written| written.pop())
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
        call: m.call.clone(),
        attachments: m.attachments.iter().map(AttachmentDoc::new).collect(),
    }
}

/// Appends messages in one transaction: per conversation, one `$inc` by its number of
/// messages (seqs given in `batch` order), then one `insertMany` of them all, then one of
/// their webhook events (`message.created` or `call.ended`, see `webhooks.rs`). Answers the
/// stored messages in `batch` order, or `DuplicateClientId` / `NotFound` when one of them is
/// a resend or has no conversation (nothing is written then). A write conflict is retried
/// when `retry` is set; otherwise the answer is `None` and nothing is written.
pub(crate) async fn append_batch(
    store: &MongoStore,
    batch: &[&NewMessage],
    retry: bool,
) -> StoreResult<Option<Vec<StoredMessage>>> {
    let mut groups: BTreeMap<ConversationId, Vec<usize>> = BTreeMap::new();
    let mut tallies: BTreeMap<ConversationId, MessageTally> = BTreeMap::new();
    for (i, m) in batch.iter().enumerate() {
        groups.entry(m.conversation).or_default().push(i);
        let tally = tallies.entry(m.conversation).or_default();
        *tally = tally.plus(m.tally());
    }
    let counters = store.db.collection::<Counter>(CONVERSATIONS);
    let messages = messages(store);
    let outbox = webhooks::outbox(store);
    let recording = store.recording.clone();
    let drafts: Vec<MessageDoc> = batch.iter().map(|m| draft(m)).collect();
    let body = transaction::body(|session| {
        let db = store.db.clone();
        let counters = counters.clone();
        let messages = messages.clone();
        let outbox = outbox.clone();
        let recording = recording.clone();
        let mut docs = drafts.clone();
        let groups = groups.clone();
        let tallies = tallies.clone();
        Box::pin(async move {
            let counted = count_up(&db, &counters, &groups, &tallies, &mut *session).await?;
            let Some(counters) = counted else {
                return Ok(Err(StoreError::NotFound));
            };
            for ((_, indexes), counter) in groups.iter().zip(&counters) {
                let count = i64::try_from(indexes.len()).unwrap_or(i64::MAX);
                let first = counter.last_seq - count + 1;
                for (offset, &i) in (0..).zip(indexes.iter()) {
                    docs[i].seq = first + offset;
                    docs[i].customer_id.clone_from(&counter.customer_id);
                }
            }
            match messages.insert_many(&docs).session(&mut *session).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Ok(Err(StoreError::DuplicateClientId)),
                Err(e) => return Err(e),
            }
            let stored = match docs
                .into_iter()
                .map(MessageDoc::into_model)
                .collect::<StoreResult<Vec<_>>>()
            {
                Ok(stored) => stored,
                Err(e) => return Ok(Err(e)),
            };
            // Each message's event, after the insert a resend fails at: a duplicate aborts
            // the transaction before any event is written.
            let recorded: Vec<EventDoc> = stored
                .iter()
                .filter(|m| recording.wants(events::message_kind(m)))
                .map(|m| EventDoc::new(&events::message(m)))
                .collect();
            webhooks::record(&outbox, &recorded, &mut *session).await?;
            Ok(Ok(stored))
        })
    });
    if retry {
        Ok(Some(transaction::run(&store.client, body).await?))
    } else {
        transaction::run_once(&store.client, body).await
    }
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

/// The update of one conversation's document for `count` new messages: its seq counter and
/// the report facts they add.
fn counter_update(count: usize, tally: &MessageTally) -> Document {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let mut update = doc! {"$inc": {
        "last_seq": i64::try_from(count).unwrap_or(i64::MAX),
        "customer_messages": n(tally.customer_messages),
        "attendant_messages": n(tally.attendant_messages),
        "calls": i64::from(tally.calls),
        "calls_answered": i64::from(tally.calls_answered),
        "calls_missed": i64::from(tally.calls_missed),
        "talk_ms": tally.talk_ms,
    }};
    if let Some(at) = tally.first_response_at {
        update.insert("$min", doc! {"first_response_at": at});
    }
    update
}

/// Raises each conversation's counter by its number of messages (and its report facts by
/// what they add) and answers the counters after it, in `groups` order; `None` when a
/// conversation does not exist.
///
/// One conversation: one `findAndModify`. Several: one `update` command with a statement per
/// conversation, then one `find` of them all (the transaction reads its own writes), so a
/// batch costs two round trips however many conversations it spans, not one each.
async fn count_up(
    db: &mongodb::Database,
    counters: &Collection<Counter>,
    groups: &BTreeMap<ConversationId, Vec<usize>>,
    tallies: &BTreeMap<ConversationId, MessageTally>,
    session: &mut mongodb::ClientSession,
) -> Result<Option<Vec<Counter>>, mongodb::error::Error> {
    let update = |conversation: &ConversationId, indexes: &Vec<usize>| {
        counter_update(
            indexes.len(),
            tallies
                .get(conversation)
                .unwrap_or(&MessageTally::default()),
        )
    };
    if let [(conversation, indexes)] = groups.iter().collect::<Vec<_>>()[..] {
        let counter = counters
            .find_one_and_update(
                doc! {"_id": uuid(conversation.as_uuid())},
                update(conversation, indexes),
            )
            .projection(doc! {"last_seq": 1, "customer_id": 1})
            .return_document(ReturnDocument::After)
            .session(&mut *session)
            .await?;
        return Ok(counter.map(|c| vec![c]));
    }
    let updates: Vec<Document> = groups
        .iter()
        .map(|(conversation, indexes)| {
            doc! {
                "q": {"_id": uuid(conversation.as_uuid())},
                "u": update(conversation, indexes),
            }
        })
        .collect();
    let reply = db
        .run_command(doc! {"update": CONVERSATIONS, "updates": updates, "ordered": true})
        .session(&mut *session)
        .await?;
    let matched = reply
        .get_i32("n")
        .map(i64::from)
        .or_else(|_| reply.get_i64("n"))
        .unwrap_or(0);
    if usize::try_from(matched).ok() != Some(groups.len()) {
        return Ok(None);
    }
    let ids: Vec<mongodb::bson::Uuid> = groups.keys().map(|c| uuid(c.as_uuid())).collect();
    let mut found: BTreeMap<mongodb::bson::Uuid, Counter> = BTreeMap::new();
    let mut cursor = counters
        .find(doc! {"_id": {"$in": ids}})
        .projection(doc! {"last_seq": 1, "customer_id": 1})
        .session(&mut *session)
        .await?;
    while let Some(counter) = cursor.next(&mut *session).await.transpose()? {
        found.insert(counter.id, counter);
    }
    Ok(groups
        .keys()
        .map(|c| found.remove(&uuid(c.as_uuid())))
        .collect())
}
