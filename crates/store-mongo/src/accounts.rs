//! Settings, customers, attendants and their sessions, queues.

use chimpassist_protocol::{AttendantId, CustomerId, QueueId};
use chimpassist_store::{
    Attendant, AttendantUpdate, AuthSession, Customer, Queue, StoreError, StoreResult,
};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::ReturnDocument;

use crate::MongoStore;
use crate::codec::{
    AttendantDoc, AuthSessionDoc, CustomerDoc, QueueDoc, SettingDoc, opt, queue_strings,
};
use crate::error::{OrStore, is_duplicate_key, store_error};
use crate::schema::{ATTENDANTS, AUTH_SESSIONS, CUSTOMERS, QUEUES, SETTINGS};

/// Attempts of an upsert that lost an insert race (see [`upsert_retrying`]).
const UPSERT_ATTEMPTS: usize = 5;

/// Runs an upsert (`findOneAndUpdate`, returning the document after it) again when it
/// loses a race, and returns the stored document.
///
/// Two concurrent upserts of a missing document may both decide to insert; the unique index
/// lets one win and the other fails with duplicate key (the server retries some of these
/// itself, not all). Run again, the loser finds the winner's document and updates it instead,
/// which is what "find or create" promises. An upsert answering no document at all should
/// not happen; SecantusDB does it now and then under such races, and the same retry
/// answers it.
async fn upsert_retrying<T, F, Fut>(what: &str, mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, mongodb::error::Error>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(Some(stored)) => return Ok(stored),
            Err(e) if !is_duplicate_key(&e) || tries >= UPSERT_ATTEMPTS => {
                return Err(store_error(e));
            }
            Ok(None) if tries >= UPSERT_ATTEMPTS => {
                return Err(StoreError::internal(format!(
                    "{what}: the upsert returned no document {tries} times"
                )));
            }
            Ok(None) | Err(_) => {}
        }
    }
}

// --- settings --------------------------------------------------------------------------------

/// `$setOnInsert` in an upsert: whoever inserts first stores their value, everyone (even on
/// other nodes) gets the stored one.
pub(crate) async fn setting_or_init(
    store: &MongoStore,
    key: &str,
    init: String,
) -> StoreResult<String> {
    let settings: Collection<SettingDoc> = store.db.collection(SETTINGS);
    let stored = upsert_retrying("setting_or_init", || {
        settings
            .find_one_and_update(doc! {"_id": key}, doc! {"$setOnInsert": {"value": &init}})
            .upsert(true)
            .return_document(ReturnDocument::After)
            .into_future()
    })
    .await?;
    Ok(stored.value)
}

pub(crate) async fn setting(store: &MongoStore, key: &str) -> StoreResult<Option<String>> {
    let settings: Collection<SettingDoc> = store.db.collection(SETTINGS);
    let found = settings.find_one(doc! {"_id": key}).await.or_store()?;
    Ok(found.map(|d| d.value))
}

/// An upsert that replaces the value (the last writer wins). Two first upserts of one key
/// may race to insert: the loser's duplicate key is tried again, as an update.
pub(crate) async fn put_setting(store: &MongoStore, key: &str, value: String) -> StoreResult<()> {
    let settings: Collection<SettingDoc> = store.db.collection(SETTINGS);
    let mut tries = 0;
    loop {
        tries += 1;
        match settings
            .update_one(doc! {"_id": key}, doc! {"$set": {"value": &value}})
            .upsert(true)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_duplicate_key(&e) && tries < UPSERT_ATTEMPTS => {}
            Err(e) => return Err(store_error(e)),
        }
    }
}

// --- customers -------------------------------------------------------------------------------

fn customers(store: &MongoStore) -> Collection<CustomerDoc> {
    store.db.collection(CUSTOMERS)
}

pub(crate) async fn create_customer(store: &MongoStore, c: &Customer) -> StoreResult<Customer> {
    let doc = CustomerDoc::unverified(c);
    customers(store).insert_one(&doc).await.or_store()?;
    doc.into_model()
}

