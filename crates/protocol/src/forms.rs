//! The string form of each small protocol enum, written once.
//!
//! The same words appear on the wire (serde's `snake_case`), in both stores' columns and in
//! the widget's hand-written codec. They are defined here and nowhere else;
//! `tests/forms.rs` checks that each one is exactly what serde writes.

use std::fmt;

/// A string that names none of an enum's values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {raw:?}")]
pub struct UnknownForm {
    /// The enum's name, e.g. `party`.
    pub kind: &'static str,
    pub raw: String,
}

/// `as_str`, `parse`, `FromStr`, `Display` and the list of every value.
macro_rules! string_forms {
    ($ty:ident, $kind:literal { $($variant:ident => $form:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order. Complete by construction: `as_str`'s
            /// `match` over the same list fails to compile when a variant is missing.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire and storage form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $form),+ }
            }

            /// The value whose [`Self::as_str`] is `raw`.
            pub fn parse(raw: &str) -> Option<Self> {
                match raw { $($form => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::forms::UnknownForm;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw).ok_or_else(|| $crate::forms::UnknownForm {
                    kind: $kind,
                    raw: raw.to_owned(),
                })
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

use crate::audit::{ActorKind, AuditAction};
use crate::call::{CallEndReason, CallMedia, CallPolicy, Hangup};
use crate::model::{
    AssignmentMode, ConversationStatus, CustomerPresence, Party, Presence, ReceiptKind, Role,
    TypingState,
};
use crate::report::{GroupBy, MeasureKind};
use crate::token::ApiScope;
use crate::webhook::WebhookEventType;

string_forms!(Party, "party" { Customer => "customer", Attendant => "attendant", Bot => "bot" });
string_forms!(ConversationStatus, "status" {
    Queued => "queued",
    Assigned => "assigned",
    Active => "active",
    Resolved => "resolved",
    Expired => "expired",
    Abandoned => "abandoned",
});
string_forms!(Presence, "presence" { Online => "online", Away => "away", Offline => "offline" });
string_forms!(CustomerPresence, "customer presence" {
    Active => "active",
    Inactive => "inactive",
    Gone => "gone",
});
string_forms!(TypingState, "typing state" { Composing => "composing", Paused => "paused" });
string_forms!(ReceiptKind, "receipt kind" { Delivered => "delivered", Read => "read" });
string_forms!(Role, "role" { Admin => "admin", Attendant => "attendant" });
string_forms!(AssignmentMode, "assignment mode" { Auto => "auto", Manual => "manual" });
string_forms!(CallMedia, "call media" { Voice => "voice", Video => "video" });
string_forms!(Hangup, "hangup" { HungUp => "hung_up", Failed => "failed" });
string_forms!(CallEndReason, "call end reason" {
    HungUp => "hung_up",
    Declined => "declined",
    Missed => "missed",
    Failed => "failed",
    Disconnected => "disconnected",
    ConversationEnded => "conversation_ended",
    Transferred => "transferred",
});
string_forms!(GroupBy, "group" { Hour => "hour", Day => "day", Week => "week" });
string_forms!(MeasureKind, "measure" {
    Wait => "wait",
    FirstResponse => "first_response",
    FirstResponseAfterAssignment => "first_response_after_assignment",
    Resolution => "resolution",
    Handle => "handle",
});
string_forms!(WebhookEventType, "event type" {
    ConversationCreated => "conversation.created",
    ConversationAssigned => "conversation.assigned",
    ConversationTransferred => "conversation.transferred",
    ConversationResolved => "conversation.resolved",
    ConversationEnded => "conversation.ended",
    ConversationReopened => "conversation.reopened",
    MessageCreated => "message.created",
    CsatSubmitted => "csat.submitted",
    CallbackRequested => "callback.requested",
    CallEnded => "call.ended",
    ContactErased => "contact.erased",
    ContactUpdated => "contact.updated",
});
string_forms!(AuditAction, "audit action" {
    AttendantCreated => "attendant.created",
    AttendantUpdated => "attendant.updated",
    AttendantPasswordReset => "attendant.password_reset",
    QueueSaved => "queue.saved",
    CannedCreated => "canned.created",
    CannedUpdated => "canned.updated",
    CannedDeleted => "canned.deleted",
    GreetingCreated => "greeting.created",
    GreetingUpdated => "greeting.updated",
    GreetingDeleted => "greeting.deleted",
    WebhookCreated => "webhook.created",
    WebhookUpdated => "webhook.updated",
    WebhookDeleted => "webhook.deleted",
    WebhookSecretRotated => "webhook.secret_rotated",
    WebhookRedelivered => "webhook.redelivered",
    TokenCreated => "token.created",
    TokenRevoked => "token.revoked",
    ContactExported => "contact.exported",
    ContactErased => "contact.erased",
});
string_forms!(ApiScope, "API scope" {
    ConversationsRead => "conversations:read",
    ReportsRead => "reports:read",
    MessagesWrite => "messages:write",
    ConversationsManage => "conversations:manage",
    Admin => "admin",
});
string_forms!(ActorKind, "actor kind" {
    Attendant => "attendant",
    Token => "token",
});
string_forms!(CallPolicy, "call policy" {
    Off => "off",
    AttendantStarts => "attendant_starts",
    EitherSide => "either_side",
});
