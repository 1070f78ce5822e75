//! Webhook endpoints (admins only): create (the secret shown once), edit, enable/disable,
//! rotate the secret with an overlap, delete, the delivery log and redelivery.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::webhook::{
    DeliveryAttemptView, DeliveryLog, RotateSecret, WebhookPatch, WebhookRequest, WebhookView,
    WebhookWithSecret,
};
use chimpassist_protocol::{AttemptId, WebhookEventId, WebhookId};
use chimpassist_store::{DeliveryAttempt, PreviousSecret, WebhookEndpoint};
use serde::Deserialize;

use super::extract::{Admin, AppJson, AppPath, AppQuery};
use super::paging;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;
use crate::webhooks::endpoints::{self, Destination, view};
use crate::webhooks::sign;

/// Default and longest overlap of a rotated-out secret, minutes.
const DEFAULT_OVERLAP_MINUTES: u32 = 24 * 60;
const MAX_OVERLAP_MINUTES: u32 = 7 * 24 * 60;
/// Most endpoints one server keeps (each costs every event a fan-out row).
const MAX_ENDPOINTS: usize = 50;

async fn endpoint(state: &AppState, id: &WebhookId) -> AppResult<WebhookEndpoint> {
    state
        .store
        .get_webhook(id)
        .await?
        .ok_or_else(|| AppError::not_found("webhook endpoint"))
}

/// # GET /api/webhooks
///
/// Every endpoint, oldest first; never their secrets.
#[utoipa::path(get, path = "/api/webhooks", tag = "admin",
    responses((status = 200, body = [WebhookView])))]
pub(super) async fn list_webhooks(
    State(state): State<Arc<AppState>>,
    _: Admin,
) -> AppResult<Json<Vec<WebhookView>>> {
    let now = now_ms();
    let all = state.store.list_webhooks().await?;
    Ok(Json(all.iter().map(|e| view(e, now)).collect()))
}

/// # POST /api/webhooks
///
/// A new endpoint with a secret generated here, answered this once. `400 invalid_field` for
/// a URL that is not `http(s)`, carries credentials, or points at a loopback, private or
/// link-local address (unless the server allows private destinations); for no events.
#[utoipa::path(post, path = "/api/webhooks", tag = "admin", request_body = WebhookRequest,
    responses((status = 201, body = WebhookWithSecret)))]
pub(super) async fn create_webhook(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppJson(body): AppJson<WebhookRequest>,
) -> AppResult<(StatusCode, Json<WebhookWithSecret>)> {
    let allow_private = state.config.webhook_allow_private_destinations;
    let url = Destination::parse(&body.url, allow_private).await?;
    if state.store.list_webhooks().await?.len() >= MAX_ENDPOINTS {
        return Err(AppError::invalid(format!(
            "a server keeps at most {MAX_ENDPOINTS} webhook endpoints"
        )));
    }
    let now = now_ms();
    let record = WebhookEndpoint {
        id: WebhookId::new(),
        url: url.into_string(),
        events: endpoints::events(body.events)?,
        enabled: body.enabled,
        description: endpoints::description(body.description)?,
        created_at: now,
        secret: sign::new_secret(),
        previous_secret: None,
        disabled_reason: None,
        failing_since: None,
    };
    state.store.create_webhook(record.clone()).await?;
    state.webhooks.refresh(&*state.store).await?;
    let summary = Some(events_summary(&record));
    audit::record(&state, &me, AuditAction::WebhookCreated, record.id, summary).await;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecret {
            webhook: view(&record, now),
            secret: record.secret,
        }),
    ))
}

/// # PATCH /api/webhooks/{id}
///
/// Changes the fields given. Enabling clears a server-made disable reason and the failure
/// streak; the deliveries that waited go out.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "admin", request_body = WebhookPatch,
    responses((status = 200, body = WebhookView)))]
pub(super) async fn update_webhook(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<WebhookId>,
    AppJson(patch): AppJson<WebhookPatch>,
) -> AppResult<Json<WebhookView>> {
    let mut record = endpoint(&state, &id).await?;
    let before = record.clone();
    if let Some(url) = patch.url {
        let allow_private = state.config.webhook_allow_private_destinations;
        record.url = Destination::parse(&url, allow_private).await?.into_string();
    }
    if let Some(events) = patch.events {
        record.events = endpoints::events(events)?;
    }
    if let Some(description) = patch.description {
        record.description = endpoints::description(Some(description))?;
    }
    if let Some(enabled) = patch.enabled {
        if enabled && !record.enabled {
            record.disabled_reason = None;
            record.failing_since = None;
        }
        record.enabled = enabled;
    }
    state.store.update_webhook(record.clone()).await?;
    let summary = changes(&before, &record);
    state.webhooks.refresh(&*state.store).await?;
    audit::record(&state, &me, AuditAction::WebhookUpdated, id, summary).await;
    Ok(Json(view(&record, now_ms())))
}

/// # DELETE /api/webhooks/{id}
///
/// With its pending deliveries and its log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "admin",
    responses((status = 204, description = "deleted")))]
