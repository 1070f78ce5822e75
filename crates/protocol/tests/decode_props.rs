//! Property tests of decoding, every direction of the protocol: whatever arrives — bytes,
//! JSON of any shape, frames with the right tags and wrong fields, valid frames mutated —
//! nothing panics; the server's `decode` answers every rejection with a typed code; whatever
//! decodes encodes back to itself.
//!
//! The cases are fixed in number and seeded (`PROPTEST_RNG_SEED`, default below), so a run is
//! repeatable and its cost bounded.

use chimpassist_protocol::{
    AttendantToServer, ClientFrame, CustomerToServer, ErrorCode, Limits, ServerToAttendant,
    ServerToCustomer, decode, encode,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value, json};

/// Codes `decode` may answer; anything else is a bug.
const DECODE_CODES: [ErrorCode; 7] = [
    ErrorCode::MalformedJson,
    ErrorCode::UnknownType,
    ErrorCode::MissingField,
    ErrorCode::InvalidField,
    ErrorCode::FrameTooLarge,
    ErrorCode::TextTooLong,
    ErrorCode::EmptyText,
];

/// Tags the server sends, and some that are no tag; the clients' come from their types.
const OTHER_TAGS: &[&str] = &[
    "welcome",
    "assigned",
    "unassigned",
    "withdrawn",
    "conversation",
    "message",
    "ack",
    "queue",
    "resync",
    "error",
    "pong",
    "note",
    "customer_presence",
    "position",
    "HELLO",
    "",
    "send ",
];

fn tags() -> Vec<&'static str> {
    let mut tags = Vec::new();
    tags.extend_from_slice(CustomerToServer::TYPES);
    tags.extend_from_slice(AttendantToServer::TYPES);
    tags.extend_from_slice(OTHER_TAGS);
    tags
}

/// Field names the frames use, so generated objects hit real fields with wrong values.
const FIELDS: &[&str] = &[
    "protocol",
    "token",
    "user",
    "resume",
    "conversation",
    "last_seq",
    "client_id",
    "text",
    "kind",
    "up_to_seq",
    "state",
    "queue",
    "prechat",
    "rating",
    "score",
    "comment",
    "before_seq",
    "limit",
    "nonce",
    "presence",
    "to",
    "attendant",
    "me",
    "conversations",
    "max_text_bytes",
    "message",
    "messages",
    "more",
    "code",
    "id",
    "seq",
    "timestamp",
    "customer",
    "status",
    "receipts",
    "observations",
    "latest_seq",
    "reason",
    "note",
    "retry_after_seconds",
    "position",
    "ewt_seconds",
    "name",
    "hash",
];

fn config() -> Config {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00c4_1a55_1570);
    Config {
        cases: 2000,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        // Strings that parse as ids, UUIDs, tags.
        prop::sample::select(vec![
            "default",
            "0190f3a0-0000-7000-8000-000000000000",
            "not-a-uuid",
            "composing",
            "read",
            "online",
            "away",
            "offline",
        ])
        .prop_map(|s| Value::String(s.into())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// An object with a `type` and real field names holding arbitrary values.
fn frame_shaped() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(tags()),
        prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..8),
    )
        .prop_map(|(tag, fields)| {
            let mut object: Map<String, Value> =
                fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            object.insert("type".into(), Value::String(tag.into()));
            Value::Object(object)
        })
}

