//! Admin: attendants and queues. Every route takes [`Admin`], so the server enforces it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::rest::{
    NewAttendantRequest, QueueView, ResetPasswordRequest, UpdateAttendantRequest,
};
use chimpassist_protocol::{AttendantId, AttendantView, QueueId, Role};
use chimpassist_store::{Attendant, AttendantUpdate, Queue};
use secrecy::SecretString;

use super::account::revoke;
use super::extract::{Admin, AppJson, AppPath, CurrentAttendant};
use crate::audit;
use crate::auth::password;
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::revoke::{CloseReason, Sessions};
use crate::state::AppState;
use crate::views::{attendant_view, now_ms};

const MAX_CAPACITY: u32 = 100;

fn capacity(raw: u32) -> AppResult<u32> {
    if raw > MAX_CAPACITY {
        return Err(AppError::invalid(format!(
            "capacity must be at most {MAX_CAPACITY}"
        )));
    }
    Ok(raw)
}

/// # GET /api/attendants
#[utoipa::path(get, path = "/api/attendants", tag = "admin", responses((status = 200, body = [AttendantView])))]
pub(super) async fn list_attendants(
    State(state): State<Arc<AppState>>,
    _: Admin,
) -> AppResult<Json<Vec<AttendantView>>> {
    let all = state.store.list_attendants().await?;
    Ok(Json(all.iter().map(attendant_view).collect()))
}

/// # POST /api/attendants
#[utoipa::path(post, path = "/api/attendants", tag = "admin", request_body = NewAttendantRequest,
    responses((status = 201, body = AttendantView)))]
pub(super) async fn create_attendant(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppJson(body): AppJson<NewAttendantRequest>,
) -> AppResult<(StatusCode, Json<AttendantView>)> {
    let email = domain::login(&body.email)?;
    let name =
        domain::display_name(&body.name).ok_or_else(|| AppError::invalid("name is empty"))?;
    password::check_new(&body.password)?;
    let hash = password::hash(SecretString::from(body.password)).await?;
    let attendant = Attendant {
        id: AttendantId::parse(format!("a-{}", uuid::Uuid::now_v7()))?,
        email,
        name,
        avatar_url: body.avatar_url.as_deref().and_then(domain::web_url),
        role: body.role.unwrap_or(Role::Attendant),
        skill: body.skill.unwrap_or_else(|| "support/firstLevel".into()),
        queues: body
            .queues
            .unwrap_or_else(|| vec![QueueId::default_queue()]),
        capacity: capacity(body.capacity.unwrap_or(state.config.default_capacity))?,
        disabled: false,
        password_hash: Some(hash),
        must_change_password: false,
        created_at: now_ms(),
    };
    let created = state.store.create_attendant(attendant).await?;
    let role = format!("role: {}", created.role.as_str());
    audit::record(
        &state,
        &me,
        AuditAction::AttendantCreated,
        &created.id,
        Some(role),
    )
    .await;
    state.coordinator.attendant_changed(created.clone()).await;
    Ok((StatusCode::CREATED, Json(attendant_view(&created))))
}

/// # PATCH /api/attendants/{id}
///
/// Disabling an account revokes its sessions and closes its sockets at once (close code
/// 4401); a change of role or queues closes its sockets (4403), and the back-office
/// reconnects with the new rights. The coordinator takes the new record before anything else:
/// a disabled account's conversations go back to the queue.
#[utoipa::path(patch, path = "/api/attendants/{id}", tag = "admin", request_body = UpdateAttendantRequest,
    responses((status = 200, body = AttendantView)))]
pub(super) async fn update_attendant(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<AttendantId>,
    AppJson(body): AppJson<UpdateAttendantRequest>,
) -> AppResult<Json<AttendantView>> {
    if id == me.id && (body.disabled == Some(true) || body.role == Some(Role::Attendant)) {
        return Err(AppError::invalid("you cannot disable or demote yourself"));
    }
    let update = AttendantUpdate {
        name: body
            .name
            .as_deref()
            .map(|n| domain::display_name(n).ok_or_else(|| AppError::invalid("name is empty")))
            .transpose()?,
        avatar_url: body.avatar_url.as_deref().map(domain::web_url),
        role: body.role,
        skill: body.skill,
        queues: body.queues,
        capacity: body.capacity.map(capacity).transpose()?,
        disabled: body.disabled,
        ..AttendantUpdate::default()
    };
    let before = state
        .store
        .get_attendant(&id)
        .await?
        .ok_or_else(|| AppError::not_found("attendant"))?;
    let updated = state.store.update_attendant(&id, update).await?;
    let changes = audit::attendant_changes(&before, &updated);
    audit::record(&state, &me, AuditAction::AttendantUpdated, &id, changes).await;
    state.coordinator.attendant_changed(updated.clone()).await;
    if updated.disabled {
        state.store.delete_auth_sessions_of(&id, None).await?;
        revoke(&state, id, Sessions::All, CloseReason::SessionEnded).await;
    } else if updated.role != before.role || updated.queues != before.queues {
        revoke(&state, id, Sessions::All, CloseReason::RightsChanged).await;
    }
    Ok(Json(attendant_view(&updated)))
}

