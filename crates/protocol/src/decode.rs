//! Turning untrusted frames into typed messages, with limits, never panicking.
//!
//! Every rejection is a [`ProtocolError`] whose code says what was wrong, so the server can
//! answer with a typed `error` frame and keep the connection.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::attendant::AttendantToServer;
use crate::customer::CustomerToServer;
use crate::error::{ErrorCode, ProtocolError};
use crate::file::MAX_ATTACHMENTS;
use crate::model::{DEFAULT_MAX_TEXT_BYTES, EMPTY_TEXT, MessageText};

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
    /// The message text and how many files a `send` carries, for the checks every message
    /// gets (length, not empty, not too many files).
    fn content(&self) -> Option<(&MessageText, usize)>;
}

/// The customer frames every build knows.
macro_rules! customer_types {
    ($($more:literal),*) => {
        &[
            "hello",
            "start_chat",
            "send",
            "receipt",
            "typing",
            "presence",
            "end_chat",
            "leave_email",
            "rate",
            "history",
            "call_invite",
            "call_accept",
            "call_decline",
            "call_hangup",
            "call_signal",
            "ping",
            $($more),*
        ]
    };
}

impl ClientFrame for CustomerToServer {
    #[cfg(feature = "helper-frames")]
    const TYPES: &'static [&'static str] = customer_types!("page", "set_attributes", "say");
    #[cfg(not(feature = "helper-frames"))]
    const TYPES: &'static [&'static str] = customer_types!();
    fn content(&self) -> Option<(&MessageText, usize)> {
        match self {
            Self::Send {
                text, attachments, ..
            } => Some((text, attachments.len())),
            #[cfg(feature = "helper-frames")]
            Self::Say { text, .. } => Some((text, 0)),
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
        "call_invite",
        "call_accept",
        "call_decline",
        "call_hangup",
        "call_signal",
        "ping",
    ];
    fn content(&self) -> Option<(&MessageText, usize)> {
        match self {
            Self::Send {
                text, attachments, ..
            } => Some((text, attachments.len())),
            _ => None,
        }
    }
}

/// Decodes one text frame.
///
/// A valid frame is parsed once, straight into its type. Anything else is parsed again, into
/// a generic JSON value, by the error path ([`explain`]), which says precisely what is wrong;
/// that costs only rejected frames. The error path also accepts what only a generic parse
/// takes: a key given twice (the last one wins), as decoding always has.
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
    let message = match typed::<T>(frame) {
        Some(message) => message,
        None => explain::<T>(frame)?,
    };
    if let Some((text, files)) = message.content() {
        // The deserializer refused blank text (an absent one is empty); the length limit is
        // this server's.
        text.within(limits.max_text_bytes)?;
        if text.is_empty() && files == 0 {
            return Err(ProtocolError::new(
                ErrorCode::EmptyText,
                "a message needs text or at least one file",
            ));
        }
        if files > MAX_ATTACHMENTS {
            return Err(ProtocolError::invalid(format!(
                "a message carries at most {MAX_ATTACHMENTS} files; this one has {files}"
            )));
        }
    }
    Ok(message)
}

/// The one parse a valid frame takes. `None` for anything [`explain`] must look at.
fn typed<T: DeserializeOwned>(frame: &str) -> Option<T> {
    // Only an object is a frame: serde would also read an internally tagged enum from an
    // array (its tag first).
    if !frame
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        return None;
    }
    let mut parser = serde_json::Deserializer::from_str(frame);
    let message = T::deserialize(&mut parser).ok()?;
    // Trailing characters make the frame malformed, as the error path says.
    parser.end().ok()?;
    Some(message)
}

/// The error path: reads the frame as generic JSON to find the first thing wrong, in the
/// order clients are told: not JSON or not an object, no `type`, an unknown `type`, then the
/// fields. Returns the frame if nothing is (see [`decode`]).
fn explain<T: ClientFrame>(frame: &str) -> Result<T, ProtocolError> {
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
    serde_json::from_value(value).map_err(classify)
}

