//! Periods and query strings.

use chimpassist_protocol::ConversationStatus;
use chimpassist_protocol::report::{GroupBy, MeasureKind};

use super::period::{self, Date, Period, Preset};
use super::query::{Drill, Filters, csv_name};

/// São Paulo: three hours behind UTC all year.
fn sao_paulo(_: i64) -> i32 {
    -180
}

/// Berlin around its 2026 spring change (2026-03-29T01:00Z): +1 h before, +2 h after.
fn berlin(ts: i64) -> i32 {
    if ts < 1_774_746_000_000 { 60 } else { 120 }
}

const H: i64 = 3_600_000;
/// 2026-12-07T15:30Z, 12:30 in São Paulo.
const NOW: i64 = 1_796_657_400_000;

#[test]
fn presets_are_whole_local_days_up_to_the_end_of_today() {
    let today = period::preset(Preset::Today, NOW, &sao_paulo).expect("a period");
    // 2026-12-07T03:00Z to 2026-12-08T03:00Z: local midnight to local midnight.
    assert_eq!(
        today,
        Period {
            from: 1_796_612_400_000,
            to: 1_796_698_800_000
        }
    );
    let week = period::preset(Preset::Last7, NOW, &sao_paulo).expect("a period");
    assert_eq!(week.from, 1_796_094_000_000, "2026-12-01T03:00Z");
    assert_eq!(week.to, today.to);
    assert_eq!(week.days(), 7);
    let month = period::preset(Preset::Last30, NOW, &sao_paulo).expect("a period");
    assert_eq!(month.from, 1_794_106_800_000, "2026-11-08T03:00Z");
    assert_eq!(month.days(), 30);
    assert_eq!(period::preset(Preset::Custom, NOW, &sao_paulo), None);
}

#[test]
fn today_is_the_local_day_not_the_utc_one() {
    // 02:30Z on the 7th is still the 6th in São Paulo.
    let early = 1_796_610_600_000;
    let today = period::preset(Preset::Today, early, &sao_paulo).expect("a period");
    assert_eq!(
        today.to, 1_796_612_400_000,
        "ends at the 7th's local midnight"
    );
    assert_eq!(today.to - today.from, 24 * H);
}

#[test]
fn midnights_follow_a_daylight_saving_change_inside_the_period() {
    // Noon UTC on 2026-04-01, after the change.
    let week = period::preset(Preset::Last7, 1_775_044_800_000, &berlin).expect("a period");
    assert_eq!(week.from, 1_774_479_600_000, "2026-03-26 00:00 at +1 h");
    assert_eq!(week.to, 1_775_080_800_000, "2026-04-02 00:00 at +2 h");
    assert_eq!(
        week.to - week.from,
        7 * 24 * H - H,
        "one day was 23 hours long"
    );
    assert_eq!(week.days(), 7);
}

#[test]
fn custom_dates_include_both_days_and_are_checked() {
    let p = period::custom("2026-12-01", "2026-12-07", &sao_paulo).expect("valid");
    assert_eq!(p.from, 1_796_094_000_000);
    assert_eq!(p.to, 1_796_698_800_000);
    assert_eq!(
        period::input_dates(p, &sao_paulo),
        ("2026-12-01".to_owned(), "2026-12-07".to_owned())
    );
    let one = period::custom("2026-12-07", "2026-12-07", &sao_paulo).expect("one day");
    assert_eq!(one.days(), 1);
    assert_eq!(
        period::custom("2026-12-08", "2026-12-07", &sao_paulo),
        None,
        "backwards"
    );
    assert_eq!(
        period::custom("2026-02-30", "2026-03-01", &sao_paulo),
        None,
        "no such day"
    );
    assert_eq!(period::custom("2026-12-1", "2026-12-07", &sao_paulo), None);
    assert_eq!(period::custom("", "2026-12-07", &sao_paulo), None);
    assert!(
        period::custom("2025-12-08", "2026-12-07", &sao_paulo).is_some(),
        "365 days"
    );
    assert_eq!(
        period::custom("2024-01-01", "2026-12-07", &sao_paulo),
        None,
        "too long"
    );
}

#[test]
fn dates_round_trip_through_days_since_the_epoch() {
    for (y, m, d, days) in [(1970, 1, 1, 0), (2000, 2, 29, 11_016), (1969, 12, 31, -1)] {
        let date = Date {
            year: y,
            month: m,
            day: d,
        };
        assert_eq!(date.days_since_epoch(), days);
        assert_eq!(date.plus_days(0), date);
    }
    let leap = Date::parse("2028-02-28").expect("a date");
    assert_eq!(leap.plus_days(1).input_value(), "2028-02-29");
    assert_eq!(leap.plus_days(2).input_value(), "2028-03-01");
    assert_eq!(Date::parse("2026-13-01"), None);
}

