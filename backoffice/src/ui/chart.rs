//! A statistic's line chart: inline SVG sized by its `viewBox` (so it follows the panel's
//! width), drawn from the geometry [`stats::layout`] computes. Every point is one
//! `circle.ba-point` with a `<title>` (`x: y`, the native tooltip); hovering one also shows
//! its value on the chart.

use leptos::prelude::*;

use crate::stats::{self, Series, Tick};

/// The horizontal grid lines and their labels, left of the plot (every chart has them).
pub(crate) fn y_grid(left: f64, right: f64, ticks: &[Tick]) -> impl IntoView + use<> {
    ticks
        .iter()
        .map(|t| {
            view! {
                <line class="ba-chart-grid" x1=left x2=right y1=t.at y2=t.at />
                <text class="ba-chart-tick" x={left - 4.0} y={t.at + 3.0} text-anchor=t.anchor>
                    {t.label.clone()}
                </text>
            }
        })
        .collect_view()
}

#[component]
pub(crate) fn LineChart(label: String, series: Series) -> impl IntoView {
    let l = stats::layout(&series);
    let hovered = RwSignal::new(None::<usize>);
    let view_box = format!("0 0 {} {}", l.width, l.height);
    let (left, right, top, bottom) = (l.left, l.right, l.top, l.bottom);
    let grid = y_grid(left, right, &l.y_ticks);
    let x_ticks = l
        .x_ticks
        .iter()
        .map(|t| {
            view! {
                <line class="ba-chart-axis" x1=t.at x2=t.at y1=bottom y2={bottom + 3.0} />
                <text class="ba-chart-tick" x=t.at y={bottom + 14.0} text-anchor=t.anchor>
                    {t.label.clone()}
                </text>
            }
        })
        .collect_view();
    let points = l
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            view! {
                <circle class="ba-point" cx=p.cx cy=p.cy r="3"
                    on:mouseenter=move |_| hovered.set(Some(i))
                    on:mouseleave=move |_| hovered.set(None)>
                    <title>{p.title.clone()}</title>
                </circle>
            }
        })
        .collect_view();
    let plotted = l.points;
    // Drawn last, so it is above the line and the other points.
    let hover_label = move || {
        hovered.get().and_then(|i| plotted.get(i)).map(|p| {
            view! {
                <text class="ba-point-value" x=p.label_x y=p.label_y text-anchor=p.label_anchor>
                    {p.title.clone()}
                </text>
            }
        })
    };
    view! {
        <svg class="ba-chart" viewBox=view_box role="img" aria-label=label
            preserveAspectRatio="xMidYMid meet">
            <g class="ba-chart-y">{grid}</g>
            <line class="ba-chart-axis" x1=left x2=right y1=bottom y2=bottom />
            <line class="ba-chart-axis" x1=left x2=left y1=top y2=bottom />
            <g class="ba-chart-x">{x_ticks}</g>
            <polyline class="ba-chart-line" points=l.line fill="none" />
            <g class="ba-chart-points">{points}</g>
            <g class="ba-chart-hover" aria-hidden="true">{hover_label}</g>
        </svg>
    }
}
