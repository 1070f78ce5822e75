//! Proactive greetings: the rules admins write (`/api/greeting-rules`) and the enabled ones
//! every visitor's loader reads (`GET /api/greetings`, public, cached). The visitor's answer
//! arrives on the customer socket (`ws::customer`, `answer_greeting`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::greeting::{
    GreetingRequest, GreetingRule, Greetings, MAX_DELAY_SECONDS, MAX_GREETING_BYTES,
    MAX_GREETING_NAME_CHARS, MAX_GREETINGS,
};
use chimpassist_protocol::{ErrorCode, GreetingId};

use super::extract::{Admin, AppJson, AppPath};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

/// Browsers keep the rules this long: each page load of each visitor asks, and a change
/// reaches pages within a minute (plus this node's `CACHE_SECONDS`).
const PUBLIC_CACHE: &str = "public, max-age=60";

/// A name (the rule's or its sender's): trimmed, 1–80 characters, one line.
fn name(field: &str, raw: &str) -> AppResult<String> {
    let trimmed = raw.trim();
    let len = trimmed.chars().count();
    if !(1..=MAX_GREETING_NAME_CHARS).contains(&len) || trimmed.chars().any(char::is_control) {
        return Err(AppError::invalid(format!(
            "{field} must be 1 to {MAX_GREETING_NAME_CHARS} characters on one line"
        )));
    }
    Ok(trimmed.to_owned())
}

/// The request as a rule: names trimmed, limits held (the text also to this server's
/// `MAX_TEXT_BYTES`, as it becomes a message).
fn rule(state: &AppState, id: GreetingId, mut body: GreetingRequest) -> AppResult<GreetingRule> {
    body.name = name("name", &body.name)?;
    body.from = name("from", &body.from)?;
    if body.delay_seconds > MAX_DELAY_SECONDS {
        return Err(AppError::invalid(format!(
            "delay_seconds must be at most {MAX_DELAY_SECONDS}"
        )));
    }
    body.text
        .within(MAX_GREETING_BYTES.min(state.config.max_text_bytes))?;
    Ok(GreetingRule {
        id,
        rule: body,
        updated_at: now_ms(),
    })
}

/// # GET /api/greeting-rules
///
/// Every rule, enabled or not, in the order the widget tries them (oldest first).
#[utoipa::path(get, path = "/api/greeting-rules", tag = "admin",
    responses((status = 200, body = [GreetingRule])))]
pub(super) async fn list_rules(
    State(state): State<Arc<AppState>>,
    _: Admin,
) -> AppResult<Json<Vec<GreetingRule>>> {
    Ok(Json(state.store.list_greetings().await?))
}

/// # POST /api/greeting-rules
///
/// Adds a rule, tried after the others. `409 conflict` past 50 rules.
#[utoipa::path(post, path = "/api/greeting-rules", tag = "admin", request_body = GreetingRequest,
    responses((status = 201, body = GreetingRule)))]
pub(super) async fn create_rule(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppJson(body): AppJson<GreetingRequest>,
) -> AppResult<(StatusCode, Json<GreetingRule>)> {
    let rule = rule(&state, GreetingId::new(), body)?;
    if state.store.list_greetings().await?.len() >= MAX_GREETINGS {
        return Err(AppError::client(
            ErrorCode::Conflict,
            format!("at most {MAX_GREETINGS} greeting rules; delete one first"),
        ));
    }
    state.store.create_greeting(rule.clone()).await?;
    saved(&state, &me, AuditAction::GreetingCreated, &rule).await;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// # PUT /api/greeting-rules/{id}
///
/// Replaces a rule, keeping its place. `404` when absent.
#[utoipa::path(put, path = "/api/greeting-rules/{id}", tag = "admin",
    request_body = GreetingRequest, responses((status = 200, body = GreetingRule)))]
pub(super) async fn update_rule(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<GreetingId>,
    AppJson(body): AppJson<GreetingRequest>,
) -> AppResult<Json<GreetingRule>> {
    let rule = rule(&state, id, body)?;
    state.store.update_greeting(rule.clone()).await?;
    saved(&state, &me, AuditAction::GreetingUpdated, &rule).await;
    Ok(Json(rule))
}

/// # DELETE /api/greeting-rules/{id}
#[utoipa::path(delete, path = "/api/greeting-rules/{id}", tag = "admin",
    responses((status = 204, description = "deleted")))]
pub(super) async fn delete_rule(
    State(state): State<Arc<AppState>>,
    Admin(me): Admin,
    AppPath(id): AppPath<GreetingId>,
) -> AppResult<StatusCode> {
    state.store.delete_greeting(&id).await?;
    state.upstream.forget_greetings();
    audit::record(&state, &me, AuditAction::GreetingDeleted, id, None).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn saved(
    state: &AppState,
    me: &crate::auth::Actor,
    action: AuditAction,
    rule: &GreetingRule,
) {
    state.upstream.forget_greetings();
    let summary = Some(format!("{} on {}", rule.rule.name, rule.rule.path.as_str()));
    audit::record(state, me, action, rule.id, summary).await;
}

/// # GET /api/greetings
///
/// Public (the loader asks on each page load): the enabled rules, in the order they are
/// tried, each with the name it is signed with; `204` without a body when there are none
/// (the loader then fetches nothing more, and need not parse anything). Cached
/// `CACHE_SECONDS` here and a minute in browsers.
#[utoipa::path(get, path = "/api/greetings", tag = "public",
    responses((status = 200, body = Greetings), (status = 204, description = "no rules")))]
pub(super) async fn public_rules(State(state): State<Arc<AppState>>) -> AppResult<Response> {
    let greetings = crate::greetings::enabled(&state).await?;
    let cache = [(header::CACHE_CONTROL, PUBLIC_CACHE)];
    Ok(if greetings.rules.is_empty() {
        (StatusCode::NO_CONTENT, cache).into_response()
    } else {
        (cache, Json(greetings)).into_response()
    })
}
