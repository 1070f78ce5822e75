//! The headline numbers, each with its change from the previous period; those that stand
//! for a set of conversations list them when clicked.

use chimpassist_protocol::ConversationStatus;
use chimpassist_protocol::report::{Measure, MeasureKind, ReportSummary};
use leptos::prelude::*;

use super::Report;
use crate::ctx::Ctx;
use crate::i18n::{ReportsTexts, fill};
use crate::reports::numbers::{Better, Change, Tone, Unit, duration, percent, points, relative};
use crate::reports::query::Drill;

/// One headline number.
struct Card {
    /// `data-kpi`, for tests and styles.
    key: &'static str,
    label: &'static str,
    value: String,
    /// A second line: the 90th percentile, how many ratings…
    detail: Option<String>,
    change: Change,
    /// The previous period's value, for the change's tooltip.
    before: String,
    drill: Option<Drill>,
}

fn count(key: &'static str, label: &'static str, now: u64, before: u64, better: Better) -> Card {
    Card {
        key,
        label,
        value: now.to_string(),
        detail: None,
        change: relative(Some(now as f64), Some(before as f64), better),
        before: before.to_string(),
        drill: None,
    }
}

fn time(
    t: &ReportsTexts,
    key: &'static str,
    label: &'static str,
    now: &Measure,
    before: &Measure,
    kind: MeasureKind,
) -> Card {
    let text = |m: &Measure| m.median_ms.map_or_else(|| "—".to_owned(), duration);
    Card {
        key,
        label,
        value: text(now),
        detail: now.p90_ms.map(|p| fill(t.p90, duration(p))),
        change: relative(
            now.median_ms.map(|v| v as f64),
            before.median_ms.map(|v| v as f64),
            Better::Lower,
        ),
        before: text(before),
        // Every conversation that has the measure: the bin from 0 with no end.
        drill: (now.count > 0).then_some(Drill::Bin {
            measure: kind,
            min_ms: 0,
            max_ms: None,
        }),
    }
}

fn share(
    key: &'static str,
    label: &'static str,
    now: Option<f64>,
    before: Option<f64>,
    detail: String,
) -> Card {
    let text = |s: Option<f64>| s.map_or_else(|| "—".to_owned(), percent);
    Card {
        key,
        label,
        value: text(now),
        detail: Some(detail),
        change: points(now, before, Better::Higher),
        before: text(before),
        drill: None,
    }
}

fn cards(t: &'static ReportsTexts, now: &ReportSummary, before: &ReportSummary) -> Vec<Card> {
    let mut out = vec![
        Card {
            drill: Some(Drill::All),
            ..count(
                "created",
                t.created,
                now.created,
                before.created,
                Better::Neutral,
            )
        },
        Card {
            drill: Some(Drill::Status(ConversationStatus::Resolved)),
            ..count(
                "resolved",
                t.resolved,
                now.resolved,
                before.resolved,
                Better::Higher,
            )
        },
        Card {
            drill: Some(Drill::Status(ConversationStatus::Abandoned)),
            ..count(
                "abandoned",
                t.abandoned,
                now.abandoned,
                before.abandoned,
                Better::Lower,
            )
        },
    ];
    if now.reopened > 0 {
        out.push(Card {
            drill: Some(Drill::Reopened),
            ..count(
                "reopened",
                t.reopened,
                now.reopened,
                before.reopened,
                Better::Lower,
            )
        });
    }
    out.push(time(
        t,
        "wait",
        t.wait,
        &now.wait,
        &before.wait,
        MeasureKind::Wait,
    ));
    out.push(time(
        t,
        "first_response",
        t.first_response,
        &now.first_response,
        &before.first_response,
        MeasureKind::FirstResponse,
    ));
    out.push(time(
        t,
        "resolution",
        t.resolution,
        &now.resolution,
        &before.resolution,
        MeasureKind::Resolution,
    ));
    let csat = &now.csat;
    let rated = (csat.ratings > 0).then_some(Drill::Rated);
    out.push(Card {
        drill: rated.clone(),
        ..share(
            "csat",
            t.csat,
            csat.score,
            before.csat.score,
            fill(t.ratings, csat.ratings),
        )
    });
    out.push(Card {
        drill: rated,
        ..share(
            "response_rate",
            t.response_rate,
            csat.response_rate,
            before.csat.response_rate,
            fill(t.offered, csat.offered),
        )
    });
    if now.calls.count > 0 || before.calls.count > 0 {
        let talk = fill(t.talk, duration(now.calls.talk_ms));
        out.push(Card {
            detail: Some(format!(
                "{} · {talk}",
                fill(t.calls_detail, now.calls.answered)
            )),
            drill: (now.calls.count > 0).then_some(Drill::Calls),
            ..count(
                "calls",
                t.calls,
                now.calls.count,
                before.calls.count,
                Better::Neutral,
            )
        });
    }
    out
}

fn change_text(t: &ReportsTexts, change: &Change) -> String {
    match change {
        Change::NoPrevious => t.no_previous.to_owned(),
        Change::Same => t.same.to_owned(),
        Change::Moved {
            amount,
            unit: Unit::Percent,
            ..
        } => format!("{} {amount}%", change.arrow()),
        Change::Moved {
            amount,
            unit: Unit::Points,
            ..
        } => {
            format!("{} {amount} {}", change.arrow(), t.points)
        }
    }
}

fn change_class(change: &Change) -> &'static str {
    match change {
        Change::Moved {
            tone: Tone::Good, ..
        } => "ba-change good",
        Change::Moved {
            tone: Tone::Bad, ..
        } => "ba-change bad",
        Change::Moved { .. } => "ba-change moved",
        _ => "ba-change none",
    }
}

#[component]
pub(super) fn Headline(
    summary: ReportSummary,
    previous: ReportSummary,
    report: Report,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let items = cards(t, &summary, &previous)
        .into_iter()
        .map(|c| {
            let inner = view! {
                <span class="ba-kpi-label">{c.label}</span>
                <span class="ba-kpi-value">{c.value}</span>
                {c.detail.map(|d| view! { <span class="ba-kpi-detail">{d}</span> })}
                <span class=change_class(&c.change) title=fill(t.previous, &c.before)>
                    {change_text(t, &c.change)}
                </span>
            };
            let body = match c.drill {
                Some(d) => view! {
                    <button type="button" class="ba-kpi-body" title=t.list_these
                        on:click=move |_| report.open(d.clone())>{inner}</button>
                }
                .into_any(),
                None => view! { <div class="ba-kpi-body">{inner}</div> }.into_any(),
            };
            view! { <li class="ba-kpi" data-kpi=c.key>{body}</li> }
        })
        .collect_view();
    view! {
        <ul class="ba-kpis" aria-label=t.headline data-testid="report-headline">{items}</ul>
    }
}
