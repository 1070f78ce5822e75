//! Integration tests: the real server on port 0, driven over HTTP and WebSockets.

mod assets;
mod assignment;
mod audit;
mod authorization;
mod backoffice;
mod bots;
mod calls;
mod chat;
mod errors;
mod files;
mod fuzz;
mod health;
mod helpers;
mod keepalive;
mod limits;
mod live_stats;
mod reports;
mod retention;
mod revocation;
mod rush;
mod tokens;
mod upstream;
mod visibility;
mod visits;
mod webhooks;
mod workspace;
