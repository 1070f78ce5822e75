//! Test harness: a real server on port 0 with a fresh data directory, typed REST helpers and
//! WebSocket clients that wait on frames (never on time).
//!
//! - [`app`]: the server under test (in-process or attached to another process), its
//!   settings, and REST calls with their credentials;
//! - [`ws`]: WebSocket clients, opened as a customer or an attendant, that keep frames they
//!   were not asked for yet;
//! - [`process`]: a `chimpassist serve` process and its JSON log, for the tests that run
//!   real processes (cluster, faults);
//! - [`receiver`]: a webhook receiver that checks signatures.

#![allow(unused_imports)] // each test crate that includes this module uses a different part

pub(crate) mod app;
pub(crate) mod process;
pub(crate) mod receiver;
pub(crate) mod ws;

use std::time::Duration;

pub(crate) use app::*;
pub(crate) use process::*;
pub(crate) use receiver::*;
pub(crate) use ws::*;

/// How long a test waits for an expected frame before failing.
pub(crate) const WAIT: Duration = Duration::from_secs(10);
/// The password [`TestApp::admin`] gives the default `admin` account (it must change
/// `admin`/`admin` before anything else).
pub(crate) const ADMIN_PASSWORD: &str = "admin-test-password";
