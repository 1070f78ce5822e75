//! Webhooks: endpoints, the outbox, deliveries and their log (see [`crate::webhooks`]).
//!
//! Every statement here runs on the single writer (or a reader, for the log), so each
//! operation is atomic by construction: a claim's select-then-mark cannot interleave with
//! another node's — there is only one writer per file.

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_protocol::{AttemptId, TimestampMs, WebhookEventId, WebhookId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::accounts::found;
use super::codec::{enum_col, int, parsed};
use crate::{
    ClaimedDelivery, DeliveryAttempt, DeliveryNext, HealthChange, PreviousSecret, RecordedEvent,
    StoreError, StoreResult, Subscription, WebhookEndpoint,
};

/// Records an event in the outbox, inside the caller's write.
pub(crate) fn record(conn: &Connection, event: &RecordedEvent) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO webhook_events (id, type, at, data) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            event.id.to_string(),
            event.kind.as_str(),
            event.at,
            event.data
        ])?;
    Ok(())
}

const ENDPOINT_COLS: &str = "id, url, events, enabled, description, created_at, secret, \
     previous_secret, previous_secret_until, disabled_reason, failing_since";

fn endpoint_from_row(row: &Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    let previous: Option<String> = row.get(7)?;
    let until: Option<TimestampMs> = row.get(8)?;
    Ok(WebhookEndpoint {
        id: parsed(row, 0, |raw: String| WebhookId::parse(&raw))?,
        url: row.get(1)?,
        events: parsed(row, 2, |raw: String| serde_json::from_str(&raw))?,
        enabled: row.get(3)?,
        description: row.get(4)?,
        created_at: row.get(5)?,
        secret: row.get(6)?,
        previous_secret: previous
            .zip(until)
            .map(|(secret, until)| PreviousSecret { secret, until }),
        disabled_reason: row.get(9)?,
        failing_since: row.get(10)?,
    })
}

fn events_json(events: &[WebhookEventType]) -> StoreResult<String> {
    serde_json::to_string(events).map_err(StoreError::internal)
}

pub(crate) fn create(conn: &Connection, e: &WebhookEndpoint) -> StoreResult<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO webhooks ({ENDPOINT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?
    .execute(params![
        e.id.to_string(),
        e.url,
        events_json(&e.events)?,
        e.enabled,
        e.description,
        e.created_at,
        e.secret,
        e.previous_secret.as_ref().map(|p| &p.secret),
        e.previous_secret.as_ref().map(|p| p.until),
        e.disabled_reason,
        e.failing_since
    ])?;
    Ok(())
}

pub(crate) fn update(conn: &Connection, e: &WebhookEndpoint) -> StoreResult<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE webhooks SET url = ?2, events = ?3, enabled = ?4, description = ?5, \
             secret = ?6, previous_secret = ?7, previous_secret_until = ?8, \
             disabled_reason = ?9, failing_since = ?10 WHERE id = ?1",
        )?
        .execute(params![
            e.id.to_string(),
            e.url,
            events_json(&e.events)?,
            e.enabled,
            e.description,
            e.secret,
            e.previous_secret.as_ref().map(|p| &p.secret),
            e.previous_secret.as_ref().map(|p| p.until),
            e.disabled_reason,
            e.failing_since
        ])?;
    found(changed)
}

pub(crate) fn get(conn: &Connection, id: &WebhookId) -> StoreResult<Option<WebhookEndpoint>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLS} FROM webhooks WHERE id = ?1"
        ))?
        .query_row([id.to_string()], endpoint_from_row)
        .optional()?)
}

