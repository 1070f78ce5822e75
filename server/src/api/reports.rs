//! Reports: the overview, the drill-down, the CSV and the live snapshot. Definitions are in
//! `crate::reports`; this module only asks the store for a period's facts, scopes them to the
//! caller and answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chimpassist_protocol::report::{LiveSnapshot, ReportConversationsPage, ReportOverview};
use chimpassist_protocol::{
    ConversationId, ConversationStatus, CustomerId, Presence, Role, TimestampMs,
};
use chimpassist_store::{Attendant, ConversationFacts, FactsCursor};
use serde::Deserialize;

use super::extract::{AppQuery, Reader, ReportsRead};
use crate::error::{AppError, AppResult};
use crate::reports::overview::{Names, overview};
use crate::reports::rows::{CSV_HEADER, csv_line, row};
use crate::reports::{RawQuery, ReportQuery};
use crate::state::AppState;
use crate::views::now_ms;

/// Rows per drill-down page when `limit` is not given, and the most one page has.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;
/// Conversations read from the store per CSV chunk: memory stays flat however long the period.
const CSV_PAGE: u64 = 1_000;

/// The parameters of every period route. The narrowing ones (`status` … `max_ms`) apply to
/// the drill-down and the CSV; the overview slices by them itself.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub(super) struct ReportParams {
    /// Start of the period, Unix milliseconds (included).
    from: Option<i64>,
    /// End of the period, Unix milliseconds (excluded); at most 366 days after `from`.
    to: Option<i64>,
    /// IANA time zone of buckets, the heatmap and the CSV's times (default `UTC`).
    tz: Option<String>,
    /// `hour`, `day` (default) or `week`; at most 1,000 buckets.
    group_by: Option<String>,
    /// Only this queue's conversations.
    queue: Option<String>,
    /// Only this attendant's (who holds or last held each). An attendant's reports are
    /// always their own: another id is `403`.
    attendant: Option<String>,
    /// Only conversations now in this status (`resolved`, `abandoned`, …).
    status: Option<String>,
    /// Only those rated this (1–5).
    rating: Option<u8>,
    /// Only those reopened at least once (`true`) or never (`false`).
    reopened: Option<bool>,
    /// Only those rated (`true`: behind the CSAT numbers) or not.
    rated: Option<bool>,
    /// Only those with a call (`true`) or without.
    calls: Option<bool>,
    /// Only those requested on this local day of the week (0 = Monday … 6).
    weekday: Option<u8>,
    /// Only those requested in this local hour (0–23).
    hour: Option<u8>,
    /// With `min_ms`/`max_ms`: only those whose measure (`wait`, `first_response`,
    /// `first_response_after_assignment`, `resolution`, `handle`) is in `[min_ms, max_ms)`.
    measure: Option<String>,
    min_ms: Option<i64>,
    max_ms: Option<i64>,
    /// Drill-down: `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Drill-down: rows per page (1–200, default 50).
    limit: Option<usize>,
}

/// The request, parsed, and scoped to what the caller may see (current role, read from the
/// store on every request: a demoted admin sees only their own numbers at once).
fn scoped(me: &Attendant, params: &ReportParams) -> AppResult<ReportQuery> {
    let mut query = ReportQuery::parse(RawQuery {
        from: params.from,
        to: params.to,
        tz: params.tz.clone(),
        group_by: params.group_by.clone(),
        queue: params.queue.clone(),
        attendant: params.attendant.clone(),
        status: params.status.clone(),
        rating: params.rating,
        reopened: params.reopened,
        rated: params.rated,
        calls: params.calls,
        weekday: params.weekday,
        hour: params.hour,
        measure: params.measure.clone(),
        min_ms: params.min_ms,
        max_ms: params.max_ms,
    })?;
    if me.role != Role::Admin {
        if query.scope.attendant.as_ref().is_some_and(|a| *a != me.id) {
            return Err(AppError::forbidden());
        }
        query.scope.attendant = Some(me.id.clone());
    }
    Ok(query)
}

/// Every conversation first requested in `[from, to)` that `keep` lets through.
async fn facts(
    state: &AppState,
    from: TimestampMs,
    to: TimestampMs,
    keep: impl Fn(&ConversationFacts) -> bool,
) -> AppResult<Vec<ConversationFacts>> {
    let mut all = state.store.conversation_facts(from, to, None, 0).await?;
    all.retain(keep);
    Ok(all)
}

