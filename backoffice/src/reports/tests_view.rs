//! Numbers in words, chart geometry, heatmap shades, histogram bins and table order.

use chimpassist_protocol::report::{Histogram, ReportRow, ReportSummary};

use super::chart::{axis_label, bars, count_ticks, full_label, label_parts};
use super::heat::{self, Bin, LEVELS, level};
use super::numbers::{Better, Change, Tone, Unit, duration, percent, points, relative};
use super::table::{Column, Sort, sort};

#[test]
fn durations_read_in_at_most_two_units() {
    assert_eq!(duration(0), "0 s");
    assert_eq!(duration(300), "< 1 s");
    assert_eq!(duration(45_000), "45 s");
    assert_eq!(duration(59_600), "1 min", "rounded to the second first");
    assert_eq!(duration(150_000), "2 min 30 s");
    assert_eq!(duration(120_000), "2 min");
    assert_eq!(duration(3_900_000), "1 h 5 min");
    assert_eq!(duration(7_200_000), "2 h");
    assert_eq!(duration(86_400_000 + 4 * 3_600_000), "1 d 4 h");
    assert_eq!(duration(-5), "0 s");
}

#[test]
fn percentages_never_round_a_part_to_all_or_none() {
    assert_eq!(percent(0.724), "72%");
    assert_eq!(percent(1.0), "100%");
    assert_eq!(percent(0.999), "99%");
    assert_eq!(percent(0.001), "1%");
    assert_eq!(percent(0.0), "0%");
}

#[test]
fn changes_say_which_way_by_how_much_and_whether_that_is_good() {
    assert_eq!(
        relative(Some(15.0), Some(12.0), Better::Higher),
        Change::Moved {
            up: true,
            amount: 25,
            unit: Unit::Percent,
            tone: Tone::Good
        }
    );
    let slower = relative(Some(90_000.0), Some(60_000.0), Better::Lower);
    assert_eq!(
        slower,
        Change::Moved {
            up: true,
            amount: 50,
            unit: Unit::Percent,
            tone: Tone::Bad
        }
    );
    assert_eq!(slower.arrow(), "↑");
    let fewer = relative(Some(9.0), Some(12.0), Better::Neutral);
    assert_eq!(
        fewer,
        Change::Moved {
            up: false,
            amount: 25,
            unit: Unit::Percent,
            tone: Tone::Neutral
        }
    );
    assert_eq!(fewer.arrow(), "↓");
    assert_eq!(relative(Some(5.0), Some(5.0), Better::Higher), Change::Same);
    assert_eq!(
        relative(Some(5.0), Some(0.0), Better::Higher),
        Change::NoPrevious
    );
    assert_eq!(relative(Some(0.0), Some(0.0), Better::Higher), Change::Same);
    assert_eq!(relative(Some(5.0), None, Better::Lower), Change::NoPrevious);
    assert_eq!(relative(None, Some(5.0), Better::Lower), Change::NoPrevious);
    assert_eq!(
        points(Some(0.85), Some(0.8), Better::Higher),
        Change::Moved {
            up: true,
            amount: 5,
            unit: Unit::Points,
            tone: Tone::Good
        }
    );
    assert_eq!(points(Some(0.8), None, Better::Higher), Change::NoPrevious);
}

