//! Where the link in a reply mail leads: `GET /mail/open` is a page of this server that
//! hosts the widget, and `POST /api/mail/open` turns the link into the visitor's session, so
//! the widget on that page opens on their conversation. The link's token travels in the URL's
//! fragment, which browsers never send: it stays out of every access log and `Referer`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chimpassist_protocol::{ConversationId, ErrorCode};
use serde::{Deserialize, Serialize};

use super::extract::AppJson;
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The page, in the binary so it works wherever the server runs.
const OPEN_PAGE: &str = include_str!("../mail/open.html");

/// A link's token (the fragment of `/mail/open#…`).
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
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        OPEN_PAGE,
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
    let expired = || {
        AppError::client(
            ErrorCode::Unauthenticated,
            "this link is invalid or has expired",
        )
    };
    let opened = state
        .mail_links
        .verify(body.link.trim())
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