/// One upsert keyed by the unique `verified_external_id`: the existing record keeps its id
/// and `created_at`, and only its display fields and `profile_verified` change (the latter
/// follows the latest proof).
pub(crate) async fn upsert_verified_customer(
    store: &MongoStore,
    c: &Customer,
) -> StoreResult<Customer> {
    let Some(external_id) = c.external_id.as_deref() else {
        return Err(StoreError::internal(
            "upsert_verified_customer needs an external_id".to_owned(),
        ));
    };
    let customers = customers(store);
    let update = doc! {
        "$set": {
            "profile_verified": c.profile_verified,
            "name": &c.name,
            "avatar_url": opt(c.avatar_url.clone()),
            "email": opt(c.email.clone()),
        },
        "$setOnInsert": {
            "_id": c.id.as_str(),
            "external_id": external_id,
            "verified": true,
            "created_at": c.created_at,
        },
    };
    upsert_retrying("upsert_verified_customer", || {
        customers
            .find_one_and_update(doc! {"verified_external_id": external_id}, update.clone())
            .upsert(true)
            .return_document(ReturnDocument::After)
            .into_future()
    })
    .await?
    .into_model()
}

pub(crate) async fn get_customer(
    store: &MongoStore,
    id: &CustomerId,
) -> StoreResult<Option<Customer>> {
    customers(store)
        .find_one(doc! {"_id": id.as_str()})
        .await
        .or_store()?
        .map(CustomerDoc::into_model)
        .transpose()
}

pub(crate) async fn update_customer_profile(
    store: &MongoStore,
    id: &CustomerId,
    name: String,
    avatar_url: Option<String>,
    email: Option<String>,
) -> StoreResult<()> {
    let result = customers(store)
        .update_one(
            doc! {"_id": id.as_str()},
            doc! {"$set": {"name": name, "avatar_url": opt(avatar_url), "email": opt(email)}},
        )
        .await
        .or_store()?;
    found(result.matched_count)
}

// --- attendants ------------------------------------------------------------------------------

fn attendants(store: &MongoStore) -> Collection<AttendantDoc> {
    store.db.collection(ATTENDANTS)
}

/// Stores the e-mail lower-cased (the model's promise); the unique index `attendants_email`
/// then makes a second account with the same address in another case a `Conflict`.
pub(crate) async fn create_attendant(store: &MongoStore, a: &Attendant) -> StoreResult<Attendant> {
    let doc = AttendantDoc::new(a);
    attendants(store).insert_one(&doc).await.or_store()?;
    doc.into_model()
}

pub(crate) async fn get_attendant(
    store: &MongoStore,
    id: &AttendantId,
) -> StoreResult<Option<Attendant>> {
    attendants(store)
        .find_one(doc! {"_id": id.as_str()})
        .await
        .or_store()?
        .map(AttendantDoc::into_model)
        .transpose()
}

pub(crate) async fn get_attendant_by_email(
    store: &MongoStore,
    email: &str,
) -> StoreResult<Option<Attendant>> {
    attendants(store)
        .find_one(doc! {"email": email.to_lowercase()})
        .await
        .or_store()?
        .map(AttendantDoc::into_model)
        .transpose()
}

