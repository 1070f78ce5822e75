//! Turning columns into model values and SQLite errors into [`StoreError`]s.

use std::fmt;

use rusqlite::types::Type;
use rusqlite::{ErrorCode, Row};
use uuid::Uuid;

use crate::StoreError;

/// Constraint violations are the caller's conflict; locks and I/O trouble are worth a retry;
/// everything else (undecodable rows, SQL bugs) is ours.
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        match &err {
            rusqlite::Error::SqliteFailure(code, _) => match code.code {
                ErrorCode::ConstraintViolation => StoreError::Conflict(err.to_string()),
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::PermissionDenied
                | ErrorCode::FileLockingProtocolFailed
                | ErrorCode::OutOfMemory => StoreError::Unavailable(err.to_string()),
                _ => StoreError::internal(err),
            },
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            _ => StoreError::internal(err),
        }
    }
}

/// A stored value that is not what the schema promises.
#[derive(Debug)]
struct BadValue(String);

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadValue {}

fn bad(index: usize, ty: Type, what: impl Into<String>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, ty, Box::new(BadValue(what.into())))
}

/// Reads a text column through a parser (ids, enums, message text).
pub(crate) fn parsed<T, E>(
    row: &Row<'_>,
    index: usize,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> rusqlite::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let raw: String = row.get(index)?;
    parse(raw).map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, e.into()))
}

/// Like [`parsed`] for a nullable column.
pub(crate) fn parsed_opt<T, E>(
    row: &Row<'_>,
    index: usize,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> rusqlite::Result<Option<T>>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let raw: Option<String> = row.get(index)?;
    raw.map(parse)
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, e.into()))
}

/// Reads a 16-byte blob as one of the UUID ids.
pub(crate) fn uuid_id<T: From<Uuid>>(row: &Row<'_>, index: usize) -> rusqlite::Result<T> {
    let bytes: [u8; 16] = row.get(index)?;
    Ok(T::from(Uuid::from_bytes(bytes)))
}

/// Reads a text column holding one of the store's enum spellings.
pub(crate) fn enum_col<T>(
    row: &Row<'_>,
    index: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let raw: String = row.get(index)?;
    parse(&raw).ok_or_else(|| bad(index, Type::Text, format!("unknown value {raw:?}")))
}

/// The blob form of a UUID id.
pub(crate) fn uuid_bytes(id: Uuid) -> [u8; 16] {
    id.into_bytes()
}

/// SQLite integers are signed; counts and seqs beyond `i64::MAX` cannot occur, so clamp.
pub(crate) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
