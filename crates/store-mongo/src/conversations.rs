//! Conversations: creation, the status compare-and-set, lists, ratings and receipts.

use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationStatus, CustomerId, Party, Rating, ReceiptKind,
    Receipts, TimestampMs,
};
use chimpassist_store::{
    AttendantChange, Conversation, NewConversation, StoreError, StoreResult, Transition,
    TransitionMarks, events,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Bson, Document, doc};
use serde::Deserialize;

use crate::MongoStore;
use crate::codec::{
    ConversationDoc, FactsDoc, HELD, RatingDoc, ReceiptsDoc, int, is_open, opt, uuid,
};
use crate::error::{OrStore, is_duplicate_key, store_error};
use crate::schema::{ATTENDANTS, CONVERSATIONS, RECEIPTS};
use crate::transaction;
use crate::webhooks::{self, EventDoc};

fn conversations(store: &MongoStore) -> Collection<ConversationDoc> {
    store.db.collection(CONVERSATIONS)
}

/// The conversation and its `conversation.created` event in one transaction (see
/// `webhooks.rs`). The unique partial index `conversations_one_open` turns a second open
/// conversation of the same customer into a `Conflict` (as does an id that is taken), which
/// aborts the transaction with the event unwritten.
pub(crate) async fn create(store: &MongoStore, new: NewConversation) -> StoreResult<Conversation> {
    let doc = ConversationDoc {
        id: uuid(new.id.as_uuid()),
        customer_id: new.customer_id.as_str().to_owned(),
        queue_id: new.queue_id.as_str().to_owned(),
        status: ConversationStatus::Queued.as_str().to_owned(),
        attendant_id: None,
        requested_at: new.requested_at,
        assigned_at: None,
        ended_at: None,
        last_seq: 0,
        rating: None,
        subject: new.subject.clone(),
        receipts: ReceiptsDoc::default(),
        open_customer: Some(new.customer_id.as_str().to_owned()),
        attendants: Vec::new(),
        facts: FactsDoc {
            created_at: Some(new.requested_at),
            ..FactsDoc::default()
        },
    };
    let conversation = doc.clone().into_model()?;
    let Some(event) = store.recording.keep(events::created(&conversation)) else {
        // No endpoint takes the event: the single insert it was before webhooks.
        conversations(store).insert_one(&doc).await.or_store()?;
        return Ok(conversation);
    };
    let event = EventDoc::new(&event);
    let (conversations, outbox) = (conversations(store), webhooks::outbox(store));
    transaction::run(&store.client, |session| {
        let (conversations, outbox) = (conversations.clone(), outbox.clone());
        let (doc, event) = (doc.clone(), event.clone());
        Box::pin(async move {
            match conversations.insert_one(&doc).session(&mut *session).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Ok(Err(store_error(e))),
                Err(e) => return Err(e),
            }
            webhooks::record(&outbox, &[event], &mut *session).await?;
            Ok(Ok(()))
        })
    })
    .await?;
    Ok(conversation)
}

pub(crate) async fn get(
    store: &MongoStore,
    id: &ConversationId,
) -> StoreResult<Option<Conversation>> {
    conversations(store)
        .find_one(doc! {"_id": uuid(id.as_uuid())})
        .await
        .or_store()?
        .map(ConversationDoc::into_model)
        .transpose()
}

fn refused(current: ConversationStatus, from: &[ConversationStatus]) -> StoreError {
    StoreError::Conflict(format!(
        "conversation is {}, not {}",
        current.as_str(),
        from.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    ))
}

/// The update that turns the stored document into `next`, with the report facts the
/// transition adds (`marks`).
fn update_for(next: &Conversation, t: &Transition, marks: TransitionMarks) -> Document {
    let mut set = doc! {
        "status": next.status.as_str(),
        "attendant_id": opt(next.attendant_id.as_ref().map(|a| a.as_str().to_owned())),
        "assigned_at": opt(next.assigned_at),
        "ended_at": opt(next.ended_at),
        "queue_id": next.queue_id.as_str(),
        "requested_at": next.requested_at,
        "rating": next.rating.as_ref().map_or(Bson::Null, |r| RatingDoc::new(r).to_bson()),
    };
    let mut update = Document::new();
    if is_open(next.status) {
        set.insert("open_customer", next.customer_id.as_str());
        // Reopened: the retention sweep takes what is written from now on in its time.
        update.insert("$unset", doc! {"purged_at": ""});
    } else {
        update.insert("$unset", doc! {"open_customer": ""});
    }
    update.insert("$set", set);
    if let AttendantChange::Set(a) = &t.attendant {
        // Remember every holder, so a transfer keeps it in the first one's history.
        update.insert("$addToSet", doc! {"attendants": a.as_str()});
    }
    if let Some(at) = marks.assigned_at {
        update.insert("$min", doc! {"first_assigned_at": at});
    }
    if marks.reopened {
        update.insert("$inc", doc! {"reopened": 1});
    }
    update
}

