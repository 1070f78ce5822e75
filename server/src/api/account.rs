//! Login, logout, the current attendant.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chimpassist_protocol::AttendantView;
use chimpassist_protocol::rest::{ChangePasswordRequest, LoginRequest};
use chimpassist_store::AttendantUpdate;
use secrecy::SecretString;

use super::extract::{AppJson, CurrentAttendant};
use crate::auth::{SESSION_COOKIE, SESSION_TTL, password};
use crate::error::{AppError, AppResult};
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
/// Sets the HttpOnly session cookie used by REST and the attendant WebSocket.
#[utoipa::path(post, path = "/api/login", tag = "account", request_body = LoginRequest,
    responses((status = 200, body = AttendantView), (status = 401, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    AppJson(body): AppJson<LoginRequest>,
) -> AppResult<(CookieJar, Json<AttendantView>)> {
    let (attendant, token) = state
        .auth
        .login(&body.email, SecretString::from(body.password))
        .await?;
    let age = i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX);
    let cookie = session_cookie(token, state.config.production, age);
    Ok((jar.add(cookie), Json(attendant_view(&attendant))))
}

/// # POST /api/logout
///
/// Revokes the session server-side and clears the cookie.
#[utoipa::path(post, path = "/api/logout", tag = "account", responses((status = 204)))]
pub(super) async fn logout(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
) -> AppResult<(CookieJar, StatusCode)> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        state.auth.logout(cookie.value()).await?;
    }
    let expired = session_cookie(String::new(), state.config.production, 0);
    Ok((jar.remove(expired), StatusCode::NO_CONTENT))
}

/// # GET /api/me
#[utoipa::path(get, path = "/api/me", tag = "account", responses((status = 200, body = AttendantView)))]
pub(super) async fn me(CurrentAttendant(me): CurrentAttendant) -> Json<AttendantView> {
    Json(attendant_view(&me))
}

/// # POST /api/me/password
#[utoipa::path(post, path = "/api/me/password", tag = "account", request_body = ChangePasswordRequest,
    responses((status = 204)))]
pub(super) async fn change_password(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppJson(body): AppJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
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
    Ok(StatusCode::NO_CONTENT)
}
