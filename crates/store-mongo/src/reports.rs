//! The report facts of a period: one range of `conversations_created`; and the names of a
//! page of rows' customers, in one `find`.

use std::collections::HashMap;

use chimpassist_protocol::{CustomerId, TimestampMs};
use chimpassist_store::{ConversationFacts, FactsCursor, MessageTally, StoreResult};
use futures_util::TryStreamExt;
use mongodb::bson::doc;
use serde::Deserialize;

use crate::MongoStore;
use crate::codec::{ConversationDoc, FactsDoc, MessageDoc, int, uuid};
use crate::error::OrStore;
use crate::schema::{CONVERSATIONS, CUSTOMERS, MESSAGES};

#[derive(Debug, Deserialize)]
struct Name {
    #[serde(rename = "_id")]
    id: String,
    name: String,
}

pub(crate) async fn facts(
    store: &MongoStore,
    from: TimestampMs,
    to: TimestampMs,
    after: Option<FactsCursor>,
    limit: u64,
) -> StoreResult<Vec<ConversationFacts>> {
    let mut filter = doc! {"created_at": {"$gte": from, "$lt": to}};
    if let Some(c) = after {
        filter.insert(
            "$or",
            vec![
                doc! {"created_at": {"$gt": c.created_at}},
                doc! {"created_at": c.created_at, "_id": {"$gt": uuid(c.id.as_uuid())}},
            ],
        );
    }
    let conversations = store.db.collection::<ConversationDoc>(CONVERSATIONS);
    let mut find = conversations
        .find(filter)
        .sort(doc! {"created_at": 1, "_id": 1});
    if limit > 0 {
        find = find.limit(int(limit));
    }
    let docs: Vec<ConversationDoc> = find.await.or_store()?.try_collect().await.or_store()?;
    docs.into_iter().map(into_facts).collect()
}

/// One `find` of them all.
pub(crate) async fn customer_names(
    store: &MongoStore,
    ids: &[CustomerId],
) -> StoreResult<HashMap<CustomerId, String>> {
    let ids: Vec<&str> = ids.iter().map(CustomerId::as_str).collect();
    let found: Vec<Name> = store
        .db
        .collection::<Name>(CUSTOMERS)
        .find(doc! {"_id": {"$in": ids}})
        .projection(doc! {"name": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    found
        .into_iter()
        .map(|n| {
            let id = CustomerId::parse(n.id).map_err(|e| {
                chimpassist_store::StoreError::internal(format!("customer id: {e}"))
            })?;
            Ok((id, n.name))
        })
        .collect()
}

fn into_facts(d: ConversationDoc) -> StoreResult<ConversationFacts> {
    let f = d.facts.clone();
    let count = |v: i64| u64::try_from(v).unwrap_or(0);
    let small = |v: i64| u32::try_from(v).unwrap_or(0);
    let conversation = d.into_model()?;
    Ok(ConversationFacts {
        created_at: f.created_at.unwrap_or(conversation.requested_at),
        conversation,
        first_assigned_at: f.first_assigned_at,
        first_response_at: f.first_response_at,
        reopened: small(f.reopened),
        customer_messages: count(f.customer_messages),
        attendant_messages: count(f.attendant_messages),
        calls: small(f.calls),
        calls_answered: small(f.calls_answered),
        calls_missed: small(f.calls_missed),
        talk_ms: f.talk_ms,
    })
}

/// Gives conversations stored before reports their facts, from what is stored: their request
/// and assignment times (a reopen or transfer before then moved those) and their messages,
/// counted by the same [`MessageTally`] appends use. Runs at start; a document that has
/// `created_at` is never touched again, so it is cheap once done and safe on several nodes
/// at once (they would write the same values).
pub(crate) async fn backfill_facts(store: &MongoStore) -> StoreResult<u64> {
    let conversations = store.db.collection::<ConversationDoc>(CONVERSATIONS);
    let old: Vec<ConversationDoc> = conversations
        .find(doc! {"created_at": {"$exists": false}})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    let mut done = 0;
    for conversation in old {
        let messages: Vec<MessageDoc> = store
            .db
            .collection::<MessageDoc>(MESSAGES)
            .find(doc! {"conversation_id": conversation.id})
            .await
            .or_store()?
            .try_collect()
            .await
            .or_store()?;
        let mut tally = MessageTally::default();
        for m in messages {
            let party = m.into_model()?;
            tally = tally.plus(MessageTally::of(
                party.sender_party,
                party.timestamp,
                party.call.as_ref(),
            ));
        }
        let facts = FactsDoc {
            created_at: Some(conversation.requested_at),
            first_assigned_at: conversation.assigned_at,
            first_response_at: tally.first_response_at,
            reopened: 0,
            customer_messages: int(tally.customer_messages),
            attendant_messages: int(tally.attendant_messages),
            calls: i64::from(tally.calls),
            calls_answered: i64::from(tally.calls_answered),
            calls_missed: i64::from(tally.calls_missed),
            talk_ms: tally.talk_ms,
        };
        let set =
            mongodb::bson::to_document(&facts).map_err(chimpassist_store::StoreError::internal)?;
        conversations
            .update_one(
                doc! {"_id": conversation.id, "created_at": {"$exists": false}},
                doc! {"$set": set},
            )
            .await
            .or_store()?;
        done += 1;
    }
    Ok(done)
}
