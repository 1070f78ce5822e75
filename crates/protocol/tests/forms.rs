//! Each enum's `as_str` is exactly what serde writes, and `parse` reads it back.

use chimpassist_protocol::audit::{ActorKind, AuditAction};
use chimpassist_protocol::report::{GroupBy, MeasureKind};
use chimpassist_protocol::token::ApiScope;
use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{
    AssignmentMode, CallEndReason, CallMedia, CallPolicy, ConversationStatus, CustomerPresence,
    Hangup, Party, Presence, ReceiptKind, Role, TypingState,
};
use serde::Serialize;
use std::fmt::Display;
use std::str::FromStr;

fn check<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: Copy + Serialize + FromStr + Display + PartialEq + std::fmt::Debug,
{
    for &value in all {
        let serde = serde_json::to_value(value).expect("serialize");
        assert_eq!(serde, serde_json::Value::from(as_str(value)), "{value:?}");
        assert_eq!(value.to_string(), as_str(value));
        assert!(T::from_str(as_str(value)).ok() == Some(value), "{value:?}");
    }
    assert!(T::from_str("no such value").is_err());
}

#[test]
fn every_string_form_is_the_serde_form_and_reads_back() {
    check(Party::ALL, Party::as_str);
    check(ConversationStatus::ALL, ConversationStatus::as_str);
    check(Presence::ALL, Presence::as_str);
    check(CustomerPresence::ALL, CustomerPresence::as_str);
    check(TypingState::ALL, TypingState::as_str);
    check(ReceiptKind::ALL, ReceiptKind::as_str);
    check(Role::ALL, Role::as_str);
    check(AssignmentMode::ALL, AssignmentMode::as_str);
    check(CallPolicy::ALL, CallPolicy::as_str);
    check(CallMedia::ALL, CallMedia::as_str);
    check(CallEndReason::ALL, CallEndReason::as_str);
    check(Hangup::ALL, Hangup::as_str);
    check(GroupBy::ALL, GroupBy::as_str);
    check(MeasureKind::ALL, MeasureKind::as_str);
    check(WebhookEventType::ALL, WebhookEventType::as_str);
    check(AuditAction::ALL, AuditAction::as_str);
    check(ApiScope::ALL, ApiScope::as_str);
    check(ActorKind::ALL, ActorKind::as_str);
}
