//! The seed's routes, authorised and fixed (newest messages first, cursors instead of
//! offsets into a moving list).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chimpassist_protocol::rest::{AttendantConfig, MessagesPage, SessionRequest};
use chimpassist_protocol::{
    AttendantId, ConversationId, ConversationView, CustomerId, Role, SessionGrant,
};
use chimpassist_store::{Attendant, Conversation, Customer, MessageCursor};
use serde::Deserialize;

use super::extract::{AppJson, AppPath, AppQuery, Caller, CurrentAttendant, ReadingCaller};
use crate::access;
use crate::edge::ClientIp;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::{attendant_public, attendant_view, conversation_view, message_view};

/// # POST /session
///
/// Exchanges this browser's customer token (if any) and the host page's `userData` claim
/// for a (possibly new) customer token. Also returns the open conversation, if any. New
/// identities are limited per client network (`429` with `Retry-After`).
#[utoipa::path(post, path = "/session", tag = "customer", request_body = SessionRequest,
    responses((status = 200, body = SessionGrant),
        (status = 429, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn create_session(
    State(state): State<Arc<AppState>>,
    client: ClientIp,
    AppJson(body): AppJson<SessionRequest>,
) -> AppResult<Json<SessionGrant>> {
    let grant = state
        .auth
        .resolve_customer(body.token.as_deref(), body.user.as_ref(), client)
        .await?;
    if let Some(changes) = &grant.attributes
        && let Err(e) = crate::visits::set_attributes(&state, &grant.customer.id, changes).await
    {
        tracing::warn!(customer = %grant.customer.id, error = %e, "the identity token's attributes were not kept");
    }
    let open = state
        .store
        .customer_conversations(&grant.customer.id, 0, 1)
        .await?
        .into_iter()
        .find(|c| c.status.is_open())
        .map(|c| c.id);
    Ok(Json(SessionGrant {
        customer_id: grant.customer.id,
        token: grant.token,
        session_id: open,
        keep_alive_ttl: state.config.session_keep_alive_ms,
        verified: grant.customer.verified,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SeqPage {
    /// Only messages with a lower seq.
    before: Option<u64>,
    /// At most this many (1–200, default 50).
    limit: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct CursorPage {
    /// The `next` of the previous page.
    before: Option<String>,
    limit: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct OffsetPage {
    /// Skip this many (default 0).
    pub(super) offset: Option<u64>,
    /// At most this many (1–200, default 50).
    pub(super) limit: Option<u64>,
}

pub(super) fn limit(raw: Option<u64>) -> u64 {
    raw.unwrap_or(50).clamp(1, 200)
}

/// The conversation, if the caller may read it: its customer, or an attendant who may see it
/// ([`crate::access`]).
async fn readable(
    state: &AppState,
    caller: &Caller,
    id: &ConversationId,
) -> AppResult<Conversation> {
    match caller {
        Caller::Attendant(me) => access::conversation(state, me, id).await,
        Caller::Customer(c) => state
            .store
            .get_conversation(id)
            .await?
            .filter(|conversation| conversation.customer_id == c.id)
            // Same answer as for a missing one: no probing of other customers' ids.
            .ok_or_else(|| AppError::not_found("conversation")),
    }
}

/// A customer reads only their own; attendants get what [`crate::access`] lets them see of
/// it (the callers filter).
fn may_read_customer(caller: &Caller, customer: &CustomerId) -> AppResult<()> {
    match caller {
        Caller::Attendant(_) => Ok(()),
        Caller::Customer(c) if &c.id == customer => Ok(()),
        Caller::Customer(_) => Err(AppError::not_found("customer")),
    }
}

/// # GET /session/{id}/messages
#[utoipa::path(get, path = "/session/{id}/messages", tag = "customer", params(SeqPage),
    responses((status = 200, body = MessagesPage)))]
pub(super) async fn session_messages(
    State(state): State<Arc<AppState>>,
    ReadingCaller(caller): ReadingCaller,
    AppPath(id): AppPath<ConversationId>,
    AppQuery(page): AppQuery<SeqPage>,
) -> AppResult<Json<MessagesPage>> {
    readable(&state, &caller, &id).await?;
    let limit = limit(page.limit);
    let messages = state.store.messages_before(&id, page.before, limit).await?;
    let next = (messages.len() as u64 == limit)
        .then(|| messages.last().map(|m| m.seq.to_string()))
        .flatten();
    Ok(Json(MessagesPage {
        messages: messages
            .iter()
            .map(|m| message_view(m, &state.attachments.links))
            .collect(),
        next,
    }))
}

fn parse_cursor(raw: &str) -> AppResult<MessageCursor> {
    let bad = || AppError::invalid("`before` is not a cursor from this API");
    let mut parts = raw.splitn(3, '_');
    let timestamp = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let conversation = parts
        .next()
        .and_then(|p| ConversationId::parse(p).ok())
        .ok_or_else(bad)?;
    let seq = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    Ok(MessageCursor {
        timestamp,
        conversation,
        seq,
    })
}

/// # GET /customer/{id}/messages
///
/// Newest first across the customer's conversations (the original returned the *oldest*).
/// An attendant gets the messages of the conversations they may see, so a page may hold fewer
/// than `limit`; `next` is set while older messages exist.
#[utoipa::path(get, path = "/customer/{id}/messages", tag = "customer", params(CursorPage),
    responses((status = 200, body = MessagesPage)))]
pub(super) async fn customer_messages(
    State(state): State<Arc<AppState>>,
    ReadingCaller(caller): ReadingCaller,
    AppPath(id): AppPath<CustomerId>,
    AppQuery(page): AppQuery<CursorPage>,
) -> AppResult<Json<MessagesPage>> {
    may_read_customer(&caller, &id)?;
    let before = page.before.as_deref().map(parse_cursor).transpose()?;
    let limit = limit(page.limit);
    let mut messages = state.store.customer_messages(&id, before, limit).await?;
    let next = (messages.len() as u64 == limit)
        .then(|| {
            messages
                .last()
                .map(|m| format!("{}_{}_{}", m.timestamp, m.conversation, m.seq))
        })
        .flatten();
    if let Caller::Attendant(me) = &caller {
        let ids: Vec<ConversationId> = messages.iter().map(|m| m.conversation).collect();
        let visible = access::visible_ids(&state, me, ids).await?;
        messages.retain(|m| visible.get(&m.conversation).copied().unwrap_or(false));
    }
    Ok(Json(MessagesPage {
        messages: messages
            .iter()
            .map(|m| message_view(m, &state.attachments.links))
            .collect(),
        next,
    }))
}

/// Views of stored conversations, with their customers' presence now. A page is mostly one
/// customer's or one attendant's, so each person is read once.
pub(super) async fn views(
    state: &AppState,
    conversations: Vec<Conversation>,
) -> AppResult<Vec<ConversationView>> {
    let mut customers: HashMap<CustomerId, Option<Customer>> = HashMap::new();
    let mut attendants: HashMap<AttendantId, Option<Attendant>> = HashMap::new();
    let mut out = Vec::with_capacity(conversations.len());
    for c in conversations {
        if !customers.contains_key(&c.customer_id) {
            let found = state.store.get_customer(&c.customer_id).await?;
            customers.insert(c.customer_id.clone(), found);
        }
        let Some(Some(customer)) = customers.get(&c.customer_id) else {
            continue;
        };
        if let Some(a) = &c.attendant_id
            && !attendants.contains_key(a)
        {
            attendants.insert(a.clone(), state.store.get_attendant(a).await?);
        }
        let attendant = c
            .attendant_id
            .as_ref()
            .and_then(|a| attendants.get(a)?.as_ref());
        let presence = state.coordinator.presence_of_customer(&customer.id);
        out.push(conversation_view(
            &c,
            customer,
            attendant.map(attendant_public),
            presence,
        ));
    }
    Ok(out)
}

/// # GET /customer/{id}/sessions/last
///
/// The customer's latest conversation (an array of at most one, as in the seed); for an
/// attendant, the latest of the last 50 that they may see.
#[utoipa::path(get, path = "/customer/{id}/sessions/last", tag = "customer",
    responses((status = 200, body = [ConversationView])))]
pub(super) async fn last_session(
    State(state): State<Arc<AppState>>,
    ReadingCaller(caller): ReadingCaller,
    AppPath(id): AppPath<CustomerId>,
) -> AppResult<Json<Vec<ConversationView>>> {
    may_read_customer(&caller, &id)?;
    let latest = match &caller {
        Caller::Customer(_) => state.store.customer_conversations(&id, 0, 1).await?,
        Caller::Attendant(me) => {
            let recent = state.store.customer_conversations(&id, 0, 50).await?;
            access::first_visible(&state, me, recent)
                .await?
                .into_iter()
                .collect()
        }
    };
    Ok(Json(views(&state, latest).await?))
}

/// # GET /attendant/{id}/sessions
///
/// Conversations that are or were with this attendant, newest first. The attendant
/// themself or an admin.
#[utoipa::path(get, path = "/attendant/{id}/sessions", tag = "attendant", params(OffsetPage),
    responses((status = 200, body = [ConversationView])))]
pub(super) async fn attendant_sessions(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
    AppPath(id): AppPath<AttendantId>,
    AppQuery(page): AppQuery<OffsetPage>,
) -> AppResult<Json<Vec<ConversationView>>> {
    if me.id != id && me.role != Role::Admin {
        return Err(AppError::forbidden());
    }
    let list = state
        .store
        .attendant_conversations(&id, page.offset.unwrap_or(0), limit(page.limit))
        .await?;
    Ok(Json(views(&state, list).await?))
}

/// # GET /config/attendant
#[utoipa::path(get, path = "/config/attendant", tag = "attendant",
    responses((status = 200, body = AttendantConfig)))]
pub(super) async fn attendant_config(
    State(state): State<Arc<AppState>>,
    CurrentAttendant(me): CurrentAttendant,
) -> Json<AttendantConfig> {
    Json(AttendantConfig {
        keep_alive_ttl: state.config.attendant_keep_alive_ms,
        me: attendant_view(&me),
    })
}
