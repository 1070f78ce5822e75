//! Multi-document transactions, retried while the server reports a write conflict.
//!
//! Two transactions that write the same document cannot both commit: the second gets a
//! `WriteConflict` labelled `TransientTransactionError` and must start over, which is how
//! appends to one conversation (all `$inc` its counter) and capacity-checked assignments to
//! one attendant (all bump the attendant's document) are serialized. This runner does what
//! the driver's `and_run` does — retry the body on that label, retry the commit on
//! `UnknownTransactionCommitResult` — with differences that matter to a chat server: only
//! conflicts are retried, not an unreachable server; the whole thing gives up after
//! [`DEADLINE`] (a client then sees its message unacknowledged and resends, instead of
//! waiting two minutes); and a body can end with a *decision* (`NotFound`, `Conflict`,
//! `AtCapacity`) that aborts without being mistaken for a failure.

use std::time::{Duration, Instant};

use chimpassist_store::{StoreError, StoreResult};
use futures_util::future::BoxFuture;
use mongodb::error::{
    Error, ErrorKind, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT,
};
use mongodb::options::ReadConcern;
use mongodb::{Client, ClientSession};

use crate::error::{OrStore, store_error};

/// Longest a transaction, all its retries included, may take before the caller is told
/// `Unavailable`. Long enough for dozens of conflict retries, short enough that a client
/// waiting for an ack is not left hanging.
const DEADLINE: Duration = Duration::from_secs(10);
/// First pause after a conflict; grows by half each attempt, with full jitter, up to
/// [`BACKOFF_MAX`]. Jitter spreads racing writers apart so one of them wins quickly.
const BACKOFF_INITIAL: Duration = Duration::from_millis(2);
const BACKOFF_MAX: Duration = Duration::from_millis(250);
/// Commit attempts while the server's answer is lost.
const COMMIT_ATTEMPTS: u32 = 3;

/// What a transaction body returns: `Err` for driver errors (the runner decides whether to
/// retry), `Ok(Err(decision))` to abort with a store-level answer, `Ok(Ok(value))` to commit.
pub(crate) type Body<'s, R> = BoxFuture<'s, Result<StoreResult<R>, Error>>;

/// Runs `body` in a transaction until it commits, decides to abort, fails for good, or
/// [`DEADLINE`] passes. `body` may run several times, so it must not consume its captures.
pub(crate) async fn run<R, F>(client: &Client, mut body: F) -> StoreResult<R>
where
    F: for<'s> FnMut(&'s mut ClientSession) -> Body<'s, R>,
{
    let started = Instant::now();
    let mut session = client.start_session().await.or_store()?;
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let failure = match once(&mut session, &mut body, started).await {
            Ok(value) => return Ok(value),
            Err(Failed::Finally(e)) => return Err(e),
            Err(Failed::Conflict(e)) => e,
        };
        let pause = backoff(attempt);
        if started.elapsed() + pause >= DEADLINE {
            return Err(StoreError::Unavailable(format!(
                "transaction still conflicting after {attempt} attempts: {failure}"
            )));
        }
        tokio::time::sleep(pause).await;
    }
}

/// Names a transaction body built before it is handed to [`run`] or [`run_once`] (a
/// closure's higher-ranked signature is only inferred where it is passed straight in).
pub(crate) fn body<R, F>(body: F) -> F
where
    F: for<'s> FnMut(&'s mut ClientSession) -> Body<'s, R>,
{
    body
}

/// Runs `body` in one transaction and does not retry a write conflict: `Ok(None)` then
/// (nothing was written). For a caller with a better plan than the same thing again: a
/// batch of many conversations that conflicts with another node splits into smaller ones.
pub(crate) async fn run_once<R, F>(client: &Client, mut body: F) -> StoreResult<Option<R>>
where
    F: for<'s> FnMut(&'s mut ClientSession) -> Body<'s, R>,
{
    let mut session = client.start_session().await.or_store()?;
    match once(&mut session, &mut body, Instant::now()).await {
        Ok(value) => Ok(Some(value)),
        Err(Failed::Conflict(_)) => Ok(None),
        Err(Failed::Finally(e)) => Err(e),
    }
}

/// Why one attempt did not commit.
enum Failed {
    /// A write conflict: worth another attempt.
    Conflict(Error),
    /// A decision of the body or a failure that another attempt would not change.
    Finally(StoreError),
}

/// One attempt: start, run `body`, commit.
async fn once<R, F>(
    session: &mut ClientSession,
    body: &mut F,
    started: Instant,
) -> Result<R, Failed>
where
    F: for<'s> FnMut(&'s mut ClientSession) -> Body<'s, R>,
{
    session
        .start_transaction()
        // Every read in the body sees one snapshot: a count checked against a limit
        // cannot mix states from before and after another transaction's commit.
        .read_concern(ReadConcern::snapshot())
        .await
        .or_store()
        .map_err(Failed::Finally)?;
    let failure = match body(session).await {
        Ok(Ok(value)) => match commit(session, started).await {
            Ok(()) => return Ok(value),
            Err(e) => e,
        },
        Ok(Err(decision)) => {
            abort(session).await;
            return Err(Failed::Finally(decision));
        }
        Err(e) => {
            abort(session).await;
            e
        }
    };
    if is_conflict(&failure) {
        Err(Failed::Conflict(failure))
    } else {
        Err(Failed::Finally(store_error(failure)))
    }
}

/// A transient error the *server* reported (a write conflict): worth retrying at once. The
/// driver labels network and server-selection failures transient too, but retrying those
/// only keeps a client waiting through an outage for an ack that cannot come; they fail
/// now as `Unavailable`, and the client's resend does the retrying.
fn is_conflict(e: &Error) -> bool {
    e.contains_label(TRANSIENT_TRANSACTION_ERROR) && matches!(*e.kind, ErrorKind::Command(_))
}

/// Commits, retrying a few times while the outcome is unknown (the driver makes a repeated
/// commit safe). If it stays unknown the caller gets `Unavailable`; for an append that is
/// harmless, as the client's resend finds the message if it was committed after all.
async fn commit(session: &mut ClientSession, started: Instant) -> Result<(), Error> {
    let mut tries = 0;
    loop {
        tries += 1;
        match session.commit_transaction().await {
            Err(e)
                if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
                    && tries < COMMIT_ATTEMPTS
                    && started.elapsed() < DEADLINE => {}
            other => return other,
        }
    }
}

/// Aborts if the transaction is still open. Errors are ignored: the server may already have
/// aborted it (a failed write does that), and an abandoned transaction times out anyway.
async fn abort(session: &mut ClientSession) {
    if let Err(e) = session.abort_transaction().await {
        tracing::trace!(error = %e, "abort after a failed transaction body");
    }
}

/// Exponential backoff with full jitter.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_INITIAL
        .mul_f64(1.5f64.powi(attempt.min(30) as i32))
        .min(BACKOFF_MAX);
    ceiling.mul_f64(jitter())
}

/// A uniform fraction in [0, 1): the random bits of a v4 UUID are plenty for spreading
/// retries, and spare a dependency on a random-number crate.
fn jitter() -> f64 {
    let bits = (uuid::Uuid::new_v4().as_u128() >> 64) as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..50 {
            let pause = backoff(attempt);
            assert!(pause <= BACKOFF_MAX, "attempt {attempt}: {pause:?}");
        }
        assert!(backoff(1) <= BACKOFF_INITIAL.mul_f64(1.5));
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
