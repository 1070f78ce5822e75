//! Public queue statistics, in the shape of the seed's stats service.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use chimpassist_protocol::QueueId;
use chimpassist_protocol::rest::QueueStats;

use super::extract::AppPath;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// # GET /api/stats/{queueId}?key=observations&key=ewt
///
/// Public (for unauthenticated sites). Without `key`, both. Cached `CACHE_SECONDS`.
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
    Ok(Json(QueueStats {
        observations: keys.contains(&"observations").then_some(observations),
        ewt: keys.contains(&"ewt").then_some(ewt),
    }))
}
