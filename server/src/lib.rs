//! The Chimp Assist server.
//!
//! Layers, outermost first: `api` and `ws` (HTTP and WebSocket edges: parse, authorise, map
//! errors) → `coordinator` (queues, assignment, presence, lifecycle) and the message path
//! (`ws::messaging`) → `chimpassist_store::Store` (durability) and [`bus::Bus`] (delivery
//! between nodes) → [`hub::Hub`] (this node's connections).
//!
//! Each layer has its own error type (`StoreError`, [`bus::BusError`],
//! [`coordinator::CoordError`]); the edges turn them into [`error::AppError`], once, in
//! `error.rs`, which decides every HTTP status and WebSocket error frame.

pub mod access;
pub mod api;
pub mod assets;
pub mod auth;
pub mod backoff;
pub mod bus;
pub mod config;
pub mod coordinator;
pub mod domain;
pub mod edge;
pub mod error;
pub mod hub;
pub mod metrics;
pub mod revoke;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod views;
pub mod ws;
