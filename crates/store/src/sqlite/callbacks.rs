//! Callback requests left while nobody was available.

use chimpassist_protocol::{AttendantId, CallbackId, CustomerId, QueueId, TimestampMs};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{parsed, parsed_opt, uuid_bytes, uuid_id};
use crate::{Callback, StoreError, StoreResult};

macro_rules! callback_cols {
    () => {
        "id, queue_id, customer_id, name, phone, email, preferred_time, note, created_at, \
         done_at, done_by"
    };
}

fn callback_from_row(row: &Row<'_>) -> rusqlite::Result<Callback> {
    Ok(Callback {
        id: uuid_id(row, 0)?,
        queue_id: parsed(row, 1, QueueId::parse)?,
        customer_id: parsed_opt(row, 2, CustomerId::parse)?,
        name: row.get(3)?,
        phone: row.get(4)?,
        email: row.get(5)?,
        preferred_time: row.get(6)?,
        note: row.get(7)?,
        created_at: row.get(8)?,
        done_at: row.get(9)?,
        done_by: parsed_opt(row, 10, AttendantId::parse)?,
    })
}

pub(crate) fn create(conn: &Connection, c: &Callback) -> StoreResult<()> {
    conn.prepare_cached(concat!(
        "INSERT INTO callbacks (",
        callback_cols!(),
        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        uuid_bytes(c.id.as_uuid()),
        c.queue_id.as_str(),
        c.customer_id.as_ref().map(CustomerId::as_str),
        c.name,
        c.phone,
        c.email,
        c.preferred_time,
        c.note,
        c.created_at,
        c.done_at,
        c.done_by.as_ref().map(AttendantId::as_str)
    ])?;
    Ok(())
}

/// Open ones come from their own partial index, so a long done history costs nothing.
pub(crate) fn list(conn: &Connection, include_done: bool) -> StoreResult<Vec<Callback>> {
    let sql = if include_done {
        concat!(
            "SELECT ",
            callback_cols!(),
            " FROM callbacks ORDER BY created_at DESC, id DESC"
        )
    } else {
        concat!(
            "SELECT ",
            callback_cols!(),
            " FROM callbacks WHERE done_at IS NULL ORDER BY created_at DESC, id DESC"
        )
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], callback_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Only an open callback is changed, so the first attendant to mark it stays on record.
pub(crate) fn mark_done(
    conn: &Connection,
    id: &CallbackId,
    by: &AttendantId,
    at: TimestampMs,
) -> StoreResult<Callback> {
    let id = uuid_bytes(id.as_uuid());
    conn.prepare_cached(
        "UPDATE callbacks SET done_at = ?2, done_by = ?3 WHERE id = ?1 AND done_at IS NULL",
    )?
    .execute(params![id, at, by.as_str()])?;
    conn.prepare_cached(concat!(
        "SELECT ",
        callback_cols!(),
        " FROM callbacks WHERE id = ?1"
    ))?
    .query_row([id], callback_from_row)
    .optional()?
    .ok_or(StoreError::NotFound)
}
