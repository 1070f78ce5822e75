//! The edges' error type, mapped once to HTTP responses and WebSocket error frames; the
//! layers below have their own ([`StoreError`], [`CoordError`]), turned into it here.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::{ErrorBody, ErrorCode, ProtocolError};
use chimpassist_store::StoreError;

use crate::attachments::{KeepError, Refused};
use crate::coordinator::CoordError;

/// An error answered to a client. Internal details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A client-caused error with a stable code and a message safe to show.
    #[error("{code}: {message}")]
    Client { code: ErrorCode, message: String },
    /// Not now: answered with how long to wait (`Retry-After`), e.g. a rate limit.
    #[error("{code}: {message} (retry after {retry_after:?})")]
    Later {
        code: ErrorCode,
        message: String,
        retry_after: std::time::Duration,
    },
    /// The store is unreachable; the client may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure; logged with its cause, answered as `internal`.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client {
            code,
            message: message.into(),
        }
    }

    /// A refusal for now, with the time after which the same request may pass.
    pub fn later(
        code: ErrorCode,
        message: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> Self {
        Self::Later {
            code,
            message: message.into(),
            retry_after,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn forbidden() -> Self {
        Self::client(ErrorCode::Forbidden, "you are not allowed to do this")
    }

    pub fn unauthenticated() -> Self {
        Self::client(ErrorCode::Unauthenticated, "log in first")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::client(ErrorCode::InvalidField, message)
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } | Self::Later { code, .. } => *code,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The body sent to the client (logs internal errors as a side effect).
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Client { code, message } => ErrorBody::new(*code, message.clone()),
            Self::Later {
                code,
                message,
                retry_after,
            } => ErrorBody {
                retry_after_seconds: Some(whole_seconds(*retry_after)),
                ..ErrorBody::new(*code, message.clone())
            },
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "store unavailable");
                ErrorBody::new(
                    ErrorCode::Unavailable,
                    "storage is unavailable right now; nothing was saved, retry later",
                )
            }
            Self::Internal(cause) => {
                tracing::error!(cause = ?cause, "internal error");
                ErrorBody::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}

/// HTTP status of each code.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        MalformedJson | UnknownType | MissingField | InvalidField | TextTooLong | EmptyText
        | UnsupportedVersion | HelloRequired | DuplicateClientId => StatusCode::BAD_REQUEST,
        FrameTooLarge | FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        FileRefused => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RateLimited | TooManyConnections => StatusCode::TOO_MANY_REQUESTS,
        Unauthenticated | InvalidCredentials => StatusCode::UNAUTHORIZED,
        Forbidden | VerificationRequired | PasswordChangeRequired | CallsNotAllowed => {
            StatusCode::FORBIDDEN
        }
        Timeout => StatusCode::REQUEST_TIMEOUT,
        NotFound => StatusCode::NOT_FOUND,
        Conflict | AtCapacity | QueueEmpty | CallInProgress => StatusCode::CONFLICT,
        NotConfigured | Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        UpstreamFailed => StatusCode::BAD_GATEWAY,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Seconds to tell a client to wait: rounded up, at least one.
fn whole_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = self.body();
        let status = status_of(body.code);
        match body.retry_after_seconds {
            Some(secs) => (
                status,
                [(axum::http::header::RETRY_AFTER, secs.to_string())],
                Json(body),
            )
                .into_response(),
            None => (status, Json(body)).into_response(),
        }
    }
}

