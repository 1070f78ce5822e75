//! Business hours: saved with a queue (checked, normalized), and the public stats say when
//! the queue is closed, when it opens, and a wait that starts then.

use serde_json::{Value, json};

use crate::helpers::*;

const DAY_MS: i64 = 86_400_000;

fn every_day(holidays: Value) -> Value {
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"day": d, "open": "00:00", "close": "24:00"}))
        .collect();
    json!({"time_zone": "UTC", "weekly": weekly, "holidays": holidays})
}

async fn stats(app: &TestApp) -> Value {
    json_of(app.get("/api/stats/default", &Auth::None).await).await
}

#[tokio::test]
async fn outside_its_hours_a_queue_says_closed_and_when_it_opens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let open = stats(&app).await;
    assert_eq!((&open["open"], open.get("opens_at")), (&json!(true), None));

    // Open every day, all day, but today and tomorrow are holidays.
    let now = chimpassist_server::views::now_ms();
    let day = |offset: i64| {
        jiff::Timestamp::from_millisecond(now + offset * DAY_MS)
            .unwrap()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string()
    };
    let saved = app
        .put_queue_with(
            &admin,
            "default",
            json!({"mode": "auto", "hours": every_day(json!([day(1), day(0), day(0)]))}),
        )
        .await;
    assert_eq!(
        saved["hours"]["holidays"],
        json!([day(0), day(1)]),
        "sorted, once each"
    );
    let closed = stats(&app).await;
    assert_eq!(closed["open"], false);
    let opens_at = closed["opens_at"].as_i64().expect("opens_at");
    assert!(opens_at > now + DAY_MS, "after tomorrow: {opens_at}");
    assert_eq!(opens_at % DAY_MS, 0, "at midnight UTC");
    let ewt = closed["ewt"].as_i64().unwrap();
    assert!(
        ewt >= (opens_at - now) / 1000 - 5,
        "the wait starts at the opening: {ewt}"
    );

    // No opening at all: closed, with no date.
    app.put_queue_with(
        &admin,
        "default",
        json!({"mode": "auto", "hours": {"time_zone": "America/Sao_Paulo", "weekly": []}}),
    )
    .await;
    let never = stats(&app).await;
    assert_eq!(
        (&never["open"], never.get("opens_at")),
        (&json!(false), None)
    );

    // Hours taken off: open again.
    app.put_queue_with(&admin, "default", json!({"mode": "auto"}))
        .await;
    assert_eq!(stats(&app).await["open"], true);
}

#[tokio::test]
async fn hours_that_are_not_hours_are_refused_saying_what() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (hours, says) in [
        (
            json!({"time_zone": "Mars/Olympus", "weekly": []}),
            "time zone",
        ),
        (
            json!({"time_zone": "UTC", "weekly": [{"day": "mon", "open": "18:00", "close": "09:00"}]}),
            "opening hours",
        ),
        (
            json!({"time_zone": "UTC", "holidays": ["2026-02-30"]}),
            "holiday",
        ),
    ] {
        let response = app
            .send(
                reqwest::Method::PUT,
                "/api/queues/default",
                &admin,
                json!({"id": "default", "name": "Default", "mode": "auto", "hours": hours}),
            )
            .await;
        assert_eq!(response.status(), 400, "{says}");
        let body = json_of(response).await;
        assert_eq!(body["code"], "invalid_field");
        assert!(body["message"].as_str().unwrap().contains(says), "{body}");
    }
}
