//! The outbox: our messages the server has not acknowledged, kept in localStorage so a
//! reload or a crash cannot lose them. On the next page load they are shown as pending
//! again and resent with the same client ids after `welcome`, so the server stores each
//! exactly once.
//!
//! The machine asks for a save (`Effect::SaveOutbox`) only when the pending list changed,
//! not on every inbound message.

use chimpassist_protocol::{ClientMessageId, ConversationId, FileId, MessageText};

use crate::timeline::Pending;
use crate::wire::{Json, Out, Value, number, string};

/// The stored form: a JSON array of `{conversation, client_id, text, at, failed?, files?,
/// names?}`.
pub(crate) fn encode<O: Out>(pending: &[Pending]) -> O {
    O::list(
        pending
            .iter()
            .map(|p| {
                Json::new()
                    .s("conversation", &p.conversation.to_string())
                    .s("client_id", &p.client_id.to_string())
                    .s("text", p.text.as_str())
                    .n("at", p.at as f64)
                    .opt("failed", p.failed.as_deref())
                    .v(
                        "files",
                        O::list(p.files.iter().map(|f| O::text(&f.to_string())).collect()),
                    )
                    .s("names", &p.names)
                    .value()
            })
            .collect(),
    )
}

/// What [`encode`] wrote; entries that no longer parse are dropped.
pub(crate) fn decode<V: Value>(list: &V) -> Vec<Pending> {
    list.items()
        .iter()
        .filter_map(|p| {
            Some(Pending {
                conversation: ConversationId::parse(&string(p, "conversation")?).ok()?,
                client_id: ClientMessageId::parse(&string(p, "client_id")?).ok()?,
                text: MessageText::stored(string(p, "text")?),
                files: p
                    .get("files")
                    .items()
                    .iter()
                    .filter_map(|f| FileId::parse(&f.string()?).ok())
                    .collect(),
                names: string(p, "names").unwrap_or_default(),
                at: number(p, "at").unwrap_or(0.0) as i64,
                failed: string(p, "failed"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_messages_survive_a_reload() {
        let c = ConversationId::new();
        let pending = vec![
            Pending {
                conversation: c,
                client_id: ClientMessageId::new(),
                text: MessageText::parse("first \"quoted\"\nline", 100).unwrap(),
                files: Vec::new(),
                names: String::new(),
                at: 1_764_000_000_123,
                failed: None,
            },
            Pending {
                conversation: c,
                client_id: ClientMessageId::new(),
                text: MessageText::parse("too long", 100).unwrap(),
                files: vec![FileId::new()],
                names: "scan.pdf".into(),
                at: 2,
                failed: Some("text_too_long".into()),
            },
        ];
        let stored: serde_json::Value = encode(&pending);
        let text = stored.to_string();
        let read: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(decode(&&read), pending);
    }

    #[test]
    fn unreadable_entries_are_dropped() {
        let read = serde_json::json!([{"conversation": "nope", "client_id": "x", "text": "hi"}, 3]);
        assert!(decode(&&read).is_empty());
        assert!(decode(&&serde_json::json!({"not": "a list"})).is_empty());
    }
}
