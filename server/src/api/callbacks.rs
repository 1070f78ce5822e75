//! Callback requests: left by visitors when nobody is available, handled by attendants.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use chimpassist_protocol::rest::{CallbackRequest, CallbackView};
use chimpassist_protocol::{CallbackId, QueueId};
use chimpassist_store::Callback;
use serde::Deserialize;

use super::extract::{AppJson, CurrentAttendant};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

fn view(c: Callback) -> CallbackView {
    CallbackView {
        id: c.id,
        queue: c.queue_id,
        customer: c.customer_id,
        name: c.name,
        phone: c.phone,
        email: c.email,
        preferred_time: c.preferred_time,
        note: c.note,
        created_at: c.created_at,
        done_at: c.done_at,
        done_by: c.done_by,
    }
}

fn phone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    (allowed && (5..=20).contains(&digits)).then(|| raw.to_owned())
}

/// # POST /api/callback
///
/// Public, like the seed's stats service: a visitor asks to be called back. Needs a name and
/// a phone number or e-mail. A customer token (Bearer), when sent, links the request.
#[utoipa::path(post, path = "/api/callback", tag = "public", request_body = CallbackRequest,
    responses((status = 201, body = CallbackView)))]
pub(super) async fn create_callback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    AppJson(body): AppJson<CallbackRequest>,
) -> AppResult<(StatusCode, Json<CallbackView>)> {
    let name =
        domain::display_name(&body.name).ok_or_else(|| AppError::invalid("name is empty"))?;
    let phone = match body.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(raw) => {
            Some(phone(raw).ok_or_else(|| AppError::invalid("phone is not a phone number"))?)
        }
        None => None,
    };
    let email = match body.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(raw) => Some(
            domain::email(raw)
                .ok_or_else(|| AppError::invalid("email is not an e-mail address"))?,
        ),
        None => None,
    };
    if phone.is_none() && email.is_none() {
        return Err(AppError::client(
            chimpassist_protocol::ErrorCode::MissingField,
            "give a phone number or an e-mail address",
        ));
    }
    let queue = body.queue.unwrap_or_else(QueueId::default_queue);
    if state.store.get_queue(&queue).await?.is_none() {
        return Err(AppError::not_found("queue"));
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let customer_id = match bearer {
        Some(token) => Some(state.auth.customer_for_token(token).await?.id),
        None => None,
    };
    let callback = Callback {
        id: CallbackId::new(),
        queue_id: queue,
        customer_id,
        name,
        phone,
        email,
        preferred_time: body
            .preferred_time
            .as_deref()
            .and_then(|t| domain::bounded_text(t, 200)),
        note: body
            .note
            .as_deref()
            .and_then(|t| domain::bounded_text(t, 2000)),
        created_at: now_ms(),
        done_at: None,
        done_by: None,
    };
    state.store.create_callback(callback.clone()).await?;
    tracing::info!(callback = %callback.id, "callback requested");
    Ok((StatusCode::CREATED, Json(view(callback))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct ListQuery {
    /// Include those already done.
    #[serde(default)]
    all: bool,
}

/// # GET /api/callbacks
#[utoipa::path(get, path = "/api/callbacks", tag = "attendant", params(ListQuery),
    responses((status = 200, body = [CallbackView])))]
pub(super) async fn list_callbacks(
    State(state): State<Arc<AppState>>,
    _: CurrentAttendant,
    Query(query): Query<ListQuery>,
) -> AppResult<Json<Vec<CallbackView>>> {
    let list = state.store.list_callbacks(query.all).await?;
    Ok(Json(list.into_iter().map(view).collect()))
}

/// # POST /api/callbacks/{id}/done
#[utoipa::path(post, path = "/api/callbacks/{id}/done", tag = "attendant",
    responses((status = 200, body = CallbackView)))]
pub(super) async fn mark_done(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    Path(id): Path<CallbackId>,
) -> AppResult<Json<CallbackView>> {
    let done = state
        .store
        .mark_callback_done(&id, &me.id, now_ms())
        .await?;
    Ok(Json(view(done)))
}