/// # POST /api/attendants/{id}/password
///
/// Sets a new password, revokes the attendant's sessions (closing their sockets), and asks
/// them to change it at their next sign-in.
#[utoipa::path(post, path = "/api/attendants/{id}/password", tag = "admin", request_body = ResetPasswordRequest,
    responses((status = 204)))]
pub(super) async fn reset_password(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<AttendantId>,
    AppJson(body): AppJson<ResetPasswordRequest>,
) -> AppResult<StatusCode> {
    password::check_new(&body.password)?;
    let hash = password::hash(SecretString::from(body.password)).await?;
    state
        .store
        .update_attendant(
            &id,
            AttendantUpdate {
                password_hash: Some(Some(hash)),
                must_change_password: Some(true),
                ..AttendantUpdate::default()
            },
        )
        .await?;
    state.store.delete_auth_sessions_of(&id, None).await?;
    audit::record(&state, &me, AuditAction::AttendantPasswordReset, &id, None).await;
    revoke(&state, id, Sessions::All, CloseReason::SessionEnded).await;
    Ok(StatusCode::NO_CONTENT)
}

fn queue_view(q: &Queue) -> QueueView {
    QueueView {
        id: q.id.clone(),
        name: q.name.clone(),
        mode: q.mode,
        skill: q.skill.clone(),
        greeting: q.greeting.clone(),
        away_message: q.away_message.clone(),
        calls: q.calls,
        bot: q.bot.clone(),
        hours: q.hours.clone(),
    }
}

/// # GET /api/queues
#[utoipa::path(get, path = "/api/queues", tag = "attendant", responses((status = 200, body = [QueueView])))]
pub(super) async fn list_queues(
    State(state): State<Arc<AppState>>,
    _: CurrentAttendant,
) -> AppResult<Json<Vec<QueueView>>> {
    Ok(Json(
        state
            .store
            .list_queues()
            .await?
            .iter()
            .map(queue_view)
            .collect(),
    ))
}

/// # PUT /api/queues/{id}
///
/// Creates or replaces a queue (mode auto/manual, skill, greeting and away texts, who may
/// start calls, a bot as first responder).
#[utoipa::path(put, path = "/api/queues/{id}", tag = "admin", request_body = QueueView,
    responses((status = 200, body = QueueView)))]
pub(super) async fn put_queue(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<QueueId>,
    AppJson(body): AppJson<QueueView>,
) -> AppResult<Json<QueueView>> {
    if body.id != id {
        return Err(AppError::invalid("the body's id differs from the path's"));
    }
    let queue = Queue {
        id,
        name: domain::display_name(&body.name).ok_or_else(|| AppError::invalid("name is empty"))?,
        mode: body.mode,
        skill: body.skill.filter(|s| !s.trim().is_empty()),
        greeting: body
            .greeting
            .as_deref()
            .and_then(|t| domain::bounded_text(t, 1000)),
        away_message: body
            .away_message
            .as_deref()
            .and_then(|t| domain::bounded_text(t, 1000)),
        calls: body.calls,
        bot: body
            .bot
            .map(chimpassist_protocol::rest::QueueBot::checked)
            .transpose()
            .map_err(AppError::invalid)?,
        hours: body.hours.map(crate::hours::check).transpose()?,
    };
    state.store.upsert_queue(queue.clone()).await?;
    state.upstream.forget_hours(&queue.id);
    let mode = format!("mode: {}", queue.mode.as_str());
    audit::record(&state, &me, AuditAction::QueueSaved, &queue.id, Some(mode)).await;
    state.coordinator.queue_changed(queue.clone()).await;
    Ok(Json(queue_view(&queue)))
}
