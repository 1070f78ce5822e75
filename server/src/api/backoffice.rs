//! What the back-office needs besides its socket: its runtime configuration (public, for the
//! sign-in page), conversation lists to look back with, and the colleagues to transfer to.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chimpassist_protocol::rest::{AttendantDirectoryEntry, BackofficeConfig};
use chimpassist_protocol::{Attributes, ConversationId, ConversationView, CustomerId, VisitView};

use super::extract::{AppPath, AppQuery, ConversationsRead, CurrentAttendant, Reader};
use super::session::{OffsetPage, limit, views};
use crate::access;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A setting given as an empty variable counts as unset, so a compose file can list every
/// variable and leave some blank.
fn set(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// # GET /config/backoffice
///
/// Branding and limits; no login needed, since the sign-in page is branded too.
#[utoipa::path(get, path = "/config/backoffice", tag = "attendant",
    responses((status = 200, body = BackofficeConfig)))]
pub(super) async fn backoffice_config(
    State(state): State<Arc<AppState>>,
) -> Json<BackofficeConfig> {
    let c = &state.config;
    Json(BackofficeConfig {
        logo_small_url: set(&c.logo_small_url),
        default_attendant_avatar_url: set(&c.default_attendant_avatar_url),
        fav_icon_url: set(&c.fav_icon_url),
        main_page_title: c.main_page_title.clone(),
        login_page_title: c.login_page_title.clone(),
        online_customers_label: set(&c.online_customers_label),
        offline_customers_label: set(&c.offline_customers_label),
        force_language: c.force_i18n_language.map(|l| l.tag().to_owned()),
        max_text_bytes: u32::try_from(c.max_text_bytes).unwrap_or(u32::MAX),
        statistics_configured: c.statistics_base_endpoint.is_some(),
    })
}

/// # GET /api/customers/{id}/conversations
///
/// A customer's conversations, newest first, with their ratings: those the attendant may see
/// ([`crate::access`]), so a page may hold fewer than `limit`. Other
/// `/api/customers/{id}/{kind}` are the statistics proxy.
#[utoipa::path(get, path = "/api/customers/{id}/conversations", tag = "attendant",
    params(("id" = String, Path, description = "customer id"), OffsetPage),
    responses((status = 200, body = [ConversationView])))]
pub(super) async fn customer_conversations(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ConversationsRead>,
    AppPath(id): AppPath<CustomerId>,
    AppQuery(page): AppQuery<OffsetPage>,
) -> AppResult<Json<Vec<ConversationView>>> {
    let list = state
        .store
        .customer_conversations(&id, page.offset.unwrap_or(0), limit(page.limit))
        .await?;
    let list = access::visible(&state, &me, list).await?;
    Ok(Json(views(&state, list).await?))
}

/// # GET /api/customers/{id}/visit
///
/// The visitor's context as their widget last reported it: the trail of pages (oldest
/// first, at most 20), referrer, browser, OS, language, time zone and UTC offset. For an
/// attendant who may see one of the customer's conversations; `null` before any report.
/// Live changes come on the socket (`visit` frames) to whoever holds their conversation.
#[utoipa::path(get, path = "/api/customers/{id}/visit", tag = "attendant",
    params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = Option<VisitView>),
        (status = 403, body = chimpassist_protocol::ErrorBody),
        (status = 404, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn customer_visit(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ConversationsRead>,
    AppPath(id): AppPath<CustomerId>,
) -> AppResult<Json<Option<VisitView>>> {
    access::customer(&state, &me, &id).await?;
    Ok(Json(state.store.customer_visit(&id).await?))
}

/// # GET /api/customers/{id}/attributes
///
/// What the host site says about the customer (`ChimpAssist.setAttributes`, or the signed
/// identity token's `attributes`): typed values by name, `{}` when none. For whoever may
/// read the customer's visit. Live changes come on the socket (`attributes` frames).
#[utoipa::path(get, path = "/api/customers/{id}/attributes", tag = "attendant",
    params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = Attributes),
        (status = 403, body = chimpassist_protocol::ErrorBody),
        (status = 404, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn customer_attributes(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ConversationsRead>,
    AppPath(id): AppPath<CustomerId>,
) -> AppResult<Json<Attributes>> {
    access::customer(&state, &me, &id).await?;
    Ok(Json(state.store.customer_attributes(&id).await?))
}

/// # GET /api/me/conversations
///
/// Conversations that are or were mine, newest first, resolved ones included, so a closed
/// conversation can be found again (and reopened).
#[utoipa::path(get, path = "/api/me/conversations", tag = "attendant", params(OffsetPage),
    responses((status = 200, body = [ConversationView])))]
pub(super) async fn my_conversations(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppQuery(page): AppQuery<OffsetPage>,
) -> AppResult<Json<Vec<ConversationView>>> {
    let list = state
        .store
        .attendant_conversations(&me.id, page.offset.unwrap_or(0), limit(page.limit))
        .await?;
    Ok(Json(views(&state, list).await?))
}

/// # GET /api/conversations/{id}
///
/// One conversation's current state, for an attendant who may see it ([`crate::access`]):
/// the back-office re-reads a conversation that changed while its socket was down (history
/// is on the socket).
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "attendant",
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 200, body = ConversationView),
        (status = 403, body = chimpassist_protocol::ErrorBody),
        (status = 404, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn conversation(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ConversationsRead>,
    AppPath(id): AppPath<ConversationId>,
) -> AppResult<Json<ConversationView>> {
    let found = access::conversation(&state, &me, &id).await?;
    views(&state, vec![found])
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| AppError::not_found("conversation"))
}

/// # GET /api/attendants/directory
///
/// Every enabled attendant with their presence now, by name, for any attendant choosing
/// whom to transfer to (the full list, with e-mails and roles, stays admin-only).
#[utoipa::path(get, path = "/api/attendants/directory", tag = "attendant",
    responses((status = 200, body = [AttendantDirectoryEntry])))]
pub(super) async fn attendant_directory(
    State(state): State<Arc<AppState>>,
    _: CurrentAttendant,
) -> AppResult<Json<Vec<AttendantDirectoryEntry>>> {
    let mut entries: Vec<_> = state
        .store
        .list_attendants()
        .await?
        .into_iter()
        .filter(|a| !a.disabled)
        .map(|a| AttendantDirectoryEntry {
            presence: state.coordinator.presence_of_attendant(&a.id),
            id: a.id,
            name: a.name,
            avatar_url: a.avatar_url,
            queues: a.queues,
        })
        .collect();
    entries.sort_by_cached_key(|e| (e.name.to_lowercase(), e.id.clone()));
    Ok(Json(entries))
}
