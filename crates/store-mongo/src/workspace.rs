//! Canned responses, private notes, and who a conversation was ever given to.

use chimpassist_protocol::greeting::GreetingRule;
use chimpassist_protocol::{
    AttendantId, CannedId, ConversationId, GreetingId, MessageText, NoteId, Shortcut,
};
use chimpassist_store::{StoreError, StoreResult, StoredCanned, StoredNote};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Uuid, doc};
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::{from_uuid, uuid};
use crate::error::{OrStore, bad_document};
use crate::schema::{CANNED, CONVERSATIONS, GREETINGS, NOTES};

fn parse<T, E: std::fmt::Display>(what: &str, parsed: Result<T, E>) -> StoreResult<T> {
    parsed.map_err(|e| bad_document(format!("{what}: {e}")))
}

// --- canned responses ------------------------------------------------------------------------

/// One document per canned response; the unique index `canned_responses_shortcut` on
/// `shortcut` (lower-case by construction) is the uniqueness rule.
#[derive(Debug, Serialize, Deserialize)]
struct CannedDoc {
    #[serde(rename = "_id")]
    id: Uuid,
    shortcut: String,
    text: String,
    updated_at: i64,
}

impl CannedDoc {
    fn new(c: &StoredCanned) -> Self {
        Self {
            id: uuid(c.id.as_uuid()),
            shortcut: c.shortcut.as_str().to_owned(),
            text: c.text.as_str().to_owned(),
            updated_at: c.updated_at,
        }
    }

    fn into_model(self) -> StoreResult<StoredCanned> {
        Ok(StoredCanned {
            id: from_uuid::<CannedId>(self.id),
            shortcut: parse("shortcut", Shortcut::parse(self.shortcut))?,
            // A later, lower text limit must not make stored responses unreadable.
            text: parse("canned text", MessageText::parse(self.text, usize::MAX))?,
            updated_at: self.updated_at,
        })
    }
}

fn canned(store: &MongoStore) -> Collection<CannedDoc> {
    store.db.collection(CANNED)
}

