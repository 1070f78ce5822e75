//! The one place driver errors become [`StoreError`]s.
//!
//! The rule follows what a caller can do about each: a unique index refusing a write is the
//! caller's conflict; anything that says "the server is not reachable, not primary, or busy"
//! is worth a retry later (`Unavailable`, which the server answers without acknowledging, so
//! clients keep the message pending and resend it); everything else — undecodable documents,
//! invalid commands — is a bug on our side (`Internal`).

use chimpassist_store::StoreError;
use mongodb::error::{Error, ErrorKind, WriteFailure};

/// Duplicate key: a unique index refused the write.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// Server codes that mean "not now": not primary, recovering, shutting down, interrupted,
/// host unreachable, network timeout, exceeded time limit, write conflict outside a
/// transaction's retry loop, lock timeout.
const TRANSIENT_CODES: &[i32] = &[
    6, 7, 50, 89, 91, 112, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 24, 46,
];

/// The server-side code of an error, if it carries one (command, write or write-concern
/// error, including the first write error of an `insertMany`).
pub(crate) fn code_of(err: &Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(e) => Some(e.code),
        ErrorKind::Write(WriteFailure::WriteError(e)) => Some(e.code),
        ErrorKind::Write(WriteFailure::WriteConcernError(e)) => Some(e.code),
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .and_then(|errors| errors.first().map(|w| w.code))
            .or_else(|| e.write_concern_error.as_ref().map(|w| w.code)),
        _ => None,
    }
}

/// Whether a unique index refused the write.
pub(crate) fn is_duplicate_key(err: &Error) -> bool {
    code_of(err) == Some(DUPLICATE_KEY)
}

/// Whether every document an unordered `insertMany` refused was refused for a duplicate key
/// (and nothing else went wrong): the others were inserted, so an idempotent insert is done.
pub(crate) fn only_duplicate_keys(err: &Error) -> bool {
    match err.kind.as_ref() {
        ErrorKind::InsertMany(e) => {
            e.write_concern_error.is_none()
                && e.write_errors.as_ref().is_some_and(|errors| {
                    !errors.is_empty() && errors.iter().all(|w| w.code == DUPLICATE_KEY)
                })
        }
        _ => is_duplicate_key(err),
    }
}

/// Maps a driver error (see the module docs for the rule).
pub(crate) fn store_error(err: Error) -> StoreError {
    if is_duplicate_key(&err) {
        return StoreError::Conflict(err.to_string());
    }
    let unavailable = match err.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Authentication { .. }
        | ErrorKind::Shutdown => true,
        // The convenient labels the driver adds to network trouble inside transactions.
        _ if err.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
            || err.contains_label(mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT)
            || err.contains_label(mongodb::error::RETRYABLE_WRITE_ERROR) =>
        {
            true
        }
        _ => code_of(&err).is_some_and(|code| TRANSIENT_CODES.contains(&code)),
    };
    if unavailable {
        StoreError::Unavailable(err.to_string())
    } else {
        StoreError::internal(err)
    }
}

/// `?` for driver results inside the store.
pub(crate) trait OrStore<T> {
    fn or_store(self) -> Result<T, StoreError>;
}

impl<T> OrStore<T> for Result<T, Error> {
    fn or_store(self) -> Result<T, StoreError> {
        self.map_err(store_error)
    }
}

/// A stored document that does not decode into the model (a bug or a hand edit).
pub(crate) fn bad_document(what: impl std::fmt::Display) -> StoreError {
    StoreError::internal(format!("stored document is invalid: {what}"))
}
