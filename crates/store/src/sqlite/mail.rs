//! Addresses whose owner turned mail off (`mail_suppressions`).

use chimpassist_protocol::TimestampMs;
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreResult;

pub(crate) fn mail_suppressed(conn: &Connection, key: &str) -> StoreResult<Option<TimestampMs>> {
    Ok(conn
        .prepare_cached("SELECT at FROM mail_suppressions WHERE address_key = ?1")?
        .query_row(params![key], |row| row.get(0))
        .optional()?)
}

/// `INSERT OR IGNORE`: the first time is kept, a repeat changes nothing.
pub(crate) fn suppress_mail(conn: &Connection, key: &str, at: TimestampMs) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO mail_suppressions (address_key, at) VALUES (?1, ?2)",
    )?
    .execute(params![key, at])?;
    Ok(())
}
