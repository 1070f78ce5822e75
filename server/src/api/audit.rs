//! The audit log (admins): what admins did, newest first.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::{AuditActor, AuditEntry, AuditPage};
use chimpassist_store::AuditRecord;
use serde::Deserialize;

use super::extract::{Admin, AppQuery};
use super::paging;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct AuditQuery {
    /// An entry id from the previous page's `next`.
    before: Option<AuditId>,
    /// 50 when absent; at most 200.
    limit: Option<u64>,
}

fn view(r: AuditRecord) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: r.at,
        actor: AuditActor {
            kind: r.actor_kind,
            id: r.actor_id,
            name: r.actor_name,
        },
        action: r.action,
        target: r.target,
        summary: r.summary,
    }
}

/// # GET /api/audit
///
/// Admin actions (accounts, roles, queues, canned responses, webhooks), newest first.
#[utoipa::path(get, path = "/api/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = AuditPage)))]
pub(super) async fn audit_log(
    State(state): State<Arc<AppState>>,
    _: Admin,
    AppQuery(query): AppQuery<AuditQuery>,
) -> AppResult<Json<AuditPage>> {
    let limit = paging::limit(query.limit);
    let entries = state.store.audit_log(query.before, limit).await?;
    let next = paging::next(&entries, limit, |e| e.id);
    Ok(Json(AuditPage {
        entries: entries.into_iter().map(view).collect(),
        next,
    }))
}
