//! Flat combining: writes that arrive while one is in flight go together in the next one.
//!
//! Why: each round trip to the database costs about as much as the write it carries, so a
//! node that sends one request per message or receipt is limited to the database's request
//! rate. Here a caller queues its job and then either gets its answer or takes the *turn* (a
//! fair async lock) and writes everything queued as one batch. Alone, a job goes at once;
//! under load a batch grows with the load.
//!
//! # Guarantees
//! - Jobs are taken in queue order and one batch is written at a time per process, so a
//!   caller's jobs are written in the order it queued them.
//! - The batch runs in a spawned task that holds the turn: a caller that gives up waiting
//!   never leaves a batch half written.
//! - Every job of a batch is answered by the batch's writer (see [`Write`]); a job whose
//!   answer is dropped is answered `Unavailable`.

use std::sync::{Arc, Mutex};

use chimpassist_store::{StoreError, StoreResult};
use futures_util::future::BoxFuture;
use tokio::sync::{Mutex as AsyncMutex, oneshot};

use crate::MongoStore;

/// Writes a batch and answers each of its jobs.
pub(crate) type Write<J> = fn(MongoStore, Vec<J>) -> BoxFuture<'static, ()>;

/// The queue of one kind of job and the turn to write them.
pub(crate) struct Combiner<J> {
    queue: Mutex<Vec<J>>,
    turn: Arc<AsyncMutex<()>>,
    /// Most jobs in one batch.
    most: usize,
    write: Write<J>,
}

impl<J> std::fmt::Debug for Combiner<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner")
            .field("most", &self.most)
            .finish_non_exhaustive()
    }
}

impl<J: Send + 'static> Combiner<J> {
    pub(crate) fn new(most: usize, write: Write<J>) -> Self {
        Self {
            queue: Mutex::new(Vec::new()),
            turn: Arc::new(AsyncMutex::new(())),
            most,
            write,
        }
    }

    /// Queues `job`; it is written by whoever holds the turn next.
    pub(crate) fn push(&self, job: J) {
        self.lock().push(job);
    }

    /// Waits for the answer to a queued job, writing batches while it is our turn.
    pub(crate) async fn wait<T>(
        &self,
        store: &MongoStore,
        mut answered: oneshot::Receiver<StoreResult<T>>,
    ) -> StoreResult<T> {
        loop {
            tokio::select! {
                biased;
                result = &mut answered => {
                    return result.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable("the batch writing this failed".into()))
                    });
                }
                turn = Arc::clone(&self.turn).lock_owned() => {
                    let batch = self.take();
                    if batch.is_empty() {
                        // Ours was in a batch that has finished: its answer is waiting.
                        continue;
                    }
                    let write = (self.write)(store.clone(), batch);
                    let _ = tokio::spawn(async move {
                        write.await;
                        drop(turn);
                    })
                    .await;
                }
            }
        }
    }

    /// The oldest queued jobs, at most `most`.
    fn take(&self) -> Vec<J> {
        let mut queue = self.lock();
        let take = queue.len().min(self.most);
        queue.drain(..take).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<J>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}
