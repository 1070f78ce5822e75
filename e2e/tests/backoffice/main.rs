//! The attendant back-office in headless Chromium against the real server, with a customer
//! in a second browser using the widget on a host page of another origin.
//!
//! - `chat`: a whole chat, manual queues, two tabs and a restart, a conversation leaving sight;
//! - `panel`: the customer panel and its statistics;
//! - `session`: signing in (locally, through the hook, throttled) and sessions that end or
//!   change while open;
//! - `admin`: the admin pages;
//! - `calls`: calls in the transcripts;
//! - `files`: files both ways (paste, picker, drop), thumbnails, downloads, a cut upload retried;
//! - `reports`: the reports page over constructed data, its drill-down, CSV and "My numbers";
//! - `webhooks`: an endpoint added, its secret shown once, its deliveries followed live;
//! - `tokens`: an API token made, shown once, used, revoked;
//! - `greetings`: a greeting rule written, edited, turned off and deleted;
//! - `data_rights`: a customer exported and erased from the panel;
//! - `bots`: a site's bot answering first (webhooks in, REST out), then handing over.
//!
//! Screenshots of the main screens go to docs/screenshots/backoffice-*.png (the reports page
//! to docs/screenshots/reports.png).

mod admin;
mod bots;
mod calls;
mod chat;
mod data_rights;
mod files;
mod greetings;
mod panel;
mod reports;
mod session;
mod support;
mod tokens;
mod webhooks;
