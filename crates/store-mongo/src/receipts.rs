//! Receipts, combined: a node's receipts that arrive together are written with one `update`
//! command and read back with one `find` per collection, instead of two round trips each.
//!
//! Why: nearly every delivered message is answered with a `delivered` receipt, so a busy
//! node records about as many receipts as it appends messages; one at a time they cost the
//! database more requests than the (batched) appends themselves.
//!
//! # Guarantees
//! The same as one `record_receipt` each: receipts only move forward (`$max`), the answer is
//! the conversation's receipts after the write, `NotFound` for a conversation that does not
//! exist (nothing is written for it).

use std::collections::BTreeMap;

use chimpassist_protocol::{ConversationId, Party, ReceiptKind, Receipts, Seq};
use chimpassist_store::{StoreError, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, Uuid, doc};
use serde::Deserialize;
use tokio::sync::oneshot;

use crate::MongoStore;
use crate::codec::{ReceiptsDoc, int, uuid};
use crate::combine::Combiner;
use crate::conversations::{highest, receipt_field};
use crate::error::OrStore;
use crate::schema::{CONVERSATIONS, RECEIPTS};

/// Most receipts written at once.
const MAX_BATCH: usize = 512;

/// The MongoDB code of a duplicate key (two nodes' upserts creating one document).
const DUPLICATE_KEY: i32 = 11000;

pub(crate) struct Job {
    conversation: ConversationId,
    field: &'static str,
    up_to: i64,
    answer: oneshot::Sender<StoreResult<Receipts>>,
}

/// This process's receipts, combined into batches.
pub(crate) type Receipter = Combiner<Job>;

/// The receipts' combiner.
pub(crate) fn receipter() -> Receipter {
    Combiner::new(MAX_BATCH, |store, batch| {
        Box::pin(async move { write(&store, batch).await })
    })
}

/// Records a receipt, in a batch with whatever else this process records meanwhile.
pub(crate) async fn record(
    store: &MongoStore,
    conversation: &ConversationId,
    party: Party,
    kind: ReceiptKind,
    up_to: Seq,
) -> StoreResult<Receipts> {
    let (answer, answered) = oneshot::channel();
    store.receipts.push(Job {
        conversation: *conversation,
        field: receipt_field(party, kind),
        up_to: int(up_to),
        answer,
    });
    store.receipts.wait(store, answered).await
}

#[derive(Debug, Deserialize)]
struct Legacy {
    #[serde(rename = "_id")]
    id: Uuid,
    #[serde(default)]
    receipts: ReceiptsDoc,
}

#[derive(Debug, Deserialize)]
struct Kept {
    #[serde(rename = "_id")]
    id: Uuid,
    #[serde(flatten)]
    receipts: ReceiptsDoc,
}

/// Writes a batch and answers each job with its conversation's receipts.
async fn write(store: &MongoStore, batch: Vec<Job>) {
    let mut raise: BTreeMap<Uuid, Document> = BTreeMap::new();
    for job in &batch {
        let fields = raise.entry(uuid(job.conversation.as_uuid())).or_default();
        let higher = fields
            .get_i64(job.field)
            .map_or(job.up_to, |v| v.max(job.up_to));
        fields.insert(job.field, higher);
    }
    match raise_all(store, raise).await {
        Ok(state) => {
            for job in batch {
                let answer = state
                    .get(&uuid(job.conversation.as_uuid()))
                    .ok_or(StoreError::NotFound)
                    .and_then(|r| r.clone().into_model());
                let _ = job.answer.send(answer);
            }
        }
        Err(e) => {
            let text = e.to_string();
            for job in batch {
                let _ = job.answer.send(Err(StoreError::Unavailable(text.clone())));
            }
        }
    }
}

/// Raises the receipts of the conversations that exist and answers each one's receipts
/// after it (the higher of its own document and what its conversation kept from before
/// receipts moved). Three round trips.
async fn raise_all(
    store: &MongoStore,
    raise: BTreeMap<Uuid, Document>,
) -> StoreResult<BTreeMap<Uuid, ReceiptsDoc>> {
    let ids: Vec<Uuid> = raise.keys().copied().collect();
    let mut legacy: BTreeMap<Uuid, ReceiptsDoc> = store
        .db
        .collection::<Legacy>(CONVERSATIONS)
        .find(doc! {"_id": {"$in": &ids}})
        .projection(doc! {"receipts": 1})
        .await
        .or_store()?
        .map_ok(|l| (l.id, l.receipts))
        .try_collect()
        .await
        .or_store()?;
    let updates: Vec<Document> = raise
        .iter()
        .filter(|(id, _)| legacy.contains_key(id))
        .map(|(id, fields)| doc! {"q": {"_id": id}, "u": {"$max": fields}, "upsert": true})
        .collect();
    if !updates.is_empty() {
        // Two nodes' first receipts of a conversation race to create its document; the
        // loser's statement fails with a duplicate key and goes again, now as an update.
        if update(store, &updates).await? {
            update(store, &updates).await?;
        }
    }
    let kept: Vec<Kept> = store
        .db
        .collection::<Kept>(RECEIPTS)
        .find(doc! {"_id": {"$in": &ids}})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    for k in kept {
        if let Some(before) = legacy.get_mut(&k.id) {
            *before = highest(before.clone(), k.receipts);
        }
    }
    Ok(legacy)
}

/// Runs one `update` command; `true` when a statement hit a duplicate key (a racing upsert).
async fn update(store: &MongoStore, updates: &[Document]) -> StoreResult<bool> {
    let reply = store
        .db
        .run_command(doc! {"update": RECEIPTS, "updates": updates, "ordered": false})
        .await
        .or_store()?;
    let Ok(errors) = reply.get_array("writeErrors") else {
        return Ok(false);
    };
    let mut duplicate = false;
    for error in errors {
        let code = match error {
            Bson::Document(e) => e.get_i32("code").unwrap_or(0),
            _ => 0,
        };
        if code != DUPLICATE_KEY {
            return Err(StoreError::internal(format!(
                "a receipt was not written: {error}"
            )));
        }
        duplicate = true;
    }
    Ok(duplicate)
}
