//! Liveness, readiness, metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::state::AppState;

/// # GET /healthz — the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200)))]
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// # GET /readyz — the store answers, the bus reaches the other nodes (and the server is not
/// stopping). The answer also names this node and the coordinating one.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200), (status = 503)))]
pub(super) async fn readyz(
    State(state): State<Arc<AppState>>,
) -> (StatusCode, Json<serde_json::Value>) {
    if state.stop.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "stopping"})),
        );
    }
    if !state.bus.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "bus unavailable"})),
        );
    }
    match state.store.ping().await {
        Ok(()) => {
            let coordinator = &state.coordinator;
            let leader = coordinator.leader();
            (
                StatusCode::OK,
                Json(json!({
                    "status": "ready",
                    "node": coordinator.node(),
                    "leader": leader.as_ref().map(|l| &l.node),
                    "term": leader.map(|l| l.term),
                    "leading": coordinator.is_leader(),
                })),
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: store unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "store unavailable"})),
            )
        }
    }
}

/// # GET /metrics — Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200)))]
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    state
        .metrics
        .coordinator_leading
        .set(i64::from(state.coordinator.is_leader()));
    state
        .metrics
        .open_connections
        .set(i64::try_from(state.edge.slots.open()).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}
