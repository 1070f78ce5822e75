//! The writer thread and its group commit.
//!
//! Every write is a job: a closure run against the write connection, plus a oneshot to
//! answer on. The thread blocks for one job, then takes every other job already queued (up to
//! [`MAX_BATCH`]), runs them all in one transaction with a savepoint around each (a failing
//! job rolls back only its own changes), commits once, and only then answers all of them. One
//! fsync thus acknowledges a whole burst, and no caller hears `Ok` before its data is durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{PoisonError, RwLock};
use std::thread;

use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use crate::{StoreError, StoreResult};

/// Most jobs in one transaction. Large enough that a burst from hundreds of connections
/// shares one fsync; small enough that one commit never holds answers back for long.
const MAX_BATCH: usize = 512;

/// The error a write gets once the writer no longer takes jobs.
pub(crate) fn stopped() -> StoreError {
    StoreError::Unavailable("the store is closed".to_owned())
}

/// Handle to the writer thread.
pub(crate) struct Writer {
    /// `None` after [`Writer::close`]: new jobs are refused, queued ones still run.
    jobs: RwLock<Option<mpsc::Sender<Box<dyn Job>>>>,
    /// Turns `true` when the thread has run its last job and dropped the connection.
    exited: watch::Receiver<bool>,
}

impl Writer {
    /// Starts the thread that owns `conn`.
    pub(crate) fn start(conn: Connection) -> StoreResult<Writer> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let (exit_tx, exited) = watch::channel(false);
        thread::Builder::new()
            .name("chimpassist-store-writer".to_owned())
            .spawn(move || {
                // Sends `true` however the thread ends, so `close` never hangs.
                let _exit = ExitSignal(exit_tx);
                run(conn, queue);
            })
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        Ok(Writer {
            jobs: RwLock::new(Some(jobs)),
            exited,
        })
    }

    /// Queues `work`; the receiver yields its result once it is committed (or failed).
    pub(crate) fn submit<R, F>(&self, work: F) -> StoreResult<oneshot::Receiver<StoreResult<R>>>
    where
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
        R: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply,
        });
        let jobs = self.jobs.read().unwrap_or_else(PoisonError::into_inner);
        match jobs.as_ref() {
            Some(jobs) => jobs.send(job).map_err(|_| stopped())?,
            None => return Err(stopped()),
        }
        Ok(answer)
    }

    /// True once [`Writer::close`] was called or the thread is gone.
    pub(crate) fn is_closed(&self) -> bool {
        *self.exited.borrow()
            || self
                .jobs
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .is_none()
    }

    /// Refuses new jobs, then waits until the thread has finished the queued ones.
    pub(crate) async fn close(&self) {
        // Dropping the only sender lets the thread's `recv` fail once the queue is empty.
        drop(
            self.jobs
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let mut exited = self.exited.clone();
        // An error means the thread is gone (and dropped its sender): exited as well.
        let _ = exited.wait_for(|done| *done).await;
    }
}

struct ExitSignal(watch::Sender<bool>);

impl Drop for ExitSignal {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

/// A queued write, type-erased so jobs of any result type share one channel.
trait Job: Send {
    /// Runs the work inside the current savepoint. Returns whether it succeeded, i.e.
    /// whether its changes should be kept.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller. `lost` is set when the work succeeded but the transaction holding
    /// it did not commit, so the caller must hear that error instead.
    fn answer(self: Box<Self>, lost: Option<&StoreError>);
}

struct TypedJob<F, R> {
    work: Option<F>,
    result: Option<StoreResult<R>>,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<F, R> Job for TypedJob<F, R>
where
    F: FnOnce(&Connection) -> StoreResult<R> + Send,
    R: Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // A bug in one job must not take the writer (and every later write) down with it.
        let result = catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::internal("a write job panicked")));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, lost: Option<&StoreError>) {
        let result = match (self.result, lost) {
            (Some(Ok(_)), Some(err)) => Err(StoreError::Unavailable(format!(
                "the write was not committed: {err}"
            ))),
            (Some(result), _) => result,
            (None, Some(err)) => Err(StoreError::Unavailable(format!(
                "the write could not start: {err}"
            ))),
            (None, None) => Err(StoreError::internal("a write job never ran")),
        };
        // The caller may have stopped waiting; the write stands either way.
        let _ = self.reply.send(result);
    }
}

/// The thread body: batches until every sender is gone and the queue is empty.
fn run(conn: Connection, queue: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    let mut done: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut batch, &mut done);
    }
    if let Err(e) = conn.close() {
        tracing::warn!(error = %e.1, "closing the store's write connection failed");
    }
}

/// Runs `batch` in one transaction and answers every job.
fn run_batch(conn: &Connection, batch: &mut Vec<Box<dyn Job>>, done: &mut Vec<Box<dyn Job>>) {
    for mut job in batch.drain(..) {
        // Normally begun once per batch; again only after a failure ended the transaction.
        if conn.is_autocommit()
            && let Err(e) = exec(conn, "BEGIN IMMEDIATE")
        {
            job.answer(Some(&e));
            continue;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            abandon(conn, done, &e);
            job.answer(Some(&e));
            continue;
        }
        let settled = if job.run(conn) {
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        };
        // Some errors (I/O, disk full) make SQLite roll back the whole transaction, which
        // takes the earlier jobs of this batch with it: they must not be acknowledged.
        if let Err(e) = settled.and_then(|()| in_transaction(conn)) {
            abandon(conn, done, &e);
            job.answer(Some(&e));
            continue;
        }
        done.push(job);
    }
    if conn.is_autocommit() {
        return; // the last job ended the transaction and failed; everything is answered
    }
    let commit = exec(conn, "COMMIT");
    if commit.is_err() && !conn.is_autocommit() {
        let _ = exec(conn, "ROLLBACK");
    }
    let lost = commit.err();
    for job in done.drain(..) {
        job.answer(lost.as_ref());
    }
}

/// Fails every job of the current transaction and ends it.
fn abandon(conn: &Connection, done: &mut Vec<Box<dyn Job>>, err: &StoreError) {
    if !conn.is_autocommit() {
        let _ = exec(conn, "ROLLBACK");
    }
    for job in done.drain(..) {
        job.answer(Some(err));
    }
}

fn in_transaction(conn: &Connection) -> StoreResult<()> {
    if conn.is_autocommit() {
        Err(StoreError::Unavailable(
            "the transaction was rolled back by the database".to_owned(),
        ))
    } else {
        Ok(())
    }
}

fn exec(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}