/// A compare-and-set in one transaction: read the conversation, check its status, (with a
/// capacity) check the attendant's load, write the new state.
///
/// The capacity check is a count of the attendant's `assigned`/`active` conversations — the
/// source of truth, so there is no counter to drift. A count alone would not be atomic under
/// snapshot isolation: two transactions could each count two of three and each assign a
/// *different* conversation, writing disjoint documents, and both commit (write skew). So
/// each capacity-checked assignment also increments the attendant's `assignments` field:
/// two of them for one attendant now write the same document, one gets a write conflict and
/// is retried, and its retry counts the other's assignment. Transitions without a capacity,
/// and those that lower a load, take no such lock: they cannot break a limit.
///
/// Racing transitions of one conversation write the same document too, so exactly one of
/// them commits; the others' retries see the new status and answer `Conflict`.
///
/// The transition's webhook event (if it makes one, see `chimpassist_store::events`) is
/// inserted after the update, in the same transaction: a refused transition aborts before it.
pub(crate) async fn transition(store: &MongoStore, t: Transition) -> StoreResult<Conversation> {
    let conversations = conversations(store);
    let attendants = store.db.collection::<Document>(ATTENDANTS);
    let outbox = webhooks::outbox(store);
    let recording = store.recording.clone();
    transaction::run(&store.client, |session| {
        let conversations = conversations.clone();
        let attendants = attendants.clone();
        let outbox = outbox.clone();
        let recording = recording.clone();
        let t = t.clone();
        Box::pin(async move {
            let id = uuid(t.id.as_uuid());
            let current = conversations
                .find_one(doc! {"_id": id})
                .session(&mut *session)
                .await?;
            let Some(current) = current else {
                return Ok(Err(StoreError::NotFound));
            };
            let current = match current.into_model() {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            if !t.from.contains(&current.status) {
                return Ok(Err(refused(current.status, &t.from)));
            }
            if let (Some(capacity), AttendantChange::Set(attendant)) = (t.capacity, &t.attendant) {
                let locked = attendants
                    .update_one(
                        doc! {"_id": attendant.as_str()},
                        doc! {"$inc": {"assignments": 1}},
                    )
                    .session(&mut *session)
                    .await?;
                if locked.matched_count == 0 {
                    return Ok(Err(StoreError::Conflict(format!(
                        "no attendant {attendant}"
                    ))));
                }
                let held = conversations
                    .count_documents(doc! {
                        "attendant_id": attendant.as_str(),
                        "status": {"$in": HELD.to_vec()},
                        "_id": {"$ne": id},
                    })
                    .session(&mut *session)
                    .await?;
                if held >= u64::from(capacity) {
                    return Ok(Err(StoreError::AtCapacity));
                }
            }
            let mut next = current.clone();
            let marks = t.marks(&current);
            t.apply(&mut next);
            let written = conversations
                .update_one(
                    doc! {"_id": id, "status": current.status.as_str()},
                    update_for(&next, &t, marks),
                )
                .session(&mut *session)
                .await;
            match written {
                Ok(r) if r.matched_count == 1 => {
                    let event =
                        events::transitioned(&current, &next, t.at).and_then(|e| recording.keep(e));
                    let event: Vec<EventDoc> = event.iter().map(EventDoc::new).collect();
                    webhooks::record(&outbox, &event, &mut *session).await?;
                    Ok(Ok(next))
                }
                Ok(_) => Ok(Err(refused(current.status, &t.from))),
                // Re-opening while the customer has another open conversation.
                Err(e) if is_duplicate_key(&e) => Ok(Err(store_error(e))),
                Err(e) => Err(e),
            }
        })
    })
    .await
}

async fn list(
    store: &MongoStore,
    filter: Document,
    sort: Document,
    offset: u64,
    limit: Option<u64>,
) -> StoreResult<Vec<Conversation>> {
    let conversations = conversations(store);
    let mut find = conversations.find(filter).sort(sort).skip(offset);
    if let Some(limit) = limit {
        // The server reads a limit of 0 as "no limit".
        if limit == 0 {
            return Ok(Vec::new());
        }
        find = find.limit(int(limit));
    }
    let docs: Vec<ConversationDoc> = find.await.or_store()?.try_collect().await.or_store()?;
    docs.into_iter().map(ConversationDoc::into_model).collect()
}

/// The whole partial index `conversations_open`, in order.
pub(crate) async fn list_open(store: &MongoStore) -> StoreResult<Vec<Conversation>> {
    list(
        store,
        doc! {"open_customer": {"$exists": true}},
        doc! {"requested_at": 1, "_id": 1},
        0,
        None,
    )
    .await
}

pub(crate) async fn of_customer(
    store: &MongoStore,
    customer: &CustomerId,
    offset: u64,
    limit: u64,
) -> StoreResult<Vec<Conversation>> {
    list(
        store,
        doc! {"customer_id": customer.as_str()},
        doc! {"requested_at": -1, "_id": -1},
        offset,
        Some(limit),
    )
    .await
}

pub(crate) async fn of_attendant(
    store: &MongoStore,
    attendant: &AttendantId,
    offset: u64,
    limit: u64,
) -> StoreResult<Vec<Conversation>> {
    list(
        store,
        doc! {"attendants": attendant.as_str()},
        doc! {"requested_at": -1, "_id": -1},
        offset,
        Some(limit),
    )
    .await
}

/// The rating and its `csat.submitted` event in one transaction. The update returns the
/// conversation as it was (`findAndModify`), which is what the event describes (who held it,
/// for whom), so the read costs no round trip of its own.
pub(crate) async fn set_rating(
    store: &MongoStore,
    id: &ConversationId,
    rating: Rating,
    at: TimestampMs,
) -> StoreResult<()> {
    let id = uuid(id.as_uuid());
    let (conversations, outbox) = (conversations(store), webhooks::outbox(store));
    let recording = store.recording.clone();
    transaction::run(&store.client, |session| {
        let (conversations, outbox) = (conversations.clone(), outbox.clone());
        let rating = rating.clone();
        let recording = recording.clone();
        Box::pin(async move {
            let rated = conversations
                .find_one_and_update(
                    doc! {"_id": id},
                    doc! {"$set": {"rating": RatingDoc::new(&rating).to_bson()}},
                )
                .session(&mut *session)
                .await?;
            let Some(rated) = rated else {
                return Ok(Err(StoreError::NotFound));
            };
            let conversation = match rated.into_model() {
                Ok(c) => c,
                Err(e) => return Ok(Err(e)),
            };
            if let Some(event) = recording.keep(events::rated(&conversation, &rating, at)) {
                webhooks::record(&outbox, &[EventDoc::new(&event)], &mut *session).await?;
            }
            Ok(Ok(()))
        })
    })
    .await
}

// --- receipts --------------------------------------------------------------------------------
//
// Receipts live in their own collection, not on the conversation's document. Why: every
// append's transaction writes the conversation's document (its seq counter), and a receipt
// is written for nearly every message; on one document the two made most append
// transactions abort with write conflicts and retry (measured: 230 retries for 146 batches
// in 15 s of `burst` on two nodes). Conversations stored before receipts moved keep theirs
// on the conversation's document (`receipts` there); reads take the higher of the two.

#[derive(Debug, Deserialize)]
struct ReceiptsOnly {
    #[serde(default)]
    receipts: ReceiptsDoc,
}

pub(crate) fn receipt_field(party: Party, kind: ReceiptKind) -> &'static str {
    match (party, kind) {
        (Party::Customer, ReceiptKind::Delivered) => "customer_delivered",
        (Party::Customer, ReceiptKind::Read) => "customer_read",
        // The team's side has one set of receipts (bots send none; see `Party`).
        (Party::Attendant | Party::Bot, ReceiptKind::Delivered) => "attendant_delivered",
        (Party::Attendant | Party::Bot, ReceiptKind::Read) => "attendant_read",
    }
}

