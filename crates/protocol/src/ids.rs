//! Identifiers that cross the wire.
//!
//! Every id is a newtype with a private field, built only through `parse` (or serde, which calls
//! it), so a value of the type is always valid: no empty ids, no control characters, bounded length.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use crate::error::ProtocolError;

/// Longest id accepted for a string id (customer, attendant, queue), in bytes.
pub const MAX_ID_LEN: usize = 128;

fn check_id(kind: &'static str, raw: &str) -> Result<(), ProtocolError> {
    if raw.is_empty() {
        return Err(ProtocolError::invalid(format!("{kind} must not be empty")));
    }
    if raw.len() > MAX_ID_LEN {
        return Err(ProtocolError::invalid(format!(
            "{kind} is longer than {MAX_ID_LEN} bytes"
        )));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ProtocolError::invalid(format!(
            "{kind} must not contain whitespace or control characters"
        )));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        pub struct $name(String);

        impl $name {
            /// Parses an id, rejecting empty, overlong or whitespace-bearing input.
            pub fn parse(raw: impl Into<String>) -> Result<Self, ProtocolError> {
                let raw = raw.into();
                check_id($kind, &raw)?;
                Ok(Self(raw))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ProtocolError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

string_id!(
    /// A customer as the server knows them (issued by the server, never taken from the browser).
    CustomerId,
    "customer id"
);
string_id!(
    /// An attendant account.
    AttendantId,
    "attendant id"
);
string_id!(
    /// A queue, e.g. `default` or `billing`.
    QueueId,
    "queue id"
);

impl QueueId {
    /// The queue every conversation goes to unless another is named.
    pub fn default_queue() -> Self {
        Self("default".to_owned())
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUIDv7), so ids sort roughly by creation. In the
            /// browser (the front ends make only client message ids, whose order no one
            /// reads) a random one (v4): the v7 clock and counter cost the widget ~1 KB.
            pub fn new() -> Self {
                #[cfg(not(target_arch = "wasm32"))]
                let id = Uuid::now_v7();
                #[cfg(target_arch = "wasm32")]
                let id = Uuid::new_v4();
                Self(id)
            }

            /// Parses the textual UUID form.
            pub fn parse(raw: &str) -> Result<Self, ProtocolError> {
                // `try_parse`, not `parse_str`: the same parser without building a detailed
                // error we would drop anyway (that formatting cost the widget ~1.2 KB of WASM).
                Uuid::try_parse(raw)
                    .map(Self)
                    .map_err(|_| ProtocolError::invalid(concat!(stringify!($name), " must be a UUID")))
            }

            /// The wrapped UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(
    /// A conversation (the seed calls it a chat *session*).
    ConversationId
);
uuid_id!(
    /// The id a client gives each message it sends; the idempotency key for resends.
    ClientMessageId
);
uuid_id!(
    /// A callback request left while nobody was available.
    CallbackId
);
uuid_id!(
    /// A canned response (a saved reply attendants insert by its shortcut).
    CannedId
);
uuid_id!(
    /// A private note attendants leave on a conversation.
    NoteId
);
uuid_id!(
    /// A proactive message rule (a greeting shown to visitors who linger on a page).
    GreetingId
);

uuid_id!(
    /// An outgoing webhook endpoint.
    WebhookId
);
uuid_id!(
    /// An event in the outbox; sent as `webhook-id`, the same on every attempt, so a receiver
    /// can drop repeats.
    WebhookEventId
);
uuid_id!(
    /// One attempt to deliver an event to an endpoint (the delivery log's rows).
    AttemptId
);

uuid_id!(
    /// An entry of the audit log (UUIDv7: newest last in id order).
    AuditId
);
uuid_id!(
    /// An API token (its id, shown in lists and the audit log; never the token itself).
    ApiTokenId
);

/// Position of a message in its conversation: 1, 2, 3, … with no gaps.
pub type Seq = u64;

/// Milliseconds since the Unix epoch, UTC.
pub type TimestampMs = i64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_ids_reject_empty_whitespace_and_overlong_input() {
        assert!(CustomerId::parse("").is_err());
        assert!(CustomerId::parse("a b").is_err());
        assert!(CustomerId::parse("a\u{0}").is_err());
        assert!(CustomerId::parse("x".repeat(MAX_ID_LEN + 1)).is_err());
        assert_eq!(CustomerId::parse("298301").unwrap().as_str(), "298301");
    }

    #[test]
    fn ids_deserialize_through_parse() {
        let bad: Result<QueueId, _> = serde_json::from_str("\"\"");
        assert!(bad.is_err());
        let good: QueueId = serde_json::from_str("\"billing\"").unwrap();
        assert_eq!(good.as_str(), "billing");
        let conv: Result<ConversationId, _> = serde_json::from_str("\"not-a-uuid\"");
        assert!(conv.is_err());
    }
}
uuid_id!(
    /// A stored file (an attachment), chosen by the server when it is uploaded.
    FileId
);
uuid_id!(
    /// A voice or video call, chosen by the side that starts it.
    CallId
);
