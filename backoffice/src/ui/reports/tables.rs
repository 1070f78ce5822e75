//! The per-attendant and per-queue tables: sorted by a click on a header (again: the other
//! way), each row's name listing its conversations. Wide tables scroll sideways on their own
//! instead of widening the page.

use chimpassist_protocol::report::ReportRow;
use leptos::prelude::*;

use super::Report;
use crate::ctx::Ctx;
use crate::i18n::{ReportsTexts, fill};
use crate::reports::numbers::{duration, percent};
use crate::reports::query::Drill;
use crate::reports::table::{Column, Sort, sort};

/// Which table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Attendant,
    Queue,
}

fn heading(t: &'static ReportsTexts, column: Column) -> &'static str {
    match column {
        Column::Name => t.name,
        Column::Created => t.created,
        Column::Resolved => t.resolved,
        Column::FirstResponse => t.median_first_response,
        Column::Resolution => t.median_resolution,
        Column::Csat => t.csat,
    }
}

fn arrow(s: Sort, column: Column) -> &'static str {
    match (s.column == column, s.descending) {
        (false, _) => "",
        (true, true) => " ▼",
        (true, false) => " ▲",
    }
}

#[component]
pub(super) fn RowsTable(
    caption: &'static str,
    rows: Vec<ReportRow>,
    kind: Kind,
    report: Report,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let order = RwSignal::new(Sort::default());
    let rows = StoredValue::new(rows);
    let sorted = Memo::new(move |_| {
        let mut list = rows.get_value();
        sort(&mut list, order.get());
        list
    });
    let headers = Column::ALL
        .into_iter()
        .map(|c| {
            view! {
                <th scope="col" aria-sort=move || order.get().aria(c)>
                    <button type="button" class="ba-sort" data-sort=c.slug()
                        title=fill(t.sort_by, heading(t, c))
                        on:click=move |_| order.update(|s| *s = s.clicked(c))>
                        {heading(t, c)}{move || arrow(order.get(), c)}
                    </button>
                </th>
            }
        })
        .collect_view();
    let body = move || {
        sorted
            .get()
            .into_iter()
            .map(|r| {
                let s = &r.summary;
                let time = |ms: Option<i64>| ms.map_or_else(|| "—".to_owned(), duration);
                let cells = view! {
                    <td>{s.created}</td>
                    <td>{s.resolved}</td>
                    <td>{time(s.first_response.median_ms)}</td>
                    <td>{time(s.resolution.median_ms)}</td>
                    <td>{s.csat.score.map_or_else(|| "—".to_owned(), percent)}</td>
                };
                let drill = match kind {
                    Kind::Attendant => Drill::Attendant { id: r.id.clone(), name: r.name.clone() },
                    Kind::Queue => Drill::Queue { id: r.id.clone(), name: r.name.clone() },
                };
                view! {
                    <tr data-row=r.id.clone()>
                        <th scope="row">
                            <button type="button" class="ba-link" title=t.list_these
                                on:click=move |_| report.open(drill.clone())>{r.name.clone()}</button>
                        </th>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };
    let testid = match kind {
        Kind::Attendant => "report-attendants",
        Kind::Queue => "report-queues",
    };
    view! {
        <section class="ba-report-table" aria-label=caption>
            <h2>{caption}</h2>
            <div class="ba-table-scroll">
                <table class="ba-table" data-testid=testid>
                    <thead><tr>{headers}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </section>
    }
}
