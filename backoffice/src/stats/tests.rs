use super::chart::MAX_X_LABEL;
use super::*;
use serde_json::json;

#[test]
fn scalars_are_text() {
    assert_eq!(parse_value(&json!("7")), StatValue::Text("7".into()));
    assert_eq!(parse_value(&json!(7)), StatValue::Text("7".into()));
    assert_eq!(parse_value(&json!(2.5)), StatValue::Text("2.5".into()));
    assert_eq!(parse_value(&json!(true)), StatValue::Bool(true));
    assert_eq!(parse_value(&json!(null)), StatValue::Empty);
    assert_eq!(parse_value(&json!("  ")), StatValue::Empty);
    assert_eq!(parse_value(&json!([])), StatValue::Empty);
}

#[test]
fn link_lists_keep_only_web_urls_clickable() {
    let v = json!([
        {"url": "https://shop.example/o/1", "label": "Order 1"},
        {"url": "javascript:alert(1)", "label": "evil"},
        {"url": "HTTP://x.example"}
    ]);
    let StatValue::Links(links) = parse_value(&v) else {
        panic!("links expected");
    };
    assert_eq!(links.len(), 3);
    assert!(links[0].safe);
    assert_eq!(links[0].label, "Order 1");
    assert!(!links[1].safe);
    assert!(links[2].safe);
    assert_eq!(links[2].label, "HTTP://x.example");
    assert!(!is_web_url("data:text/html,hi"));
    assert!(!is_web_url("https://a\n.example"));
}

#[test]
fn xy_lists_are_charts_numeric_or_categorical() {
    let v = json!([{"x": 3, "y": 1}, {"x": 1, "y": "2.5"}, {"x": 2, "y": 4}]);
    let StatValue::Chart(s) = parse_value(&v) else {
        panic!("chart expected");
    };
    assert!(!s.categorical);
    let xs: Vec<f64> = s.points.iter().map(|p| p.x).collect();
    assert_eq!(xs, [1.0, 2.0, 3.0], "sorted by x");
    assert_eq!(s.points[0].y, 2.5);

    let v = json!([{"x": "2024-05-02", "y": 5}, {"x": "2024-05-01", "y": 3}]);
    let StatValue::Chart(s) = parse_value(&v) else {
        panic!("chart expected");
    };
    assert!(s.categorical);
    assert_eq!(s.points[0].x_label, "2024-05-02", "kept in order");
    assert_eq!(s.points[1].x, 1.0);
}

#[test]
fn anything_else_is_unsupported_never_a_crash() {
    for v in [
        json!({"a": 1}),
        json!([1, 2]),
        json!([{"x": 1, "y": "many"}]),
        json!([{"x": null, "y": 1}]),
        json!([{"x": 1, "y": 2}, {"url": "https://a.example"}]),
        json!([{"x": 1}]),
        json!([[1, 2]]),
    ] {
        assert_eq!(parse_value(&v), StatValue::Unsupported, "{v}");
    }
    let stats =
        parse_statistics(&json!([5, {"label": "ok", "value": 1}, {"value": {}}])).expect("a list");
    assert_eq!(stats[0].value, StatValue::Unsupported);
    assert_eq!(stats[1].label, "ok");
    assert_eq!(stats[2].value, StatValue::Unsupported);
    assert_eq!(parse_statistics(&json!("nope")), None);
    assert_eq!(parse_statistics(&json!(null)), None);
}

#[test]
fn the_seed_statistics_answer_reads() {
    let v = json!([
        {"label": "Total items bought", "value": "7"},
        {"label": "Visits", "value": [{"x": "Mon", "y": 2}, {"x": "Tue", "y": 9}]},
        {"label": "Orders", "value": [{"url": "https://s.example/1", "label": "#1"}]}
    ]);
    let stats = parse_statistics(&v).expect("a list");
    assert_eq!(stats.len(), 3);
    assert!(matches!(stats[1].value, StatValue::Chart(_)));
    assert!(matches!(stats[2].value, StatValue::Links(_)));
}

#[test]
fn contact_info_hides_empty_values() {
    let v = json!({"e-mail": "user@email.com", "phone1": "", "phone2": null, "n": 3});
    let c = parse_contact(&v).expect("an object");
    assert_eq!(
        c,
        [
            ("e-mail".to_owned(), "user@email.com".to_owned()),
            ("n".to_owned(), "3".to_owned())
        ]
    );
    let list = json!([{"label": "e-mail", "value": "a@b.c"}, {"label": "x", "value": " "}]);
    assert_eq!(parse_contact(&list).expect("a list").len(), 1);
    assert_eq!(parse_contact(&json!(3)), None);
}

#[test]
fn additional_info_keeps_web_icons_only() {
    let v = json!([
        {"label": "Plan", "value": "Gold", "iconURL": "https://cdn.example/gold.png"},
        {"label": "Since", "value": 2019, "iconURL": "javascript:x"},
        {"label": "Empty", "value": ""},
        "junk"
    ]);
    let items = parse_additional(&v).expect("a list");
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0].icon.as_deref(),
        Some("https://cdn.example/gold.png")
    );
    assert_eq!(items[1].value, "2019");
    assert_eq!(items[1].icon, None);
    assert_eq!(
        parse_additional(&json!({"a": "b"})).expect("object")[0].label,
        "a"
    );
}

#[test]
fn ranges_make_the_query() {
    assert_eq!(Range::Day.query(), "range=24h");
    assert_eq!(Range::Week.query(), "range=7d");
    let r = Range::custom("2018-12-21T11:33", "2018-12-22T08:00:15").expect("valid");
    assert_eq!(
        r.query(),
        "start_date_time=20181221-11:33:00&end_date_time=20181222-08:00:15"
    );
    assert_eq!(Range::custom("2018-12-22T08:00", "2018-12-21T08:00"), None);
    assert_eq!(Range::custom("", "2018-12-21T08:00"), None);
}

