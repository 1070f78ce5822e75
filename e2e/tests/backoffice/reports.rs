//! The Reports page against constructed data: conversations with exact timestamps are
//! written to the store the server then opens (the server paused meanwhile), so every
//! number on the page is known in advance. Times are placed in the browser's own zone (the
//! page reports in it): 10:00 two days ago and yesterday, and ten days ago for the previous
//! period.

use chimpassist_e2e::{ADMIN_PASSWORD, ATTENDANT_PASSWORD, Browser, ChimpServer, create_attendant};
use chimpassist_protocol::{AttendantId, ConversationStatus};
use chimpassist_store::{SqliteStore, Story};
use serde_json::{Value, json};

use crate::support::*;

const MIN: i64 = 60_000;

/// The constructed data, in the browser's zone.
struct Seeded {
    server: ChimpServer,
    office: Browser,
    /// The three conversations of two days ago, in request order.
    day_a: Vec<String>,
    /// `YYYY-MM-DD` of two days ago, local: the start of its bucket's label.
    day_a_label: String,
}

/// Ana, and five conversations this week (three two days ago, two yesterday) plus two ten
/// days ago; a browser at the sign-in page.
///
/// This week: waits 1, 3, 2, 1 min (median 1 min, nearest rank), first responses 2, 4, 3, 6
/// min (median 3 min), resolutions 10, 30, 20, 60 min (median 20 min), ratings 5, 2, 4 of
/// four resolved (CSAT 67 %, response rate 75 %), one abandoned. Before: one resolved, one
/// abandoned.
async fn seeded() -> Seeded {
    let mut server = ChimpServer::start().await;
    let admin = chimpassist_e2e::admin_cookie(&server).await;
    let ana = create_attendant(&server, &admin, "ana@example.com", "Ana").await;
    let ana = AttendantId::parse(ana).expect("attendant id");
    // The page is not opened yet: the server is about to pause.
    let office = Browser::new().await;
    let local = office
        .eval(
            "[2, 1, 10].map(n => { const d = new Date(); d.setDate(d.getDate() - n);\
             d.setHours(10, 0, 0, 0); return d.getTime(); })\
             .concat([(() => { const d = new Date(); d.setDate(d.getDate() - 2);\
               const p = v => String(v).padStart(2, '0');\
               return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`; })()])",
        )
        .await;
    let at = |i: usize| local[i].as_i64().expect("a timestamp");
    let (a, b, before) = (at(0), at(1), at(2));
    let day_a_label = local[3].as_str().expect("a date").to_owned();

    server.pause().await;
    let store = SqliteStore::open_in(server.data_dir()).expect("the server's store");
    // Assigned to Ana and answered by her at the minutes `handled` gives, then resolved; or,
    // never handled, abandoned.
    let story = |customer: &str, at, handled: Option<(i64, i64)>, end: i64, rating| Story {
        customer_messages: vec![0],
        assigned: handled.map(|(assigned, _)| (ana.clone(), assigned * MIN)),
        answers: handled
            .map(|(_, answered)| answered * MIN)
            .into_iter()
            .collect(),
        end: Some((
            if handled.is_some() {
                ConversationStatus::Resolved
            } else {
                ConversationStatus::Abandoned
            },
            end * MIN,
        )),
        rating,
        ..Story::new(customer, at)
    };
    let mut day_a = Vec::new();
    for s in [
        story("Alice", a, Some((1, 2)), 10, Some(5)),
        story("Bruno", a + 30 * MIN, Some((3, 4)), 30, Some(2)),
        story("Carla", a + 60 * MIN, None, 5, None),
    ] {
        day_a.push(s.tell(&store).await.expect("a story").to_string());
    }
    for s in [
        story("Davi", b, Some((2, 3)), 20, Some(4)),
        story("Elisa", b + 45 * MIN, Some((1, 6)), 60, None),
        story("Fábio", before, Some((1, 2)), 5, None),
        story("Gil", before + 30 * MIN, None, 2, None),
    ] {
        s.tell(&store).await.expect("a story");
    }
    store.close().await;
    drop(store);
    server.resume().await;
    Seeded {
        server,
        office,
        day_a,
        day_a_label,
    }
}

