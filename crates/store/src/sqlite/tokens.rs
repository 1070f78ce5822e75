//! API tokens: one table, found by the token's hash.

use chimpassist_protocol::{ApiTokenId, AttendantId, TimestampMs};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{enum_col, parsed};
use crate::tokens::{parse_scopes, scopes_text};
use crate::{ApiTokenRecord, StoreResult};

const COLUMNS: &str = "id, name, scopes, token_hash, hint, created_at, created_by, last_used_at, \
                       expires_at, revoked_at";

pub(crate) fn create(conn: &Connection, t: &ApiTokenRecord) -> StoreResult<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO api_tokens ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        t.id.to_string(),
        t.name,
        scopes_text(&t.scopes),
        t.token_hash,
        t.hint,
        t.created_at,
        t.created_by.as_str(),
        t.last_used_at,
        t.expires_at,
        t.revoked_at,
    ])?;
    Ok(())
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ApiTokenRecord> {
    Ok(ApiTokenRecord {
        id: parsed(row, 0, |raw: String| ApiTokenId::parse(&raw))?,
        name: row.get(1)?,
        scopes: enum_col(row, 2, parse_scopes)?,
        token_hash: row.get(3)?,
        hint: row.get(4)?,
        created_at: row.get(5)?,
        created_by: parsed(row, 6, AttendantId::parse)?,
        last_used_at: row.get(7)?,
        expires_at: row.get(8)?,
        revoked_at: row.get(9)?,
    })
}

pub(crate) fn list(conn: &Connection) -> StoreResult<Vec<ApiTokenRecord>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn by_hash(conn: &Connection, hash: &str) -> StoreResult<Option<ApiTokenRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?1"
        ))?
        .query_row([hash], from_row)
        .optional()?)
}

pub(crate) fn revoke(
    conn: &Connection,
    id: &ApiTokenId,
    at: TimestampMs,
) -> StoreResult<Option<ApiTokenRecord>> {
    conn.prepare_cached(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![id.to_string(), at])?;
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = ?1"))?
        .query_row([id.to_string()], from_row)
        .optional()?)
}

pub(crate) fn touch(conn: &Connection, id: &ApiTokenId, at: TimestampMs) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE api_tokens SET last_used_at = ?2 \
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )?
    .execute(params![id.to_string(), at])?;
    Ok(())
}
