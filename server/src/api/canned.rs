//! Canned responses: saved replies every attendant may read and only admins may change.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::{CannedId, CannedRequest, CannedResponse, MessageText};
use chimpassist_store::StoredCanned;

use super::extract::{Admin, AppJson, AppPath, CurrentAttendant};
use crate::audit;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::now_ms;

fn view(c: StoredCanned) -> CannedResponse {
    CannedResponse {
        id: c.id,
        shortcut: c.shortcut,
        text: c.text,
        updated_at: c.updated_at,
    }
}

/// The request as a record: the shortcut is already valid (lower-cased by parsing); the text
/// is held to this server's `max_text_bytes` here.
fn record(state: &AppState, id: CannedId, body: CannedRequest) -> AppResult<StoredCanned> {
    Ok(StoredCanned {
        id,
        shortcut: body.shortcut,
        text: MessageText::parse(body.text.into_string(), state.config.max_text_bytes)?,
        updated_at: now_ms(),
    })
}

/// # GET /api/canned
///
/// Every canned response, by shortcut. Any logged-in attendant.
#[utoipa::path(get, path = "/api/canned", tag = "attendant",
    responses((status = 200, body = [CannedResponse])))]
pub(super) async fn list_canned(
    State(state): State<Arc<AppState>>,
    _: CurrentAttendant,
) -> AppResult<Json<Vec<CannedResponse>>> {
    let all = state.store.list_canned().await?;
    Ok(Json(all.into_iter().map(view).collect()))
}

/// # POST /api/canned
///
/// `409 conflict` when the shortcut is taken.
#[utoipa::path(post, path = "/api/canned", tag = "admin", request_body = CannedRequest,
    responses((status = 201, body = CannedResponse)))]
pub(super) async fn create_canned(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppJson(body): AppJson<CannedRequest>,
) -> AppResult<(StatusCode, Json<CannedResponse>)> {
    let canned = record(&state, CannedId::new(), body)?;
    state.store.create_canned(canned.clone()).await?;
    let shortcut = Some(format!("shortcut {}", canned.shortcut.as_str()));
    audit::record(&state, &me, AuditAction::CannedCreated, canned.id, shortcut).await;
    Ok((StatusCode::CREATED, Json(view(canned))))
}

/// # PUT /api/canned/{id}
///
/// Replaces shortcut and text. `404` when absent, `409 conflict` when another response has
/// the shortcut.
#[utoipa::path(put, path = "/api/canned/{id}", tag = "admin", request_body = CannedRequest,
    responses((status = 200, body = CannedResponse)))]
pub(super) async fn update_canned(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<CannedId>,
    AppJson(body): AppJson<CannedRequest>,
) -> AppResult<Json<CannedResponse>> {
    let canned = record(&state, id, body)?;
    state.store.update_canned(canned.clone()).await?;
    let shortcut = Some(format!("shortcut {}", canned.shortcut.as_str()));
    audit::record(&state, &me, AuditAction::CannedUpdated, id, shortcut).await;
    Ok(Json(view(canned)))
}

/// # DELETE /api/canned/{id}
#[utoipa::path(delete, path = "/api/canned/{id}", tag = "admin",
    responses((status = 204, description = "deleted")))]
pub(super) async fn delete_canned(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<CannedId>,
) -> AppResult<StatusCode> {
    state.store.delete_canned(&id).await?;
    audit::record(&state, &me, AuditAction::CannedDeleted, id, None).await;
    Ok(StatusCode::NO_CONTENT)
}
