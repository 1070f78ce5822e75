//! This process's appends, grouped: one transaction per batch instead of one per message.
//!
//! Why: every append used to be its own multi-document transaction (`$inc` the counter,
//! insert, commit: three round trips and a commit each), so a node acked about as many
//! messages per second as its database commits transactions. Appends that arrive while a
//! batch is being written wait for it and then go together: one counter update per
//! conversation in the batch (`$inc` by the number of its messages), one `insertMany`, one
//! commit. Under load a batch grows with the load; alone a message goes at once.
//!
//! How: flat combining. An append queues its job and then either gets its answer or takes
//! the *turn* (a fair async lock) and writes everything queued as one batch. The batch runs in
//! a spawned task that holds the turn, so a caller that gives up waiting never leaves a batch
//! half written, and one batch at a time is written per process.
//!
//! # Guarantees
//! - **The same as one append each** (see `messages::append`): seqs dense and in queue order
//!   per conversation, a resend returns the original, every answer only after the commit. A
//!   batch that a resend (duplicate client id) or a missing conversation would abort is
//!   written again message by message, so one bad job never fails the others.
//! - **Conflicts with other nodes** (both write the same conversation's counter) abort the
//!   batch's transaction, which is retried with jittered backoff as before
//!   (`transaction::run`); nothing is acked twice, because nothing is acked before a commit.

use std::sync::{Arc, Mutex};

use chimpassist_store::{Appended, NewMessage, Pending, StoreError, StoreResult};
use tokio::sync::{Mutex as AsyncMutex, oneshot};

use crate::MongoStore;
use crate::messages;

/// Most messages written in one transaction.
const MAX_BATCH: usize = 256;

struct Job {
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Appended>>,
}

/// The queue of appends and the turn to write them.
#[derive(Default)]
pub(crate) struct Batcher {
    queue: Mutex<Vec<Job>>,
    turn: Arc<AsyncMutex<()>>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl Batcher {
    /// Queues `message` and returns its commit: it goes in a batch with whatever else this
    /// process appends meanwhile. Queued before this returns, so one caller's messages keep
    /// their order (the queue is FIFO and batches are written one at a time, in queue order).
    pub(crate) fn submit(store: &MongoStore, message: NewMessage) -> Pending<Appended> {
        let (answer, answered) = oneshot::channel();
        store.appends.lock().push(Job { message, answer });
        let store = store.clone();
        Box::pin(async move { store.appends.commit(&store, answered).await })
    }

    /// Waits for the answer to a queued job, writing batches while it is our turn.
    async fn commit(
        &self,
        store: &MongoStore,
        mut answered: oneshot::Receiver<StoreResult<Appended>>,
    ) -> StoreResult<Appended> {
        loop {
            tokio::select! {
                biased;
                result = &mut answered => {
                    return result.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable("the batch writing this message failed".into()))
                    });
                }
                turn = Arc::clone(&self.turn).lock_owned() => {
                    let batch = self.take_batch();
                    if batch.is_empty() {
                        // Ours was in a batch that has finished: its answer is waiting.
                        continue;
                    }
                    let store = store.clone();
                    let _ = tokio::spawn(async move {
                        write(&store, batch).await;
                        drop(turn);
                    })
                    .await;
                }
            }
        }
    }

    /// The oldest queued jobs, at most [`MAX_BATCH`].
    fn take_batch(&self) -> Vec<Job> {
        let mut queue = self.lock();
        let take = queue.len().min(MAX_BATCH);
        queue.drain(..take).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Writes one batch and answers every job in it.
async fn write(store: &MongoStore, batch: Vec<Job>) {
    if batch.len() == 1 {
        let job = batch.into_iter().next().expect("one job");
        let _ = job.answer.send(messages::append(store, job.message).await);
        return;
    }
    let drafts: Vec<&NewMessage> = batch.iter().map(|j| &j.message).collect();
    match messages::append_batch(store, &drafts).await {
        Ok(stored) => {
            for (job, message) in batch.into_iter().zip(stored) {
                let _ = job.answer.send(Ok(Appended {
                    message,
                    duplicate: false,
                }));
            }
        }
        // A resend or a missing conversation: each alone, so only that one is refused.
        Err(StoreError::DuplicateClientId | StoreError::NotFound) => {
            for job in batch {
                let _ = job.answer.send(messages::append(store, job.message).await);
            }
        }
        Err(e) => {
            let text = e.to_string();
            let retryable = e.is_retryable();
            for job in batch {
                let error = if retryable {
                    StoreError::Unavailable(text.clone())
                } else {
                    StoreError::internal(text.clone())
                };
                let _ = job.answer.send(Err(error));
            }
        }
    }
}
