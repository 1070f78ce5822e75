//! Stable error codes and the decoding error.
//!
//! Codes are part of the protocol: clients switch on them, so a code is never renamed or reused.
//! The human-readable `message` may change freely.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every error the server reports, over HTTP (`{"code", "message"}`) or WebSocket (`error` frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    /// The frame or body is not valid JSON, or not an object.
    MalformedJson,
    /// The `type` tag names no known message.
    UnknownType,
    /// A required field is absent.
    MissingField,
    /// A field is present but its value is not acceptable.
    InvalidField,
    /// The frame or request body exceeds the size limit.
    FrameTooLarge,
    /// A message text exceeds the configured text limit.
    TextTooLong,
    /// A message text is empty (after trimming).
    EmptyText,
    /// The client speaks a protocol version the server does not.
    UnsupportedVersion,
    /// The first frame on a socket must be `hello`.
    HelloRequired,
    /// Too many messages too fast; slow down.
    RateLimited,
    /// The server holds too many connections.
    TooManyConnections,
    /// No credentials, or expired/invalid ones.
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The login credentials are wrong.
    InvalidCredentials,
    /// Identity verification is mandatory and the claim carries no valid proof.
    VerificationRequired,
    /// The thing asked for does not exist (or is not visible to the caller).
    NotFound,
    /// The request conflicts with the current state (e.g. already resolved).
    Conflict,
    /// The attendant is at capacity.
    AtCapacity,
    /// The queue is empty ("next customer" with nobody waiting).
    QueueEmpty,
    /// A client message id was reused for a different message.
    DuplicateClientId,
    /// An upstream endpoint (statistics, authentication) is not configured.
    NotConfigured,
    /// An upstream endpoint failed or timed out.
    UpstreamFailed,
    /// The store cannot be reached right now; retry later (nothing was acknowledged).
    Unavailable,
    /// Something unexpected; details are in the server log, never in the response.
    Internal,
    /// The account still has a password an admin set (or the default one): only
    /// `GET /api/me`, `POST /api/me/password` and `POST /api/logout` answer until it changes.
    PasswordChangeRequired,
    /// The request took too long to arrive or to answer (a body sent too slowly, say).
    Timeout,
    /// The conversation already has a call going on (ringing or active).
    CallInProgress,
    /// The conversation's queue does not let this side start a call.
    CallsNotAllowed,
    /// The file is over this server's size limit (`MAX_ATTACHMENT_BYTES`).
    FileTooLarge,
    /// The file's type (read from its bytes) is not one this server accepts, or it is a
    /// program whatever its name says.
    FileRefused,
}

impl ErrorCode {
    /// Every code, for lookups by wire name.
    pub const ALL: [ErrorCode; 30] = [
        Self::MalformedJson,
        Self::UnknownType,
        Self::MissingField,
        Self::InvalidField,
        Self::FrameTooLarge,
        Self::TextTooLong,
        Self::EmptyText,
        Self::UnsupportedVersion,
        Self::HelloRequired,
        Self::RateLimited,
        Self::TooManyConnections,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::InvalidCredentials,
        Self::VerificationRequired,
        Self::NotFound,
        Self::Conflict,
        Self::AtCapacity,
        Self::QueueEmpty,
        Self::DuplicateClientId,
        Self::NotConfigured,
        Self::UpstreamFailed,
        Self::Unavailable,
        Self::Internal,
        Self::PasswordChangeRequired,
        Self::Timeout,
        Self::CallInProgress,
        Self::CallsNotAllowed,
        Self::FileTooLarge,
        Self::FileRefused,
    ];

    /// The code with this wire name (for clients that read frames without serde).
    pub fn parse(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == wire)
    }

    /// The wire name, e.g. `text_too_long`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::UnknownType => "unknown_type",
            Self::MissingField => "missing_field",
            Self::InvalidField => "invalid_field",
            Self::FrameTooLarge => "frame_too_large",
            Self::TextTooLong => "text_too_long",
            Self::EmptyText => "empty_text",
            Self::UnsupportedVersion => "unsupported_version",
            Self::HelloRequired => "hello_required",
            Self::RateLimited => "rate_limited",
            Self::TooManyConnections => "too_many_connections",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::InvalidCredentials => "invalid_credentials",
            Self::VerificationRequired => "verification_required",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::AtCapacity => "at_capacity",
            Self::QueueEmpty => "queue_empty",
            Self::DuplicateClientId => "duplicate_client_id",
            Self::NotConfigured => "not_configured",
            Self::UpstreamFailed => "upstream_failed",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
            Self::PasswordChangeRequired => "password_change_required",
            Self::Timeout => "timeout",
            Self::CallInProgress => "call_in_progress",
            Self::CallsNotAllowed => "calls_not_allowed",
            Self::FileTooLarge => "file_too_large",
            Self::FileRefused => "file_refused",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of every HTTP error and the payload of every WebSocket `error` frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// With `rate_limited` (and some `unavailable`): seconds to wait before trying again. HTTP
    /// answers also carry it as the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }
}

/// Why a frame or value was rejected while decoding. Carries the code the server answers with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A field value that parsed as JSON but is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidField, message)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code, self.message.clone())
    }
}