pub(crate) fn list(conn: &Connection) -> StoreResult<Vec<WebhookEndpoint>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhooks ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([], endpoint_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn delete(conn: &Connection, id: &WebhookId) -> StoreResult<()> {
    let id = id.to_string();
    let changed = conn
        .prepare_cached("DELETE FROM webhooks WHERE id = ?1")?
        .execute([&id])?;
    found(changed)?;
    conn.prepare_cached("DELETE FROM webhook_deliveries WHERE endpoint_id = ?1")?
        .execute([&id])?;
    conn.prepare_cached("DELETE FROM webhook_attempts WHERE endpoint_id = ?1")?
        .execute([&id])?;
    Ok(())
}

pub(crate) fn health(conn: &Connection, id: &WebhookId, change: &HealthChange) -> StoreResult<()> {
    let id = id.to_string();
    match change {
        HealthChange::Succeeded => conn
            .prepare_cached("UPDATE webhooks SET failing_since = NULL WHERE id = ?1")?
            .execute([id])?,
        HealthChange::Failed { at } => conn
            .prepare_cached(
                "UPDATE webhooks SET failing_since = coalesce(failing_since, ?2) WHERE id = ?1",
            )?
            .execute(params![id, at])?,
        HealthChange::Disable { reason } => conn
            .prepare_cached("UPDATE webhooks SET enabled = 0, disabled_reason = ?2 WHERE id = ?1")?
            .execute(params![id, reason])?,
    };
    Ok(())
}

/// Fans out up to `limit` events, oldest first; `INSERT OR IGNORE` on the key
/// `(event, endpoint)` makes a repeat harmless.
pub(crate) fn fan_out(
    conn: &Connection,
    subscriptions: &[Subscription],
    limit: u64,
) -> StoreResult<u64> {
    let events: Vec<(i64, String, String, TimestampMs)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, type, at FROM webhook_events WHERE fanned = 0 ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([int(limit)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (seq, id, kind, at) in &events {
        for sub in subscriptions {
            if sub.events.iter().any(|e| e.as_str() == kind) {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO webhook_deliveries (event_id, endpoint_id, due_at) \
                     VALUES (?1, ?2, ?3)",
                )?
                .execute(params![
                    id,
                    sub.endpoint.to_string(),
                    at.saturating_add(sub.delay_ms)
                ])?;
            }
        }
        conn.prepare_cached("UPDATE webhook_events SET fanned = 1 WHERE seq = ?1")?
            .execute([seq])?;
    }
    Ok(events.len() as u64)
}

fn event_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<RecordedEvent> {
    Ok(RecordedEvent {
        id: parsed(row, at, |raw: String| WebhookEventId::parse(&raw))?,
        kind: enum_col(row, at + 1, WebhookEventType::parse)?,
        at: row.get(at + 2)?,
        data: row.get(at + 3)?,
    })
}

pub(crate) fn claim(
    conn: &Connection,
    holder: &str,
    endpoints: &[WebhookId],
    now: TimestampMs,
    lease_ms: u64,
    limit: u64,
) -> StoreResult<Vec<ClaimedDelivery>> {
    let endpoints: Vec<String> = endpoints.iter().map(ToString::to_string).collect();
    let endpoints = serde_json::to_string(&endpoints).map_err(StoreError::internal)?;
    let claimed: Vec<ClaimedDelivery> = {
        let mut stmt = conn.prepare_cached(
            "SELECT d.endpoint_id, d.attempts, e.id, e.type, e.at, e.data \
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.state = 'pending' AND d.due_at <= ?1 AND d.claimed_until <= ?1 \
               AND d.endpoint_id IN (SELECT value FROM json_each(?2)) \
             ORDER BY d.due_at, e.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![now, endpoints, int(limit)], |r| {
            Ok(ClaimedDelivery {
                endpoint: parsed(r, 0, |raw: String| WebhookId::parse(&raw))?,
                attempt: r.get::<_, u32>(1)? + 1,
                event: event_from_row(r, 2)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX));
    for d in &claimed {
        conn.prepare_cached(
            "UPDATE webhook_deliveries SET claimed_by = ?3, claimed_until = ?4 \
             WHERE event_id = ?1 AND endpoint_id = ?2",
        )?
        .execute(params![
            d.event.id.to_string(),
            d.endpoint.to_string(),
            holder,
            until
        ])?;
    }
    Ok(claimed)
}

pub(crate) fn finish(conn: &Connection, holder: &str, a: &DeliveryAttempt) -> StoreResult<bool> {
    conn.prepare_cached(
        "INSERT INTO webhook_attempts (id, endpoint_id, event_id, type, attempt, at, status, \
         duration_ms, error, outcome, next_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        a.id.to_string(),
        a.endpoint.to_string(),
        a.event.to_string(),
        a.kind.as_str(),
        a.attempt,
        a.at,
        a.status,
        int(a.duration_ms),
        a.error,
        outcome_str(a.next),
        a.next.retry_at()
    ])?;
    let (state, due) = match a.next {
        DeliveryNext::Done => ("done", None),
        DeliveryNext::RetryAt(at) => ("pending", Some(at)),
        DeliveryNext::GiveUp => ("failed", None),
    };
    let moved = conn
        .prepare_cached(
            "UPDATE webhook_deliveries SET state = ?4, due_at = coalesce(?5, due_at), \
             attempts = ?6, claimed_by = NULL, claimed_until = 0 \
             WHERE event_id = ?1 AND endpoint_id = ?2 AND claimed_by = ?3 AND state = 'pending'",
        )?
        .execute(params![
            a.event.to_string(),
            a.endpoint.to_string(),
            holder,
            state,
            due,
            a.attempt
        ])?;
    Ok(moved == 1)
}

fn outcome_str(next: DeliveryNext) -> &'static str {
    match next {
        DeliveryNext::Done => "done",
        DeliveryNext::RetryAt(_) => "retry",
        DeliveryNext::GiveUp => "failed",
    }
}

fn attempt_from_row(row: &Row<'_>) -> rusqlite::Result<DeliveryAttempt> {
    let outcome: String = row.get(9)?;
    let next_at: Option<TimestampMs> = row.get(10)?;
    let next = match (outcome.as_str(), next_at) {
        ("done", _) => DeliveryNext::Done,
        ("retry", Some(at)) => DeliveryNext::RetryAt(at),
        _ => DeliveryNext::GiveUp,
    };
    Ok(DeliveryAttempt {
        id: parsed(row, 0, |raw: String| AttemptId::parse(&raw))?,
        endpoint: parsed(row, 1, |raw: String| WebhookId::parse(&raw))?,
        event: parsed(row, 2, |raw: String| WebhookEventId::parse(&raw))?,
        kind: enum_col(row, 3, WebhookEventType::parse)?,
        attempt: row.get(4)?,
        at: row.get(5)?,
        status: row.get(6)?,
        duration_ms: row.get::<_, i64>(7)?.max(0) as u64,
        error: row.get(8)?,
        next,
    })
}

/// Attempt ids are UUIDv7: their text sorts by time, so the log is one index range.
pub(crate) fn log(
    conn: &Connection,
    endpoint: &WebhookId,
    before: Option<AttemptId>,
    limit: u64,
) -> StoreResult<Vec<DeliveryAttempt>> {
    // No cursor: above every UUID's text ('g' sorts after every hex digit).
    let before = before.map_or_else(|| "g".to_owned(), |b| b.to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT id, endpoint_id, event_id, type, attempt, at, status, duration_ms, error, \
         outcome, next_at FROM webhook_attempts WHERE endpoint_id = ?1 AND id < ?2 \
         ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(
        params![endpoint.to_string(), before, int(limit)],
        attempt_from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn redeliver(
    conn: &Connection,
    endpoint: &WebhookId,
    event: &WebhookEventId,
    now: TimestampMs,
) -> StoreResult<()> {
    let exists: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ?1) \
             AND EXISTS (SELECT 1 FROM webhook_events WHERE id = ?2)",
        )?
        .query_row(params![endpoint.to_string(), event.to_string()], |r| {
            r.get(0)
        })?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (event_id, endpoint_id, due_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (event_id, endpoint_id) DO UPDATE SET state = 'pending', \
         due_at = excluded.due_at, attempts = 0, claimed_by = NULL, claimed_until = 0",
    )?
    .execute(params![event.to_string(), endpoint.to_string(), now])?;
    Ok(())
}

/// Events older than `before` that nothing still waits to deliver, with their deliveries;
/// log entries older than `before`.
pub(crate) fn prune(conn: &Connection, before: TimestampMs) -> StoreResult<u64> {
    // Deliveries to an endpoint deleted while a fan-out was under way would wait forever,
    // and keep their events: they go first.
    // The server's own subscribers (e-mail) have no row there.
    let internal = crate::webhooks::internal::all().map(|id| id.to_string());
    conn.prepare_cached(
        "DELETE FROM webhook_deliveries WHERE endpoint_id NOT IN (SELECT id FROM webhooks) \
         AND endpoint_id NOT IN (?1, ?2)",
    )?
    .execute(params![internal[0], internal[1]])?;
    const DONE: &str = "SELECT id FROM webhook_events e WHERE e.at < ?1 AND e.fanned = 1 \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                         WHERE d.event_id = e.id AND d.state = 'pending')";
    conn.prepare_cached(&format!(
        "DELETE FROM webhook_deliveries WHERE event_id IN ({DONE})"
    ))?
    .execute([before])?;
    let gone = conn
        .prepare_cached(&format!("DELETE FROM webhook_events WHERE id IN ({DONE})"))?
        .execute([before])?;
    conn.prepare_cached("DELETE FROM webhook_attempts WHERE at < ?1")?
        .execute([before])?;
    Ok(gone as u64)
}