/// Valid frames of every direction, to mutate.
fn samples() -> Vec<Value> {
    let conversation = "0190f3a0-0000-7000-8000-000000000001";
    let client_id = "0190f3a0-0000-7000-8000-000000000002";
    vec![
        json!({"type": "hello", "protocol": 1, "token": "t", "user": {"id": "42", "name": "Ana", "hash": "00"},
               "resume": [{"conversation": conversation, "last_seq": 3}]}),
        json!({"type": "start_chat", "queue": "default", "prechat": {"name": "Ana", "problem": "refund"}}),
        json!({"type": "send", "conversation": conversation, "client_id": client_id, "text": "olá <b>"}),
        json!({"type": "receipt", "conversation": conversation, "kind": "read", "up_to_seq": 2}),
        json!({"type": "rate", "conversation": conversation, "rating": {"score": 4, "comment": "ok"}}),
        json!({"type": "history", "conversation": conversation, "before_seq": 9, "limit": 20}),
        json!({"type": "transfer", "conversation": conversation, "to": {"queue": "billing"}}),
        json!({"type": "next_customer", "queue": "default"}),
        json!({"type": "set_presence", "presence": "away"}),
        json!({"type": "ack", "conversation": conversation, "client_id": client_id, "seq": 1, "timestamp": 5}),
        json!({"type": "error", "code": "rate_limited", "message": "slow", "retry_after_seconds": 3}),
        json!({"type": "withdrawn", "conversation": conversation}),
        json!({"type": "resync", "conversation": conversation, "latest_seq": 700}),
        json!({"type": "message", "message": {"conversation": conversation, "seq": 1, "client_id": client_id,
               "from": {"party": "customer", "id": "c-1", "name": "Ana"}, "text": "hi", "timestamp": 1}}),
    ]
}

/// One random change to a valid frame: a field removed or replaced, or the text cut short.
fn mutated() -> impl Strategy<Value = String> {
    (
        prop::sample::select(samples()),
        any::<prop::sample::Index>(),
        json_value(),
        0..3u8,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(frame, which, replacement, how, cut)| {
            let mut object = frame.as_object().cloned().unwrap_or_default();
            let keys: Vec<String> = object.keys().cloned().collect();
            let key = which.get(&keys).clone();
            match how {
                0 => {
                    object.remove(&key);
                }
                1 => {
                    object.insert(key, replacement);
                }
                _ => {}
            }
            let text = Value::Object(object).to_string();
            if how == 2 {
                let mut end = cut.index(text.len() + 1);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text[..end].to_owned()
            } else {
                text
            }
        })
}

/// The server's decoder: a typed error or a frame that encodes back to itself.
fn server_decodes<T>(text: &str) -> Result<(), TestCaseError>
where
    T: ClientFrame + serde::Serialize + PartialEq + std::fmt::Debug,
{
    match decode::<T>(text, &Limits::default()) {
        Ok(frame) => {
            let again = decode::<T>(&encode(&frame), &Limits::default());
            prop_assert_eq!(again.as_ref().ok(), Some(&frame), "{}", text);
        }
        Err(e) => prop_assert!(DECODE_CODES.contains(&e.code), "{:?} for {}", e, text),
    }
    Ok(())
}

/// A client's decoder (serde, as the back-office reads frames): an error or a round trip.
fn client_decodes<T>(text: &str) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(frame) = serde_json::from_str::<T>(text) {
        let again: T = serde_json::from_str(&encode(&frame))
            .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(again, frame);
    }
    Ok(())
}

fn every_direction(text: &str) -> Result<(), TestCaseError> {
    server_decodes::<CustomerToServer>(text)?;
    server_decodes::<AttendantToServer>(text)?;
    client_decodes::<ServerToCustomer>(text)?;
    client_decodes::<ServerToAttendant>(text)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        every_direction(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn any_json(value in json_value()) {
        every_direction(&value.to_string())?;
    }

    #[test]
    fn frame_shaped_json(value in frame_shaped()) {
        every_direction(&value.to_string())?;
    }

    #[test]
    fn valid_frames_mutated(text in mutated()) {
        every_direction(&text)?;
    }
}

#[test]
fn the_samples_are_valid_in_their_direction() {
    let mut decoded = 0;
    for sample in samples() {
        let text = sample.to_string();
        decoded += usize::from(decode::<CustomerToServer>(&text, &Limits::default()).is_ok())
            + usize::from(decode::<AttendantToServer>(&text, &Limits::default()).is_ok())
            + usize::from(serde_json::from_str::<ServerToCustomer>(&text).is_ok())
            + usize::from(serde_json::from_str::<ServerToAttendant>(&text).is_ok());
        let any = decode::<CustomerToServer>(&text, &Limits::default()).is_ok()
            || decode::<AttendantToServer>(&text, &Limits::default()).is_ok()
            || serde_json::from_str::<ServerToCustomer>(&text).is_ok()
            || serde_json::from_str::<ServerToAttendant>(&text).is_ok();
        assert!(any, "{text} decodes in no direction");
    }
    assert!(decoded >= samples().len());
}
