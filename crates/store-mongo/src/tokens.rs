//! API tokens: `api_tokens`, keyed by the token's UUIDv7 as text (so `_id` order is creation
//! order) and found by the token's hash through a unique index.

use chimpassist_protocol::{ApiTokenId, AttendantId, TimestampMs};
use chimpassist_store::tokens::{parse_scopes, scopes_text};
use chimpassist_store::{ApiTokenRecord, StoreResult};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::doc;
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::parse;
use crate::error::{OrStore, bad_document};
use crate::schema::API_TOKENS;

#[derive(Debug, Serialize, Deserialize)]
struct TokenDoc {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    scopes: String,
    token_hash: String,
    hint: String,
    created_at: i64,
    created_by: String,
    #[serde(default)]
    last_used_at: Option<i64>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    revoked_at: Option<i64>,
}

impl TokenDoc {
    fn new(t: &ApiTokenRecord) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: scopes_text(&t.scopes),
            token_hash: t.token_hash.clone(),
            hint: t.hint.clone(),
            created_at: t.created_at,
            created_by: t.created_by.as_str().to_owned(),
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }

    fn into_model(self) -> StoreResult<ApiTokenRecord> {
        Ok(ApiTokenRecord {
            id: parse("API token id", ApiTokenId::parse(&self.id))?,
            scopes: parse_scopes(&self.scopes)
                .ok_or_else(|| bad_document(format!("API token scopes {:?}", self.scopes)))?,
            name: self.name,
            token_hash: self.token_hash,
            hint: self.hint,
            created_at: self.created_at,
            created_by: parse("attendant id", AttendantId::parse(self.created_by))?,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

fn tokens(store: &MongoStore) -> Collection<TokenDoc> {
    store.db.collection(API_TOKENS)
}

pub(crate) async fn create(store: &MongoStore, t: &ApiTokenRecord) -> StoreResult<()> {
    tokens(store)
        .insert_one(TokenDoc::new(t))
        .await
        .or_store()?;
    Ok(())
}

pub(crate) async fn list(store: &MongoStore) -> StoreResult<Vec<ApiTokenRecord>> {
    let docs: Vec<TokenDoc> = tokens(store)
        .find(doc! {})
        .sort(doc! {"_id": 1})
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(TokenDoc::into_model).collect()
}

pub(crate) async fn by_hash(store: &MongoStore, hash: &str) -> StoreResult<Option<ApiTokenRecord>> {
    tokens(store)
        .find_one(doc! {"token_hash": hash})
        .await
        .or_store()?
        .map(TokenDoc::into_model)
        .transpose()
}

pub(crate) async fn revoke(
    store: &MongoStore,
    id: &ApiTokenId,
    at: TimestampMs,
) -> StoreResult<Option<ApiTokenRecord>> {
    let id = id.to_string();
    tokens(store)
        .update_one(
            doc! {"_id": &id, "revoked_at": null},
            doc! {"$set": {"revoked_at": at}},
        )
        .await
        .or_store()?;
    tokens(store)
        .find_one(doc! {"_id": &id})
        .await
        .or_store()?
        .map(TokenDoc::into_model)
        .transpose()
}

pub(crate) async fn touch(store: &MongoStore, id: &ApiTokenId, at: TimestampMs) -> StoreResult<()> {
    // `$max` keeps the later of the stored use and this one.
    tokens(store)
        .update_one(
            doc! {"_id": id.to_string()},
            doc! {"$max": {"last_used_at": at}},
        )
        .await
        .or_store()?;
    Ok(())
}
