//! The audit log: one table, paged by its key (UUIDv7 text sorts by time).

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::{ActorKind, AuditAction};
use rusqlite::{Connection, Row, params};

use super::codec::{enum_col, int, parsed};
use crate::{AuditRecord, StoreResult};

pub(crate) fn record(conn: &Connection, e: &AuditRecord) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (id, at, actor_id, actor_name, action, target, summary, \
         actor_kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        e.id.to_string(),
        e.at,
        e.actor_id,
        e.actor_name,
        e.action.as_str(),
        e.target,
        e.summary,
        e.actor_kind.as_str()
    ])?;
    Ok(())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        id: parsed(row, 0, |raw: String| AuditId::parse(&raw))?,
        at: row.get(1)?,
        actor_kind: enum_col(row, 7, ActorKind::parse)?,
        actor_id: row.get(2)?,
        actor_name: row.get(3)?,
        action: enum_col(row, 4, AuditAction::parse)?,
        target: row.get(5)?,
        summary: row.get(6)?,
    })
}

pub(crate) fn page(
    conn: &Connection,
    before: Option<AuditId>,
    limit: u64,
) -> StoreResult<Vec<AuditRecord>> {
    // No cursor: above every UUID's text ('g' sorts after every hex digit).
    let before = before.map_or_else(|| "g".to_owned(), |b| b.to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor_id, actor_name, action, target, summary, actor_kind FROM audit_log \
         WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![before, int(limit)], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
