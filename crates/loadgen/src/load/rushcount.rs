//! The counting behind `rush`, kept free of sockets so it is tested on its own: per
//! attendant socket, frames in one-second buckets since the rush began; their average over
//! the attendants still connected in each second; and the spread of the customers' waits.
//!
//! Why per second and per attendant: what breaks a desk in a rush is how many state frames
//! each browser must take in a second (a server that tells every attendant of every change
//! sends N × M frames), not the total over the run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::wire;

/// Seconds tracked per socket (later frames of a longer run land in the last one).
const MAX_SECONDS: usize = 3600;

/// Top-level frame types that carry desk state: what a rush multiplies.
pub(crate) fn is_state(kind: &str) -> bool {
    matches!(kind, "conversation" | "withdrawn" | "queue" | "batch")
}

/// The `type` of each frame inside a `batch` frame, by a byte scan: a batch may carry a
/// thousand conversation views, and a full parse of each would cost the load generator (on
/// the same two cores) more than the server spent writing it. The frames are the objects
/// directly inside the `frames` array; each starts with its tag (`?` if one does not).
pub(crate) fn batch_kinds(text: &str) -> Vec<&str> {
    const HEAD: &str = r#""frames":["#;
    let Some(start) = text.find(HEAD) else {
        return Vec::new();
    };
    let bytes = text.as_bytes();
    let mut kinds = Vec::new();
    // 0: between the array's items; 1: inside an item; more: nested deeper.
    let mut depth = 0_usize;
    let (mut in_string, mut escaped) = (false, false);
    for (i, &b) in bytes.iter().enumerate().skip(start + HEAD.len()) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if depth == 0 && b == b'{' {
                    kinds.push(wire::sniff_type(&text[i..]).unwrap_or("?"));
                }
                depth += 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    break; // the end of the `frames` array
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    kinds
}

/// One second of one attendant socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Second {
    /// Every frame.
    pub(crate) frames: u32,
    /// State frames (a `batch` is one: one frame on the wire).
    pub(crate) state: u32,
    /// State items: one per plain state frame, the inner frames of a `batch`.
    pub(crate) items: u32,
}

/// What one attendant socket received.
#[derive(Clone, Debug, Default)]
pub(crate) struct Buckets {
    seconds: Vec<Second>,
    /// The second the server cut the socket in (`None`: open to the end).
    cut_in: Option<usize>,
    /// Frames by top-level type over the whole run (before the rush too).
    by_kind: BTreeMap<String, u64>,
    /// The inner frames of batches, by type.
    batched: BTreeMap<String, u64>,
}

fn bump(map: &mut BTreeMap<String, u64>, kind: &str, n: u64) {
    match map.get_mut(kind) {
        Some(count) => *count += n,
        None => {
            map.insert(kind.to_owned(), n);
        }
    }
}

fn second_of(since_rush: Duration) -> usize {
    usize::try_from(since_rush.as_secs())
        .unwrap_or(usize::MAX)
        .min(MAX_SECONDS - 1)
}

impl Buckets {
    /// A frame of `kind` received `since_rush` after the rush began (`None`: before it,
    /// counted by type only); `inner` are a batch's inner frame types.
    pub(crate) fn record(&mut self, since_rush: Option<Duration>, kind: &str, inner: &[&str]) {
        bump(&mut self.by_kind, kind, 1);
        for item in inner {
            bump(&mut self.batched, item, 1);
        }
        let Some(since) = since_rush else { return };
        let s = second_of(since);
        if self.seconds.len() <= s {
            self.seconds.resize(s + 1, Second::default());
        }
        let second = &mut self.seconds[s];
        second.frames += 1;
        if is_state(kind) {
            second.state += 1;
            let items = if kind == "batch" { inner.len() } else { 1 };
            second.items += u32::try_from(items).unwrap_or(u32::MAX);
        }
    }

    /// The server cut the socket `since_rush` after the rush began (`None`: before it).
    pub(crate) fn cut(&mut self, since_rush: Option<Duration>) {
        self.cut_in = Some(since_rush.map_or(0, second_of));
    }

    /// Whether the socket was open during (some of) second `s`.
    fn open_in(&self, s: usize) -> bool {
        self.cut_in.is_none_or(|cut| cut >= s)
    }
}