/// Maps a serde error to the most specific code. serde's errors carry no kind, only text:
/// `missing field` is serde's own wording for an absent field ([`serde::de::Error::missing_field`]),
/// and blank text is [`MessageText`]'s refusal.
fn classify(error: serde_json::Error) -> ProtocolError {
    let message = error.to_string();
    let code = if message.starts_with("missing field") {
        ErrorCode::MissingField
    } else if message.starts_with(EMPTY_TEXT) {
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
        // Unreachable for protocol types; keep the connection alive with a typed error. Built
        // as a value, so the error's text is escaped (a `Value` always serializes).
        serde_json::json!({
            "type": "error",
            "code": ErrorCode::Internal,
            "message": format!("encode failed: {e}"),
        })
        .to_string()
    })
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// The tags serde takes for `T`, read from its own "unknown variant" refusal, which
    /// names every variant: nothing kept by hand on this side of the comparison.
    fn serde_tags<T: DeserializeOwned>() -> Vec<String> {
        let Err(error) = serde_json::from_str::<T>(r#"{"type":"?"}"#) else {
            panic!("`?` is no tag");
        };
        let message = error.to_string();
        let (_, listed) = message
            .split_once("expected one of ")
            .unwrap_or_else(|| panic!("no list of variants in: {message}"));
        listed
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    fn assert_types_match<T: ClientFrame>() {
        let mut listed: Vec<&str> = T::TYPES.to_vec();
        listed.sort_unstable();
        let before = listed.len();
        listed.dedup();
        assert_eq!(listed.len(), before, "a tag listed twice in {:?}", T::TYPES);
        let mut tags = serde_tags::<T>();
        tags.sort_unstable();
        assert_eq!(listed, tags, "TYPES against the enum's variants");
    }

    #[test]
    fn types_lists_every_variant_and_nothing_else() {
        assert_types_match::<CustomerToServer>();
        assert_types_match::<AttendantToServer>();
    }

    fn customer(frame: &str) -> Result<CustomerToServer, ProtocolError> {
        decode(frame, &Limits::default())
    }

    #[test]
    fn what_only_a_generic_parse_takes_is_still_taken_or_refused_the_same() {
        // A key given twice: the last one wins.
        assert_eq!(
            customer(r#"{"type":"ping","nonce":1,"nonce":2}"#).ok(),
            Some(CustomerToServer::Ping { nonce: 2 })
        );
        assert_eq!(
            customer(r#"{"type":"hello","type":"ping"}"#).ok(),
            Some(CustomerToServer::Ping { nonce: 0 })
        );
        // Trailing characters, and an array carrying a tag, are malformed.
        let trailing = customer(r#"{"type":"ping"} x"#).unwrap_err();
        assert_eq!(trailing.code, ErrorCode::MalformedJson);
        let array = customer(r#"["ping", 1]"#).unwrap_err();
        assert_eq!(array.code, ErrorCode::MalformedJson);
        assert_eq!(array.message, "frame must be a JSON object");
        // Whitespace before the object is fine.
        assert!(customer(" \n\t{\"type\":\"ping\"}").is_ok());
    }

    #[test]
    fn the_one_parse_agrees_with_the_error_path_on_every_frame_it_takes() {
        let c = "0191e0a4-0000-7000-8000-000000000000";
        let frames = [
            r#"{"type":"ping"}"#.to_owned(),
            r#"{"type":"ping","nonce":3,"extra":[1,{"a":null}]}"#.to_owned(),
            r#"{"type":"hello","protocol":1,"resume":[]}"#.to_owned(),
            r#"{"type":"start_chat","prechat":{"name":"Ana","problem":"x"}}"#.to_owned(),
            format!(r#"{{"type":"send","conversation":"{c}","client_id":"{c}","text":"olá <b>"}}"#),
            format!(r#"{{"type":"receipt","conversation":"{c}","kind":"read","up_to_seq":2}}"#),
            format!(r#"{{"type":"history","conversation":"{c}","before_seq":9,"limit":20}}"#),
            format!(r#"{{"type":"rate","conversation":"{c}","rating":{{"score":4}}}}"#),
        ];
        for frame in &frames {
            let typed = typed::<CustomerToServer>(frame).expect(frame);
            assert_eq!(
                explain::<CustomerToServer>(frame).ok(),
                Some(typed),
                "{frame}"
            );
        }
    }

    /// A value whose serialization fails with quotes and a backslash in its error.
    struct Unserializable;

    impl Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(r#"a "quoted" \ failure"#))
        }
    }

    #[test]
    fn a_failed_encoding_is_still_a_valid_error_frame() {
        let text = encode(&Unserializable);
        let frame: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(frame["type"], "error");
        assert_eq!(frame["code"], "internal");
        assert_eq!(frame["message"], r#"encode failed: a "quoted" \ failure"#);
    }
}
