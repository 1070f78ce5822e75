//! WebSocket endpoints: `/ws/customer` and `/ws/attendant`.
//!
//! Before upgrading: the connection cap, the origin (customer: the allowed-origins list;
//! attendant: same origin as the server, since its credential is a cookie) and, for
//! attendants, the session cookie. Refusals are JSON errors, never a silent close.

mod attendant;
mod connection;
mod customer;
mod details;
mod messaging;
mod peer;

pub(crate) use messaging::publish;

use std::sync::Arc;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::ErrorCode;

use crate::api::extract::CurrentAttendant;
use crate::error::AppError;
use crate::state::AppState;

/// Hard transport limit per frame; larger frames close the socket. Below it, frames over the
/// configured limit get a typed `frame_too_large` and the connection lives on.
const TRANSPORT_MAX_FRAME: usize = 1024 * 1024;
/// Socket read buffer. tungstenite's default (128 KiB, allocated up front) made every idle
/// connection cost 137.6 KiB of RSS; with 4 KiB it was 13.6 KiB, with 1 KiB 10.6 KiB (19,000
/// idle sockets, load generator). Chat frames are small; a larger one still arrives, in more
/// reads.
const READ_BUFFER: usize = 1024;
/// Bytes collected before a write goes to the socket: none, each frame is flushed anyway.
const WRITE_BUFFER: usize = 0;

/// # GET /ws/customer
pub async fn customer_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = origin(&headers)
        && !state.config.origin_allowed(origin)
    {
        return AppError::client(ErrorCode::Forbidden, "this origin may not open the chat")
            .into_response();
    }
    accept(upgrade, state, customer::serve)
}

/// # GET /ws/attendant
pub async fn attendant_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    CurrentAttendant(me): CurrentAttendant,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = origin(&headers)
        && !same_origin(origin, &headers)
        && (state.config.any_origin() || !state.config.origin_allowed(origin))
    {
        return AppError::client(
            ErrorCode::Forbidden,
            "the back-office must be opened from this server",
        )
        .into_response();
    }
    accept(upgrade, state, move |socket, state| {
        attendant::serve(socket, state, me)
    })
}

/// Upgrades within the connection cap (else `too_many_connections`), with this server's
/// socket settings; the slot is held until `serve` returns.
fn accept<F, Fut>(upgrade: WebSocketUpgrade, state: Arc<AppState>, serve: F) -> Response
where
    F: FnOnce(axum::extract::ws::WebSocket, Arc<AppState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(permit) = state.connection_permit() else {
        return AppError::client(
            ErrorCode::TooManyConnections,
            "the server is full; retry later",
        )
        .into_response();
    };
    let max = TRANSPORT_MAX_FRAME.max(state.config.max_frame_bytes * 2);
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            serve(socket, state).await;
            drop(permit);
        })
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// True when the Origin's host:port is the Host the request was sent to.
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}
