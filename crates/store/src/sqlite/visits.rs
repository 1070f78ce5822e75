//! The visitor's context, kept as JSON in `customers.visit` (read and written whole).

use chimpassist_protocol::{CustomerId, VisitView};
use rusqlite::{Connection, OptionalExtension, params};

use super::accounts::found;
use crate::{StoreError, StoreResult};

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
