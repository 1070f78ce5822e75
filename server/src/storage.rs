//! Which store the server runs on: the embedded SQLite file, or MongoDB when
//! `MONGO_CONNECTION_URL` is set (waited for with [`crate::backoff::Backoff`]), and why a start
//! on it failed ([`StartError`]: retried only when the store could not be reached).

use std::sync::Arc;

use anyhow::Context;
use chimpassist_store::{SqliteStore, Store, StoreError};
use chimpassist_store_mongo::MongoStore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::coordinator::CoordError;

/// The open store, kept for a graceful shutdown.
#[derive(Debug, Clone)]
pub enum Backend {
    Embedded(Arc<SqliteStore>),
    Mongo(MongoStore),
}

impl Backend {
    /// Opens the embedded store in `config.data_dir`.
    pub fn embedded(config: &Config) -> anyhow::Result<Self> {
        let store = SqliteStore::open_in(&config.data_dir)
            .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
        Ok(Self::Embedded(Arc::new(store)))
    }

    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Embedded(store) => Arc::clone(store) as Arc<dyn Store>,
            Self::Mongo(store) => Arc::new(store.clone()),
        }
    }

    /// Waits until every write the embedded store queued is committed. MongoDB writes are
    /// acknowledged by the server when they return, so there is nothing to wait for.
    pub async fn close(&self) {
        if let Self::Embedded(store) = self {
            store.close().await;
        }
    }
}

/// Where MongoDB is, checked when the server is built: an invalid connection string fails
/// the start at once, an unreachable server does not.
#[derive(Debug, Clone)]
pub struct MongoTarget {
    url: SecretString,
    database: String,
    /// For logs: the hosts only, never the credentials or options.
    hosts: String,
}

impl MongoTarget {
    /// `None` when `MONGO_CONNECTION_URL` is not set (the embedded store is used).
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.mongo_connection_url else {
            return Ok(None);
        };
        // The driver's reason is not shown: it may quote the string, credentials included.
        let hosts = chimpassist_store_mongo::hosts_of(url.expose_secret()).map_err(|_| {
            anyhow::anyhow!(
                "MONGO_CONNECTION_URL is not a valid MongoDB connection string \
                 (details withheld: it may contain a password)"
            )
        })?;
        Ok(Some(Self {
            url: url.clone(),
            database: config.mongo_database.clone(),
            hosts,
        }))
    }

    pub fn hosts(&self) -> &str {
        &self.hosts
    }

    pub fn database(&self) -> &str {
        &self.database
    }

    /// A client for the database (no I/O but a `mongodb+srv` DNS lookup).
    pub async fn connect(&self) -> Result<MongoStore, StoreError> {
        MongoStore::connect(self.url.expose_secret(), &self.database).await
    }
}

/// Why starting on the store failed, kept typed so that whether another attempt may succeed
/// is asked of the error ([`StartError::is_retryable`]), not guessed from its text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("starting the coordinator: {0}")]
    Coordinator(CoordError),
    /// Anything else (a setting the store's contents make invalid, a client that cannot be
    /// built): retrying would fail the same way.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<CoordError> for StartError {
    fn from(e: CoordError) -> Self {
        Self::Coordinator(e)
    }
}

impl StartError {
    /// The store could not be reached: worth another attempt (see [`crate::backoff::Backoff`]).
    pub(crate) fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Coordinator(e) => e.is_retryable(),
            Self::Other(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unreachable_store_is_worth_another_start() {
        assert!(StartError::from(StoreError::Unavailable("down".into())).is_retryable());
        let coordinator = CoordError::Store(StoreError::Unavailable("down".into()));
        assert!(StartError::from(coordinator).is_retryable());
        assert!(!StartError::from(StoreError::internal("bug")).is_retryable());
        assert!(!StartError::from(CoordError::Store(StoreError::internal("bug"))).is_retryable());
        let setting = anyhow::anyhow!("production needs ADMIN_EMAIL");
        assert!(!StartError::from(setting).is_retryable());
    }
}
