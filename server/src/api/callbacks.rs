//! Callback requests: left by visitors when nobody is available, handled by attendants.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chimpassist_protocol::rest::{CallbackRequest, CallbackView, CallbacksPage};
use chimpassist_protocol::{CallbackId, QueueId};
use chimpassist_store::{Callback, CallbackCursor, CallbackFilter};
use serde::Deserialize;

use super::extract::{AppJson, AppPath, AppQuery, CurrentAttendant};
use super::paging;
use crate::domain;
use crate::edge::ClientIp;
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
/// Limited per client network (`CALLBACKS_PER_MINUTE_PER_IP`: `429` with `Retry-After`).
#[utoipa::path(post, path = "/api/callback", tag = "public", request_body = CallbackRequest,
    responses((status = 201, body = CallbackView),
        (status = 429, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn create_callback(
    State(state): State<Arc<AppState>>,
    client: ClientIp,
    headers: HeaderMap,
    AppJson(body): AppJson<CallbackRequest>,
) -> AppResult<(StatusCode, Json<CallbackView>)> {
    state.edge.throttles.callbacks.check(client)?;
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
    /// `open` (the default: not yet done), `done`, or `all`.
    state: Option<String>,
    /// The `next` of the previous page.
    before: Option<String>,
    /// At most this many (1–200, default 50).
    limit: Option<u64>,
}

fn filter(raw: Option<&str>) -> AppResult<CallbackFilter> {
    match raw.unwrap_or("open") {
        "open" => Ok(CallbackFilter::Open),
        "done" => Ok(CallbackFilter::Done),
        "all" => Ok(CallbackFilter::All),
        _ => Err(AppError::invalid("state is open, done or all")),
    }
}

/// A page's `next`: `{created_at}_{id}` of its last entry.
fn cursor_of(c: &Callback) -> String {
    format!("{}_{}", c.created_at, c.id)
}

fn parse_cursor(raw: &str) -> AppResult<CallbackCursor> {
    let bad = || AppError::invalid("`before` is not a cursor from this API");
    let (at, id) = raw.split_once('_').ok_or_else(bad)?;
    Ok(CallbackCursor {
        created_at: at.parse().map_err(|_| bad())?,
        id: CallbackId::parse(id).map_err(|_| bad())?,
    })
}

/// # GET /api/callbacks
///
/// Callback requests, newest first, a page at a time: pass `next` back as `before` for the
/// older page (`null` after the last).
#[utoipa::path(get, path = "/api/callbacks", tag = "attendant", params(ListQuery),
    responses((status = 200, body = CallbacksPage)))]
pub(super) async fn list_callbacks(
    State(state): State<Arc<AppState>>,
    _: CurrentAttendant,
    AppQuery(query): AppQuery<ListQuery>,
) -> AppResult<Json<CallbacksPage>> {
    let filter = filter(query.state.as_deref())?;
    let before = query.before.as_deref().map(parse_cursor).transpose()?;
    let limit = paging::limit(query.limit);
    let list = state.store.list_callbacks(filter, before, limit).await?;
    let next = paging::next(&list, limit, cursor_of);
    Ok(Json(CallbacksPage {
        callbacks: list.into_iter().map(view).collect(),
        next,
    }))
}

/// # POST /api/callbacks/{id}/done
#[utoipa::path(post, path = "/api/callbacks/{id}/done", tag = "attendant",
    responses((status = 200, body = CallbackView)))]
pub(super) async fn mark_done(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppPath(id): AppPath<CallbackId>,
) -> AppResult<Json<CallbackView>> {
    let done = state
        .store
        .mark_callback_done(&id, &me.id, now_ms())
        .await?;
    Ok(Json(view(done)))
}