impl From<ProtocolError> for AppError {
    fn from(e: ProtocolError) -> Self {
        Self::client(e.code, e.message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => Self::client(ErrorCode::Conflict, m),
            StoreError::NotFound => Self::client(ErrorCode::NotFound, "not found"),
            StoreError::AtCapacity => {
                Self::client(ErrorCode::AtCapacity, "the attendant is at capacity")
            }
            StoreError::DuplicateClientId => Self::client(
                ErrorCode::DuplicateClientId,
                "this client id belongs to another message",
            ),
            StoreError::Unavailable(m) => Self::Unavailable(m),
            e @ StoreError::Internal(_) => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

/// The coordinator's refusals keep their message; each becomes one code (and so one status):
///
/// | `CoordError` | code | status |
/// |---|---|---|
/// | `NotFound` | `not_found` | 404 |
/// | `Conflict` | `conflict` | 409 |
/// | `AtCapacity` | `at_capacity` | 409 |
/// | `QueueEmpty` | `queue_empty` | 409 |
/// | `Forbidden` | `forbidden` | 403 |
/// | `Invalid` | `invalid_field` | 400 |
/// | `TooMany` | `rate_limited`, with `Retry-After` | 429 |
/// | `Unavailable` | `unavailable` | 503 |
/// | `Store(e)` | as `e` (see `From<StoreError>`) | |
/// | `Internal` | `internal`, details logged only | 500 |
impl From<CoordError> for AppError {
    fn from(e: CoordError) -> Self {
        match e {
            CoordError::NotFound(message) => Self::client(ErrorCode::NotFound, message),
            CoordError::Conflict(message) => Self::client(ErrorCode::Conflict, message),
            CoordError::AtCapacity(message) => Self::client(ErrorCode::AtCapacity, message),
            CoordError::QueueEmpty => Self::client(ErrorCode::QueueEmpty, "nobody is waiting"),
            CoordError::Forbidden(message) => Self::client(ErrorCode::Forbidden, message),
            CoordError::Invalid(message) => Self::invalid(message),
            CoordError::TooMany {
                message,
                retry_after,
            } => Self::later(ErrorCode::RateLimited, message, retry_after),
            CoordError::Unavailable(message) => Self::client(ErrorCode::Unavailable, message),
            CoordError::CallInProgress(message) => Self::client(ErrorCode::CallInProgress, message),
            CoordError::CallsNotAllowed(message) => {
                Self::client(ErrorCode::CallsNotAllowed, message)
            }
            CoordError::Store(e) => e.into(),
            CoordError::Internal(message) => Self::Internal(anyhow::anyhow!(message)),
        }
    }
}

/// A path or query string that does not parse (`AppPath`, `AppQuery`): `400 invalid_field`.
impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self::invalid(rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::invalid(rejection.body_text())
    }
}

impl From<KeepError> for AppError {
    fn from(e: KeepError) -> Self {
        let message = e.to_string();
        let code = match e {
            KeepError::Store(store) => return store.into(),
            KeepError::Internal(why) => return Self::Internal(anyhow::anyhow!(why)),
            KeepError::Refused(Refused::Empty) => ErrorCode::InvalidField,
            KeepError::Refused(Refused::TooLarge { .. }) => ErrorCode::FileTooLarge,
            KeepError::Refused(_) | KeepError::TooManyPixels => ErrorCode::FileRefused,
        };
        Self::client(code, message)
    }
}

#[cfg(test)]
mod tests {
    use chimpassist_store::StoreError;

    use super::AppError;
    use crate::coordinator::{CoordError, Failure};

    /// A refusal answered on another node reaches the client exactly as if decided locally:
    /// same code, message and wait.
    #[test]
    fn a_coordinator_error_crosses_nodes_unchanged_for_the_client() {
        let errors = || {
            vec![
                CoordError::not_found("conversation"),
                CoordError::Conflict("the conversation is closed".into()),
                CoordError::AtCapacity("you are at capacity".into()),
                CoordError::QueueEmpty,
                CoordError::disabled(),
                CoordError::forbidden(),
                CoordError::Invalid("not an attendant".into()),
                CoordError::TooMany {
                    message: "3 conversations from your network are open already".into(),
                    retry_after: std::time::Duration::from_millis(59_001),
                },
                CoordError::Unavailable("no coordinator is available right now".into()),
                CoordError::CallInProgress("a call is going on".into()),
                CoordError::CallsNotAllowed("calls are off in this queue".into()),
                CoordError::Store(StoreError::Conflict("taken".into())),
                CoordError::Store(StoreError::NotFound),
                CoordError::Store(StoreError::AtCapacity),
                CoordError::Store(StoreError::DuplicateClientId),
                CoordError::Store(StoreError::Unavailable("connection refused".into())),
                CoordError::Store(StoreError::internal("undecodable row")),
                CoordError::Internal("unexpected answer".into()),
            ]
        };
        for (local, remote) in errors().into_iter().zip(errors()) {
            let failure = Failure::from(remote);
            let json = serde_json::to_string(&failure).expect("serialises");
            let back: Failure = serde_json::from_str(&json).expect("parses");
            assert_eq!(back, failure);
            let (local, remote) = (
                AppError::from(local),
                AppError::from(CoordError::from(back)),
            );
            assert_eq!(remote.body(), local.body(), "{json}");
        }
    }
}