async fn attendant_names(state: &AppState) -> AppResult<Names> {
    Ok(state
        .store
        .list_attendants()
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a.name))
        .collect())
}

/// The names of the customers of `rows` (the rows shown: a page, a CSV chunk).
async fn customer_names(
    state: &AppState,
    rows: &[ConversationFacts],
) -> AppResult<HashMap<CustomerId, String>> {
    let mut ids: Vec<CustomerId> = rows
        .iter()
        .map(|f| f.conversation.customer_id.clone())
        .collect();
    ids.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    Ok(state.store.customer_names(&ids).await?)
}

/// # GET /api/reports/overview
///
/// The period's numbers (see `docs/reports.md` for each definition), the previous period's
/// (same length, just before), a series per bucket, per-attendant and per-queue tables, a
/// day-of-week × hour heatmap of conversations created, and first-response and resolution
/// histograms. Narrowing parameters are ignored here.
#[utoipa::path(get, path = "/api/reports/overview", tag = "reports", params(ReportParams),
    responses((status = 200, body = ReportOverview)))]
pub(super) async fn report_overview(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ReportsRead>,
    AppQuery(params): AppQuery<ReportParams>,
) -> AppResult<Json<ReportOverview>> {
    let mut query = scoped(&me, &params)?;
    query.narrow = Default::default();
    let (from, to) = (query.period.from, query.period.to);
    // Two reads on two of the store's reader connections at once: the overview's time is
    // then that of the longer one, not their sum.
    let (rows, previous) = tokio::try_join!(
        facts(&state, from, to, |f| query.keeps(f)),
        facts(&state, from - (to - from), from, |f| query.keeps(f)),
    )?;
    let queues: Names = state
        .store
        .list_queues()
        .await?
        .into_iter()
        .map(|q| (q.id.to_string(), q.name))
        .collect();
    let attendants = attendant_names(&state).await?;
    Ok(Json(overview(
        &query,
        &rows,
        &previous,
        &attendants,
        &queues,
    )))
}

/// `created_at.id` of the last row of a page.
fn parse_cursor(raw: &str) -> AppResult<FactsCursor> {
    let bad = || AppError::invalid("bad `cursor`: pass `next_cursor` as it came");
    let (at, id) = raw.split_once('.').ok_or_else(bad)?;
    Ok(FactsCursor {
        created_at: at.parse().map_err(|_| bad())?,
        id: ConversationId::parse(id).map_err(|_| bad())?,
    })
}

/// # GET /api/reports/conversations
///
/// The conversations behind any number of the overview (the drill-down), oldest request
/// first, a page at a time, with how many match in all.
#[utoipa::path(get, path = "/api/reports/conversations", tag = "reports", params(ReportParams),
    responses((status = 200, body = ReportConversationsPage)))]
pub(super) async fn report_conversations(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ReportsRead>,
    AppQuery(params): AppQuery<ReportParams>,
) -> AppResult<Json<ReportConversationsPage>> {
    let query = scoped(&me, &params)?;
    let after = params.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let matching = facts(&state, query.period.from, query.period.to, |f| {
        query.keeps(f)
    })
    .await?;
    let start = after.map_or(0, |c| {
        matching.partition_point(|f| (f.created_at, f.conversation.id) <= (c.created_at, c.id))
    });
    let page = &matching[start.min(matching.len())..(start + limit).min(matching.len())];
    let attendants = attendant_names(&state).await?;
    let customers = customer_names(&state, page).await?;
    let next_cursor = (start + page.len() < matching.len())
        .then(|| page.last())
        .flatten()
        .map(|f| format!("{}.{}", f.created_at, f.conversation.id));
    Ok(Json(ReportConversationsPage {
        total: matching.len() as u64,
        conversations: page
            .iter()
            .map(|f| row(f, &attendants, &customers))
            .collect(),
        next_cursor,
    }))
}

/// What the CSV stream still has to read.
struct CsvState {
    state: Arc<AppState>,
    query: ReportQuery,
    attendants: Names,
    after: Option<FactsCursor>,
    done: bool,
}

