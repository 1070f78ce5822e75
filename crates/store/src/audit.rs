//! The audit log's records: what an admin did, kept apart from everything it describes.

use chimpassist_protocol::audit::{ActorKind, AuditAction};
use chimpassist_protocol::{AuditId, TimestampMs};

/// One entry as stored. Its id is a UUIDv7, so id order is time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: TimestampMs,
    pub actor_kind: ActorKind,
    /// An attendant's id, or an API token's.
    pub actor_id: String,
    /// The actor's name when they acted (names change; the log should not).
    pub actor_name: String,
    pub action: AuditAction,
    pub target: String,
    pub summary: Option<String>,
}
