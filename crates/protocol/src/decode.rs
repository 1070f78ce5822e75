//! Turning untrusted frames into typed messages, with limits, never panicking.
//!
//! Every rejection is a [`ProtocolError`] whose code says what was wrong, so the server can
//! answer with a typed `error` frame and keep the connection.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::attendant::AttendantToServer;
use crate::customer::CustomerToServer;
use crate::error::{ErrorCode, ProtocolError};
use crate::model::{DEFAULT_MAX_TEXT_BYTES, MessageText};

/// Size limits applied while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted frame, bytes.
    pub max_frame_bytes: usize,
    /// Largest accepted message text, bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 16 * 1024,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }
}

/// A client frame type: knows its tags and where its text lives.
pub trait ClientFrame: DeserializeOwned {
    /// Every accepted `type` value.
    const TYPES: &'static [&'static str];
    /// The message text carried, if any, for the length check.
    fn text(&self) -> Option<&MessageText>;
}

impl ClientFrame for CustomerToServer {
    const TYPES: &'static [&'static str] = &[
        "hello",
        "start_chat",
        "send",
        "receipt",
        "typing",
        "presence",
        "end_chat",
        "rate",
        "history",
        "ping",
    ];
    fn text(&self) -> Option<&MessageText> {
        match self {
            Self::Send { text, .. } => Some(text),
            _ => None,
        }
    }
}

impl ClientFrame for AttendantToServer {
    const TYPES: &'static [&'static str] = &[
        "hello",
        "set_presence",
        "heartbeat",
        "send",
        "receipt",
        "typing",
        "next_customer",
        "transfer",
        "resolve",
        "reopen",
        "history",
        "ping",
    ];
    fn text(&self) -> Option<&MessageText> {
        match self {
            Self::Send { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// Decodes one text frame.
pub fn decode<T: ClientFrame>(frame: &str, limits: &Limits) -> Result<T, ProtocolError> {
    if frame.len() > limits.max_frame_bytes {
        return Err(ProtocolError::new(
            ErrorCode::FrameTooLarge,
            format!(
                "frame is {} bytes; the limit is {}",
                frame.len(),
                limits.max_frame_bytes
            ),
        ));
    }
    let value: Value = serde_json::from_str(frame)
        .map_err(|e| ProtocolError::new(ErrorCode::MalformedJson, e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(ProtocolError::new(
            ErrorCode::MalformedJson,
            "frame must be a JSON object",
        ));
    };
    let tag = match object.get("type") {
        Some(Value::String(tag)) => tag.as_str(),
        Some(_) => return Err(ProtocolError::invalid("`type` must be a string")),
        None => {
            return Err(ProtocolError::new(
                ErrorCode::MissingField,
                "missing field `type`",
            ));
        }
    };
    if !T::TYPES.contains(&tag) {
        return Err(ProtocolError::new(
            ErrorCode::UnknownType,
            format!("unknown message type `{tag}`"),
        ));
    }
    let message: T = serde_json::from_value(value).map_err(classify)?;
    if let Some(text) = message.text() {
        // Re-parse with the configured limit; blank text was already refused by serde.
        MessageText::parse(text.as_str(), limits.max_text_bytes)?;
    }
    Ok(message)
}

/// Maps a serde error to the most specific code.
fn classify(error: serde_json::Error) -> ProtocolError {
    let message = error.to_string();
    let code = if message.starts_with("missing field") {
        ErrorCode::MissingField
    } else if message.starts_with("message text is empty") {
        ErrorCode::EmptyText
    } else {
        ErrorCode::InvalidField
    };
    ProtocolError::new(code, message)
}

/// Encodes a server frame. Serializing our own types cannot fail (no maps with non-string
/// keys, no failing `Serialize` impls), so this returns the text directly.
pub fn encode<T: serde::Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).unwrap_or_else(|e| {
        // Unreachable for protocol types; keep the connection alive with a typed error.
        format!(r#"{{"type":"error","code":"internal","message":"encode failed: {e}"}}"#)
    })
}