#[test]
fn count_axes_have_whole_ticks_from_zero() {
    assert_eq!(count_ticks(0), [0.0, 1.0]);
    assert_eq!(count_ticks(3), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(count_ticks(87), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    assert!(count_ticks(7).iter().all(|t| t.fract() == 0.0));
}

#[test]
fn bars_fill_their_slots_from_the_axis_and_carry_the_line() {
    let labels: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
    let l = bars(400.0, 200.0, &[0, 2, 4, 1], &labels, Some(&[0, 1, 4, 0]));
    assert_eq!(l.slots.len(), 4);
    let (first, tallest) = (&l.slots[0], &l.slots[2]);
    assert_eq!(first.bar_height, 0.0);
    assert_eq!(first.bar_y, l.bottom);
    assert_eq!(
        tallest.bar_y, l.top,
        "the highest value reaches the top tick (4)"
    );
    assert!(l.slots.windows(2).all(|w| w[0].x < w[1].x));
    assert!(
        l.slots
            .iter()
            .all(|s| s.bar_x >= s.x && s.bar_x + s.bar_width <= s.x + s.width + 0.2)
    );
    assert_eq!(tallest.line_y, Some(l.top));
    assert_eq!(l.line.split(' ').count(), 4);
    assert_eq!(l.x_ticks.len(), 4, "four short labels fit");
    assert_eq!(l.y_ticks.first().map(|t| t.label.as_str()), Some("0"));
    let no_line = bars(400.0, 200.0, &[1], &labels[..1], None);
    assert!(no_line.line.is_empty() && no_line.slots[0].line_y.is_none());
}

#[test]
fn many_bars_get_thinned_labels() {
    let labels: Vec<String> = (0..168).map(|h| format!("{:02}:00", h % 24)).collect();
    let l = bars(720.0, 220.0, &vec![1; 168], &labels, None);
    assert!(
        l.x_ticks.len() < 20 && l.x_ticks.len() > 4,
        "{}",
        l.x_ticks.len()
    );
    assert_eq!(
        l.x_ticks[0].anchor, "start",
        "the first label does not hang off the left"
    );
}

#[test]
fn bucket_labels_are_short_under_the_bars_and_full_in_tooltips() {
    let day_month = |m: u32, d: u32| format!("{d}/{m}");
    assert_eq!(label_parts("2026-12-07T14:00"), Some((12, 7, Some(14))));
    assert_eq!(label_parts("2026-12-07"), Some((12, 7, None)));
    assert_eq!(axis_label("2026-12-07", false, day_month), "7/12");
    assert_eq!(axis_label("2026-12-07T14:00", false, day_month), "14:00");
    assert_eq!(axis_label("2026-12-08T00:00", false, day_month), "8/12");
    assert_eq!(axis_label("2026-12-07T00:00", true, day_month), "00:00");
    assert_eq!(axis_label("odd", false, day_month), "odd");
    assert_eq!(full_label("2026-12-07T14:00"), "2026-12-07 14:00");
}

#[test]
fn heat_shades_keep_a_single_conversation_visible() {
    assert_eq!(level(0, 100), 0);
    assert_eq!(level(1, 100), 1);
    assert_eq!(level(100, 100), LEVELS);
    assert_eq!(level(50, 100), 3);
    assert_eq!(level(3, 0), 0);
    let mut grid = vec![vec![0u64; 24]; 7];
    grid[0][14] = 4;
    grid[6][23] = 1;
    let cells = heat::cells(&grid);
    assert_eq!(cells.len(), 7 * 24);
    let monday_2pm = cells
        .iter()
        .find(|c| c.weekday == 0 && c.hour == 14)
        .expect("cell");
    assert_eq!((monday_2pm.count, monday_2pm.level), (4, LEVELS));
    let last = cells.last().expect("cell");
    assert_eq!((last.weekday, last.hour, last.level), (6, 23, 2));
    assert!(
        last.x + heat::CELL_W <= heat::HEAT_WIDTH && last.y + heat::CELL_H <= heat::HEAT_HEIGHT
    );
    assert_eq!(
        heat::cells(&[]).len(),
        7 * 24,
        "a short grid reads as zeros"
    );
}

#[test]
fn histogram_bins_run_from_zero_to_open_ended() {
    let h = Histogram {
        bounds_ms: vec![60_000, 300_000],
        counts: vec![3, 2, 1],
    };
    let bins = heat::bins(&h);
    assert_eq!(
        bins,
        [
            Bin {
                min_ms: 0,
                max_ms: Some(60_000),
                count: 3
            },
            Bin {
                min_ms: 60_000,
                max_ms: Some(300_000),
                count: 2
            },
            Bin {
                min_ms: 300_000,
                max_ms: None,
                count: 1
            },
        ]
    );
    let labels: Vec<String> = bins.iter().map(Bin::label).collect();
    assert_eq!(labels, ["< 1 min", "1–5 min", "≥ 5 min"]);
    let edge = |min_ms, max_ms| {
        Bin {
            min_ms,
            max_ms: Some(max_ms),
            count: 0,
        }
        .label()
    };
    assert_eq!(edge(30 * 60_000, 3_600_000), "30–60 min");
    assert_eq!(edge(4 * 3_600_000, 86_400_000), "4–24 h");
    assert_eq!(
        edge(1500, 90_000),
        "2 s–1 min 30 s",
        "no whole unit: each on its own"
    );
    assert_eq!(heat::bins(&Histogram::default()).len(), 1);
}

fn row(name: &str, created: u64, first_response: Option<i64>, csat: Option<f64>) -> ReportRow {
    let mut summary = ReportSummary {
        created,
        ..ReportSummary::default()
    };
    summary.first_response.median_ms = first_response;
    summary.csat.score = csat;
    ReportRow {
        id: name.to_lowercase(),
        name: name.into(),
        summary,
    }
}

fn names(rows: &[ReportRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn tables_sort_by_the_clicked_column_with_missing_values_last() {
    let mut rows = vec![
        row("bia", 3, Some(90_000), None),
        row("Ana", 5, None, Some(0.5)),
        row("Caio", 1, Some(30_000), Some(1.0)),
    ];
    let by_name = Sort::default().clicked(Column::Name);
    assert!(!by_name.descending, "names A to Z first");
    sort(&mut rows, by_name);
    assert_eq!(names(&rows), ["Ana", "bia", "Caio"]);
    sort(&mut rows, by_name.clicked(Column::Name));
    assert_eq!(names(&rows), ["Caio", "bia", "Ana"]);
    let quickest = Sort::default().clicked(Column::FirstResponse);
    assert!(!quickest.descending, "times quickest first");
    sort(&mut rows, quickest);
    assert_eq!(names(&rows), ["Caio", "bia", "Ana"]);
    sort(&mut rows, quickest.clicked(Column::FirstResponse));
    assert_eq!(names(&rows), ["bia", "Caio", "Ana"], "no value stays last");
    sort(&mut rows, Sort::default().clicked(Column::Csat));
    assert_eq!(names(&rows), ["Caio", "Ana", "bia"]);
    sort(&mut rows, Sort::default());
    assert_eq!(names(&rows), ["Ana", "bia", "Caio"]);
    assert_eq!(Sort::default().aria(Column::Created), "descending");
    assert_eq!(Sort::default().aria(Column::Name), "none");
    assert_eq!(
        Sort::default()
            .clicked(Column::Created)
            .aria(Column::Created),
        "ascending"
    );
}
