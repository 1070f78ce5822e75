//! The overview: a period's numbers sliced every way the Reports page shows them. Each slice
//! is [`summarize`] over a subset of the same rows, so every number adds up to the CSV.

use std::collections::{BTreeMap, HashMap};

use chimpassist_protocol::report::{
    Histogram, MeasureKind, ReportBucket, ReportOverview, ReportRow,
};
use chimpassist_store::ConversationFacts as Facts;

use super::period::{ReportQuery, hour, weekday};
use super::summary::{measure, summarize};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

/// The histograms' bin edges: under a minute, 1–5 min, 5–15, 15–30, 30–60, 1–4 h, 4–24 h,
/// a day or more. The same for first response and resolution, so they read side by side.
pub const HISTOGRAM_BOUNDS_MS: [i64; 7] =
    [MIN, 5 * MIN, 15 * MIN, 30 * MIN, HOUR, 4 * HOUR, 24 * HOUR];

/// Names to show for ids (attendants, queues); an id without one shows as itself.
pub type Names = HashMap<String, String>;

/// `rows` are the period's conversations the caller may see (already scoped);
/// `previous` those of the period just before.
pub fn overview(
    query: &ReportQuery,
    rows: &[Facts],
    previous: &[Facts],
    attendants: &Names,
    queues: &Names,
) -> ReportOverview {
    let period = &query.period;
    let slots = period.slots();
    let starts: Vec<i64> = slots.iter().map(|s| s.start).collect();
    let mut in_slot: Vec<Vec<&Facts>> = vec![Vec::new(); slots.len()];
    let mut heatmap = vec![vec![0u64; 24]; 7];
    for f in rows {
        let i = starts.partition_point(|s| *s <= f.created_at);
        if let Some(slot) = i.checked_sub(1).and_then(|i| in_slot.get_mut(i)) {
            slot.push(f);
        }
        let local = period.local(f.created_at);
        heatmap[weekday(local)][hour(local)] += 1;
    }
    let series = slots
        .into_iter()
        .zip(in_slot)
        .map(|(slot, facts)| ReportBucket {
            start: slot.start,
            end: slot.end,
            label: slot.label,
            summary: summarize(facts),
        })
        .collect();
    ReportOverview {
        from: period.from,
        to: period.to,
        tz: period.tz_name.clone(),
        group_by: period.group_by,
        summary: summarize(rows),
        previous: summarize(previous),
        series,
        attendants: table(
            rows,
            |f| f.conversation.attendant_id.as_ref().map(|a| a.to_string()),
            attendants,
        ),
        queues: table(rows, |f| Some(f.conversation.queue_id.to_string()), queues),
        heatmap,
        first_response_histogram: histogram(rows, MeasureKind::FirstResponse),
        resolution_histogram: histogram(rows, MeasureKind::Resolution),
    }
}

/// One row per key (conversations without one, e.g. never assigned, are in no row), busiest
/// first, then by name.
fn table(rows: &[Facts], key: impl Fn(&Facts) -> Option<String>, names: &Names) -> Vec<ReportRow> {
    let mut groups: BTreeMap<String, Vec<&Facts>> = BTreeMap::new();
    for f in rows {
        if let Some(k) = key(f) {
            groups.entry(k).or_default().push(f);
        }
    }
    let mut table: Vec<ReportRow> = groups
        .into_iter()
        .map(|(id, facts)| ReportRow {
            name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
            id,
            summary: summarize(facts),
        })
        .collect();
    table.sort_by(|a, b| {
        b.summary
            .created
            .cmp(&a.summary.created)
            .then_with(|| a.name.cmp(&b.name))
    });
    table
}

fn histogram(rows: &[Facts], kind: MeasureKind) -> Histogram {
    let mut counts = vec![0u64; HISTOGRAM_BOUNDS_MS.len() + 1];
    for value in rows.iter().filter_map(|f| measure(f, kind)) {
        counts[HISTOGRAM_BOUNDS_MS.partition_point(|b| *b <= value)] += 1;
    }
    Histogram {
        bounds_ms: HISTOGRAM_BOUNDS_MS.to_vec(),
        counts,
    }
}