/// The text of a headline number's value and change.
async fn kpi(office: &Browser, key: &str) -> (String, String) {
    let value = office
        .eval(&format!(
            "document.querySelector('[data-kpi={key}] .ba-kpi-value').textContent"
        ))
        .await;
    let change = office
        .eval(&format!(
            "document.querySelector('[data-kpi={key}] .ba-change').textContent"
        ))
        .await;
    (
        value.as_str().unwrap_or_default().to_owned(),
        change.as_str().unwrap_or_default().to_owned(),
    )
}

/// `GET href` from the page (the session cookie goes along): the CSV's lines.
async fn csv_lines(office: &Browser, link: &str) -> Vec<String> {
    let text = office
        .client()
        .execute_async(
            "fetch(document.querySelector(arguments[0]).href)\
               .then(r => r.text()).then(arguments[1]);",
            vec![json!(link)],
        )
        .await
        .expect("fetching the CSV from the page");
    text.as_str()
        .expect("CSV text")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_reads_the_week_drills_into_a_day_and_opens_a_conversation() {
    let Seeded {
        server,
        office,
        day_a,
        day_a_label,
    } = seeded().await;
    office.set_viewport(1280, 720).await;
    sign_in(&office, &server, "admin", ADMIN_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office
        .wait_text("[data-testid=nav-reports]", "Reports")
        .await;
    office.click("[data-testid=nav-reports]").await;
    office.wait_for("[data-kpi=created]").await;
    assert_eq!(office.eval("location.hash").await, json!("#/reports"));

    // The headline numbers, and their change from the week before.
    assert_eq!(kpi(&office, "created").await, ("5".into(), "↑ 150%".into()));
    assert_eq!(
        kpi(&office, "resolved").await,
        ("4".into(), "↑ 300%".into())
    );
    assert_eq!(kpi(&office, "abandoned").await.0, "1");
    assert_eq!(kpi(&office, "wait").await.0, "1 min");
    assert_eq!(kpi(&office, "first_response").await.0, "3 min");
    assert_eq!(kpi(&office, "resolution").await.0, "20 min");
    let (csat, change) = kpi(&office, "csat").await;
    assert_eq!(csat, "67%");
    assert_eq!(change, "no data for the previous period");
    assert_eq!(kpi(&office, "response_rate").await.0, "75%");
    assert_eq!(
        office.count("[data-kpi=calls]").await,
        0,
        "no calls, no card"
    );
    // Ana's row, and the week in seven daily bars.
    office
        .wait_text("[data-testid=report-attendants] tbody", "Ana")
        .await;
    assert_eq!(office.count("[data-chart=volume] .ba-bar").await, 7);
    // Three busy hours: 10:00 and 11:00 two days ago, 10:00 yesterday.
    assert_eq!(
        office
            .count("[data-chart=heatmap] .ba-heat-cell[role=button]")
            .await,
        3
    );
    office.screenshot("reports").await;

    // Tables sort by a clicked header.
    office
        .click("[data-testid=report-queues] [data-sort=name]")
        .await;
    office
        .wait_for("[data-testid=report-queues] th[aria-sort=ascending] [data-sort=name]")
        .await;
    // A headline number lists the conversations behind it: the one abandoned.
    office.click("[data-kpi=abandoned] button").await;
    office
        .wait_for("[data-testid=drill-total][data-total='1']")
        .await;
    office.wait_text(".ba-drill-list tbody", "abandoned").await;
    office.click(".ba-drill-close").await;
    office.wait_gone("[data-testid=drill]").await;

    // Two days ago's bar lists exactly its three conversations.
    let index = office
        .eval(&format!(
            "[...document.querySelectorAll('[data-chart=volume] .ba-bar')]\
               .findIndex(b => b.querySelector('title').textContent.startsWith('{day_a_label}'))"
        ))
        .await;
    let index = index.as_i64().expect("an index");
    assert!(index >= 0, "a bar for {day_a_label}");
    office
        .click(&format!(
            "[data-chart=volume] .ba-bar[data-index='{index}']"
        ))
        .await;
    office
        .wait_for("[data-testid=drill] [data-testid=drill-total][data-total='3']")
        .await;
    office
        .wait_until("document.querySelectorAll('.ba-drill-list tbody tr').length === 3")
        .await;
    let listed = office
        .eval("[...document.querySelectorAll('.ba-drill-list tbody tr')].map(r => r.dataset.conversation)")
        .await;
    assert_eq!(listed, json!(day_a), "oldest request first");
    assert_eq!(
        office.texts(".ba-drill-list .ba-drill-open").await,
        ["Alice", "Bruno", "Carla"]
    );

    // Its CSV holds the same rows; the period's, all five.
    let rows = csv_lines(&office, "[data-testid=drill-csv]").await;
    assert_eq!(rows.len(), 4, "a header and three rows: {rows:?}");
    assert!(rows[0].starts_with("conversation_id,"), "{}", rows[0]);
    for (row, id) in rows[1..].iter().zip(&day_a) {
        assert!(row.starts_with(id.as_str()), "{row} is {id}");
    }
    assert_eq!(
        csv_lines(&office, "[data-testid=report-csv]").await.len(),
        6
    );
    assert_eq!(
        office
            .eval("document.querySelector('[data-testid=report-csv]').hasAttribute('download')")
            .await,
        json!(true)
    );

    // A click on a name opens that conversation on the desk, history and all.
    office
        .click(&format!(
            ".ba-drill-list tr[data-conversation='{}'] .ba-drill-open",
            day_a[1]
        ))
        .await;
    office
        .wait_text("[data-testid=chat-customer-name]", "Bruno")
        .await;
    office
        .wait_text("[data-testid=history]", "Help, Bruno")
        .await;
    assert_eq!(office.eval("location.hash").await, json!(""));
    office.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attendant_sees_their_own_numbers_and_the_page_fits_a_tablet() {
    let Seeded { server, office, .. } = seeded().await;
    office.set_viewport(800, 1000).await;
    sign_in(&office, &server, "ana@example.com", ATTENDANT_PASSWORD).await;
    office.wait_for("[data-testid=lists]").await;
    office
        .wait_text("[data-testid=nav-reports]", "My numbers")
        .await;
    office.click("[data-testid=nav-reports]").await;
    office.wait_for("[data-kpi=created]").await;
    // Hers: the four she handled, not the one abandoned in the queue.
    assert_eq!(kpi(&office, "created").await.0, "4");
    assert_eq!(kpi(&office, "abandoned").await.0, "0");
    assert_eq!(office.count("[data-testid=report-attendant]").await, 0);
    assert_eq!(office.count("[data-testid=report-attendants]").await, 0);
    // Nothing wider than the screen but the tables, which scroll on their own.
    let overflow: Value = office
        .eval(
            "(() => { const r = document.querySelector('.ba-reports');\
               return r.scrollWidth - r.clientWidth; })()",
        )
        .await;
    assert_eq!(overflow, json!(0), "the page does not scroll sideways");
    // Today: grouped by hour, and hours are refused for a custom month.
    office
        .select_option("[data-testid=report-period]", "today")
        .await;
    office
        .wait_until("document.querySelector('[data-testid=report-group]').value === 'hour'")
        .await;
    office
        .wait_until("document.querySelectorAll('[data-chart=volume] .ba-bar').length >= 23")
        .await;
    office
        .select_option("[data-testid=report-period]", "30d")
        .await;
    office
        .wait_until("document.querySelector('[data-testid=report-group]').value === 'day'")
        .await;
    assert_eq!(
        office
            .count("[data-testid=report-group] option[value=hour]")
            .await,
        0
    );
    office.close().await;
}
