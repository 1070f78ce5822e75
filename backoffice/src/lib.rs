//! The Chimp Assist attendant back-office: a Leptos single-page app.
//!
//! The server serves it at `/` and authenticates it with its HttpOnly login cookie; nothing
//! secret is kept in the browser's storage. Everything live (assignments, messages, typing,
//! receipts, presence, queue numbers) arrives over one attendant WebSocket that reconnects and
//! resumes from the last sequence number held per conversation, so nothing of the desk is
//! polled. REST is used for what is not live: login, settings, admin pages, search, the
//! customer panel and reports (whose desk-wide "right now" strip is read every 15 seconds).
//!
//! Text from customers and attendants is always rendered as text, never as HTML.
//!
//! The modules without browser dependencies (i18n, statistics shapes and chart geometry,
//! formatting, the message thread, the desk and its reducer, what a closed connection means,
//! how much of a customer's identity is proven, the paged callbacks list, the reports page's
//! periods, queries and chart geometry, the webhooks tab's forms, badges and delivery log,
//! the audit log's labels and queries, the queue form's bot fields) are plain Rust and are unit-tested natively.

pub mod audit;
pub mod callbacks;
pub mod desk;
pub mod format;
pub mod hours;
pub mod i18n;
pub mod identity;
pub mod paging;
pub mod queues;
pub mod reports;
pub mod session;
pub mod stats;
pub mod thread;
pub mod tokens;
pub mod visit;
pub mod webhooks;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod board;
#[cfg(target_arch = "wasm32")]
mod calls;
#[cfg(target_arch = "wasm32")]
mod ctx;
#[cfg(target_arch = "wasm32")]
mod env;
#[cfg(target_arch = "wasm32")]
mod files;
#[cfg(target_arch = "wasm32")]
mod live;
#[cfg(target_arch = "wasm32")]
mod socket;
#[cfg(target_arch = "wasm32")]
mod ui;

/// Mounts the app on `<body>`; called once by the page's module script.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn main() {
    app::mount();
}
