//! The Reports page (`#/reports`): "Reports" for admins, "My numbers" for attendants (the
//! server keeps an attendant's reports to their own conversations; the page only hides
//! what would be empty or refused for them: the attendant filter and table).
//!
//! The page asks `GET /api/reports/overview` again whenever a control changes, keeping what
//! it shows until the answer comes (older answers are dropped). Every number, bar, cell and
//! row opens the conversations behind it in a drawer ([`drill`]); the period, zone and
//! filters of the drill-down and of the CSV are built by [`crate::reports::query`], the same
//! for both. What is pure (periods, queries, geometry, sorting, numbers in words) lives in
//! [`crate::reports`] and is tested natively.

mod charts;
mod controls;
mod drill;
mod headline;
mod heatmap;
mod live;
mod tables;

use chimpassist_protocol::report::{GroupBy, ReportOverview};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::ctx::Ctx;
use crate::env;
use crate::reports::period::{self, Period, Preset};
use crate::reports::query::{Drill, Filters};

/// The page's state, shared by its parts; cheap to copy.
#[derive(Clone, Copy)]
pub(super) struct Report {
    pub preset: RwSignal<Preset>,
    pub period: RwSignal<Period>,
    pub group_by: RwSignal<GroupBy>,
    pub queue: RwSignal<Option<String>>,
    pub attendant: RwSignal<Option<String>>,
    /// Every control's value, as the API is asked.
    pub filters: Memo<Filters>,
    /// What was clicked last: the drawer lists its conversations while set.
    pub drill: RwSignal<Option<Drill>>,
    /// Queue ids and names, for the filter and the drill-down's queue column.
    pub queue_names: RwSignal<Vec<(String, String)>>,
    /// An admin's report (every attendant) rather than an attendant's own.
    pub admin: Memo<bool>,
}

impl Report {
    fn new(ctx: Ctx) -> Self {
        let start = period::preset(Preset::default(), env::now_ms(), &env::tz_offset_at)
            .expect("a preset has a period");
        let period = RwSignal::new(start);
        let group_by = RwSignal::new(start.default_grouping());
        let queue = RwSignal::new(None::<String>);
        let attendant = RwSignal::new(None::<String>);
        let admin = Memo::new(move |_| ctx.is_admin());
        let tz = env::time_zone();
        let filters = Memo::new(move |_| Filters {
            period: period.get(),
            tz: tz.clone(),
            group_by: group_by.get(),
            queue: queue.get(),
            // An attendant's reports are theirs whatever is sent: nothing to send.
            attendant: attendant.get().filter(|_| admin.get()),
        });
        Report {
            preset: RwSignal::new(Preset::default()),
            period,
            group_by,
            queue,
            attendant,
            filters,
            drill: RwSignal::new(None),
            queue_names: RwSignal::new(Vec::new()),
            admin,
        }
    }

    /// Shows the conversations behind `drill`.
    pub fn open(self, drill: Drill) {
        self.drill.set(Some(drill));
    }

    pub fn queue_name(self, id: &str) -> String {
        self.queue_names.with(|names| {
            names
                .iter()
                .find(|(q, _)| q == id)
                .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
        })
    }
}

/// A failed call in words. An expired login goes back to the sign-in page.
pub(super) fn failure(ctx: Ctx, e: &ApiError) -> String {
    if e.is_unauthenticated() {
        crate::live::session_ended(ctx);
    }
    if e.status == 0 {
        ctx.t().reports.unreachable.to_owned()
    } else {
        e.message.clone()
    }
}

#[component]
pub(crate) fn Reports() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let report = Report::new(ctx);
    let overview = RwSignal::new(None::<Result<ReportOverview, ApiError>>);
    let busy = RwSignal::new(true);
    let generation = StoredValue::new(0u32);
    Effect::new(move |_| {
        let path = report.filters.with(Filters::overview_path);
        // A new question: what was being listed belongs to the old one.
        report.drill.set(None);
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::get::<ReportOverview>(&path).await;
            if generation.try_get_value() == Some(mine) {
                overview.set(Some(answer));
                busy.set(false);
            }
        });
    });
    let title = move || {
        if report.admin.get() {
            t.nav_all
        } else {
            t.nav_mine
        }
    };
    let body = move || match overview.get() {
        None => view! { <p class="ba-hint" aria-busy="true">{t.loading}</p> }.into_any(),
        Some(Err(e)) => {
            view! { <p class="ba-error" role="alert">{failure(ctx, &e)}</p> }.into_any()
        }
        Some(Ok(o)) => untrack(|| contents(report, o)),
    };
    view! {
        <section class="ba-reports" data-testid="reports" aria-label=title>
            <header class="ba-reports-head">
                <h1>{title}</h1>
                <live::LiveStrip />
            </header>
            <controls::Controls report=report />
            <div class="ba-reports-body" aria-busy=move || busy.get().to_string()
                class:ba-stale=move || busy.get() && overview.with(Option::is_some)>
                {body}
            </div>
            <drill::Drawer report=report />
        </section>
    }
}

/// Everything drawn from one overview.
fn contents(report: Report, o: ReportOverview) -> AnyView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let empty = (o.summary.created == 0)
        .then(|| view! { <p class="ba-empty" data-testid="reports-empty">{t.empty}</p> });
    let attendants = (report.admin.get_untracked() && !o.attendants.is_empty()).then(|| {
        view! {
            <tables::RowsTable caption=t.by_attendant rows=o.attendants.clone()
                kind=tables::Kind::Attendant report=report />
        }
    });
    let queues = (!o.queues.is_empty()).then(|| {
        view! {
            <tables::RowsTable caption=t.by_queue rows=o.queues.clone()
                kind=tables::Kind::Queue report=report />
        }
    });
    view! {
        <headline::Headline summary=o.summary.clone() previous=o.previous.clone() report=report />
        {empty}
        <div class="ba-reports-charts">
            <charts::Volume series=o.series.clone() report=report />
            <heatmap::Heatmap grid=o.heatmap.clone() report=report />
            <charts::Times histogram=o.first_response_histogram.clone()
                measure=chimpassist_protocol::report::MeasureKind::FirstResponse
                title=t.first_response_times report=report />
            <charts::Times histogram=o.resolution_histogram.clone()
                measure=chimpassist_protocol::report::MeasureKind::Resolution
                title=t.resolution_times report=report />
            <charts::Ratings distribution=o.summary.csat.distribution report=report />
        </div>
        <div class="ba-reports-tables">{attendants}{queues}</div>
    }
    .into_any()
}
