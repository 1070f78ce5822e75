//! The read connections.
//!
//! In WAL mode readers never wait for the writer, so reads run here on their own connections,
//! each call on a blocking thread. Every statement starts a fresh read snapshot, which
//! therefore includes every commit acknowledged before the read began.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use super::BUSY_TIMEOUT;
use crate::{StoreError, StoreResult};

pub(crate) struct Readers {
    pool: Arc<Pool>,
    /// Bounds the reads running at once, and so the connections open.
    permits: Arc<Semaphore>,
}

struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Connections are opened on first use and then kept.
    pub(crate) fn new(path: PathBuf, size: usize) -> Readers {
        Readers {
            pool: Arc::new(Pool {
                path,
                idle: Mutex::new(Vec::with_capacity(size)),
            }),
            permits: Arc::new(Semaphore::new(size)),
        }
    }

    /// Runs `work` on an idle connection.
    pub(crate) async fn run<R, F>(&self, work: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the read pool is closed".to_owned()))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let result = work(&conn);
            pool.put(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::internal(format!("a read task failed: {e}")))?
    }
}

impl Pool {
    fn take(&self) -> StoreResult<Connection> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn put(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

/// A connection that refuses writes, so a bug can never write around the writer thread.
fn open_reader(path: &std::path::Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
