use thiserror::Error;

/// Everything a store can report. Backends map their own errors into these.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule or a compare-and-set precondition failed; nothing was written.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The record addressed does not exist.
    #[error("not found")]
    NotFound,
    /// The attendant already holds their capacity of open conversations.
    #[error("attendant at capacity")]
    AtCapacity,
    /// A client message id is already used by a different sender.
    #[error("client id already used by another sender")]
    DuplicateClientId,
    /// The backend cannot be reached or refused service; the operation may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded, or another bug-class failure.
    #[error("store internal error: {0}")]
    Internal(String),
}
