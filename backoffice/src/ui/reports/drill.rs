//! The drill-down: a drawer listing the conversations behind what was clicked
//! (`GET /api/reports/conversations` with the page's filters and the click's), oldest
//! request first, a page at a time, with their total and their CSV. A conversation opens on
//! the desk the way a search hit does (`live::open`).

use chimpassist_protocol::report::{MeasureKind, ReportConversation, ReportConversationsPage};
use chimpassist_protocol::{ConversationStatus, ConversationView};
use leptos::prelude::*;

use super::{Report, failure};
use crate::api::{self, ApiError};
use crate::ctx::{Ctx, Page, go};
use crate::i18n::{ReportsTexts, fill};
use crate::reports::chart::full_label;
use crate::reports::heat::Bin;
use crate::reports::numbers::duration;
use crate::reports::query::Drill;
use crate::{env, format, live};

/// The conversations listed so far for one click, and the cursor of the next page.
#[derive(Clone, Debug, Default)]
struct Listed {
    items: Vec<ReportConversation>,
    total: u64,
    next: Option<String>,
}

fn measure_name(t: &'static ReportsTexts, kind: MeasureKind) -> &'static str {
    match kind {
        MeasureKind::Wait => t.wait_col,
        MeasureKind::FirstResponse | MeasureKind::FirstResponseAfterAssignment => {
            t.first_response_col
        }
        MeasureKind::Resolution => t.resolution_col,
        MeasureKind::Handle => t.handle_col,
    }
}

/// What was clicked, in words: the drawer's title.
fn caption(t: &'static ReportsTexts, drill: &Drill) -> String {
    match drill {
        Drill::All => t.all_conversations.to_owned(),
        Drill::Status(ConversationStatus::Resolved) => t.resolved.to_owned(),
        Drill::Status(ConversationStatus::Abandoned) => t.abandoned.to_owned(),
        Drill::Status(other) => other.as_str().to_owned(),
        Drill::Reopened => t.reopened.to_owned(),
        Drill::Rated => t.csat.to_owned(),
        Drill::Calls => t.calls.to_owned(),
        Drill::Bucket { label, .. } => full_label(label),
        Drill::Cell { weekday, hour } => format!(
            "{} {hour:02}:00–{:02}:00",
            t.weekdays.get(usize::from(*weekday)).unwrap_or(&"?"),
            (hour + 1) % 24
        ),
        Drill::Bin {
            measure,
            min_ms: 0,
            max_ms: None,
        } => measure_name(t, *measure).to_owned(),
        Drill::Bin {
            measure,
            min_ms,
            max_ms,
        } => {
            let bin = Bin {
                min_ms: *min_ms,
                max_ms: *max_ms,
                count: 0,
            };
            format!("{} {}", measure_name(t, *measure), bin.label())
        }
        Drill::Rating(r) => fill(t.stars, r),
        Drill::Attendant { name, .. } => format!("{}: {name}", t.attendant),
        Drill::Queue { name, .. } => format!("{}: {name}", t.queue),
    }
}

#[component]
pub(super) fn Drawer(report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let listed = RwSignal::new(None::<Result<Listed, ApiError>>);
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    // Answers for an earlier click are dropped.
    let generation = StoredValue::new(0u32);
    let load = move |drill: Drill, cursor: Option<String>| {
        let path = report
            .filters
            .with_untracked(|f| f.conversations_path(&drill, cursor.as_deref()));
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let answer = api::get::<ReportConversationsPage>(&path).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match (answer, cursor.is_some()) {
                (Ok(page), false) => listed.set(Some(Ok(Listed {
                    items: page.conversations,
                    total: page.total,
                    next: page.next_cursor,
                }))),
                (Ok(page), true) => listed.update(|l| {
                    if let Some(Ok(l)) = l {
                        for c in page.conversations {
                            if !l.items.iter().any(|held| held.id == c.id) {
                                l.items.push(c);
                            }
                        }
                        l.total = page.total;
                        l.next = page.next_cursor;
                    }
                }),
                (Err(e), false) => listed.set(Some(Err(e))),
                (Err(e), true) => more_error.set(Some(failure(ctx, &e))),
            }
            more_busy.set(false);
        });
    };
    Effect::new(move |_| {
        let drill = report.drill.get();
        generation.update_value(|g| *g += 1);
        listed.set(None);
        more_busy.set(false);
        more_error.set(None);
        if let Some(d) = drill {
            load(d, None);
        }
    });
    let more = move |_| {
        let next = listed.with_untracked(|l| match l {
            Some(Ok(l)) => l.next.clone(),
            _ => None,
        });
        let drill = report.drill.get_untracked();
        if let (Some(next), Some(drill)) = (next, drill)
            && !more_busy.get_untracked()
        {
            more_busy.set(true);
            more_error.set(None);
            load(drill, Some(next));
        }
    };
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close_button.get() {
            let _ = b.focus();
        }
    });
    let close = move || report.drill.set(None);
    let rows = move || {
        listed.with(|l| match l {
            Some(Ok(l)) => l.items.clone(),
            _ => Vec::new(),
        })
    };
    let status = move || match listed.get() {
        None => view! { <p class="ba-hint" aria-busy="true">{t.loading}</p> }.into_any(),
        Some(Err(e)) => {
            view! { <p class="ba-error" role="alert">{failure(ctx, &e)}</p> }.into_any()
        }
        Some(Ok(l)) if l.items.is_empty() => {
            view! { <p class="ba-empty">{t.none_here}</p> }.into_any()
        }
        Some(Ok(l)) => view! {
            <p class="ba-drill-total" data-testid="drill-total" data-total=l.total>
                {fill(t.total, l.total)}
            </p>
        }
        .into_any(),
    };
    let has_more = move || listed.with(|l| matches!(l, Some(Ok(l)) if l.next.is_some()));
    move || {
        report.drill.get().map(|drill| {
            let title = fill(t.drill_of, caption(t, &drill));
            let csv = report.filters.with(|f| f.csv_path(&drill));
            let name = title.clone();
            view! {
                <aside class="ba-drill" role="dialog" aria-label=name data-testid="drill"
                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { close() }>
                    <header class="ba-drill-head">
                        <h2>{title}</h2>
                        <button type="button" class="ba-drill-close" node_ref=close_button
                            aria-label=t.close title=t.close on:click=move |_| close()>"×"</button>
                    </header>
                    {status}
                    <a class="ba-csv" data-testid="drill-csv" href=csv download="conversations.csv">{t.csv_these}</a>
                    <div class="ba-table-scroll">
                        <table class="ba-table ba-drill-list">
                            <thead><tr>
                                <th scope="col">{t.customer}</th>
                                <th scope="col">{t.requested}</th>
                                <th scope="col">{t.status}</th>
                                <th scope="col">{t.attendant}</th>
                                <th scope="col">{t.queue}</th>
                                <th scope="col">{t.wait_col}</th>
                                <th scope="col">{t.first_response_col}</th>
                                <th scope="col">{t.resolution_col}</th>
                                <th scope="col">{t.rating}</th>
                            </tr></thead>
                            <tbody>
                                <For each=rows key=|c| c.id
                                    children=move |c| view! { <Row item=c report=report /> } />
                            </tbody>
                        </table>
                    </div>
                    <Show when=has_more>
                        <button type="button" class="ba-load-more" data-testid="drill-more"
                            disabled=move || more_busy.get() on:click=more>{t.load_more}</button>
                    </Show>
                    {move || more_error.get().map(|e| view! { <p class="ba-error" role="alert">{e}</p> })}
                </aside>
            }
        })
    }
}

