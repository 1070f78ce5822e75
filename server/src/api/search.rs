//! Search over conversations: by customer name and by message text.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use chimpassist_protocol::{ConversationId, MessageView, SearchHit, SearchQuery};
use chimpassist_store::Visibility;
use serde::Deserialize;

use super::extract::{AppQuery, ConversationsRead, Reader};
use super::session::views;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::message_view;

/// Results when `limit` is not given.
const DEFAULT_LIMIT: u64 = 20;
/// Most results one search returns.
const MAX_LIMIT: u64 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SearchParams {
    /// Text to find: 2–100 characters after trimming, taken literally.
    #[serde(default)]
    q: String,
    /// At most this many results (1–50, default 20).
    limit: Option<u64>,
}

/// # GET /api/search
///
/// Conversations whose customer's name contains `q`, or with a message containing it
/// (case-insensitive for ASCII letters), newest request first. Admins search every
/// conversation; other attendants those of their queues and those ever assigned to them.
/// Each hit carries the newest matching message, or `null` when only the name matched.
#[utoipa::path(get, path = "/api/search", tag = "attendant", params(SearchParams),
    responses((status = 200, body = [SearchHit])))]
pub(super) async fn search(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ConversationsRead>,
    AppQuery(params): AppQuery<SearchParams>,
) -> AppResult<Json<Vec<SearchHit>>> {
    let query = SearchQuery::parse(&params.q)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let matches = state
        .store
        .search(&query, &Visibility::of(&me), limit)
        .await?;

    // `views` reads each customer and attendant once and skips conversations whose
    // customer record is gone; pair the views back with their matching messages by id.
    let mut messages: HashMap<ConversationId, Option<MessageView>> = matches
        .iter()
        .map(|m| {
            (
                m.conversation.id,
                m.message
                    .as_ref()
                    .map(|m| message_view(m, &state.attachments.links)),
            )
        })
        .collect();
    let conversations = matches.into_iter().map(|m| m.conversation).collect();
    let hits = views(&state, conversations)
        .await?
        .into_iter()
        .map(|conversation| SearchHit {
            message: messages.remove(&conversation.id).flatten(),
            conversation,
        })
        .collect();
    Ok(Json(hits))
}
