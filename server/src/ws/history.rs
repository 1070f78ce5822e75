//! Reading back what the store holds: the replay on resume, and history pages.

use std::collections::HashMap;

use chimpassist_protocol::{ConversationId, MessageView, ResumePoint, Seq, encode};
use chimpassist_store::StoredMessage;

use super::connection::{MAX_REPLAY, WsSink, send_text};
use crate::delivery::ServerFrame;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::message_view;

/// What a resume yields for one conversation.
pub(super) enum Replay {
    Messages(Vec<StoredMessage>),
    TooFarBehind(Seq),
}

/// Reads what a client missed in one conversation.
pub(super) async fn missed(state: &AppState, point: &ResumePoint) -> AppResult<Replay> {
    let latest = state
        .store
        .get_conversation(&point.conversation)
        .await?
        .map_or(0, |c| c.last_seq);
    if latest.saturating_sub(point.last_seq) > MAX_REPLAY {
        return Ok(Replay::TooFarBehind(latest));
    }
    let messages = state
        .store
        .messages_after(&point.conversation, point.last_seq, MAX_REPLAY)
        .await?;
    Ok(Replay::Messages(messages))
}

/// Sends replays straight to the socket (before the writer starts), as frames of side `F`,
/// and returns the highest seq sent per conversation, so the writer can drop live duplicates.
pub(super) async fn replay<F: ServerFrame>(
    state: &AppState,
    sink: &mut WsSink,
    points: &[ResumePoint],
) -> AppResult<HashMap<ConversationId, Seq>> {
    let mut replayed = HashMap::new();
    for point in points {
        match missed(state, point).await? {
            Replay::Messages(messages) => {
                let mut last = point.last_seq;
                for m in &messages {
                    if !send_text(
                        sink,
                        encode(&F::message_frame(message_view(m, &state.attachments.links))),
                    )
                    .await
                    {
                        break;
                    }
                    last = m.seq;
                }
                replayed.insert(point.conversation, last);
            }
            Replay::TooFarBehind(latest) => {
                send_text(sink, encode(&F::resync_frame(point.conversation, latest))).await;
                replayed.insert(point.conversation, latest);
            }
        }
    }
    Ok(replayed)
}

/// Clamp for history page sizes.
pub(super) fn page_limit(limit: Option<u32>) -> u64 {
    u64::from(limit.unwrap_or(50).clamp(1, 100))
}

/// Fetches one page (newest first) plus whether older messages exist.
pub(super) async fn history_page(
    state: &AppState,
    conversation: &ConversationId,
    before: Option<Seq>,
    limit: Option<u32>,
) -> AppResult<(Vec<MessageView>, bool)> {
    let limit = page_limit(limit);
    let mut page = state
        .store
        .messages_before(conversation, before, limit + 1)
        .await?;
    let more = page.len() as u64 > limit;
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((
        page.iter()
            .map(|m| message_view(m, &state.attachments.links))
            .collect(),
        more,
    ))
}
