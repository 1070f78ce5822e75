//! Leases: one row per name. Both operations run on the single writer, so each is atomic by
//! construction; the claim is nonetheless one statement, so its rule reads in one place.

use chimpassist_protocol::TimestampMs;
use rusqlite::{Connection, params};

use crate::{Lease, StoreResult};

/// Inserts a free lease with term 1; on an existing one, the `WHERE` admits only a claim that
/// may be granted (run out, or a renewal by the holder). Unqualified columns in `DO UPDATE`
/// are the stored row's old values, so the term rises exactly when the stored lease had run
/// out — also for the same holder — and a renewal keeps it.
const CLAIM: &str = "\
INSERT INTO leases (name, holder, term, expires_at) VALUES (?1, ?2, 1, ?4)
ON CONFLICT (name) DO UPDATE SET
    term = CASE WHEN expires_at <= ?3 THEN term + 1 ELSE term END,
    holder = excluded.holder,
    expires_at = excluded.expires_at
WHERE expires_at <= ?3 OR holder = excluded.holder";

pub(crate) fn claim(
    conn: &Connection,
    name: &str,
    holder: &str,
    now: TimestampMs,
    ttl_ms: u64,
) -> StoreResult<Lease> {
    conn.prepare_cached(CLAIM)?
        .execute(params![name, holder, now, Lease::expiry(now, ttl_ms)])?;
    // Granted or not, the row now exists: answer with it as it stands.
    Ok(conn
        .prepare_cached("SELECT holder, term, expires_at FROM leases WHERE name = ?1")?
        .query_row([name], |row| {
            Ok(Lease {
                name: name.to_owned(),
                holder: row.get(0)?,
                term: row.get(1)?,
                expires_at: row.get(2)?,
            })
        })?)
}

/// Only a lease `holder` still holds is changed, and only ever made to run out sooner (at
/// `now`), so the next claim is a fresh grant with a new term.
pub(crate) fn release(
    conn: &Connection,
    name: &str,
    holder: &str,
    now: TimestampMs,
) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND holder = ?2 AND expires_at > ?3",
    )?
    .execute(params![name, holder, now])?;
    Ok(())
}
