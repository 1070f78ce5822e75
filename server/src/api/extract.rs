//! Who is asking, as extractors: every handler names the caller it accepts.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use chimpassist_protocol::token::ApiScope;
use chimpassist_protocol::{ErrorCode, Role};
use chimpassist_store::{ApiTokenRecord, Attendant, Customer};
use serde::de::DeserializeOwned;

pub use crate::auth::{Actor, SignedIn};
use crate::auth::{SESSION_COOKIE, api_tokens};
use crate::edge::ClientIp;
use crate::error::AppError;
use crate::state::AppState;

/// A logged-in, enabled attendant (session cookie) whose password is their own: what every
/// attendant route takes, except the three a session that must still change its password
/// may use (`GET /api/me`, `POST /api/me/password`, `POST /api/logout`), which take
/// [`SignedIn`].
#[derive(Debug, Clone)]
pub struct CurrentAttendant(pub Attendant);

/// A logged-in admin, or an API token with the `admin` scope.
#[derive(Debug, Clone)]
pub struct Admin(pub Actor);

/// A logged-in admin, by session only: for what a token must not do (manage tokens).
#[derive(Debug, Clone)]
pub struct SessionAdmin(pub Attendant);

/// The scope a [`Reader`] route needs, as a type.
pub trait RouteScope {
    const SCOPE: ApiScope;
}

/// `conversations:read`.
#[derive(Debug, Clone, Copy)]
pub struct ConversationsRead;
impl RouteScope for ConversationsRead {
    const SCOPE: ApiScope = ApiScope::ConversationsRead;
}

/// `reports:read`.
#[derive(Debug, Clone, Copy)]
pub struct ReportsRead;
impl RouteScope for ReportsRead {
    const SCOPE: ApiScope = ApiScope::ReportsRead;
}

/// `messages:write`.
#[derive(Debug, Clone, Copy)]
pub struct MessagesWrite;
impl RouteScope for MessagesWrite {
    const SCOPE: ApiScope = ApiScope::MessagesWrite;
}

/// `conversations:manage`.
#[derive(Debug, Clone, Copy)]
pub struct ConversationsManage;
impl RouteScope for ConversationsManage {
    const SCOPE: ApiScope = ApiScope::ConversationsManage;
}

/// An API token holding `S`, and nothing else (a session is refused): what an integration
/// acting as a bot presents. People answer from the back-office, not as bots.
#[derive(Debug, Clone)]
pub struct Integration<S>(pub ApiTokenRecord, pub PhantomData<S>);

/// A logged-in attendant (seeing what they may), or an API token holding `S` (seeing what an
/// admin sees): for read routes integrations may use.
#[derive(Debug, Clone)]
pub struct Reader<S>(pub Actor, pub PhantomData<S>);

/// The API token on the request, if its bearer credential is one, checked for `scope`.
async fn api_token(
    parts: &Parts,
    app: &AppState,
    scope: ApiScope,
) -> Option<Result<ApiTokenRecord, AppError>> {
    let token = bearer(parts).filter(|t| api_tokens::is_api_token(t))?;
    let client = match parts.extensions.get::<ClientIp>() {
        Some(client) => *client,
        None => return Some(Err(AppError::unauthenticated())),
    };
    Some(app.auth.api_token(client, token, scope).await)
}

/// [`api_token`] as the actor its record acts as.
async fn api_token_actor(
    parts: &Parts,
    app: &AppState,
    scope: ApiScope,
) -> Option<Result<Actor, AppError>> {
    let record = api_token(parts, app, scope).await?;
    Some(record.and_then(|record| {
        Ok(Actor {
            attendant: api_tokens::acting_as(&record)?,
            token: Some(record.id),
        })
    }))
}

/// Either kind of caller, for routes both may use (each then scopes what it sees).
#[derive(Debug, Clone)]
pub enum Caller {
    Attendant(Attendant),
    Customer(Customer),
}

