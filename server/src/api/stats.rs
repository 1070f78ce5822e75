//! Public queue statistics, in the shape of the seed's stats service.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use chimpassist_protocol::QueueId;
use chimpassist_protocol::rest::QueueStats;

use super::extract::AppPath;
use crate::error::{AppError, AppResult};
use crate::hours::{Openness, Schedule};
use crate::state::AppState;
use crate::views::now_ms;

/// Whether the queue is answered now (its business hours; cached `CACHE_SECONDS`), as
/// `(open, opens_at)`.
pub(super) async fn openness(
    state: &AppState,
    queue: &QueueId,
) -> AppResult<(bool, Option<chimpassist_protocol::TimestampMs>)> {
    let ttl = state.config.cache_ttl();
    let schedule = match state.upstream.hours(queue, ttl) {
        Some(s) => s,
        None => {
            let hours = state.store.get_queue(queue).await?.and_then(|q| q.hours);
            let schedule = hours.as_ref().and_then(Schedule::of);
            state.upstream.keep_hours(queue.clone(), schedule.clone());
            schedule
        }
    };
    Ok(match schedule.map(|s| s.at(now_ms())) {
        None | Some(Openness::Open) => (true, None),
        Some(Openness::Closed { opens_at }) => (false, opens_at),
    })
}

/// # GET /api/stats/{queueId}?key=observations&key=ewt
///
/// Public (for unauthenticated sites). Without `key`, both. Cached `CACHE_SECONDS`. `open`
/// is false outside the queue's business hours, with `opens_at` the next opening.
#[utoipa::path(get, path = "/api/stats/{queue_id}", tag = "public",
    params(("queue_id" = String, Path, description = "queue"), ("key" = Option<Vec<String>>, Query, description = "observations and/or ewt")),
    responses((status = 200, body = QueueStats)))]
pub(super) async fn queue_stats(
    State(state): State<Arc<AppState>>,
    AppPath(queue): AppPath<QueueId>,
    RawQuery(query): RawQuery,
) -> AppResult<Json<QueueStats>> {
    let mut keys = Vec::new();
    for pair in query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("key", "observations")) => keys.push("observations"),
            Some(("key", "ewt")) => keys.push("ewt"),
            Some(("key", other)) => {
                return Err(AppError::invalid(format!(
                    "unknown key `{other}`; use observations or ewt"
                )));
            }
            _ => {}
        }
    }
    if keys.is_empty() {
        keys = vec!["observations", "ewt"];
    }
    let (observations, ewt) = state
        .upstream
        .queue_stats(state.config.cache_ttl(), &state.coordinator, &queue)
        .ok_or_else(|| AppError::not_found("queue"))?;
    let (open, opens_at) = openness(&state, &queue).await?;
    // Closed: the wait starts when the desk opens.
    let until_open = opens_at.map_or(0, |at| ((at - now_ms()).max(0) / 1000) as u32);
    Ok(Json(QueueStats {
        open,
        opens_at,
        observations: keys.contains(&"observations").then_some(observations),
        ewt: keys
            .contains(&"ewt")
            .then_some(ewt.saturating_add(until_open)),
    }))
}
