//! The report facts of a period: one range of `conversations_created`; and the names of a
//! page of rows' customers.

use std::collections::HashMap;

use chimpassist_protocol::{CustomerId, TimestampMs};
use rusqlite::{Connection, Row, params};

use super::codec::{int, parsed, uuid_bytes};
use super::conversations::{conversation_cols, conversation_from_row};
use crate::{ConversationFacts, FactsCursor, StoreResult};

/// The columns after [`conversation_cols`], from index 12.
pub(crate) const FACTS: &str = concat!(
    "SELECT ",
    conversation_cols!(),
    ", c.created_at, c.first_assigned_at, c.first_response_at, c.reopened, \
     c.customer_messages, c.attendant_messages, c.calls, c.calls_answered, c.calls_missed, \
     c.talk_ms FROM conversations c \
     WHERE (c.created_at, c.id) > (?1, ?2) AND c.created_at < ?3 \
     ORDER BY c.created_at, c.id LIMIT ?4"
);

fn facts_from_row(row: &Row<'_>) -> rusqlite::Result<ConversationFacts> {
    Ok(ConversationFacts {
        conversation: conversation_from_row(row)?,
        created_at: row.get(12)?,
        first_assigned_at: row.get(13)?,
        first_response_at: row.get(14)?,
        reopened: row.get(15)?,
        customer_messages: row.get(16)?,
        attendant_messages: row.get(17)?,
        calls: row.get(18)?,
        calls_answered: row.get(19)?,
        calls_missed: row.get(20)?,
        talk_ms: row.get(21)?,
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

/// One primary-key lookup per id (the ids travel as one JSON array).
pub(crate) fn customer_names(
    conn: &Connection,
    ids: &[CustomerId],
) -> StoreResult<HashMap<CustomerId, String>> {
    let ids: Vec<&str> = ids.iter().map(CustomerId::as_str).collect();
    let json = serde_json::to_string(&ids).map_err(crate::StoreError::internal)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, name FROM customers WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([json], |row| {
        Ok((parsed(row, 0, CustomerId::parse)?, row.get::<_, String>(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