/// One second over every attendant: means over those open in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub(crate) struct SecondRow {
    pub(crate) second: usize,
    /// Attendant sockets open during (some of) this second.
    pub(crate) open: usize,
    pub(crate) frames: f64,
    pub(crate) state: f64,
    pub(crate) items: f64,
    /// The busiest attendant's state frames in this second.
    pub(crate) max_state: u32,
}

/// Frames per attendant, over the run.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct FrameRates {
    pub(crate) attendants: usize,
    pub(crate) timeline: Vec<SecondRow>,
    /// The highest per-second mean of state frames per open attendant, and its second.
    pub(crate) peak_state: f64,
    pub(crate) peak_second: usize,
    /// The busiest attendant's busiest second.
    pub(crate) max_single_state: u32,
    /// State frames per open attendant-second over the whole timeline.
    pub(crate) mean_state: f64,
    /// Totals since the rush began, divided by the attendants.
    pub(crate) frames_per_attendant: f64,
    pub(crate) state_per_attendant: f64,
    pub(crate) items_per_attendant: f64,
    pub(crate) by_kind: BTreeMap<String, u64>,
    pub(crate) batched: BTreeMap<String, u64>,
}

/// Aggregates every attendant socket over at least `span` seconds since the rush began.
pub(crate) fn aggregate(all: &[Buckets], span: usize) -> FrameRates {
    let longest = all.iter().map(|b| b.seconds.len()).max().unwrap_or(0);
    let mut rates = FrameRates {
        attendants: all.len(),
        ..FrameRates::default()
    };
    let (mut state_total, mut open_seconds) = (0_u64, 0_u64);
    let (mut frames_total, mut items_total) = (0_u64, 0_u64);
    for s in 0..span.max(longest) {
        let mut row = SecondRow {
            second: s,
            ..SecondRow::default()
        };
        let (mut frames, mut state, mut items) = (0_u64, 0_u64, 0_u64);
        for b in all {
            if b.open_in(s) {
                row.open += 1;
            }
            let second = b.seconds.get(s).copied().unwrap_or_default();
            frames += u64::from(second.frames);
            state += u64::from(second.state);
            items += u64::from(second.items);
            row.max_state = row.max_state.max(second.state);
        }
        if row.open > 0 {
            let open = row.open as f64;
            (row.frames, row.state, row.items) = (
                frames as f64 / open,
                state as f64 / open,
                items as f64 / open,
            );
        }
        if row.state > rates.peak_state {
            (rates.peak_state, rates.peak_second) = (row.state, s);
        }
        rates.max_single_state = rates.max_single_state.max(row.max_state);
        (state_total, open_seconds) = (state_total + state, open_seconds + row.open as u64);
        (frames_total, items_total) = (frames_total + frames, items_total + items);
        rates.timeline.push(row);
    }
    if open_seconds > 0 {
        rates.mean_state = state_total as f64 / open_seconds as f64;
    }
    if !all.is_empty() {
        let n = all.len() as f64;
        rates.frames_per_attendant = frames_total as f64 / n;
        rates.state_per_attendant = state_total as f64 / n;
        rates.items_per_attendant = items_total as f64 / n;
    }
    for b in all {
        for (kind, n) in &b.by_kind {
            bump(&mut rates.by_kind, kind, *n);
        }
        for (kind, n) in &b.batched {
            bump(&mut rates.batched, kind, *n);
        }
    }
    rates
}

/// How long the customers waited for an answer to their chat request, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub(crate) struct Waits {
    pub(crate) count: usize,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    /// When the last customer got its answer, since the rush began.
    pub(crate) last_at_ms: f64,
}