pub(super) async fn delete_webhook(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<WebhookId>,
) -> AppResult<StatusCode> {
    state.store.delete_webhook(&id).await?;
    state.webhooks.refresh(&*state.store).await?;
    audit::record(&state, &me, AuditAction::WebhookDeleted, id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// # POST /api/webhooks/{id}/rotate
///
/// A new secret, answered this once; the old one keeps signing too (both signatures are
/// sent) for `overlap_minutes`, so receivers can switch without missing a delivery.
#[utoipa::path(post, path = "/api/webhooks/{id}/rotate", tag = "admin",
    request_body = RotateSecret, responses((status = 200, body = WebhookWithSecret)))]
pub(super) async fn rotate_secret(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<WebhookId>,
    AppJson(body): AppJson<RotateSecret>,
) -> AppResult<Json<WebhookWithSecret>> {
    let minutes = body.overlap_minutes.unwrap_or(DEFAULT_OVERLAP_MINUTES);
    if minutes > MAX_OVERLAP_MINUTES {
        return Err(AppError::invalid(format!(
            "overlap_minutes is at most {MAX_OVERLAP_MINUTES} (a week)"
        )));
    }
    let mut record = endpoint(&state, &id).await?;
    let now = now_ms();
    let old = std::mem::replace(&mut record.secret, sign::new_secret());
    record.previous_secret = (minutes > 0).then(|| PreviousSecret {
        secret: old,
        until: now + i64::from(minutes) * 60_000,
    });
    state.store.update_webhook(record.clone()).await?;
    let overlap = Some(format!("old secret signs {minutes} more minutes"));
    audit::record(&state, &me, AuditAction::WebhookSecretRotated, id, overlap).await;
    Ok(Json(WebhookWithSecret {
        webhook: view(&record, now),
        secret: record.secret,
    }))
}

/// The events an endpoint takes, for the audit log.
fn events_summary(e: &WebhookEndpoint) -> String {
    let events: Vec<&str> = e.events.iter().map(|k| k.as_str()).collect();
    format!("events: {}", events.join(", "))
}

/// What an edit changed, for the audit log (the URL is not repeated: it may carry a token).
fn changes(before: &WebhookEndpoint, after: &WebhookEndpoint) -> Option<String> {
    let mut changes = Vec::new();
    if before.url != after.url {
        changes.push("url changed".to_owned());
    }
    if before.events != after.events {
        changes.push(events_summary(after));
    }
    if before.enabled != after.enabled {
        changes.push(if after.enabled { "enabled" } else { "disabled" }.to_owned());
    }
    if before.description != after.description {
        changes.push("description changed".to_owned());
    }
    (!changes.is_empty()).then(|| changes.join("; "))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct LogQuery {
    /// An attempt id from the previous page's `next`.
    before: Option<AttemptId>,
    /// 50 when absent; at most 200.
    limit: Option<u64>,
}

fn attempt_view(a: DeliveryAttempt) -> DeliveryAttemptView {
    DeliveryAttemptView {
        id: a.id,
        event_id: a.event,
        event_type: a.kind,
        attempt: a.attempt,
        at: a.at,
        status: a.status,
        duration_ms: a.duration_ms,
        error: a.error,
        outcome: a.next.outcome(),
        next_attempt_at: a.next.retry_at(),
    }
}

/// # GET /api/webhooks/{id}/deliveries
///
/// The endpoint's recent attempts, newest first.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "admin", params(LogQuery),
    responses((status = 200, body = DeliveryLog)))]
pub(super) async fn delivery_log(
    State(state): State<Arc<AppState>>,
    _: Admin,
    AppPath(id): AppPath<WebhookId>,
    AppQuery(query): AppQuery<LogQuery>,
) -> AppResult<Json<DeliveryLog>> {
    let limit = paging::limit(query.limit);
    endpoint(&state, &id).await?;
    let attempts = state.store.delivery_log(&id, query.before, limit).await?;
    let next = paging::next(&attempts, limit, |a| a.id);
    Ok(Json(DeliveryLog {
        attempts: attempts.into_iter().map(attempt_view).collect(),
        next,
    }))
}

/// # POST /api/webhooks/{id}/deliveries/{event_id}/redeliver
///
/// Sends the event to this endpoint again, now, with a fresh retry schedule. `404` when the
/// event is no longer kept.
#[utoipa::path(post, path = "/api/webhooks/{id}/deliveries/{event_id}/redeliver",
    tag = "admin", responses((status = 202, description = "scheduled")))]
pub(super) async fn redeliver(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath((id, event)): AppPath<(WebhookId, WebhookEventId)>,
) -> AppResult<StatusCode> {
    state
        .store
        .redeliver(&id, &event, now_ms())
        .await
        .map_err(|e| match e {
            chimpassist_store::StoreError::NotFound => {
                AppError::not_found("that endpoint or event (events are kept for a while)")
            }
            other => other.into(),
        })?;
    let summary = Some(format!("event {event}"));
    audit::record(&state, &me, AuditAction::WebhookRedelivered, id, summary).await;
    Ok(StatusCode::ACCEPTED)
}
