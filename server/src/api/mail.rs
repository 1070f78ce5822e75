//! Where the links in mails lead (`crate::mail::links`):
//! - `GET /mail/open` is a page of this server that hosts the widget, and
//!   `POST /api/mail/open` turns the link into the visitor's session, so the widget on that
//!   page opens on their conversation;
//! - `GET /mail/unsubscribe` asks before it turns mail off with
//!   `POST /api/mail/unsubscribe` (a mail scanner following the link turns nothing off).
//!
//! A link's token travels in the URL's fragment, which browsers never send: it stays out of
//! every access log and `Referer`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chimpassist_protocol::{ConversationId, ErrorCode};
use serde::{Deserialize, Serialize};

use super::extract::AppJson;
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::mail::links::Purpose;
use crate::state::AppState;

/// The pages, in the binary so they work wherever the server runs.
const OPEN_PAGE: &str = include_str!("../mail/open.html");
const UNSUBSCRIBE_PAGE: &str = include_str!("../mail/unsubscribe.html");

/// A link's token (the fragment of `/mail/open#…` or `/mail/unsubscribe#…`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(super) struct OpenRequest {
    pub(super) link: String,
}

/// The visitor's session: the widget keeps `token` as its own.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OpenedSession {
    pub(super) token: String,
    pub(super) conversation: ConversationId,
}

/// # GET /mail/open
pub(super) async fn open_page() -> impl IntoResponse {
    page(OPEN_PAGE)
}

/// # GET /mail/unsubscribe
pub(super) async fn unsubscribe_page() -> impl IntoResponse {
    page(UNSUBSCRIBE_PAGE)
}

fn page(html: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
}

/// # POST /api/mail/open
///
/// Public: the link is the credential. A valid, unexpired link gives a session of the
/// visitor it names, whose conversation it also names; anything else is `401`. Limited per
/// client network like new visitors (`NEW_CUSTOMERS_PER_MINUTE_PER_IP`), since each answer is
/// a session.
#[utoipa::path(post, path = "/api/mail/open", tag = "public", request_body = OpenRequest,
    responses((status = 200, body = OpenedSession),
        (status = 401, body = chimpassist_protocol::ErrorBody),
        (status = 429, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn open(
    State(state): State<Arc<AppState>>,
    client: ClientIp,
    AppJson(body): AppJson<OpenRequest>,
) -> AppResult<Json<OpenedSession>> {
    state.edge.throttles.customers.check(client)?;
    let opened = state
        .mail_links
        .verify(Purpose::Open, body.link.trim())
        .ok_or_else(expired)?;
    // An erased visitor's link opens nothing.
    let customer = state
        .store
        .get_customer(&opened.customer)
        .await?
        .ok_or_else(expired)?;
    Ok(Json(OpenedSession {
        token: state.auth.customer_token(&customer.id),
        conversation: opened.conversation,
    }))
}

/// # POST /api/mail/unsubscribe
///
/// Public: the link (from any mail) is the credential. Turns mail to the address that mail
/// went to off, for good, whoever gives that address again; `204` also when it was off
/// already. Limited per client network like new visitors.
#[utoipa::path(post, path = "/api/mail/unsubscribe", tag = "public", request_body = OpenRequest,
    responses((status = 204, description = "mail is off"),
        (status = 401, body = chimpassist_protocol::ErrorBody),
        (status = 429, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn unsubscribe(
    State(state): State<Arc<AppState>>,
    client: ClientIp,
    AppJson(body): AppJson<OpenRequest>,
) -> AppResult<StatusCode> {
    state.edge.throttles.customers.check(client)?;
    let opened = state
        .mail_links
        .verify(Purpose::Stop, body.link.trim())
        .ok_or_else(expired)?;
    let key = opened.address_key.ok_or_else(expired)?;
    state
        .store
        .suppress_mail(&key, crate::views::now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn expired() -> AppError {
    AppError::client(
        ErrorCode::Unauthenticated,
        "this link is invalid or has expired",
    )
}
