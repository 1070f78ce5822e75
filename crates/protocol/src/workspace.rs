//! The attendants' workspace over REST: canned responses, private notes and search.
//!
//! Inputs are parsed once into types that cannot hold an invalid value ([`Shortcut`],
//! [`SearchQuery`], and [`MessageText`] for every text), so the store only ever sees valid
//! ones.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::{CannedId, ConversationId, NoteId, TimestampMs};
use crate::model::{AttendantPublic, ConversationView, MessageText, MessageView};

/// Longest shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 32;

/// What an attendant types to insert a canned response, e.g. `greeting` or `refund-policy`.
///
/// 1–32 characters of `a-z`, `0-9`, `_` and `-`. Input is lower-cased first, so `Hello` and
/// `hello` are the same shortcut (and collide).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct Shortcut(String);

impl Shortcut {
    /// Lower-cases `raw` and checks its length and characters.
    pub fn parse(raw: impl Into<String>) -> Result<Self, ProtocolError> {
        let lowered = raw.into().to_lowercase();
        let len = lowered.chars().count();
        if !(1..=MAX_SHORTCUT_CHARS).contains(&len) {
            return Err(ProtocolError::invalid(format!(
                "shortcut must be 1 to {MAX_SHORTCUT_CHARS} characters"
            )));
        }
        if !lowered
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(ProtocolError::invalid(
                "shortcut may only contain a-z, 0-9, _ and -",
            ));
        }
        Ok(Self(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Shortcut {
    type Error = ProtocolError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<Shortcut> for String {
    fn from(s: Shortcut) -> String {
        s.0
    }
}

impl fmt::Display for Shortcut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Shortcut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shortcut({:?})", self.0)
    }
}

/// Shortest search text, in characters after trimming.
pub const MIN_SEARCH_CHARS: usize = 2;
/// Longest search text, in characters after trimming.
pub const MAX_SEARCH_CHARS: usize = 100;

/// What to search for: 2–100 characters once surrounding whitespace is trimmed (the trimmed
/// text is what is searched). Taken literally: `%`, `_`, `.` and the like match themselves.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, ProtocolError> {
        let trimmed = raw.trim();
        let len = trimmed.chars().count();
        if !(MIN_SEARCH_CHARS..=MAX_SEARCH_CHARS).contains(&len) {
            return Err(ProtocolError::invalid(format!(
                "search text must be {MIN_SEARCH_CHARS} to {MAX_SEARCH_CHARS} characters"
            )));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SearchQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SearchQuery({:?})", self.0)
    }
}

/// A saved reply (`GET /api/canned`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub id: CannedId,
    /// Unique among canned responses.
    pub shortcut: Shortcut,
    pub text: MessageText,
    /// When it was created or last changed.
    pub updated_at: TimestampMs,
}

/// `POST /api/canned` and `PUT /api/canned/{id}` (admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedRequest {
    pub shortcut: Shortcut,
    /// At most the server's `max_text_bytes`.
    pub text: MessageText,
}

/// A private note on a conversation: attendants only, never shown to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Note {
    pub id: NoteId,
    pub conversation: ConversationId,
    pub author: AttendantPublic,
    pub text: MessageText,
    pub created_at: TimestampMs,
}

/// `POST /api/conversations/{id}/notes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteRequest {
    /// At most the server's `max_text_bytes`.
    pub text: MessageText,
}

/// One result of `GET /api/search`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    pub conversation: ConversationView,
    /// The newest message containing the text; `null` when only the customer's name matched.
    #[serde(default)]
    pub message: Option<MessageView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_lower_cased_and_restricted() {
        assert_eq!(
            Shortcut::parse("Hello_World-2").unwrap().as_str(),
            "hello_world-2"
        );
        assert!(Shortcut::parse("").is_err());
        assert!(Shortcut::parse("a".repeat(MAX_SHORTCUT_CHARS)).is_ok());
        assert!(Shortcut::parse("a".repeat(MAX_SHORTCUT_CHARS + 1)).is_err());
        for bad in ["with space", "dot.ted", "/slash", "ação", "a%b"] {
            assert!(Shortcut::parse(bad).is_err(), "{bad}");
        }
        let bad: Result<Shortcut, _> = serde_json::from_str("\"no way\"");
        assert!(bad.is_err());
        let good: Shortcut = serde_json::from_str("\"HI\"").unwrap();
        assert_eq!(good.as_str(), "hi");
    }

    #[test]
    fn the_note_frame_is_tagged_note() {
        let note = Note {
            id: NoteId::new(),
            conversation: ConversationId::new(),
            author: AttendantPublic {
                id: crate::AttendantId::parse("a-1").unwrap(),
                name: "Alice".to_owned(),
                avatar_url: None,
            },
            text: MessageText::parse("VIP", 10).unwrap(),
            created_at: 7,
        };
        let frame = crate::ServerToAttendant::Note { note: note.clone() };
        let json: serde_json::Value = serde_json::from_str(&crate::encode(&frame)).unwrap();
        assert_eq!(json["type"], "note");
        assert_eq!(
            json["note"]["author"],
            serde_json::json!({"id": "a-1", "name": "Alice"})
        );
        assert_eq!(json["note"]["text"], "VIP");
        let back: crate::ServerToAttendant = serde_json::from_value(json).unwrap();
        assert_eq!(back, frame);
    }

    #[test]
    fn search_text_is_trimmed_and_bounded() {
        assert_eq!(SearchQuery::parse("  ab ").unwrap().as_str(), "ab");
        assert!(SearchQuery::parse(" a ").is_err());
        assert!(SearchQuery::parse("   ").is_err());
        assert!(SearchQuery::parse(&"é".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(SearchQuery::parse(&"x".repeat(MAX_SEARCH_CHARS + 1)).is_err());
    }
}