/// The next chunk of lines: one store page, filtered. A failing read ends the stream with
/// an error, so the download is cut off visibly rather than ending short but "complete".
async fn next_chunk(mut s: CsvState) -> Option<(Result<Bytes, std::io::Error>, CsvState)> {
    if s.done {
        return None;
    }
    match chunk(&mut s).await {
        Ok(lines) => Some((Ok(Bytes::from(lines)), s)),
        Err(e) => {
            tracing::warn!(error = %e, "the reports CSV stopped: the store failed");
            s.done = true;
            Some((Err(std::io::Error::other("store failed")), s))
        }
    }
}

/// The lines of the next store page, moving the cursor past it.
async fn chunk(s: &mut CsvState) -> AppResult<String> {
    let (from, to) = (s.query.period.from, s.query.period.to);
    let page = s
        .state
        .store
        .conversation_facts(from, to, s.after, CSV_PAGE)
        .await?;
    s.done = (page.len() as u64) < CSV_PAGE;
    s.after = page.last().map(|f| FactsCursor {
        created_at: f.created_at,
        id: f.conversation.id,
    });
    let kept: Vec<ConversationFacts> = page.into_iter().filter(|f| s.query.keeps(f)).collect();
    let customers = customer_names(&s.state, &kept).await?;
    let mut lines = String::new();
    for f in &kept {
        let row = row(f, &s.attendants, &customers);
        lines.push_str(&csv_line(&row, &s.query.period));
    }
    Ok(lines)
}

/// # GET /api/reports/conversations.csv
///
/// Every conversation of the drill-down as CSV: UTF-8, a header row, one row per
/// conversation with every measure (times in `tz` with their offset, durations in seconds
/// to the millisecond), streamed as it is read.
#[utoipa::path(get, path = "/api/reports/conversations.csv", tag = "reports",
    params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub(super) async fn report_csv(
    State(state): State<Arc<AppState>>,
    Reader(me, _): Reader<ReportsRead>,
    AppQuery(params): AppQuery<ReportParams>,
) -> AppResult<Response> {
    let query = scoped(&me, &params)?;
    let attendants = attendant_names(&state).await?;
    let name = format!(
        "conversations-{}-{}.csv",
        query
            .period
            .iso(query.period.from)
            .get(..10)
            .unwrap_or("from"),
        query
            .period
            .iso(query.period.to - 1)
            .get(..10)
            .unwrap_or("to"),
    );
    let header = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(CSV_HEADER.as_bytes()))
    });
    let rows = futures_util::stream::unfold(
        CsvState {
            state,
            query,
            attendants,
            after: None,
            done: false,
        },
        next_chunk,
    );
    use futures_util::StreamExt;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(header.chain(rows)),
    )
        .into_response())
}

/// # GET /api/reports/live
///
/// The desk right now: conversations waiting and being served (from the store, so every
/// node agrees), attendants by presence (from the coordinator), the longest wait.
#[utoipa::path(get, path = "/api/reports/live", tag = "reports",
    responses((status = 200, body = LiveSnapshot)))]
pub(super) async fn report_live(
    State(state): State<Arc<AppState>>,
    _: Reader<ReportsRead>,
) -> AppResult<Json<LiveSnapshot>> {
    let now = now_ms();
    let open = state.store.list_open_conversations().await?;
    let mut live = LiveSnapshot {
        at: now,
        ..LiveSnapshot::default()
    };
    for c in &open {
        if c.status == ConversationStatus::Queued {
            live.waiting += 1;
            live.longest_wait_ms = live.longest_wait_ms.max(now - c.requested_at);
        } else {
            live.active += 1;
        }
    }
    for a in state.store.list_attendants().await? {
        if a.disabled {
            continue;
        }
        let held = open
            .iter()
            .filter(|c| c.attendant_id.as_ref() == Some(&a.id))
            .count() as u64;
        match state.coordinator.presence_of_attendant(&a.id) {
            Presence::Online if held >= u64::from(a.capacity) => live.busy += 1,
            Presence::Online => live.online += 1,
            Presence::Away => live.away += 1,
            Presence::Offline => live.offline += 1,
        }
    }
    Ok(Json(live))
}