/// Opens a conversation on the desk, as a search hit does.
fn open_on_desk(ctx: Ctx, id: chimpassist_protocol::ConversationId) {
    leptos::task::spawn_local(async move {
        match api::get::<ConversationView>(&format!("/api/conversations/{id}")).await {
            Ok(view) => {
                live::open(ctx, view);
                go(Page::Desk);
                ctx.page.set(Page::Desk);
            }
            Err(e) => ctx.toast(failure(ctx, &e)),
        }
    });
}

#[component]
fn Row(item: ReportConversation, report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let c = item;
    let id = c.id;
    let time = |ms: Option<i64>| ms.map_or_else(|| "—".to_owned(), duration);
    let rating = c.rating.map(|r| {
        let r = usize::from(r.clamp(1, 5));
        let label = fill(t.stars, r);
        view! {
            <span class="ba-stars" role="img" title=label.clone() aria-label=label>
                {format!("{}{}", "★".repeat(r), "☆".repeat(5 - r))}
            </span>
        }
    });
    let status: &'static str = (ctx.t().desk.status)(c.status);
    let ended = !c.status.is_open();
    // Always something to click, even for a customer who gave no name.
    let name = Some(c.customer_name.trim())
        .filter(|n| !n.is_empty())
        .unwrap_or(t.no_name)
        .to_owned();
    view! {
        <tr data-conversation=id.to_string() class:ba-ended=ended>
            <td>
                <button type="button" class="ba-link ba-drill-open" title=fill(t.open, &name)
                    on:click=move |_| open_on_desk(ctx, id)>{name.clone()}</button>
            </td>
            <td>{format::date_time(c.requested_at, env::tz_offset_at(c.requested_at))}</td>
            <td>{status}</td>
            <td>{c.attendant_name.clone().unwrap_or_else(|| "—".to_owned())}</td>
            <td>{report.queue_name(c.queue.as_str())}</td>
            <td>{time(c.wait_ms)}</td>
            <td>{time(c.first_response_ms)}</td>
            <td>{time(c.resolution_ms)}</td>
            <td>{rating}</td>
        </tr>
    }
}
