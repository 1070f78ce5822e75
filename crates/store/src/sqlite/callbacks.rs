//! Callback requests left while nobody was available.

use chimpassist_protocol::{AttendantId, CallbackId, CustomerId, QueueId, TimestampMs};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::codec::{int, parsed, parsed_opt, uuid_bytes, uuid_id};
use super::webhooks;
use crate::{Callback, CallbackCursor, CallbackFilter, Recording, StoreError, StoreResult, events};

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

pub(crate) fn create(conn: &Connection, c: &Callback, recording: &Recording) -> StoreResult<()> {
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
    match recording.keep(events::callback(c)) {
        Some(event) => webhooks::record(conn, &event),
        None => Ok(()),
    }
}

/// A page newest first, strictly below the cursor `(?1, ?2)` in `(created_at, id)` order, at
/// most `?3` rows; `$filter` is the condition of a [`CallbackFilter`] (`TRUE` for all).
macro_rules! page_sql {
    ($filter:literal) => {
        concat!(
            "SELECT ",
            callback_cols!(),
            " FROM callbacks WHERE ",
            $filter,
            " AND (created_at, id) < (?1, ?2) ORDER BY created_at DESC, id DESC LIMIT ?3"
        )
    };
}

/// Every callback: a backwards range of `callbacks_newest` (`created_at, id`), which serves
/// the descending order as it is (`tests.rs` checks each plan).
pub(crate) const ALL: &str = page_sql!("TRUE");
/// Open ones: a backwards range of their own partial index `callbacks_open`, so a long done
/// history costs nothing.
pub(crate) const OPEN: &str = page_sql!("done_at IS NULL");
/// Done ones: `callbacks_newest`, skipping the open ones (few: they are worked off).
pub(crate) const DONE: &str = page_sql!("done_at IS NOT NULL");

fn page_sql(filter: CallbackFilter) -> &'static str {
    match filter {
        CallbackFilter::Open => OPEN,
        CallbackFilter::Done => DONE,
        CallbackFilter::All => ALL,
    }
}

pub(crate) fn list(
    conn: &Connection,
    filter: CallbackFilter,
    before: Option<CallbackCursor>,
    limit: u64,
) -> StoreResult<Vec<Callback>> {
    // No cursor: start above every real key (no UUID blob exceeds sixteen 0xFF bytes).
    let (created_at, id) = match before {
        Some(c) => (c.created_at, uuid_bytes(c.id.as_uuid())),
        None => (i64::MAX, [0xFF; 16]),
    };
    let mut stmt = conn.prepare_cached(page_sql(filter))?;
    let rows = stmt.query_map(params![created_at, id, int(limit)], callback_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A customer's callbacks, newest first (`callbacks_by_customer`).
pub(crate) fn of_customer(conn: &Connection, customer: &CustomerId) -> StoreResult<Vec<Callback>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        callback_cols!(),
        " FROM callbacks WHERE customer_id = ?1 ORDER BY created_at DESC, id DESC"
    ))?;
    let rows = stmt.query_map([customer.as_str()], callback_from_row)?;
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
