//! The attendant back-office. Its own issue builds the Leptos app; for now this crate only
//! proves the shared protocol compiles for `wasm32-unknown-unknown` inside a front end.

pub use chimpassist_protocol::PROTOCOL_VERSION;