/// The higher of each receipt.
pub(crate) fn highest(a: ReceiptsDoc, b: ReceiptsDoc) -> ReceiptsDoc {
    ReceiptsDoc {
        customer_delivered: a.customer_delivered.max(b.customer_delivered),
        customer_read: a.customer_read.max(b.customer_read),
        attendant_delivered: a.attendant_delivered.max(b.attendant_delivered),
        attendant_read: a.attendant_read.max(b.attendant_read),
    }
}

/// The receipts kept on the conversation's document (before they moved); `NotFound` when
/// there is no such conversation. A read: it never conflicts with an append's transaction.
async fn on_conversation(store: &MongoStore, id: &ConversationId) -> StoreResult<ReceiptsDoc> {
    Ok(store
        .db
        .collection::<ReceiptsOnly>(CONVERSATIONS)
        .find_one(doc! {"_id": uuid(id.as_uuid())})
        .projection(doc! {"receipts": 1})
        .await
        .or_store()?
        .ok_or(StoreError::NotFound)?
        .receipts)
}

pub(crate) async fn receipts(store: &MongoStore, id: &ConversationId) -> StoreResult<Receipts> {
    let before = on_conversation(store, id).await?;
    let kept = store
        .db
        .collection::<ReceiptsDoc>(RECEIPTS)
        .find_one(doc! {"_id": uuid(id.as_uuid())})
        .projection(doc! {"_id": 0})
        .await
        .or_store()?
        .unwrap_or_default();
    highest(before, kept).into_model()
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(rename = "_id")]
    id: mongodb::bson::Uuid,
}

/// The ids of the conversations `filter` matches, in `sort` order, at most `limit` (`None`:
/// all): what an erasure or a retention sweep then acts on in one transaction.
pub(crate) async fn ids_where(
    store: &MongoStore,
    filter: Document,
    sort: Document,
    limit: Option<i64>,
) -> StoreResult<Vec<Bson>> {
    let collection = store.db.collection::<IdOnly>(CONVERSATIONS);
    let mut find = collection
        .find(filter)
        .sort(sort)
        .projection(doc! {"_id": 1});
    if let Some(limit) = limit {
        find = find.limit(limit);
    }
    Ok(find
        .await
        .or_store()?
        .try_collect::<Vec<IdOnly>>()
        .await
        .or_store()?
        .into_iter()
        .map(|d| Bson::from(d.id))
        .collect())
}
