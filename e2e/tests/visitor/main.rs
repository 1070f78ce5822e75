//! The visitor's side in headless Chromium against the real server, one test binary (one
//! link, and its tests share the machine's cores instead of running binary after binary):
//!
//! - `smoke`: the harness itself — host page, shadow-root helpers, a restarted server;
//! - `chat`: the widget on a host page of another origin, chatting with an attendant;
//! - `states`: the quieter states — replies while closed, the queue, identity rotation,
//!   older history, `autoConnect`;
//! - `greetings`: proactive greetings, before and after the chat loads;
//! - `mail`: a reply mailed to a visitor who left, and its link reopening the chat;
//! - `npm`: the npm package in a Vite app;
//! - `calls`: calls between two real browsers, directly and through coturn.
//!
//! Screenshots of the main states go to docs/screenshots/widget-*.png.

mod calls;
mod chat;
mod greetings;
mod mail;
mod npm;
mod smoke;
mod states;
