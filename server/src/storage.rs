//! Which store the server runs on: the embedded SQLite file, or MongoDB when
//! `MONGO_CONNECTION_URL` is set (waited for with [`crate::backoff::Backoff`]).

use std::sync::Arc;

use anyhow::Context;
use chimpassist_store::{SqliteStore, Store, StoreError};
use chimpassist_store_mongo::MongoStore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;

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

/// Whether a failed start is worth another attempt: the store could not be reached (as
/// opposed to, say, a configuration the store's contents make invalid).
pub fn is_retryable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_retryable)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_stores_are_retried() {
        let unreachable =
            anyhow::Error::new(StoreError::Unavailable("down".into())).context("bootstrapping");
        assert!(is_retryable(&unreachable));
        let bad = anyhow::Error::new(StoreError::internal("bug"));
        assert!(!is_retryable(&bad));
        assert!(!is_retryable(&anyhow::anyhow!(
            "production needs ADMIN_EMAIL"
        )));
    }
}
