//! Real-browser end-to-end harness: the chat server in-process ([`ChimpServer`]), a host site
//! on another origin ([`HostPage`], [`snippet`]), headless Chromium over WebDriver
//! ([`Browser`], with shadow-root helpers for the widget) and the attendant's side over its
//! WebSocket ([`Attendant`]).
//!
//! Everything here is a test fixture: failures panic with the step that failed, and every
//! wait is on a condition, bounded by [`WAIT`] — never a fixed sleep.
//!
//! ```no_run
//! # async fn demo() {
//! use chimpassist_e2e::{Attendant, Browser, ChimpServer, HostPage, snippet};
//!
//! let server = ChimpServer::start().await;
//! let host = HostPage::serve(snippet(&server.origin(), serde_json::json!({}))).await;
//! let mut attendant = Attendant::admin(&server).await;
//! attendant.online().await;
//! let browser = Browser::new().await;
//! browser.goto(&host.url("/")).await;
//! browser.shadow_click("#chimpassist", "[data-testid=launcher]").await;
//! browser.close().await;
//! # }
//! ```

mod attendant;
mod browser;
pub mod calls;
pub mod cluster;
mod driver;
mod guest;
mod host;
mod page;
mod server;

use std::path::PathBuf;
use std::time::Duration;

pub use attendant::{
    ADMIN_PASSWORD, ATTENDANT_PASSWORD, Attendant, admin_cookie, create_attendant, login_cookie,
};
pub use browser::Browser;
pub use chimpassist_protocol::TypingState;
pub use fantoccini::elements::{Element, ShadowRoot};
pub use fantoccini::key::Key;
pub use fantoccini::{Client, Locator};
pub use guest::{GuestSocket, guest_chat, page_now_ms};
pub use host::{HostPage, snippet};
pub use server::{ChimpServer, assets_dir, widget_built};

/// Longest any helper waits for a condition (an element, a frame, a script predicate).
pub const WAIT: Duration = Duration::from_secs(15);

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.clone(), std::path::Path::to_path_buf)
}
