//! Erasing a customer in one transaction (see [`crate::Store::erase_customer`]). The files'
//! bytes on disk go after the commit (`store_impl`): a crash between leaves orphan bytes no
//! record names, never a record without its customer.

use chimpassist_protocol::{CustomerId, FileId, TimestampMs};
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::uuid_id;
use super::{accounts, webhooks};
use crate::erasure::{ERASED_CUSTOMER, placeholder};
use crate::{Erased, Recording, StoreError, StoreResult, events};

const OPEN: &str = "('queued', 'assigned', 'active')";

pub(crate) fn erase(
    conn: &Connection,
    customer: &CustomerId,
    at: TimestampMs,
    recording: &Recording,
) -> StoreResult<(Erased, Vec<FileId>)> {
    let id = customer.as_str();
    if id == ERASED_CUSTOMER {
        return Err(StoreError::Conflict(
            "the placeholder is not a customer".into(),
        ));
    }
    let record = accounts::get_customer(conn, customer)?.ok_or(StoreError::NotFound)?;
    let open: Option<i64> = conn
        .prepare_cached(&format!(
            "SELECT 1 FROM conversations WHERE customer_id = ?1 AND status IN {OPEN} LIMIT 1"
        ))?
        .query_row([id], |row| row.get(0))
        .optional()?;
    if open.is_some() {
        return Err(StoreError::Conflict(
            "the customer has an open conversation".into(),
        ));
    }
    let placeholder = placeholder();
    conn.prepare_cached(
        "INSERT OR IGNORE INTO customers (id, external_id, verified, profile_verified, name, \
         avatar_url, email, created_at) VALUES (?1, NULL, 0, 0, ?2, NULL, NULL, 0)",
    )?
    .execute(params![placeholder.id.as_str(), placeholder.name])?;

    let theirs = "SELECT id FROM conversations WHERE customer_id = ?1";
    let notes = conn
        .prepare_cached(&format!(
            "DELETE FROM notes WHERE conversation_id IN ({theirs})"
        ))?
        .execute([id])?;
    let messages = conn
        .prepare_cached("DELETE FROM messages WHERE customer_id = ?1")?
        .execute([id])?;
    let mut stmt = conn.prepare_cached("DELETE FROM files WHERE customer_id = ?1 RETURNING id")?;
    let files: Vec<FileId> = stmt
        .query_map([id], |row| uuid_id(row, 0))?
        .collect::<rusqlite::Result<_>>()?;
    let callbacks = conn
        .prepare_cached("DELETE FROM callbacks WHERE customer_id = ?1")?
        .execute([id])?;
    let conversations = conn
        .prepare_cached(
            "UPDATE conversations SET customer_id = ?2, subject = NULL, rating_comment = NULL \
             WHERE customer_id = ?1",
        )?
        .execute(params![id, ERASED_CUSTOMER])?;
    conn.prepare_cached("DELETE FROM customers WHERE id = ?1")?
        .execute([id])?;
    if let Some(event) = recording.keep(events::contact_erased(&record, at)) {
        webhooks::record(conn, &event)?;
    }
    let erased = Erased {
        conversations: conversations as u64,
        messages: messages as u64,
        notes: notes as u64,
        files: files.len() as u64,
        callbacks: callbacks as u64,
    };
    Ok((erased, files))
}
