//! The visitor's context and the site's attributes of a customer, kept as JSON in
//! `customers.visit` and `customers.attributes` (read and written whole; the attributes'
//! values also as text in `attribute_values`, for search).

use chimpassist_protocol::{AttributeChanges, Attributes, CustomerId, TimestampMs, VisitView};
use rusqlite::{Connection, OptionalExtension, params};

use super::accounts::found;
use super::webhooks;
use crate::{Recording, StoreError, StoreResult, events};

pub(crate) fn customer_visit(conn: &Connection, id: &CustomerId) -> StoreResult<Option<VisitView>> {
    let json: Option<Option<String>> = conn
        .prepare_cached("SELECT visit FROM customers WHERE id = ?1")?
        .query_row(params![id.as_str()], |row| row.get(0))
        .optional()?;
    json.flatten()
        .map(|j| {
            serde_json::from_str(&j)
                .map_err(|e| StoreError::internal(format!("a stored visit does not read: {e}")))
        })
        .transpose()
}

pub(crate) fn set_customer_visit(
    conn: &Connection,
    id: &CustomerId,
    visit: &VisitView,
) -> StoreResult<()> {
    let json = serde_json::to_string(visit)
        .map_err(|e| StoreError::internal(format!("a visit does not write: {e}")))?;
    let changed = conn
        .prepare_cached("UPDATE customers SET visit = ?2 WHERE id = ?1")?
        .execute(params![id.as_str(), json])?;
    found(changed)
}

pub(crate) fn customer_attributes(conn: &Connection, id: &CustomerId) -> StoreResult<Attributes> {
    let json: Option<Option<String>> = conn
        .prepare_cached("SELECT attributes FROM customers WHERE id = ?1")?
        .query_row(params![id.as_str()], |row| row.get(0))
        .optional()?;
    match json.flatten() {
        None => Ok(Attributes::default()),
        Some(j) => serde_json::from_str(&j)
            .map_err(|e| StoreError::internal(format!("stored attributes do not read: {e}"))),
    }
}

pub(crate) fn update_customer_attributes(
    conn: &Connection,
    id: &CustomerId,
    changes: &AttributeChanges,
    at: TimestampMs,
    recording: &Recording,
) -> StoreResult<Option<Attributes>> {
    // On the writer: nothing else writes between this read and the update.
    let row: Option<(Option<String>, bool, Option<String>)> = conn
        .prepare_cached("SELECT attributes, verified, external_id FROM customers WHERE id = ?1")?
        .query_row(params![id.as_str()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((json, verified, external_id)) = row else {
        return Err(StoreError::NotFound);
    };
    let kept: Attributes = match json {
        None => Attributes::default(),
        Some(j) => serde_json::from_str(&j)
            .map_err(|e| StoreError::internal(format!("stored attributes do not read: {e}")))?,
    };
    let next = kept
        .merged(changes)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    if next == kept {
        return Ok(None);
    }
    let json = serde_json::to_string(&next)
        .map_err(|e| StoreError::internal(format!("attributes do not write: {e}")))?;
    conn.prepare_cached(
        "UPDATE customers SET attributes = ?2, attribute_values = ?3 WHERE id = ?1",
    )?
    .execute(params![id.as_str(), json, next.search_text()])?;
    // The event names the site's id only when the site proved it: anyone can claim one.
    let site_id = external_id.filter(|_| verified);
    if let Some(event) = recording.keep(events::contact_updated(id, site_id, &next, at)) {
        webhooks::record(conn, &event)?;
    }
    Ok(Some(next))
}