#[test]
fn datetime_inputs_become_stamps() {
    assert_eq!(
        stamp_from_input("2024-05-01T13:45").as_deref(),
        Some("20240501-13:45:00")
    );
    assert_eq!(
        stamp_from_input("2024-05-01T13:45:07.250").as_deref(),
        Some("20240501-13:45:07")
    );
    for bad in [
        "2024-05-01",
        "2024-13-01T10:00",
        "24-05-01T10:00",
        "2024-05-01T25:00",
    ] {
        assert_eq!(stamp_from_input(bad), None, "{bad}");
    }
    // 2026-11-23T13:05:00Z, three hours west
    assert_eq!(input_value(1_795_439_100_000, -180), "2026-11-23T10:05");
}

#[test]
fn ticks_are_nice_and_cover_the_data() {
    assert_eq!(nice_ticks(0.0, 9.0, 4), [0.0, 5.0, 10.0]);
    assert_eq!(
        nice_ticks(0.0, 100.0, 5),
        [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    );
    let t = nice_ticks(0.13, 0.87, 4);
    assert!(t[0] <= 0.13 && *t.last().unwrap() >= 0.87);
    assert_eq!(
        tick_labels(&t),
        ["0", "0.2", "0.4", "0.6", "0.8", "1"][..t.len()]
    );
    assert_eq!(nice_ticks(5.0, 5.0, 4), [4.0, 4.5, 5.0, 5.5, 6.0]);
    assert!(nice_ticks(f64::NAN, 1.0, 4).iter().all(|t| t.is_finite()));
    assert_eq!(nice_ticks(f64::INFINITY, 1.0, 4), [0.0, 1.0]);
    let huge = nice_ticks(-1e308, 1e308, 4);
    assert!(!huge.is_empty() && huge.len() <= 21);
}

#[test]
fn tick_labels_use_units_for_big_numbers() {
    assert_eq!(tick_labels(&[0.0, 5000.0, 10000.0]), ["0", "5k", "10k"]);
    assert_eq!(
        tick_labels(&[0.0, 500_000.0, 1_000_000.0]),
        ["0", "0.5M", "1M"]
    );
    assert_eq!(tick_labels(&[-1.0, 0.0, 1.0]), ["-1", "0", "1"]);
    assert_eq!(format_number(1234.5678), "1234.57");
    assert_eq!(format_number(0.000_123_46), "0.0001235");
    assert_eq!(format_number(-3.0), "-3");
}

fn chart(v: Value) -> Series {
    match parse_value(&v) {
        StatValue::Chart(s) => s,
        other => panic!("chart expected, got {other:?}"),
    }
}

#[test]
fn layout_places_one_point_per_value_inside_the_plot() {
    let s = chart(json!([{"x": 1, "y": 10}, {"x": 2, "y": 30}, {"x": 4, "y": 20}]));
    let l = layout(&s);
    assert_eq!(l.points.len(), 3);
    for p in &l.points {
        assert!(p.cx >= l.left && p.cx <= l.right, "{p:?}");
        assert!(p.cy >= l.top && p.cy <= l.bottom, "{p:?}");
    }
    // Higher values are higher up (smaller y).
    assert!(l.points[1].cy < l.points[0].cy);
    assert_eq!(l.points[1].title, "2: 30");
    assert_eq!(l.line.split(' ').count(), 3);
    // y from zero: 0..30 in steps of 10.
    let labels: Vec<&str> = l.y_ticks.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["0", "10", "20", "30"]);
    assert_eq!(l.y_ticks[0].at, l.bottom);
    assert_eq!(l.y_ticks[3].at, l.top);
    assert!(l.x_ticks.len() >= 2);
}

#[test]
fn categorical_layout_spreads_points_evenly_and_thins_labels() {
    let v: Vec<Value> = (0..30)
        .map(|i| json!({"x": format!("2024-05-{:02} 00:00", i + 1), "y": i}))
        .collect();
    let l = layout(&chart(Value::Array(v)));
    assert_eq!(l.points.len(), 30);
    assert_eq!(l.points[0].cx, l.left);
    assert_eq!(l.points[29].cx, l.right);
    assert!(l.x_ticks.len() <= 5, "{}", l.x_ticks.len());
    assert!(
        l.x_ticks
            .iter()
            .all(|t| t.label.chars().count() <= MAX_X_LABEL)
    );
    assert_eq!(l.x_ticks[0].anchor, "start");
    assert_eq!(l.points[0].title, "2024-05-01 00:00: 0");
}

#[test]
fn degenerate_series_still_lay_out() {
    let one = layout(&chart(json!([{"x": "only", "y": 5}])));
    assert_eq!(one.points.len(), 1);
    assert!(one.points[0].cx.is_finite() && one.points[0].cy.is_finite());
    let flat = layout(&chart(json!([{"x": 1, "y": 0}, {"x": 1, "y": 0}])));
    assert!(
        flat.points
            .iter()
            .all(|p| p.cx.is_finite() && p.cy.is_finite())
    );
    let neg = layout(&chart(json!([{"x": 0, "y": -5}, {"x": 1, "y": -20}])));
    assert_eq!(neg.y_ticks.last().map(|t| t.label.as_str()), Some("0"));
    let empty = layout(&Series {
        points: Vec::new(),
        categorical: true,
    });
    assert!(empty.points.is_empty() && empty.line.is_empty());
    let huge = layout(&chart(json!([{"x": 0, "y": -1e308}, {"x": 1, "y": 1e308}])));
    assert!(
        huge.points
            .iter()
            .all(|p| p.cx.is_finite() && p.cy.is_finite())
    );
}
