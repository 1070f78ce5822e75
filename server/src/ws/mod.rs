//! WebSocket endpoints: `/ws/customer` and `/ws/attendant`.
//!
//! Before upgrading: the origin (customer: the allowed-origins list; attendant: same origin
//! as the server, since its credential is a cookie) and, for attendants, the session cookie.
//! Refusals are JSON errors, never a silent close. (Connections are counted before any of
//! this, by the listener: see [`crate::edge::listen`].)

mod attendant;
mod calls;
mod connection;
mod customer;
mod history;
mod peer;

use std::sync::Arc;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chimpassist_protocol::ErrorCode;

use crate::auth::SignedIn;
use crate::edge::client::public_scheme;
use crate::edge::{ClientIp, ConnectionSlot};
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

/// The two sockets' routes, merged beside the REST API's by `startup`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws/customer", get(customer_ws))
        .route("/ws/attendant", get(attendant_ws))
        .with_state(state)
}

/// # GET /ws/customer
pub async fn customer_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    client: ClientIp,
    slot: Option<Extension<ConnectionSlot>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = origin(&headers)
        && !state.config.origin_allowed(origin)
    {
        return AppError::client(ErrorCode::Forbidden, "this origin may not open the chat")
            .into_response();
    }
    // Named (browser, OS) once per connection, for the visitor's context; the Origin ties
    // the pages it reports to the site it runs on.
    let agent = crate::visits::Agent::parse(
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    );
    let site = origin(&headers).map(|o| o.trim_end_matches('/').to_owned());
    accept(upgrade, state, slot, move |socket, state| {
        customer::serve(socket, state, client, agent, site)
    })
}

/// # GET /ws/attendant
///
/// Only from the page this server serves: the Origin's scheme, host and port must be this
/// server's as the browser reached it (or one of `BACKOFFICE_ORIGINS`). The widget's
/// `ALLOWED_ORIGINS` are the host sites, and a script there must not ride an attendant's
/// cookie into this socket (cross-site WebSocket hijacking). A request without an Origin is
/// not from a browser, and carries the cookie only if its owner gave it.
pub async fn attendant_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    connect: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    session: SignedIn,
    slot: Option<Extension<ConnectionSlot>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = origin(&headers) {
        let scheme = public_scheme(
            connect.map(|Extension(ConnectInfo(peer))| peer.ip()),
            &headers,
            &state.config.trusted_proxies,
            state.config.production,
        );
        if !same_origin(origin, scheme, &headers) && !state.config.backoffice_origin_allowed(origin)
        {
            return AppError::client(
                ErrorCode::Forbidden,
                "the back-office must be opened from this server",
            )
            .into_response();
        }
    }
    if let Err(e) = session.require_settled() {
        return e.into_response();
    }
    accept(upgrade, state, slot, move |socket, state| {
        attendant::serve(socket, state, session)
    })
}

/// Upgrades with this server's socket settings; the connection's slot (see
/// [`crate::edge::listen`]) is held until `serve` returns.
fn accept<F, Fut>(
    upgrade: WebSocketUpgrade,
    state: Arc<AppState>,
    slot: Option<Extension<ConnectionSlot>>,
    serve: F,
) -> Response
where
    F: FnOnce(axum::extract::ws::WebSocket, Arc<AppState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let max = TRANSPORT_MAX_FRAME.max(state.config.max_frame_bytes * 2);
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            serve(socket, state).await;
            drop(slot);
        })
}

fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// True when the Origin is `{scheme}://{Host}`: the scheme the browser used (see
/// [`public_scheme`]) and the host:port the request was sent to. A browser sets both headers
/// itself; a page cannot forge them.
fn same_origin(origin: &str, scheme: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((origin_scheme, origin_host)) = origin.trim_end_matches('/').split_once("://") else {
        return false;
    };
    origin_scheme.eq_ignore_ascii_case(scheme) && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, h.parse().expect("header"));
        headers
    }

    #[test]
    fn same_origin_compares_scheme_host_and_port() {
        let h = host("chat.example.com:8080");
        assert!(same_origin("http://chat.example.com:8080", "http", &h));
        assert!(same_origin("HTTP://Chat.Example.com:8080/", "http", &h));
        assert!(!same_origin("https://chat.example.com:8080", "http", &h));
        assert!(!same_origin("http://chat.example.com", "http", &h));
        assert!(!same_origin(
            "http://chat.example.com:8080.evil.example",
            "http",
            &h
        ));
        assert!(!same_origin("null", "http", &h));
        assert!(!same_origin(
            "http://chat.example.com:8080",
            "http",
            &HeaderMap::new()
        ));
    }
}
