//! API tokens (signed-in admins only, never another token: a leaked token cannot mint its
//! own successors): create (the token shown once), list with last use, revoke.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::ApiTokenId;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_protocol::token::{
    ApiScope, ApiTokenRequest, ApiTokenView, ApiTokenWithSecret, MAX_TOKEN_NAME_LEN,
};
use chimpassist_store::ApiTokenRecord;

use super::extract::{Actor, AppJson, AppPath, SessionAdmin};
use crate::audit;
use crate::auth::api_tokens;
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::now_ms;

/// Most live tokens one server keeps: each is a standing credential to review.
const MAX_LIVE_TOKENS: usize = 100;
/// Longest lifetime one may ask for, in days (ten years).
const MAX_EXPIRY_DAYS: u32 = 3650;
const DAY_MS: i64 = 24 * 3600 * 1000;

fn view(t: &ApiTokenRecord) -> ApiTokenView {
    ApiTokenView {
        id: t.id,
        name: t.name.clone(),
        scopes: t.scopes.clone(),
        hint: t.hint.clone(),
        created_at: t.created_at,
        created_by: t.created_by.clone(),
        last_used_at: t.last_used_at,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
    }
}

fn scopes_summary(scopes: &[ApiScope]) -> String {
    let words: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    format!("scopes: {}", words.join(", "))
}

/// # GET /api/tokens
///
/// Every token, revoked and expired ones too, oldest first; never the tokens themselves.
#[utoipa::path(get, path = "/api/tokens", tag = "admin",
    responses((status = 200, body = [ApiTokenView])))]
pub(super) async fn list_tokens(
    State(state): State<Arc<AppState>>,
    _: SessionAdmin,
) -> AppResult<Json<Vec<ApiTokenView>>> {
    let all = state.store.list_api_tokens().await?;
    Ok(Json(all.iter().map(view).collect()))
}

/// # POST /api/tokens
///
/// A new token, answered this once (`secret`); the server keeps only its hash. `400
/// invalid_field` for an empty or overlong name, no scopes, a lifetime outside 1 to 3,650
/// days, or a server already holding 100 live tokens.
#[utoipa::path(post, path = "/api/tokens", tag = "admin", request_body = ApiTokenRequest,
    responses((status = 201, body = ApiTokenWithSecret)))]
pub(super) async fn create_token(
    State(state): State<Arc<AppState>>,
    SessionAdmin(me): SessionAdmin,
    AppJson(body): AppJson<ApiTokenRequest>,
) -> AppResult<(StatusCode, Json<ApiTokenWithSecret>)> {
    let name =
        domain::display_name(&body.name).ok_or_else(|| AppError::invalid("name is empty"))?;
    if name.chars().count() > MAX_TOKEN_NAME_LEN {
        return Err(AppError::invalid(format!(
            "name is longer than {MAX_TOKEN_NAME_LEN} characters"
        )));
    }
    let scopes: Vec<ApiScope> = body
        .scopes
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if scopes.is_empty() {
        return Err(AppError::invalid("a token needs at least one scope"));
    }
    let now = now_ms();
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_EXPIRY_DAYS) => Some(now + i64::from(days) * DAY_MS),
        Some(_) => {
            return Err(AppError::invalid(format!(
                "expires_in_days must be 1 to {MAX_EXPIRY_DAYS}"
            )));
        }
    };
    let live = state.store.list_api_tokens().await?;
    if live.iter().filter(|t| t.is_live(now)).count() >= MAX_LIVE_TOKENS {
        return Err(AppError::invalid(format!(
            "a server keeps at most {MAX_LIVE_TOKENS} live API tokens: revoke one first"
        )));
    }
    let (secret, token_hash, hint) = api_tokens::generate();
    let record = ApiTokenRecord {
        id: ApiTokenId::new(),
        name,
        scopes,
        token_hash,
        hint,
        created_at: now,
        created_by: me.id.clone(),
        last_used_at: None,
        expires_at,
        revoked_at: None,
    };
    state.store.create_api_token(record.clone()).await?;
    let actor = Actor::from(me);
    let summary = Some(scopes_summary(&record.scopes));
    audit::record(
        &state,
        &actor,
        AuditAction::TokenCreated,
        record.id,
        summary,
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(ApiTokenWithSecret {
            token: view(&record),
            secret,
        }),
    ))
}

/// # DELETE /api/tokens/{id}
///
/// Revokes the token: refused from the next request on, on every node. The record stays,
/// marked revoked, so the list and the audit log still name it. Revoking again changes
/// nothing.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "admin",
    responses((status = 200, body = ApiTokenView)))]
pub(super) async fn revoke_token(
    State(state): State<Arc<AppState>>,
    SessionAdmin(me): SessionAdmin,
    AppPath(id): AppPath<ApiTokenId>,
) -> AppResult<Json<ApiTokenView>> {
    let now = now_ms();
    let revoked = state
        .store
        .revoke_api_token(&id, now)
        .await?
        .ok_or_else(|| AppError::not_found("API token"))?;
    if revoked.revoked_at == Some(now) {
        let actor = Actor::from(me);
        audit::record(&state, &actor, AuditAction::TokenRevoked, id, None).await;
    }
    Ok(Json(view(&revoked)))
}
