//! The embedded backend: one SQLite file in WAL mode.
//!
//! Writes never touch SQLite from async code. Each write is a job sent to one writer thread
//! that owns the only write connection; it runs every job queued at that moment in a single
//! transaction (a savepoint per job) and fsyncs once for all of them (group commit). So an
//! acknowledged write is on disk, yet a burst of message appends costs one fsync, not one each.
//! Reads run on a small pool of read connections beside the writer, which WAL allows.

mod accounts;
mod audit;
mod callbacks;
mod codec;
mod conversations;
mod erasure;
mod file_bytes;
mod files;
mod leases;
mod mail;
mod messages;
mod readers;
mod reports;
mod retention;
mod schema;
mod search;
mod store_impl;
mod tokens;
mod visits;
mod webhook_impl;
mod webhooks;
mod workspace;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::{StoreError, StoreResult};
use readers::Readers;
use writer::Writer;

/// File name used by [`SqliteStore::open_in`].
pub const DATABASE_FILE: &str = "chimpassist.sqlite3";

/// How long a connection waits for a lock before reporting `Unavailable`. Only a checkpoint
/// or another process can hold one against us, so this is a generous safety net.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL pages after which a commit also checkpoints (copies the WAL into the database).
///
/// Measured with the load generator (chat, 5,000 messages/s) and the append benchmark:
/// - SQLite's default 1000: nearly every other group commit checkpointed, copying the same
///   hot index pages again and again (34k appends/s at most; chat p99 19 ms).
/// - 10000: fewer but longer pauses; each one stalls every ack queued behind it (chat p99
///   25 ms), though top throughput was best (~40k appends/s).
/// - 3000: chat p99 14.5 ms, burst throughput within 5% of 10000.
/// - 100000, or `PASSIVE` checkpoints from a separate thread: worse (p99 > 130 ms). With
///   writes never pausing, a passive checkpoint never finishes, the WAL never restarts, and
///   every page lookup walks an ever longer wal-index.
const WAL_CHECKPOINT_PAGES: i64 = 3_000;

/// The WAL is truncated back to this size after a checkpoint, so one burst does not leave a
/// large file behind.
const WAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Read connections kept open (and the most reads running at once).
const READERS: usize = 4;

/// The SQLite [`crate::Store`].
///
/// Dropping it stops accepting writes; the writer thread still finishes every queued job
/// before it exits. Call [`SqliteStore::close`] to also wait for that.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
    blobs: files::Blobs,
    /// Which webhook events the writes record.
    recording: crate::Recording,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating the file and its parent directory if needed) the database at `path`,
    /// brings its schema up to date, and starts the writer thread.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let mut conn = open_writer(path)?;
        schema::migrate(&mut conn)?;
        let writer = Writer::start(conn)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer,
            readers: Readers::new(path.to_owned(), READERS),
            blobs: files::Blobs::beside(path),
            recording: crate::Recording::default(),
        })
    }

    /// Opens `dir/`[`DATABASE_FILE`], the layout the server uses for its data directory.
    pub fn open_in(dir: &Path) -> StoreResult<SqliteStore> {
        Self::open(&dir.join(DATABASE_FILE))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Graceful shutdown: refuses new writes (they fail with `Unavailable`), waits until the
    /// writer has committed every job queued before, and closes the write connection.
    /// Reads keep working. Calling it again is harmless.
    pub async fn close(&self) {
        self.writer.close().await;
    }

    /// Runs `work` in the writer's transaction and waits until it is committed.
    async fn write<R, F>(&self, work: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let reply = self.writer.submit(work)?;
        reply.await.map_err(|_| writer::stopped())?
    }

    /// Runs blocking file work off the async threads.
    async fn on_disk<R, F>(&self, work: F) -> StoreResult<R>
    where
        F: FnOnce(&files::Blobs) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || work(&blobs))
            .await
            .map_err(StoreError::internal)?
    }

    /// Runs `work` on a read connection, off the async threads.
    async fn read<R, F>(&self, work: F) -> StoreResult<R>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        self.readers.run(work).await
    }
}

/// The write connection. `synchronous=FULL` makes every commit fsync the WAL, which is what
/// lets an acknowledgement mean "survives power loss".
fn open_writer(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "{} cannot use WAL journaling (got {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT_BYTES)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests;