fn session_token(parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Any live session, read from the store on every request (a revoked one is gone at once).
impl<S> FromRequestParts<S> for SignedIn
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = Arc::<AppState>::from_ref(state);
        let token = session_token(parts).ok_or_else(AppError::unauthenticated)?;
        state.auth.session(&token).await
    }
}

impl<S> FromRequestParts<S> for CurrentAttendant
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        signed_in.require_settled()?;
        Ok(Self(signed_in.me))
    }
}

impl<S> FromRequestParts<S> for SessionAdmin
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentAttendant(me) = CurrentAttendant::from_request_parts(parts, state).await?;
        if me.role != Role::Admin {
            return Err(AppError::client(ErrorCode::Forbidden, "admins only"));
        }
        Ok(Self(me))
    }
}

impl<S> FromRequestParts<S> for Admin
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Arc::<AppState>::from_ref(state);
        if let Some(actor) = api_token_actor(parts, &app, ApiScope::Admin).await {
            return actor.map(Self);
        }
        let SessionAdmin(me) = SessionAdmin::from_request_parts(parts, state).await?;
        Ok(Self(Actor::from(me)))
    }
}

impl<S, R> FromRequestParts<S> for Reader<R>
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
    R: RouteScope + Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Arc::<AppState>::from_ref(state);
        if let Some(actor) = api_token_actor(parts, &app, R::SCOPE).await {
            return actor.map(|a| Self(a, PhantomData));
        }
        let CurrentAttendant(me) = CurrentAttendant::from_request_parts(parts, state).await?;
        Ok(Self(Actor::from(me), PhantomData))
    }
}

impl<S, R> FromRequestParts<S> for Integration<R>
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
    R: RouteScope + Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Arc::<AppState>::from_ref(state);
        match api_token(parts, &app, R::SCOPE).await {
            Some(record) => Ok(Self(record?, PhantomData)),
            None => Err(AppError::client(
                ErrorCode::Unauthenticated,
                format!("an API token with the `{}` scope is needed", R::SCOPE),
            )),
        }
    }
}

impl<S> FromRequestParts<S> for Caller
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Arc::<AppState>::from_ref(state);
        if let Some(token) = bearer(parts) {
            return Ok(Self::Customer(app.auth.customer_for_token(token).await?));
        }
        if session_token(parts).is_some() {
            let CurrentAttendant(me) = CurrentAttendant::from_request_parts(parts, state).await?;
            return Ok(Self::Attendant(me));
        }
        Err(AppError::unauthenticated())
    }
}

/// A [`Caller`], or an API token with `conversations:read` (reading as an admin would): for
/// the read routes customers and attendants share. Kept apart from [`Caller`] so a read
/// scope never reaches a route that writes (uploads take [`Caller`]).
#[derive(Debug, Clone)]
pub struct ReadingCaller(pub Caller);

impl<S> FromRequestParts<S> for ReadingCaller
where
    Arc<AppState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = Arc::<AppState>::from_ref(state);
        if let Some(actor) = api_token_actor(parts, &app, ApiScope::ConversationsRead).await {
            return Ok(Self(Caller::Attendant(actor?.attendant)));
        }
        Caller::from_request_parts(parts, state).await.map(Self)
    }
}

/// JSON body whose rejections are answered in the API's error shape.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                use axum::extract::rejection::JsonRejection;
                let code = match &rejection {
                    JsonRejection::JsonDataError(e) if e.body_text().contains("missing field") => {
                        ErrorCode::MissingField
                    }
                    JsonRejection::JsonDataError(_) => ErrorCode::InvalidField,
                    JsonRejection::JsonSyntaxError(_)
                    | JsonRejection::MissingJsonContentType(_) => ErrorCode::MalformedJson,
                    JsonRejection::BytesRejection(_) => ErrorCode::FrameTooLarge,
                    _ => ErrorCode::MalformedJson,
                };
                Err(AppError::client(code, rejection.body_text()))
            }
        }
    }
}

/// Path parameters whose rejections are answered in the API's error shape (axum's own are
/// plain text): `400 invalid_field`.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// A query string whose rejections are answered in the API's error shape: `400
/// invalid_field`.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);
