//! The report facts of a period: one range of `conversations_created`, each row with its
//! customer's name (a primary-key lookup).

use chimpassist_protocol::TimestampMs;
use rusqlite::{Connection, Row, params};

use super::codec::{int, uuid_bytes};
use super::conversations::{conversation_cols, conversation_from_row};
use crate::{ConversationFacts, FactsCursor, StoreResult};

/// The columns after [`conversation_cols`], from index 12.
pub(crate) const FACTS: &str = concat!(
    "SELECT ",
    conversation_cols!(),
    ", cu.name, c.created_at, c.first_assigned_at, c.first_response_at, c.reopened, \
     c.customer_messages, c.attendant_messages, c.calls, c.calls_answered, c.calls_missed, \
     c.talk_ms FROM conversations c JOIN customers cu ON cu.id = c.customer_id \
     WHERE (c.created_at, c.id) > (?1, ?2) AND c.created_at < ?3 \
     ORDER BY c.created_at, c.id LIMIT ?4"
);

fn facts_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationFacts> {
    Ok(ConversationFacts {
        conversation: conversation_from_row(row)?,
        customer_name: row.get(12)?,
        created_at: row.get(13)?,
        first_assigned_at: row.get(14)?,
        first_response_at: row.get(15)?,
        reopened: row.get(16)?,
        customer_messages: row.get(17)?,
        attendant_messages: row.get(18)?,
        calls: row.get(19)?,
        calls_answered: row.get(20)?,
        calls_missed: row.get(21)?,
        talk_ms: row.get(22)?,
    })
}

pub(crate) fn facts(
    conn: &Connection,
    from: TimestampMs,
    to: TimestampMs,
    after: Option<FactsCursor>,
    limit: u64,
) -> StoreResult<Vec<ConversationFacts>> {
    // No cursor: from `from` on, below every id (the empty blob sorts before any UUID).
    let (created_at, id) = match after {
        Some(c) => (c.created_at, uuid_bytes(c.id.as_uuid()).to_vec()),
        None => (from, Vec::new()),
    };
    let created_at = created_at.max(from);
    // SQLite reads a negative limit as "no limit".
    let limit = if limit == 0 { -1 } else { int(limit) };
    let mut stmt = conn.prepare_cached(FACTS)?;
    let rows = stmt.query_map(params![created_at, id, to, limit], facts_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
