//! Reports: a constructed week of conversations (exact timestamps, written to the store the
//! server then opens), read back through the overview, the drill-down and the CSV.

use std::collections::HashMap;

use chimpassist_protocol::{AttendantId, ConversationId, ConversationStatus, QueueId};
use chimpassist_store::{SqliteStore, Story};
use serde_json::{Value, json};

use crate::helpers::{Auth, TestApp, spawn_app, start, start_chat, test_config};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// Monday 2 November 2026, 00:00 UTC: the week the tests report on.
const MONDAY: i64 = 1_793_577_600_000;
const WEEK: i64 = 7 * 24 * HOUR;

/// A request at `at` from a visitor named after its minute of the week.
fn told(at: i64) -> Story {
    Story::new(format!("Visitor {}", (at - MONDAY) / MIN), at)
}

/// The server with Ana and Bob (attendants) and the constructed week (plus one conversation
/// the week before and one just after it); returns the app, the admin, Ana's and Bob's
/// logins and ids, and the week's conversations in request order.
struct Week {
    app: TestApp,
    admin: Auth,
    ana: Auth,
    bob: Auth,
    ana_id: String,
    bob_id: String,
    conversations: Vec<ConversationId>,
}

async fn constructed_week() -> Week {
    use ConversationStatus::*;
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.put_queue(&admin, "sales", "auto").await;
    let (ana_id, _) = app.create_attendant(&admin, "Ana", 5).await;
    let (bob_id, _) = app.create_attendant(&admin, "Bob", 5).await;
    let dir = app.stop().await;
    let store = SqliteStore::open_in(dir.path()).expect("the server's store");
    let ana = AttendantId::parse(ana_id.clone()).expect("id");
    let bob = AttendantId::parse(bob_id.clone()).expect("id");
    let stories = vec![
        // Monday 10:00 UTC: Ana, answered in 3 min, resolved, rated 5.
        Story {
            customer_messages: vec![MIN, MIN + 1],
            assigned: Some((ana.clone(), 2 * MIN)),
            answers: vec![3 * MIN, 5 * MIN],
            end: Some((Resolved, 20 * MIN)),
            rating: Some(5),
            ..told(MONDAY + 10 * HOUR)
        },
        // Tuesday 01:30 UTC (Monday 22:30 in São Paulo): Bob, rated 4.
        Story {
            customer_messages: vec![MIN],
            assigned: Some((bob.clone(), 6 * MIN)),
            answers: vec![8 * MIN],
            end: Some((Resolved, 40 * MIN)),
            rating: Some(4),
            ..told(MONDAY + 25 * HOUR + 30 * MIN)
        },
        // Wednesday 15:00: Ana, resolved, reopened an hour later, resolved again; rated 2.
        Story {
            customer_messages: vec![MIN],
            assigned: Some((ana.clone(), 4 * MIN)),
            answers: vec![10 * MIN],
            end: Some((Resolved, 30 * MIN)),
            reopen: Some((60 * MIN, 90 * MIN)),
            rating: Some(2),
            ..told(MONDAY + 2 * 24 * HOUR + 15 * HOUR)
        },
        // Thursday 09:00: gave up in the queue.
        Story {
            customer_messages: vec![MIN],
            end: Some((Abandoned, 5 * MIN)),
            ..told(MONDAY + 3 * 24 * HOUR + 9 * HOUR)
        },
        // Friday 12:00: Bob never answered; the customer went away.
        Story {
            assigned: Some((bob.clone(), 2 * MIN)),
            end: Some((Expired, 30 * MIN)),
            ..told(MONDAY + 4 * 24 * HOUR + 12 * HOUR)
        },
        // Saturday 18:00, sales: Ana, a 90-second call, resolved, not rated.
        Story {
            queue: QueueId::parse("sales").expect("queue"),
            customer_messages: vec![MIN],
            assigned: Some((ana.clone(), MIN)),
            answers: vec![MIN],
            call: Some((MIN + 1_000, 90_000)),
            end: Some((Resolved, 5 * MIN)),
            ..told(MONDAY + 5 * 24 * HOUR + 18 * HOUR)
        },
    ];
    let mut conversations = Vec::new();
    for story in stories {
        conversations.push(story.tell(&store).await.expect("a story"));
    }
    // The week before (for "previous") and the first instant after the week.
    for at in [MONDAY - 2 * 24 * HOUR, MONDAY + WEEK] {
        let story = Story {
            assigned: Some((ana.clone(), MIN)),
            answers: vec![2 * MIN],
            end: Some((Resolved, 10 * MIN)),
            ..told(at)
        };
        story.tell(&store).await.expect("a story");
    }
    drop(store);
    let config = test_config(dir.path());
    let app = start(config, dir).await;
    let admin = app.admin().await;
    let ana = app.login("ana@example.com", "secret-pass").await;
    let bob = app.login("bob@example.com", "secret-pass").await;
    Week {
        app,
        admin,
        ana,
        bob,
        ana_id,
        bob_id,
        conversations,
    }
}