pub(crate) async fn list_canned(store: &MongoStore) -> StoreResult<Vec<StoredCanned>> {
    let docs: Vec<CannedDoc> = canned(store)
        .find(doc! {})
        .sort(doc! {"shortcut": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(CannedDoc::into_model).collect()
}

/// A repeated shortcut (or id) hits a unique index: duplicate key, `Conflict`.
pub(crate) async fn create_canned(store: &MongoStore, c: &StoredCanned) -> StoreResult<()> {
    canned(store)
        .insert_one(CannedDoc::new(c))
        .await
        .or_store()?;
    Ok(())
}

pub(crate) async fn update_canned(store: &MongoStore, c: &StoredCanned) -> StoreResult<()> {
    let result = canned(store)
        .update_one(
            doc! {"_id": uuid(c.id.as_uuid())},
            doc! {"$set": {
                "shortcut": c.shortcut.as_str(),
                "text": c.text.as_str(),
                "updated_at": c.updated_at,
            }},
        )
        .await
        .or_store()?;
    if result.matched_count == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn delete_canned(store: &MongoStore, id: &CannedId) -> StoreResult<()> {
    let result = canned(store)
        .delete_one(doc! {"_id": uuid(id.as_uuid())})
        .await
        .or_store()?;
    if result.deleted_count == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// --- notes -----------------------------------------------------------------------------------

/// One document per note, in a collection of its own: no message read can return one.
#[derive(Debug, Serialize, Deserialize)]
struct NoteDoc {
    #[serde(rename = "_id")]
    id: Uuid,
    conversation_id: Uuid,
    author_id: String,
    text: String,
    created_at: i64,
}

impl NoteDoc {
    fn new(n: &StoredNote) -> Self {
        Self {
            id: uuid(n.id.as_uuid()),
            conversation_id: uuid(n.conversation.as_uuid()),
            author_id: n.author.as_str().to_owned(),
            text: n.text.as_str().to_owned(),
            created_at: n.created_at,
        }
    }

    fn into_model(self) -> StoreResult<StoredNote> {
        Ok(StoredNote {
            id: from_uuid::<NoteId>(self.id),
            conversation: from_uuid::<ConversationId>(self.conversation_id),
            author: parse("author id", AttendantId::parse(self.author_id))?,
            text: parse("note text", MessageText::parse(self.text, usize::MAX))?,
            created_at: self.created_at,
        })
    }
}

fn notes_of(store: &MongoStore) -> Collection<NoteDoc> {
    store.db.collection(NOTES)
}

/// The conversation's `attendants` (every holder, see `conversations::transition`), or
/// `None` when it does not exist.
async fn holders(store: &MongoStore, id: &ConversationId) -> StoreResult<Option<Vec<String>>> {
    #[derive(Deserialize)]
    struct Holders {
        #[serde(default)]
        attendants: Vec<String>,
    }
    let found = store
        .db
        .collection::<Holders>(CONVERSATIONS)
        .find_one(doc! {"_id": uuid(id.as_uuid())})
        .projection(doc! {"attendants": 1})
        .await
        .or_store()?;
    Ok(found.map(|h| h.attendants))
}

/// Conversations are never deleted, so checking first and inserting after cannot leave a
/// note on a conversation that vanished in between.
pub(crate) async fn create_note(store: &MongoStore, n: &StoredNote) -> StoreResult<()> {
    if holders(store, &n.conversation).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    notes_of(store)
        .insert_one(NoteDoc::new(n))
        .await
        .or_store()?;
    Ok(())
}

/// Oldest first: one range of `notes_by_conversation`.
pub(crate) async fn notes(
    store: &MongoStore,
    conversation: &ConversationId,
) -> StoreResult<Vec<StoredNote>> {
    let docs: Vec<NoteDoc> = notes_of(store)
        .find(doc! {"conversation_id": uuid(conversation.as_uuid())})
        .sort(doc! {"created_at": 1, "_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(NoteDoc::into_model).collect()
}

pub(crate) async fn conversation_attendants(
    store: &MongoStore,
    id: &ConversationId,
) -> StoreResult<Vec<AttendantId>> {
    holders(store, id)
        .await?
        .ok_or(StoreError::NotFound)?
        .into_iter()
        .map(|a| parse("attendant id", AttendantId::parse(a)))
        .collect()
}

// --- greetings -------------------------------------------------------------------------------

/// One document per greeting rule: the rule as JSON (read and written whole) and `position`,
/// the clock when it was created (then the id), which orders the list.
#[derive(Debug, Serialize, Deserialize)]
struct GreetingDoc {
    #[serde(rename = "_id")]
    id: Uuid,
    position: i64,
    body: String,
}

fn greetings(store: &MongoStore) -> Collection<GreetingDoc> {
    store.db.collection(GREETINGS)
}

fn greeting_body(rule: &GreetingRule) -> StoreResult<String> {
    serde_json::to_string(rule)
        .map_err(|e| StoreError::internal(format!("a greeting does not write: {e}")))
}

pub(crate) async fn list_greetings(store: &MongoStore) -> StoreResult<Vec<GreetingRule>> {
    let docs: Vec<GreetingDoc> = greetings(store)
        .find(doc! {})
        .sort(doc! {"position": 1, "_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter()
        .map(|d| parse("greeting", serde_json::from_str(&d.body)))
        .collect()
}

/// A repeated id hits `_id`: duplicate key, `Conflict`.
pub(crate) async fn create_greeting(store: &MongoStore, rule: &GreetingRule) -> StoreResult<()> {
    let position = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    greetings(store)
        .insert_one(GreetingDoc {
            id: uuid(rule.id.as_uuid()),
            position,
            body: greeting_body(rule)?,
        })
        .await
        .or_store()?;
    Ok(())
}

pub(crate) async fn update_greeting(store: &MongoStore, rule: &GreetingRule) -> StoreResult<()> {
    let result = greetings(store)
        .update_one(
            doc! {"_id": uuid(rule.id.as_uuid())},
            doc! {"$set": {"body": greeting_body(rule)?}},
        )
        .await
        .or_store()?;
    if result.matched_count == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn delete_greeting(store: &MongoStore, id: &GreetingId) -> StoreResult<()> {
    let result = greetings(store)
        .delete_one(doc! {"_id": uuid(id.as_uuid())})
        .await
        .or_store()?;
    if result.deleted_count == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
