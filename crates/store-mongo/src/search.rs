//! Search by customer name, attribute values and message text.
//!
//! Three reads: the customers whose name or an attribute value matches; per conversation, the newest seq among
//! its matching messages (one `$group`); then the visible conversations among both, newest
//! request first, limited. Each message hit is then one lookup in `messages_seq`. The text
//! is matched with `$regex` and option `i`, its regular-expression characters escaped (see
//! [`regex_literal`]); no index serves a substring, so both matches scan their collection.

use std::collections::HashMap;

use chimpassist_protocol::{ConversationId, SearchQuery};
use chimpassist_store::{SearchMatch, StoreResult, Visibility};
use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, Uuid, doc};
use serde::Deserialize;

use crate::MongoStore;
use crate::codec::{ConversationDoc, MessageDoc, from_uuid, int, queue_strings, uuid};
use crate::error::OrStore;
use crate::schema::{CONVERSATIONS, CUSTOMERS, MESSAGES};

/// `text` as a regular expression matching exactly itself: every ASCII punctuation character
/// is escaped. A backslash before a non-alphanumeric character makes it literal in PCRE
/// (MongoDB) and in Python's `re` (SecantusDB) alike; other characters are never special.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The visibility rule of [`Visibility::allows`] as a filter, `None` for everything.
fn visible_filter(visible: &Visibility) -> Option<Document> {
    match visible {
        Visibility::All => None,
        Visibility::Attendant { id, queues } => Some(doc! {"$or": [
            {"queue_id": {"$in": queue_strings(queues)}},
            {"attendant_id": id.as_str()},
            {"attendants": id.as_str()},
        ]}),
    }
}

#[derive(Debug, Deserialize)]
struct NewestHit {
    #[serde(rename = "_id")]
    conversation: Uuid,
    seq: i64,
}

pub(crate) async fn search(
    store: &MongoStore,
    query: &SearchQuery,
    visible: &Visibility,
    limit: u64,
) -> StoreResult<Vec<SearchMatch>> {
    let regex = doc! {"$regex": regex_literal(query.as_str()), "$options": "i"};

    let customers: Vec<Document> = store
        .db
        .collection::<Document>(CUSTOMERS)
        .find(doc! {"$or": [{"name": regex.clone()}, {"attribute_values": regex.clone()}]})
        .projection(doc! {"_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    let customer_ids: Vec<Bson> = customers
        .into_iter()
        .filter_map(|mut d| d.remove("_id"))
        .collect();

    let newest: Vec<NewestHit> = store
        .db
        .collection::<Document>(MESSAGES)
        .aggregate([
            doc! {"$match": {"text": regex}},
            doc! {"$group": {"_id": "$conversation_id", "seq": {"$max": "$seq"}}},
        ])
        .with_type::<NewestHit>()
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    let newest: HashMap<ConversationId, i64> = newest
        .into_iter()
        .map(|h| (from_uuid(h.conversation), h.seq))
        .collect();
    let hit_ids: Vec<Bson> = newest
        .keys()
        .map(|id| Bson::from(uuid(id.as_uuid())))
        .collect();

    let matching = doc! {"$or": [
        {"_id": {"$in": hit_ids}},
        {"customer_id": {"$in": customer_ids}},
    ]};
    let filter = match visible_filter(visible) {
        Some(visible) => doc! {"$and": [matching, visible]},
        None => matching,
    };
    let conversations: Vec<ConversationDoc> = store
        .db
        .collection::<ConversationDoc>(CONVERSATIONS)
        .find(filter)
        .sort(doc! {"requested_at": -1, "_id": -1})
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;

    let messages = store.db.collection::<MessageDoc>(MESSAGES);
    let mut out = Vec::with_capacity(conversations.len());
    for doc in conversations {
        let conversation = doc.into_model()?;
        let message = match newest.get(&conversation.id) {
            Some(&seq) => messages
                .find_one(doc! {"conversation_id": uuid(conversation.id.as_uuid()), "seq": seq})
                .await
                .or_store()?
                .map(MessageDoc::into_model)
                .transpose()?,
            None => None,
        };
        out.push(SearchMatch {
            conversation,
            message,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::regex_literal;

    #[test]
    fn punctuation_is_escaped_and_letters_are_not() {
        assert_eq!(regex_literal("ab c"), "ab c");
        assert_eq!(regex_literal("a.b*"), "a\\.b\\*");
        assert_eq!(
            regex_literal("(x)[y]{z}^$|?+\\"),
            "\\(x\\)\\[y\\]\\{z\\}\\^\\$\\|\\?\\+\\\\"
        );
        assert_eq!(regex_literal("ação"), "ação");
    }
}
