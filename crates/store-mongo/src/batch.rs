//! This process's appends, grouped: one transaction per batch instead of one per message.
//!
//! Why: every append used to be its own multi-document transaction (`$inc` the counter,
//! insert, commit: three round trips and a commit each), so a node acked about as many
//! messages per second as its database commits transactions. Appends that arrive while a
//! batch is being written wait for it and then go together: one `update` command raising
//! each conversation's counter by its number of messages, one `find` of those counters, one
//! `insertMany` of the messages and one of their webhook events, one commit — five round
//! trips however many conversations the batch spans (`messages::count_up`). Under load a
//! batch grows with the load; alone a message goes at once.
//!
//! How: flat combining (`combine.rs`): one batch at a time per process, in queue order.
//!
//! # Guarantees
//! - **The same as one append each** (see `messages::append`): seqs dense and in queue order
//!   per conversation, a resend returns the original (and records no event: see
//!   `webhooks.rs`), every answer only after the commit. A batch that a resend (duplicate
//!   client id) or a missing conversation would abort is written again message by message,
//!   so one bad job never fails the others; each message's event goes with it.
//! - **Conflicts with other nodes** (both write the same conversation's counter) abort the
//!   batch's transaction. A batch of one conversation is retried with jittered backoff
//!   (`transaction::run`); a batch of several is split in halves until the parts commit
//!   (see `write`). Nothing is acked twice, because nothing is acked before a commit.

use chimpassist_store::{Appended, NewMessage, Pending, StoreError, StoreResult, StoredMessage};
use tokio::sync::oneshot;

use crate::MongoStore;
use crate::combine::Combiner;
use crate::messages;

/// Most messages written in one transaction.
const MAX_BATCH: usize = 256;

pub(crate) struct Job {
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Appended>>,
}

/// This process's appends, combined into batches.
pub(crate) type Batcher = Combiner<Job>;

/// The appends' combiner.
pub(crate) fn batcher() -> Batcher {
    Combiner::new(MAX_BATCH, |store, batch| {
        Box::pin(async move { write(&store, batch).await })
    })
}

/// Queues `message` and returns its commit: it goes in a batch with whatever else this
/// process appends meanwhile. Queued before this returns, so one caller's messages keep
/// their order (the queue is FIFO and batches are written one at a time, in queue order).
pub(crate) fn submit(store: &MongoStore, message: NewMessage) -> Pending<Appended> {
    let (answer, answered) = oneshot::channel();
    store.appends.push(Job { message, answer });
    let store = store.clone();
    Box::pin(async move { store.appends.wait(&store, answered).await })
}

/// Writes one batch and answers every job in it.
///
/// A batch of several conversations is tried once; if it conflicts with another node's
/// writes (both write the counters of the same conversations: customers on one node,
/// attendants on the other), it is split in two halves, each tried the same way, down to
/// one conversation, which is retried with backoff. Retrying the whole batch would meet the
/// other node's batches again and again; halves meet them less, and a conflict-free part is
/// not held back by a busy one.
async fn write(store: &MongoStore, batch: Vec<Job>) {
    let mut todo = vec![by_conversation(batch)];
    while let Some(mut groups) = todo.pop() {
        if groups.len() == 1 {
            write_group(store, groups.pop().expect("one group")).await;
            continue;
        }
        let batch: Vec<Job> = groups.into_iter().flatten().collect();
        let drafts: Vec<&NewMessage> = batch.iter().map(|j| &j.message).collect();
        match messages::append_batch(store, &drafts, false).await {
            Ok(None) => {
                let mut first = by_conversation(batch);
                let second = first.split_off(first.len() / 2);
                todo.push(second);
                todo.push(first);
            }
            written => answer(store, batch, written).await,
        }
    }
}

/// Writes one conversation's jobs, conflicts retried.
async fn write_group(store: &MongoStore, group: Vec<Job>) {
    if group.len() == 1 {
        let job = group.into_iter().next().expect("one job");
        let _ = job.answer.send(messages::append(store, job.message).await);
        return;
    }
    let drafts: Vec<&NewMessage> = group.iter().map(|j| &j.message).collect();
    let written = messages::append_batch(store, &drafts, true).await;
    answer(store, group, written).await;
}

/// Answers every job of a batch with what writing it gave.
async fn answer(
    store: &MongoStore,
    batch: Vec<Job>,
    written: StoreResult<Option<Vec<StoredMessage>>>,
) {
    match written {
        Ok(Some(stored)) => {
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
        Ok(None) | Err(_) => {
            let (text, retryable) = match &written {
                Err(e) => (e.to_string(), e.is_retryable()),
                _ => ("the batch was not written".to_owned(), true),
            };
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

/// The jobs grouped by conversation, each group in queue order, groups in order of first
/// appearance.
fn by_conversation(batch: Vec<Job>) -> Vec<Vec<Job>> {
    let mut groups: Vec<Vec<Job>> = Vec::new();
    for job in batch {
        match groups
            .iter_mut()
            .find(|g| g[0].message.conversation == job.message.conversation)
        {
            Some(group) => group.push(job),
            None => groups.push(vec![job]),
        }
    }
    groups
}
