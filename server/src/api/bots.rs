//! What an integration does in a conversation as a bot, with an API token: post a message
//! under a display name, hand the conversation over to people, resolve it. How a site plugs
//! in its own FAQ bot or AI assistant: webhooks tell it what happens (`conversation.created`,
//! `message.created`), these routes let it answer. See docs/bots.md.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chimpassist_protocol::rest::{BotMessageRequest, HandoffRequest, MAX_BOT_NAME_LEN};
use chimpassist_protocol::{ClientMessageId, ConversationId, ErrorCode, MessageView, Party};

use super::extract::{AppJson, AppPath, ConversationsManage, Integration, MessagesWrite};
use crate::delivery::{Author, Sent};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::message_view;

/// # POST /api/conversations/{id}/messages
///
/// Posts a message as a bot in an open conversation, shown to the customer and to people as
/// the bot's (party `bot`). Stored before it is answered, like every message; the same
/// `client_id` again returns the stored message instead of a second one (`200` then, `201`
/// for a new one). Records `message.created`.
#[utoipa::path(post, path = "/api/conversations/{id}/messages", tag = "bots",
    params(("id" = String, Path, description = "conversation id")),
    request_body = BotMessageRequest,
    responses((status = 201, body = MessageView), (status = 200, body = MessageView),
        (status = 409, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn post_message(
    State(state): State<Arc<AppState>>,
    Integration(token, _): Integration<MessagesWrite>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(body): AppJson<BotMessageRequest>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    body.text.within(state.config.max_text_bytes)?;
    let conversation = state
        .store
        .get_conversation(&id)
        .await?
        .ok_or_else(|| AppError::not_found("conversation"))?;
    if !conversation.status.is_open() {
        return Err(AppError::client(
            ErrorCode::Conflict,
            "the conversation is not open",
        ));
    }
    let name = match body.name {
        Some(name) => bot_name(&name)?,
        None => state
            .store
            .get_queue(&conversation.queue_id)
            .await?
            .and_then(|q| q.bot)
            .map_or_else(|| token.name.clone(), |b| b.name),
    };
    let author = Author {
        party: Party::Bot,
        id: token.id.to_string(),
        name,
    };
    let client_id = body.client_id.unwrap_or_else(ClientMessageId::new);
    let sent = Sent::new(
        id,
        client_id,
        true,
        &conversation.customer_id,
        conversation.attendant_id.as_ref(),
    );
    let submitted = sent.submit(&state.delivery, author, body.text, Vec::new());
    let appended = submitted.commit.await?;
    // Another sender's message under this client id was refused by the store.
    let duplicate = appended.duplicate;
    let stored = submitted.sent.deliver(&state.delivery, appended).await;
    let status = if duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(message_view(&stored, &state.delivery.links))))
}

fn bot_name(raw: &str) -> AppResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_BOT_NAME_LEN {
        return Err(AppError::invalid(format!(
            "name must be 1 to {MAX_BOT_NAME_LEN} characters"
        )));
    }
    Ok(name.to_owned())
}

/// # POST /api/conversations/{id}/handoff
///
/// The bot gives the conversation it holds to people: it joins the line of its queue (or of
/// `queue`, recorded as a transfer) where it would have been, and is offered as usual. `409`
/// when no bot holds it (people have it already, or it has ended).
#[utoipa::path(post, path = "/api/conversations/{id}/handoff", tag = "bots",
    params(("id" = String, Path, description = "conversation id")),
    request_body = HandoffRequest,
    responses((status = 204, description = "handed over"),
        (status = 409, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn hand_over(
    State(state): State<Arc<AppState>>,
    _: Integration<ConversationsManage>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(body): AppJson<HandoffRequest>,
) -> AppResult<StatusCode> {
    state.coordinator.hand_over(id, body.queue).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// # POST /api/conversations/{id}/resolve
///
/// Resolves an open conversation, whoever holds it (the bot, people, or nobody yet): the
/// customer is told, as when an attendant resolves. `409` when it is not open.
#[utoipa::path(post, path = "/api/conversations/{id}/resolve", tag = "bots",
    params(("id" = String, Path, description = "conversation id")),
    responses((status = 204, description = "resolved"),
        (status = 409, body = chimpassist_protocol::ErrorBody)))]
pub(super) async fn resolve(
    State(state): State<Arc<AppState>>,
    _: Integration<ConversationsManage>,
    AppPath(id): AppPath<ConversationId>,
) -> AppResult<StatusCode> {
    state.coordinator.resolve_for_integration(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
