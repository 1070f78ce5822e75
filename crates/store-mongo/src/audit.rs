//! The audit log: `audit_log`, keyed by the entry's UUIDv7 as text (which sorts by time), so
//! newest first is the `_id` index read backwards.

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::{ActorKind, AuditAction};
use chimpassist_store::{AuditRecord, StoreResult};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::bson::doc;
use serde::{Deserialize, Serialize};

use crate::MongoStore;
use crate::codec::{int, parse};
use crate::error::{OrStore, bad_document};
use crate::schema::AUDIT_LOG;

#[derive(Debug, Serialize, Deserialize)]
struct AuditDoc {
    #[serde(rename = "_id")]
    id: String,
    at: i64,
    /// Absent on entries written before tokens could act: attendants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor_kind: Option<String>,
    actor_id: String,
    actor_name: String,
    action: String,
    target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
}

impl AuditDoc {
    fn into_model(self) -> StoreResult<AuditRecord> {
        Ok(AuditRecord {
            id: parse("audit id", AuditId::parse(&self.id))?,
            at: self.at,
            actor_kind: match self.actor_kind.as_deref() {
                None => ActorKind::Attendant,
                Some(kind) => ActorKind::parse(kind)
                    .ok_or_else(|| bad_document(format!("audit actor kind {kind:?}")))?,
            },
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            action: AuditAction::parse(&self.action)
                .ok_or_else(|| bad_document(format!("audit action {:?}", self.action)))?,
            target: self.target,
            summary: self.summary,
        })
    }
}

fn entries(store: &MongoStore) -> Collection<AuditDoc> {
    store.db.collection(AUDIT_LOG)
}

pub(crate) async fn record(store: &MongoStore, e: &AuditRecord) -> StoreResult<()> {
    let doc = AuditDoc {
        id: e.id.to_string(),
        at: e.at,
        actor_kind: Some(e.actor_kind.as_str().to_owned()),
        actor_id: e.actor_id.clone(),
        actor_name: e.actor_name.clone(),
        action: e.action.as_str().to_owned(),
        target: e.target.clone(),
        summary: e.summary.clone(),
    };
    entries(store).insert_one(doc).await.or_store()?;
    Ok(())
}

pub(crate) async fn page(
    store: &MongoStore,
    before: Option<AuditId>,
    limit: u64,
) -> StoreResult<Vec<AuditRecord>> {
    let filter = match before {
        Some(b) => doc! {"_id": {"$lt": b.to_string()}},
        None => doc! {},
    };
    let docs: Vec<AuditDoc> = entries(store)
        .find(filter)
        .sort(doc! {"_id": -1})
        .limit(int(limit))
        .await
        .or_store()?
        .try_collect()
        .await
        .or_store()?;
    docs.into_iter().map(AuditDoc::into_model).collect()
}
