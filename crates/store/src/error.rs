use std::error::Error as StdError;

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
    /// Stored data could not be decoded, or another bug-class failure. Keeps the backend's
    /// error as its source, so a log shows the whole chain.
    #[error("store internal error: {0}")]
    Internal(#[source] Box<dyn StdError + Send + Sync + 'static>),
}

impl StoreError {
    /// A bug-class failure caused by `source`: a backend error (kept with its chain) or a
    /// message (`&str`, `String`) saying what is wrong.
    pub fn internal(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self::Internal(source.into())
    }

    /// The same error again, for each write of a batch that failed as a whole: the same
    /// kind and text (an internal error's cause becomes text: a chain cannot be copied).
    pub fn copy(&self) -> Self {
        match self {
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::NotFound => Self::NotFound,
            Self::AtCapacity => Self::AtCapacity,
            Self::DuplicateClientId => Self::DuplicateClientId,
            Self::Unavailable(m) => Self::Unavailable(m.clone()),
            Self::Internal(e) => Self::internal(e.to_string()),
        }
    }

    /// Whether trying the same operation again later may succeed: only when the backend
    /// could not be reached. Every other error would come back the same.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::StoreError;

    #[test]
    fn an_internal_error_keeps_its_cause_and_says_what_it_said() {
        let cause = serde_json::from_str::<u32>("x").expect_err("not a number");
        let text = cause.to_string();
        let error = StoreError::internal(cause);
        assert_eq!(error.to_string(), format!("store internal error: {text}"));
        let source = error.source().expect("the cause is kept");
        assert!(source.downcast_ref::<serde_json::Error>().is_some());
        assert!(!error.is_retryable());
        assert!(StoreError::Unavailable("down".into()).is_retryable());
    }
}
