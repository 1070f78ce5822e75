//! The Webhooks admin tab's logic, without the browser: which events an endpoint takes and
//! how they read ([`events`]), what the create and edit forms send or why they refuse
//! ([`form`]), the status badge and the rotation's overlap ([`status`]), and the delivery
//! log's queries, pages and cells ([`log`]).
//!
//! The server checks everything again (a destination it refuses, say); these checks only
//! spare the admin a round trip and say what is wrong in their language.

pub mod events;
pub mod form;
pub mod log;
pub mod status;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_log;