pub(crate) async fn list_attendants(store: &MongoStore) -> StoreResult<Vec<Attendant>> {
    let docs: Vec<AttendantDoc> = attendants(store)
        .find(doc! {})
        .sort(doc! {"email": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(AttendantDoc::into_model).collect()
}

pub(crate) async fn count_attendants(store: &MongoStore) -> StoreResult<u64> {
    attendants(store).count_documents(doc! {}).await.or_store()
}

/// The fields an update sets (`None` fields are left alone).
fn attendant_changes(update: AttendantUpdate) -> Document {
    let AttendantUpdate {
        name,
        avatar_url,
        role,
        skill,
        queues,
        capacity,
        disabled,
        password_hash,
        must_change_password,
    } = update;
    let mut set = Document::new();
    if let Some(name) = name {
        set.insert("name", name);
    }
    if let Some(avatar_url) = avatar_url {
        set.insert("avatar_url", opt(avatar_url));
    }
    if let Some(role) = role {
        set.insert("role", role.as_str());
    }
    if let Some(skill) = skill {
        set.insert("skill", skill);
    }
    if let Some(queues) = queues {
        set.insert("queues", queue_strings(&queues));
    }
    if let Some(capacity) = capacity {
        set.insert("capacity", i64::from(capacity));
    }
    if let Some(disabled) = disabled {
        set.insert("disabled", disabled);
    }
    if let Some(password_hash) = password_hash {
        set.insert("password_hash", opt(password_hash));
    }
    if let Some(must_change_password) = must_change_password {
        set.insert("must_change_password", must_change_password);
    }
    set
}

/// One `findOneAndUpdate`: atomic, and it returns the record as stored.
pub(crate) async fn update_attendant(
    store: &MongoStore,
    id: &AttendantId,
    update: AttendantUpdate,
) -> StoreResult<Attendant> {
    let set = attendant_changes(update);
    if set.is_empty() {
        // The server refuses an empty `$set`; nothing to change is a read.
        return get_attendant(store, id).await?.ok_or(StoreError::NotFound);
    }
    attendants(store)
        .find_one_and_update(doc! {"_id": id.as_str()}, doc! {"$set": set})
        .return_document(ReturnDocument::After)
        .await
        .or_store()?
        .ok_or(StoreError::NotFound)?
        .into_model()
}

// --- auth sessions ---------------------------------------------------------------------------

fn sessions(store: &MongoStore) -> Collection<AuthSessionDoc> {
    store.db.collection(AUTH_SESSIONS)
}

pub(crate) async fn create_auth_session(store: &MongoStore, s: &AuthSession) -> StoreResult<()> {
    sessions(store)
        .insert_one(AuthSessionDoc::new(s))
        .await
        .or_store()?;
    Ok(())
}

pub(crate) async fn get_auth_session(
    store: &MongoStore,
    token_hash: &str,
) -> StoreResult<Option<AuthSession>> {
    sessions(store)
        .find_one(doc! {"_id": token_hash})
        .await
        .or_store()?
        .map(AuthSessionDoc::into_model)
        .transpose()
}

pub(crate) async fn delete_auth_session(store: &MongoStore, token_hash: &str) -> StoreResult<()> {
    sessions(store)
        .delete_one(doc! {"_id": token_hash})
        .await
        .or_store()?;
    Ok(())
}

/// One `deleteMany` on `auth_sessions_attendant`; the kept session is excluded by its `_id`.
pub(crate) async fn delete_auth_sessions_of(
    store: &MongoStore,
    attendant: &AttendantId,
    keep: Option<&str>,
) -> StoreResult<()> {
    let mut filter = doc! {"attendant_id": attendant.as_str()};
    if let Some(keep) = keep {
        filter.insert("_id", doc! {"$ne": keep});
    }
    sessions(store).delete_many(filter).await.or_store()?;
    Ok(())
}

// --- queues ----------------------------------------------------------------------------------

fn queues(store: &MongoStore) -> Collection<QueueDoc> {
    store.db.collection(QUEUES)
}

/// Replaces every field (or inserts).
pub(crate) async fn upsert_queue(store: &MongoStore, q: &Queue) -> StoreResult<()> {
    let queues = queues(store);
    let doc = QueueDoc::new(q);
    upsert_retrying("upsert_queue", || async {
        queues
            .replace_one(doc! {"_id": q.id.as_str()}, &doc)
            .upsert(true)
            .await
            .map(Some)
    })
    .await
    .map(drop)
}

pub(crate) async fn get_queue(store: &MongoStore, id: &QueueId) -> StoreResult<Option<Queue>> {
    queues(store)
        .find_one(doc! {"_id": id.as_str()})
        .await
        .or_store()?
        .map(QueueDoc::into_model)
        .transpose()
}

pub(crate) async fn list_queues(store: &MongoStore) -> StoreResult<Vec<Queue>> {
    let docs: Vec<QueueDoc> = queues(store)
        .find(doc! {})
        .sort(doc! {"_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(QueueDoc::into_model).collect()
}

/// `NotFound` when an update matched no document.
pub(crate) fn found(matched: u64) -> StoreResult<()> {
    if matched == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
