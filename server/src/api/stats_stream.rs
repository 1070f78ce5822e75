//! `GET /api/stats/{queueId}/stream`: a queue's numbers as Server-Sent Events, so a host page
//! can show "2 agents online, about 1 minute" live without opening the chat (seed 002's stats
//! socket).
//!
//! The numbers are the REST statistics' (`/api/stats/{queueId}`), read from the same cache
//! (`CACHE_SECONDS`), so a thousand open streams cost what a thousand polls would at that
//! rate, not one coordinator read each. A `stats` event goes out when they change (the
//! first at once), a comment every 15 s keeps proxies from closing a quiet stream. Each
//! stream holds its TCP connection's slot for as long as it is open, so the per-address and
//! server-wide connection caps bound open streams like they bound WebSockets; opening one is
//! a request under the per-address request limit like any other. Cross-origin reads follow
//! the same CORS rules as the widget's REST calls.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use chimpassist_protocol::QueueId;
use chimpassist_protocol::rest::QueueStats;
use futures_util::Stream;

use super::extract::AppPath;
use crate::edge::ConnectionSlot;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How often a stream looks at its queue's numbers (at least; never more often than the
/// cache renews them).
const LOOK_EVERY: Duration = Duration::from_millis(500);
const KEEP_ALIVE: Duration = Duration::from_secs(15);

async fn numbers(state: &AppState, queue: &QueueId) -> Option<QueueStats> {
    let (observations, ewt) =
        state
            .upstream
            .queue_stats(state.config.cache_ttl(), &state.coordinator, queue)?;
    // A store that does not answer now leaves the stream as it was (open).
    let (open, opens_at) = super::stats::openness(state, queue)
        .await
        .unwrap_or((true, None));
    Some(QueueStats {
        open,
        opens_at,
        observations: Some(observations),
        ewt: Some(ewt),
    })
}

/// # GET /api/stats/{queueId}/stream
///
/// `text/event-stream` of `stats` events (`{observations, ewt}`, as the REST statistics),
/// one now and one each time they change. Public; `404` for an unknown queue.
#[utoipa::path(get, path = "/api/stats/{queue_id}/stream", tag = "public",
    params(("queue_id" = String, Path, description = "queue")),
    responses((status = 200, content_type = "text/event-stream",
        description = "`event: stats` with a QueueStats JSON body on each change")))]
pub(super) async fn queue_stats_stream(
    State(state): State<Arc<AppState>>,
    AppPath(queue): AppPath<QueueId>,
    slot: Option<Extension<ConnectionSlot>>,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let first = numbers(&state, &queue)
        .await
        .ok_or_else(|| AppError::not_found("queue"))?;
    let every = state.config.cache_ttl().max(LOOK_EVERY);
    let stop = state.stop.clone();
    let stream = futures_util::stream::unfold(
        (state, queue, None::<QueueStats>, Some(first), slot),
        move |(state, queue, last, mut ready, slot)| {
            let stop = stop.clone();
            async move {
                loop {
                    if let Some(now) = ready.take().filter(|n| last.as_ref() != Some(n)) {
                        let event = Event::default()
                            .event("stats")
                            .json_data(&now)
                            .unwrap_or_else(|_| Event::default().comment("unencodable"));
                        return Some((Ok(event), (state, queue, Some(now), None, slot)));
                    }
                    tokio::select! {
                        () = stop.cancelled() => return None,
                        () = tokio::time::sleep(every) => {}
                    }
                    // A queue removed while watched ends its stream.
                    ready = Some(numbers(&state, &queue).await?);
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}
