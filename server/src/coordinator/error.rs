//! The coordinator's one error type, and the form it takes between nodes.
//!
//! Every message is written here once, safe to show to the client it concerns; which HTTP
//! status, [`chimpassist_protocol::ErrorCode`] and WebSocket error frame each variant becomes
//! is decided once, where the edges' error type is made from it (`crate::error`).

use std::time::Duration;

use chimpassist_store::StoreError;
use serde::{Deserialize, Serialize};

/// Why the coordinator refused, or could not do, what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CoordError {
    /// What the request names does not exist (e.g. "conversation not found").
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts the current state (e.g. the conversation is closed already).
    #[error("{0}")]
    Conflict(String),
    /// The attendant (the caller or the target of a transfer) holds their capacity.
    #[error("{0}")]
    AtCapacity(String),
    /// Nobody waits in the queues the attendant may take from.
    #[error("nobody is waiting")]
    QueueEmpty,
    /// The caller may not do this (a disabled account, another attendant's conversation).
    #[error("{0}")]
    Forbidden(String),
    /// The request itself is wrong (e.g. setting the presence `offline`).
    #[error("{0}")]
    Invalid(String),
    /// Not now: too many open conversations from the caller's network.
    #[error("{message} (retry after {retry_after:?})")]
    TooMany {
        message: String,
        retry_after: Duration,
    },
    /// No coordinator can be reached right now (no leader, or the bus to it is down).
    #[error("{0}")]
    Unavailable(String),
    /// The conversation has a call going on already.
    #[error("{0}")]
    CallInProgress(String),
    /// The conversation's queue does not let the caller's side start a call.
    #[error("{0}")]
    CallsNotAllowed(String),
    /// The store failed under a decision (the leader's store, when it ran on another node).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug: e.g. the leader answered a request with a response it does not take.
    #[error("{0}")]
    Internal(String),
}

pub type CoordResult<T> = Result<T, CoordError>;

impl CoordError {
    /// "`what` not found".
    pub(crate) fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub(crate) fn forbidden() -> Self {
        Self::Forbidden("you are not allowed to do this".into())
    }

    pub(crate) fn disabled() -> Self {
        Self::Forbidden("this account is disabled".into())
    }

    /// Whether the same request may succeed later unchanged: the store or the leader could
    /// not be reached. (Used to retry a start on a store that is still down.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Store(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// A [`CoordError`] as it crosses from the leader to the node that asked: the same variants,
/// with the store's error by kind and its cause (chain included) as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum Failure {
    NotFound {
        message: String,
    },
    Conflict {
        message: String,
    },
    AtCapacity {
        message: String,
    },
    QueueEmpty,
    Forbidden {
        message: String,
    },
    Invalid {
        message: String,
    },
    TooMany {
        message: String,
        retry_after: Duration,
    },
    Unavailable {
        message: String,
    },
    CallInProgress {
        message: String,
    },
    CallsNotAllowed {
        message: String,
    },
    StoreConflict {
        message: String,
    },
    StoreNotFound,
    StoreAtCapacity,
    StoreDuplicateClientId,
    StoreUnavailable {
        cause: String,
    },
    StoreInternal {
        cause: String,
    },
    Internal {
        message: String,
    },
}

impl From<CoordError> for Failure {
    fn from(e: CoordError) -> Self {
        match e {
            CoordError::NotFound(message) => Self::NotFound { message },
            CoordError::Conflict(message) => Self::Conflict { message },
            CoordError::AtCapacity(message) => Self::AtCapacity { message },
            CoordError::QueueEmpty => Self::QueueEmpty,
            CoordError::Forbidden(message) => Self::Forbidden { message },
            CoordError::Invalid(message) => Self::Invalid { message },
            CoordError::TooMany {
                message,
                retry_after,
            } => Self::TooMany {
                message,
                retry_after,
            },
            CoordError::Unavailable(message) => Self::Unavailable { message },
            CoordError::CallInProgress(message) => Self::CallInProgress { message },
            CoordError::CallsNotAllowed(message) => Self::CallsNotAllowed { message },
            CoordError::Store(e) => match e {
                StoreError::Conflict(message) => Self::StoreConflict { message },
                StoreError::NotFound => Self::StoreNotFound,
                StoreError::AtCapacity => Self::StoreAtCapacity,
                StoreError::DuplicateClientId => Self::StoreDuplicateClientId,
                StoreError::Unavailable(cause) => Self::StoreUnavailable { cause },
                StoreError::Internal(source) => Self::StoreInternal {
                    cause: with_causes(source.as_ref()),
                },
            },
            CoordError::Internal(message) => Self::Internal { message },
        }
    }
}

impl From<Failure> for CoordError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::NotFound { message } => Self::NotFound(message),
            Failure::Conflict { message } => Self::Conflict(message),
            Failure::AtCapacity { message } => Self::AtCapacity(message),
            Failure::QueueEmpty => Self::QueueEmpty,
            Failure::Forbidden { message } => Self::Forbidden(message),
            Failure::Invalid { message } => Self::Invalid(message),
            Failure::TooMany {
                message,
                retry_after,
            } => Self::TooMany {
                message,
                retry_after,
            },
            Failure::Unavailable { message } => Self::Unavailable(message),
            Failure::CallInProgress { message } => Self::CallInProgress(message),
            Failure::CallsNotAllowed { message } => Self::CallsNotAllowed(message),
            Failure::StoreConflict { message } => Self::Store(StoreError::Conflict(message)),
            Failure::StoreNotFound => Self::Store(StoreError::NotFound),
            Failure::StoreAtCapacity => Self::Store(StoreError::AtCapacity),
            Failure::StoreDuplicateClientId => Self::Store(StoreError::DuplicateClientId),
            Failure::StoreUnavailable { cause } => Self::Store(StoreError::Unavailable(cause)),
            Failure::StoreInternal { cause } => Self::Store(StoreError::internal(cause)),
            Failure::Internal { message } => Self::Internal(message),
        }
    }
}

/// `error`'s message followed by its sources', as `anyhow`'s `{:#}` prints them.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.ends_with(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        next = cause.source();
    }
    text
}