#[test]
fn hours_only_for_short_periods_and_weeks_only_for_long_ones() {
    let days = |n: i64| Period {
        from: 0,
        to: n * 24 * H,
    };
    assert_eq!(days(1).groupings(), [GroupBy::Hour, GroupBy::Day]);
    assert_eq!(days(1).default_grouping(), GroupBy::Hour);
    assert_eq!(days(7).groupings(), [GroupBy::Hour, GroupBy::Day]);
    assert_eq!(days(7).default_grouping(), GroupBy::Day);
    assert_eq!(days(30).groupings(), [GroupBy::Day, GroupBy::Week]);
    assert_eq!(
        days(30).fit(GroupBy::Hour),
        GroupBy::Day,
        "hour refused for 30 days"
    );
    assert_eq!(days(30).fit(GroupBy::Week), GroupBy::Week);
    assert_eq!(days(1).fit(GroupBy::Week), GroupBy::Hour);
    assert_eq!(days(366).default_grouping(), GroupBy::Week);
}

#[test]
fn presets_round_trip_through_their_select_values() {
    for p in Preset::ALL {
        assert_eq!(Preset::parse(p.wire()), Some(p));
    }
    assert_eq!(Preset::parse("year"), None);
}

fn filters() -> Filters {
    Filters {
        period: Period {
            from: 1000,
            to: 2000,
        },
        tz: "America/Sao_Paulo".into(),
        group_by: GroupBy::Day,
        queue: Some("sales".into()),
        attendant: None,
    }
}

#[test]
fn the_overview_carries_the_period_zone_grouping_and_filters() {
    assert_eq!(
        filters().overview_path(),
        "/api/reports/overview?from=1000&to=2000&tz=America%2FSao_Paulo&group_by=day&queue=sales"
    );
    let mut f = filters();
    f.queue = None;
    f.attendant = Some("a-1".into());
    f.group_by = GroupBy::Hour;
    assert!(f.overview_path().ends_with("&group_by=hour&attendant=a-1"));
}

#[test]
fn each_click_narrows_the_list_and_the_csv_alike() {
    let f = filters();
    let base = "from=1000&to=2000&tz=America%2FSao_Paulo&queue=sales";
    let cases = [
        (Drill::All, base.to_owned()),
        (
            Drill::Status(ConversationStatus::Resolved),
            format!("{base}&status=resolved"),
        ),
        (Drill::Reopened, format!("{base}&reopened=true")),
        (Drill::Rated, format!("{base}&rated=true")),
        (Drill::Calls, format!("{base}&calls=true")),
        (Drill::Rating(4), format!("{base}&rating=4")),
        (
            Drill::Cell {
                weekday: 0,
                hour: 14,
            },
            format!("{base}&weekday=0&hour=14"),
        ),
        (
            Drill::Bin {
                measure: MeasureKind::FirstResponse,
                min_ms: 60_000,
                max_ms: Some(300_000),
            },
            format!("{base}&measure=first_response&min_ms=60000&max_ms=300000"),
        ),
        (
            Drill::Bin {
                measure: MeasureKind::Resolution,
                min_ms: 3_600_000,
                max_ms: None,
            },
            format!("{base}&measure=resolution&min_ms=3600000"),
        ),
        (
            Drill::Bucket {
                start: 1200,
                end: 1500,
                label: "2026-12-07".into(),
            },
            "tz=America%2FSao_Paulo&queue=sales&from=1200&to=1500".to_owned(),
        ),
        (
            Drill::Queue {
                id: "support".into(),
                name: "Support".into(),
            },
            "from=1000&to=2000&tz=America%2FSao_Paulo&queue=support".to_owned(),
        ),
        (
            Drill::Attendant {
                id: "a-2".into(),
                name: "Ana".into(),
            },
            format!("{base}&attendant=a-2"),
        ),
    ];
    for (drill, query) in cases {
        assert_eq!(
            f.csv_path(&drill),
            format!("/api/reports/conversations.csv?{query}")
        );
        assert_eq!(
            f.conversations_path(&drill, None),
            format!("/api/reports/conversations?{query}&limit=50")
        );
    }
    let week = Drill::Bucket {
        start: 500,
        end: 1500,
        label: "2026-11-30".into(),
    };
    assert!(
        f.csv_path(&week).ends_with("&from=1000&to=1500"),
        "a bucket is cut to the period"
    );
    assert_eq!(
        f.conversations_path(&Drill::Rating(5), Some("17/a b")),
        format!("/api/reports/conversations?{base}&rating=5&limit=50&cursor=17%2Fa%20b")
    );
}

#[test]
fn the_csv_is_named_after_its_days() {
    assert_eq!(
        csv_name("2026-12-01", "2026-12-07"),
        "conversations-2026-12-01-2026-12-07.csv"
    );
    assert_eq!(
        csv_name("2026-12-07", "2026-12-07"),
        "conversations-2026-12-07.csv"
    );
}
