//! The Chimp Assist server.
//!
//! Layers, outermost first; each calls only those below it:
//! - `api` and `ws`: the HTTP and WebSocket edges (parse, authorise, map errors). Neither
//!   calls the other; `startup` merges their routers. (The session extractor's impl lives in
//!   `api::extract`, for the type `auth::SignedIn` both take.)
//! - `coordinator` (queues, assignment, presence, lifecycle) and [`delivery`] (the message
//!   path: store, then publish; the [`delivery::Hub`] of this node's connections; frames
//!   typed until a connection's writer encodes them).
//! - `chimpassist_store::Store` (durability) and [`bus::Bus`] (delivery between nodes).
//!
//! Each layer has its own error type (`StoreError`, [`bus::BusError`],
//! [`coordinator::CoordError`]); the edges turn them into [`error::AppError`], once, in
//! `error.rs`, which decides every HTTP status and WebSocket error frame.

pub mod access;
pub mod api;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod backoff;
pub mod bus;
pub mod cache;
pub mod calls;
pub mod config;
pub mod coordinator;
pub mod delivery;
pub mod domain;
pub mod edge;
pub mod error;
pub mod export;
pub mod greetings;
pub mod hours;
pub mod mail;
pub mod metrics;
pub mod reports;
pub mod retention;
pub mod revoke;
#[cfg(any(test, feature = "test-services"))]
pub mod services;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod views;
pub mod visits;
pub mod webhooks;
pub mod ws;
