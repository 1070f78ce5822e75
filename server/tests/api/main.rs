//! Integration tests: the real server on port 0, driven over HTTP and WebSockets.

mod assets;
mod assignment;
mod authorization;
mod backoffice;
mod chat;
mod errors;
mod health;
mod helpers;
mod upstream;
mod workspace;
