//! The bar charts: conversations over time (created as bars, resolved as a line), the
//! first-response and resolution histograms and the CSAT distribution. Inline SVG sized by
//! its `viewBox`, laid out by [`crate::reports::chart`]. Each bar is a button (its whole
//! column is the target, so an empty bucket can be clicked too) with a `<title>`, the
//! native tooltip and its accessible name; a click lists its conversations.

use chimpassist_protocol::report::{Histogram, MeasureKind, ReportBucket};
use leptos::prelude::*;

use super::Report;
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::reports::chart::{BarLayout, axis_label, bars, full_label};
use crate::reports::heat;
use crate::reports::query::Drill;
use crate::ui::chart::y_grid;

/// One bar as the chart needs it beyond its geometry.
pub(super) struct BarInfo {
    pub title: String,
    pub drill: Drill,
}

/// Enter or Space on a focused SVG "button" does what a click does.
pub(super) fn activates(ev: &web_sys::KeyboardEvent) -> bool {
    matches!(ev.key().as_str(), "Enter" | " ")
}

#[component]
fn BarChart(
    /// The chart's name, for screen readers.
    label: &'static str,
    layout: BarLayout,
    /// Per bar, in the layout's order.
    info: Vec<BarInfo>,
    report: Report,
) -> impl IntoView {
    let l = layout;
    let view_box = format!("0 0 {} {}", l.width, l.height);
    let (left, right, top, bottom) = (l.left, l.right, l.top, l.bottom);
    let grid = y_grid(left, right, &l.y_ticks);
    let x_ticks = l
        .x_ticks
        .iter()
        .map(|t| {
            view! {
                <text class="ba-chart-tick" x=t.at y={bottom + 13.0} text-anchor=t.anchor>
                    {t.label.clone()}
                </text>
            }
        })
        .collect_view();
    let slots = l
        .slots
        .iter()
        .zip(info)
        .enumerate()
        .map(|(i, (s, b))| {
            let drill = StoredValue::new(b.drill);
            let name = b.title.clone();
            view! {
                <g class="ba-bar" role="button" tabindex="0" aria-label=name data-index=i
                    on:click=move |_| report.open(drill.get_value())
                    on:keydown=move |ev: web_sys::KeyboardEvent| if activates(&ev) {
                        ev.prevent_default();
                        report.open(drill.get_value());
                    }>
                    <title>{b.title}</title>
                    <rect class="ba-bar-hit" x=s.x y=top width=s.width height={bottom - top} />
                    <rect class="ba-bar-fill" x=s.bar_x y=s.bar_y width=s.bar_width height=s.bar_height />
                </g>
            }
        })
        .collect_view();
    let points = l
        .slots
        .iter()
        .filter_map(|s| s.line_y.map(|y| (s.middle(), y)))
        .map(|(cx, cy)| view! { <circle class="ba-bar-point" cx=cx cy=cy r="2" /> })
        .collect_view();
    let line = (!l.line.is_empty()).then(|| {
        view! {
            <g class="ba-bar-series" aria-hidden="true">
                <polyline class="ba-bar-line" points=l.line.clone() fill="none" />
                {points}
            </g>
        }
    });
    view! {
        <svg class="ba-bars" viewBox=view_box role="group" aria-label=label
            preserveAspectRatio="xMidYMid meet">
            <g class="ba-chart-y" aria-hidden="true">{grid}</g>
            <g class="ba-bars-plot">{slots}</g>
            <line class="ba-chart-axis" x1=left x2=right y1=bottom y2=bottom />
            <g class="ba-chart-x" aria-hidden="true">{x_ticks}</g>
            {line}
        </svg>
    }
}

/// Conversations created per bucket, with those of them resolved as a line.
#[component]
pub(super) fn Volume(series: Vec<ReportBucket>, report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let labels: Vec<String> = series
        .iter()
        .enumerate()
        .map(|(i, b)| axis_label(&b.label, i == 0, t.day_month))
        .collect();
    let created: Vec<u64> = series.iter().map(|b| b.summary.created).collect();
    let resolved: Vec<u64> = series.iter().map(|b| b.summary.resolved).collect();
    let layout = bars(760.0, 190.0, &created, &labels, Some(&resolved));
    let info = series
        .into_iter()
        .map(|b| BarInfo {
            title: format!(
                "{} · {}: {} · {}: {}",
                full_label(&b.label),
                t.created,
                b.summary.created,
                t.resolved,
                b.summary.resolved
            ),
            drill: Drill::Bucket {
                start: b.start,
                end: b.end,
                label: b.label,
            },
        })
        .collect();
    view! {
        <figure class="ba-report-chart ba-wide" data-chart="volume">
            <figcaption><h2>{t.volume}</h2><p class="ba-hint">{t.volume_hint}</p></figcaption>
            <BarChart label=t.volume layout=layout info=info report=report />
        </figure>
    }
}

/// A time measure's histogram; each bin lists its conversations.
#[component]
pub(super) fn Times(
    histogram: Histogram,
    measure: MeasureKind,
    title: &'static str,
    report: Report,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let bins = heat::bins(&histogram);
    let labels: Vec<String> = bins.iter().map(heat::Bin::label).collect();
    let counts: Vec<u64> = bins.iter().map(|b| b.count).collect();
    let layout = bars(480.0, 190.0, &counts, &labels, None);
    let info = bins
        .into_iter()
        .map(|b| BarInfo {
            title: format!("{}: {}", b.label(), fill(t.conversations_count, b.count)),
            drill: Drill::Bin {
                measure,
                min_ms: b.min_ms,
                max_ms: b.max_ms,
            },
        })
        .collect();
    let kind = measure.as_str();
    view! {
        <figure class="ba-report-chart" data-chart=kind>
            <figcaption><h2>{title}</h2></figcaption>
            <BarChart label=title layout=layout info=info report=report />
        </figure>
    }
}

/// How many ratings of 1 to 5 stars.
#[component]
pub(super) fn Ratings(distribution: [u64; 5], report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let labels: Vec<String> = (1..=5).map(|r| format!("{r}★")).collect();
    let layout = bars(480.0, 190.0, &distribution, &labels, None);
    let info = (1..=5u8)
        .zip(distribution)
        .map(|(r, n)| BarInfo {
            title: format!("{}: {n}", fill(t.stars, r)),
            drill: Drill::Rating(r),
        })
        .collect();
    view! {
        <figure class="ba-report-chart" data-chart="csat">
            <figcaption><h2>{t.csat_distribution}</h2></figcaption>
            <BarChart label=t.csat_distribution layout=layout info=info report=report />
        </figure>
    }
}