fn week(extra: &str) -> String {
    format!("from={MONDAY}&to={}{extra}", MONDAY + WEEK)
}

async fn json_of(app: &TestApp, path: &str, auth: &Auth) -> Value {
    let response = app.get(path, auth).await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("json")
}

async fn csv_of(app: &TestApp, query: &str, auth: &Auth) -> Vec<HashMap<String, String>> {
    let response = app
        .get(&format!("/api/reports/conversations.csv?{query}"), auth)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"conversations-"),
    );
    let text = response.text().await.expect("csv");
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    let header: Vec<String> = lines
        .next()
        .expect("a header row")
        .split(',')
        .map(str::to_owned)
        .collect();
    lines
        .map(|line| {
            // The constructed names hold no comma or quote, so a plain split reads them.
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Seconds as the CSV writes them, back to milliseconds.
fn ms(cell: &str) -> Option<i64> {
    let (s, frac) = cell.split_once('.')?;
    Some(s.parse::<i64>().ok()? * 1000 + frac.parse::<i64>().ok()?)
}

/// What the overview must say of a measure, computed from the CSV's column alone.
fn expected_measure(rows: &[HashMap<String, String>], column: &str) -> Value {
    let mut values: Vec<i64> = rows.iter().filter_map(|r| ms(&r[column])).collect();
    values.sort_unstable();
    if values.is_empty() {
        return json!({"count": 0, "mean_ms": null, "median_ms": null, "p90_ms": null});
    }
    let rank = |p: usize| values[(p * values.len()).div_ceil(100).max(1) - 1];
    json!({
        "count": values.len(),
        "mean_ms": values.iter().sum::<i64>() as f64 / values.len() as f64,
        "median_ms": rank(50),
        "p90_ms": rank(90),
    })
}

#[tokio::test]
async fn the_overview_is_exactly_what_the_csv_rows_add_up_to() {
    let w = constructed_week().await;
    let overview = json_of(
        &w.app,
        &format!("/api/reports/overview?{}", week("")),
        &w.admin,
    )
    .await;
    let rows = csv_of(&w.app, &week(""), &w.admin).await;
    assert_eq!(
        rows.len(),
        6,
        "the week's conversations, not the ones around it"
    );
    let s = &overview["summary"];
    let count = |column: &str, value: &str| rows.iter().filter(|r| r[column] == value).count();
    let sum = |column: &str| {
        rows.iter()
            .map(|r| r[column].parse::<u64>().unwrap())
            .sum::<u64>()
    };
    assert_eq!(s["created"], rows.len());
    assert_eq!(s["resolved"], count("status", "resolved"));
    assert_eq!(s["abandoned"], count("status", "abandoned"));
    assert_eq!(s["expired"], count("status", "expired"));
    assert_eq!(
        s["reopened"],
        rows.iter().filter(|r| r["reopened"] != "0").count()
    );
    assert_eq!(s["customer_messages"], sum("customer_messages"));
    assert_eq!(s["attendant_messages"], sum("attendant_messages"));
    for (measure, column) in [
        ("wait", "wait_seconds"),
        ("first_response", "first_response_seconds"),
        (
            "first_response_after_assignment",
            "first_response_after_assignment_seconds",
        ),
        ("resolution", "resolution_seconds"),
        ("handle", "handle_seconds"),
    ] {
        assert_eq!(s[measure], expected_measure(&rows, column), "{measure}");
    }
    let ratings: Vec<u64> = rows
        .iter()
        .filter_map(|r| r["rating"].parse().ok())
        .collect();
    let positive = ratings.iter().filter(|r| **r >= 4).count();
    assert_eq!(s["csat"]["ratings"], ratings.len());
    assert_eq!(s["csat"]["positive"], positive);
    assert_eq!(s["csat"]["score"], positive as f64 / ratings.len() as f64);
    assert_eq!(
        s["csat"]["response_rate"],
        ratings.len() as f64 / count("status", "resolved") as f64
    );
    let distribution: Vec<usize> = (1..=5)
        .map(|n| ratings.iter().filter(|r| **r == n).count())
        .collect();
    assert_eq!(s["csat"]["distribution"], json!(distribution));
    assert_eq!(s["calls"]["count"], sum("calls"));
    assert_eq!(s["calls"]["answered"], sum("calls_answered"));
    assert_eq!(
        s["calls"]["talk_ms"],
        rows.iter()
            .map(|r| ms(&r["talk_seconds"]).unwrap())
            .sum::<i64>()
    );

    // And the numbers are the constructed ones.
    assert_eq!(
        (
            &s["created"],
            &s["resolved"],
            &s["abandoned"],
            &s["expired"],
            &s["reopened"]
        ),
        (&json!(6), &json!(4), &json!(1), &json!(1), &json!(1))
    );
    // Waits 2, 6, 4, 2, 1 minutes; first responses 3, 8, 10, 1; the reopened one resolved 90
    // minutes after its first request.
    assert_eq!(s["wait"]["median_ms"], 2 * MIN);
    assert_eq!(s["wait"]["p90_ms"], 6 * MIN);
    assert_eq!(s["first_response"]["mean_ms"], 5.5 * MIN as f64);
    assert_eq!(s["resolution"]["p90_ms"], 90 * MIN);
    assert_eq!(s["csat"]["score"], 2.0 / 3.0);
    assert_eq!(s["calls"]["talk_ms"], 90_000);
    assert_eq!(overview["previous"]["created"], 1, "the week before");

    // Every slice adds up to the whole.
    let series = overview["series"].as_array().expect("series");
    assert_eq!(series.len(), 7, "a bucket per day, empty ones included");
    let created: u64 = series
        .iter()
        .map(|b| b["summary"]["created"].as_u64().unwrap())
        .sum();
    assert_eq!(created, 6);
    let heat: u64 = overview["heatmap"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
        .sum();
    assert_eq!(heat, 6);
    let by_queue: HashMap<&str, u64> = overview["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["id"].as_str().unwrap(),
                q["summary"]["created"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_queue, HashMap::from([("default", 5), ("sales", 1)]));
    let ana_row = overview["attendants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == w.ana_id.as_str())
        .expect("Ana's row");
    assert_eq!(ana_row["name"], "Ana");
    assert_eq!(ana_row["summary"]["created"], 3);
    let first_response: u64 = overview["first_response_histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(
        first_response, 4,
        "every conversation with a first response, once"
    );
}

#[tokio::test]
async fn days_and_the_heatmap_are_the_desks_time_zone() {
    let w = constructed_week().await;
    let day_of = |overview: &Value, label: &str| -> u64 {
        overview["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["label"] == label)
            .map_or(0, |b| b["summary"]["created"].as_u64().unwrap())
    };
    let utc = json_of(
        &w.app,
        &format!("/api/reports/overview?{}", week("&tz=UTC")),
        &w.admin,
    )
    .await;
    assert_eq!(
        (day_of(&utc, "2026-11-02"), day_of(&utc, "2026-11-03")),
        (1, 1)
    );
    let sp = json_of(
        &w.app,
        &format!("/api/reports/overview?{}", week("&tz=America/Sao_Paulo")),
        &w.admin,
    )
    .await;
    assert_eq!(sp["tz"], "America/Sao_Paulo");
    // Tuesday 01:30 UTC is Monday 22:30 in São Paulo.
    assert_eq!(
        (day_of(&sp, "2026-11-02"), day_of(&sp, "2026-11-03")),
        (2, 0)
    );
    assert_eq!(sp["heatmap"][0][22], 1, "Monday, 22:00");
    assert_eq!(utc["heatmap"][1][1], 1, "Tuesday, 01:00");
    // The drill-down of a heatmap cell lists exactly that conversation.
    let cell = json_of(
        &w.app,
        &format!(
            "/api/reports/conversations?{}",
            week("&tz=America/Sao_Paulo&weekday=0&hour=22")
        ),
        &w.admin,
    )
    .await;
    assert_eq!(cell["total"], 1);
    assert_eq!(
        cell["conversations"][0]["id"],
        w.conversations[1].to_string()
    );
    // Hours: a bucket per hour; the CSV writes local times with their offset.
    let hourly = json_of(
        &w.app,
        &format!(
            "/api/reports/overview?from={MONDAY}&to={}&group_by=hour&tz=Asia/Kolkata",
            MONDAY + 24 * HOUR
        ),
        &w.admin,
    )
    .await;
    assert_eq!(
        hourly["series"].as_array().unwrap().len(),
        25,
        "05:30 to 05:30"
    );
    let rows = csv_of(&w.app, &week("&tz=America/Sao_Paulo"), &w.admin).await;
    assert_eq!(rows[0]["requested_at"], "2026-11-02T07:00:00.000-03:00");
}

#[tokio::test]
async fn attendants_see_their_own_numbers_and_admins_everyones() {
    let w = constructed_week().await;
    let created = |v: &Value| v["summary"]["created"].clone();
    let path = format!("/api/reports/overview?{}", week(""));
    assert_eq!(created(&json_of(&w.app, &path, &w.ana).await), 3);
    assert_eq!(created(&json_of(&w.app, &path, &w.bob).await), 2);
    let bobs = format!(
        "/api/reports/overview?{}",
        week(&format!("&attendant={}", w.bob_id))
    );
    assert_eq!(created(&json_of(&w.app, &bobs, &w.admin).await), 2);
    assert_eq!(created(&json_of(&w.app, &bobs, &w.bob).await), 2);
    for route in ["overview", "conversations", "conversations.csv"] {
        let other = format!(
            "/api/reports/{route}?{}",
            week(&format!("&attendant={}", w.bob_id))
        );
        let refused = w.app.get(&other, &w.ana).await;
        assert_eq!(refused.status(), 403, "{route}");
        let body: Value = refused.json().await.expect("json");
        assert_eq!(body["code"], "forbidden");
        let anonymous = w
            .app
            .get(&format!("/api/reports/{route}?{}", week("")), &Auth::None)
            .await;
        assert_eq!(anonymous.status(), 401, "{route}");
    }
    let rows = csv_of(&w.app, &week(""), &w.ana).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["attendant_name"] == "Ana"));
    let live = w.app.get("/api/reports/live", &Auth::None).await;
    assert_eq!(live.status(), 401);
}

#[tokio::test]
async fn the_drill_down_lists_the_conversations_behind_a_number() {
    let w = constructed_week().await;
    let list = |extra: &str| {
        let path = format!("/api/reports/conversations?{}", week(extra));
        let app = &w.app;
        let admin = &w.admin;
        async move { json_of(app, &path, admin).await }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let c = |i: usize| w.conversations[i].to_string();
    // Resolved, three to a page: every one once, oldest request first.
    let first = list("&status=resolved&limit=3").await;
    assert_eq!(first["total"], 4);
    assert_eq!(ids(&first), [c(0), c(1), c(2)]);
    let cursor = first["next_cursor"].as_str().expect("more");
    let second = list(&format!("&status=resolved&limit=3&cursor={cursor}")).await;
    assert_eq!(ids(&second), [c(5)]);
    assert!(second.get("next_cursor").is_none());
    // A CSAT bar, a histogram bin, a reopened count, a day's bar, a queue's row.
    assert_eq!(ids(&list("&rating=5").await), [c(0)]);
    assert_eq!(
        ids(&list("&measure=wait&min_ms=0&max_ms=180000").await),
        [c(0), c(4), c(5)]
    );
    assert_eq!(ids(&list("&reopened=true").await), [c(2)]);
    assert_eq!(ids(&list("&rated=true").await), [c(0), c(1), c(2)]);
    assert_eq!(ids(&list("&calls=true").await), [c(5)]);
    let wednesday = MONDAY + 2 * 24 * HOUR;
    let day = json_of(
        &w.app,
        &format!(
            "/api/reports/conversations?from={wednesday}&to={}",
            wednesday + 24 * HOUR
        ),
        &w.admin,
    )
    .await;
    assert_eq!(ids(&day), [c(2)]);
    assert_eq!(ids(&list("&queue=sales").await), [c(5)]);
    let row = &list("&queue=sales").await["conversations"][0];
    assert_eq!(row["customer_name"], "Visitor 8280");
    assert_eq!(row["attendant_name"], "Ana");
    assert_eq!(row["talk_ms"], 90_000);
    assert_eq!(row["first_response_ms"], MIN);
    // The CSV of a click has the same rows.
    let rows = csv_of(&w.app, &week("&status=resolved"), &w.admin).await;
    let csv_ids: Vec<String> = rows.iter().map(|r| r["conversation_id"].clone()).collect();
    assert_eq!(csv_ids, [c(0), c(1), c(2), c(5)]);
}

#[tokio::test]
async fn bad_report_requests_get_typed_errors() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for query in [
        "",
        "from=10&to=5",
        "from=0&to=86400000&tz=Mars/Olympus",
        "from=0&to=86400000&group_by=minute",
        "from=0&to=40000000000",
        "from=0&to=17280000000&group_by=hour",
        "from=0&to=86400000&status=sleeping",
        "from=0&to=86400000&rating=9",
        "from=0&to=86400000&weekday=7",
        "from=0&to=86400000&min_ms=5",
        "from=0&to=86400000&measure=patience",
        "from=0&to=86400000&cursor=yesterday",
        "from=0&to=86400000&queue=no%20such%20queue!",
        "from=abc&to=86400000",
    ] {
        let response = app
            .get(&format!("/api/reports/conversations?{query}"), &admin)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "invalid_field", "{query}");
        assert!(!body["message"].as_str().unwrap_or("").is_empty());
    }
}

#[tokio::test]
async fn the_live_snapshot_shows_the_queue_and_the_desk_now() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (_, alice_auth) = app.create_attendant(&admin, "Alice", 1).await;
    let mut customer = app
        .customer(Some(json!({"id": "v-1", "name": "Vera"})))
        .await;
    start_chat(&mut customer).await;
    let live = json_of(&app, "/api/reports/live", &admin).await;
    assert_eq!((&live["waiting"], &live["active"]), (&json!(1), &json!(0)));
    assert!(live["longest_wait_ms"].as_i64().expect("a wait") >= 0);
    assert_eq!(live["online"], 0);
    // Alice comes online and takes it: she is then at her capacity of one.
    let mut alice = app.attendant(&alice_auth).await;
    alice.expect("assigned").await;
    let live = json_of(&app, "/api/reports/live", &alice_auth).await;
    assert_eq!((&live["waiting"], &live["active"]), (&json!(0), &json!(1)));
    assert_eq!((&live["busy"], &live["online"]), (&json!(1), &json!(0)));
    assert_eq!(live["longest_wait_ms"], 0);
}
