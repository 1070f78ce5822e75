//! Logging setup. Secrets never reach the log: settings holding them are `SecretString`,
//! whose `Debug` prints a redaction.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry.with(fmt::layer().json()).try_init()
    } else {
        registry.with(fmt::layer()).try_init()
    };
    // Already installed: keep the first one.
    drop(result);
}
