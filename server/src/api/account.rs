//! Login, logout, the current attendant.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chimpassist_protocol::rest::{ChangePasswordRequest, LoginRequest};
use chimpassist_protocol::{AttendantId, AttendantView};
use chimpassist_store::AttendantUpdate;
use secrecy::SecretString;

use super::extract::{AppJson, SignedIn};
use crate::auth::{SESSION_COOKIE, SESSION_TTL, password};
use crate::bus::BusEvent;
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::revoke::{CloseReason, Sessions};
use crate::state::AppState;
use crate::views::attendant_view;

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (no cross-site posts
/// carry it), `Secure` in production.
fn session_cookie(value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
}

/// # POST /api/login
///
/// Sets the HttpOnly session cookie used by REST and the attendant WebSocket. Throttled per
/// client network and per login (`429` with `Retry-After`, before any password is checked); a
/// wrong password, an unknown login and a disabled account all answer
/// `401 invalid_credentials`, alike in time too.
#[utoipa::path(post, path = "/api/login", tag = "account", request_body = LoginRequest,
    responses((status = 200, body = AttendantView),
        (status = 401, body = chimpassist_protocol::ErrorBody),
        (status = 429, body = chimpassist_protocol::ErrorBody),
        (status = 503, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    client: ClientIp,
    jar: CookieJar,
    AppJson(body): AppJson<LoginRequest>,
) -> AppResult<(CookieJar, Json<AttendantView>)> {
    let (attendant, token) = state
        .auth
        .login(client, &body.email, SecretString::from(body.password))
        .await?;
    let age = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
    let cookie = session_cookie(token, state.config.production, age);
    Ok((jar.add(cookie), Json(attendant_view(&attendant))))
}

/// # POST /api/logout
///
/// Revokes the session server-side, closes its sockets (all tabs of this browser, on every
/// node) and clears the cookie.
#[utoipa::path(post, path = "/api/logout", tag = "account", responses((status = 204)))]
pub(super) async fn logout(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
) -> AppResult<(CookieJar, StatusCode)> {
    if let Some(cookie) = jar.get(SESSION_COOKIE)
        && let Some((attendant, session)) = state.auth.logout(cookie.value()).await?
    {
        revoke(
            &state,
            attendant,
            Sessions::Only(session),
            CloseReason::SessionEnded,
        )
        .await;
    }
    let expired = session_cookie(String::new(), state.config.production, 0);
    Ok((jar.remove(expired), StatusCode::NO_CONTENT))
}

/// # GET /api/me
///
/// Also answers a session that must still change its password (`must_change_password`).
#[utoipa::path(get, path = "/api/me", tag = "account", responses((status = 200, body = AttendantView)))]
pub(super) async fn me(signed_in: SignedIn) -> Json<AttendantView> {
    Json(attendant_view(&signed_in.me))
}

/// # POST /api/me/password
///
/// Changes the caller's own password. Every other session of the account is revoked and its
/// sockets closed; this one stays signed in.
#[utoipa::path(post, path = "/api/me/password", tag = "account", request_body = ChangePasswordRequest,
    responses((status = 204)))]
pub(super) async fn change_password(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    AppJson(body): AppJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    let me = &signed_in.me;
    let Some(hash) = me.password_hash.clone() else {
        return Err(AppError::invalid(
            "this account logs in through the authentication service; change the password there",
        ));
    };
    if !password::verify(SecretString::from(body.current), hash).await? {
        return Err(AppError::client(
            chimpassist_protocol::ErrorCode::InvalidCredentials,
            "the current password is wrong",
        ));
    }
    password::check_new(&body.new)?;
    let hash = password::hash(SecretString::from(body.new)).await?;
    state
        .store
        .update_attendant(
            &me.id,
            AttendantUpdate {
                password_hash: Some(Some(hash)),
                must_change_password: Some(false),
                ..AttendantUpdate::default()
            },
        )
        .await?;
    state
        .store
        .delete_auth_sessions_of(&me.id, Some(signed_in.token_hash()))
        .await?;
    revoke(
        &state,
        me.id.clone(),
        Sessions::AllBut(signed_in.session.clone()),
        CloseReason::SessionEnded,
    )
    .await;
    tracing::info!(attendant = %me.id, "password changed; other sessions revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Closes the open sockets of `attendant`'s `sessions` on every node (the bus carries it;
/// this node's own sockets are cut as it delivers). Call it after the store says what changed:
/// a socket that reconnects reads the new state. A cut the bus loses still happens at the
/// socket's next session check (every heartbeat).
pub(super) async fn revoke(
    state: &AppState,
    attendant: AttendantId,
    sessions: Sessions,
    reason: CloseReason,
) {
    tracing::info!(%attendant, ?reason, "closing the attendant's sockets");
    crate::delivery::publish(
        &state.delivery,
        BusEvent::Revoke {
            attendant,
            sessions,
            reason,
        },
    )
    .await;
}