impl Waits {
    /// From `(wait, at)` pairs in µs: the wait from `start_chat` to the first answer, and
    /// when that answer came since the rush began. `None` when there are none.
    pub(crate) fn of(samples: &[(u64, u64)]) -> Option<Self> {
        if samples.is_empty() {
            return None;
        }
        let mut waits: Vec<u64> = samples.iter().map(|&(wait, _)| wait).collect();
        waits.sort_unstable();
        // Nearest rank: the smallest wait at least a fraction `q` of the customers had.
        let rank = |q: f64| {
            let i = (q * waits.len() as f64).ceil() as usize;
            waits[i.clamp(1, waits.len()) - 1] as f64 / 1000.0
        };
        Some(Self {
            count: waits.len(),
            p50_ms: rank(0.50),
            p99_ms: rank(0.99),
            max_ms: rank(1.0),
            last_at_ms: samples.iter().map(|&(_, at)| at).max().unwrap_or(0) as f64 / 1000.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Option<Duration> {
        Some(Duration::from_millis(ms))
    }

    #[test]
    fn a_batch_is_one_state_frame_with_its_items_counted_apart() {
        let mut b = Buckets::default();
        b.record(None, "queue", &[]); // before the rush: by type only
        b.record(at(100), "conversation", &[]);
        b.record(at(900), "message", &[]);
        b.record(
            at(1_500),
            "batch",
            &["conversation", "conversation", "queue"],
        );
        b.record(at(1_600), "withdrawn", &[]);
        assert_eq!(
            b.seconds,
            [
                Second {
                    frames: 2,
                    state: 1,
                    items: 1
                },
                Second {
                    frames: 2,
                    state: 2,
                    items: 4
                },
            ]
        );
        assert_eq!(b.by_kind.get("queue"), Some(&1));
        assert_eq!(b.batched.get("conversation"), Some(&2));
    }

    #[test]
    fn seconds_average_over_the_attendants_still_open() {
        let mut a = Buckets::default();
        let mut cut = Buckets::default();
        for ms in [0, 10, 20, 1_100] {
            a.record(at(ms), "conversation", &[]);
        }
        for ms in [0, 10, 20, 30, 40, 50] {
            cut.record(at(ms), "queue", &[]);
        }
        cut.cut(at(500)); // gone during second 0: counts as open in it, not after
        let rates = aggregate(&[a, cut], 3);
        let rows: Vec<(usize, f64)> = rates.timeline.iter().map(|r| (r.open, r.state)).collect();
        assert_eq!(rows, [(2, 4.5), (1, 1.0), (1, 0.0)]);
        assert_eq!((rates.peak_state, rates.peak_second), (4.5, 0));
        assert_eq!(rates.max_single_state, 6);
        // 10 state frames over 2 + 1 + 1 open attendant-seconds.
        assert!((rates.mean_state - 2.5).abs() < 1e-9);
        assert!((rates.state_per_attendant - 5.0).abs() < 1e-9);
        assert_eq!(rates.by_kind.get("queue"), Some(&6));
    }

    #[test]
    fn nothing_to_aggregate_is_all_zero() {
        let rates = aggregate(&[], 2);
        assert_eq!(rates.timeline.len(), 2);
        assert_eq!(rates.peak_state, 0.0);
        assert_eq!(rates.frames_per_attendant, 0.0);
    }

    #[test]
    fn batch_items_are_found_by_their_tags_not_by_nested_or_quoted_braces() {
        let text = r#"{"type":"batch","frames":[{"type":"conversation","conversation":{"id":"a","customer":{"name":"{\"type\":\"x\"} ]"}}},{"type":"queue","queue":"q","observations":{"waiting":[1,2]}},{"type":"withdrawn","conversation":"b"}]}"#;
        assert_eq!(batch_kinds(text), ["conversation", "queue", "withdrawn"]);
        assert!(batch_kinds(r#"{"type":"batch","frames":[]}"#).is_empty());
        assert!(batch_kinds(r#"{"type":"queue"}"#).is_empty());
    }

    #[test]
    fn waits_take_nearest_rank_percentiles_and_the_last_answer() {
        let samples: Vec<(u64, u64)> = (1..=100).map(|i| (i * 1_000, 5_000_000 - i)).collect();
        let w = Waits::of(&samples).expect("samples");
        assert_eq!(
            (w.count, w.p50_ms, w.p99_ms, w.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        assert_eq!(w.last_at_ms, 4_999.999);
        assert_eq!(Waits::of(&[]), None);
        let one = Waits::of(&[(7_000, 9_000)]).expect("one");
        assert_eq!((one.p50_ms, one.p99_ms, one.max_ms), (7.0, 7.0, 7.0));
    }
}
