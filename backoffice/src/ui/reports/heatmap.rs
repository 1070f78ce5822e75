//! When conversations start: a day-of-week × hour grid shaded by how many (in the report's
//! zone). A cell with conversations is a button listing them.

use leptos::prelude::*;

use super::Report;
use super::charts::activates;
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::reports::heat::{self, CELL_H, CELL_W, HEAT_HEIGHT, HEAT_LEFT, HEAT_TOP, HEAT_WIDTH};
use crate::reports::query::Drill;

#[component]
pub(super) fn Heatmap(grid: Vec<Vec<u64>>, report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let view_box = format!("0 0 {HEAT_WIDTH} {HEAT_HEIGHT}");
    let hours = (0..24u8)
        .step_by(3)
        .map(|h| {
            let x = HEAT_LEFT + f64::from(h) * CELL_W + CELL_W / 2.0;
            view! {
                <text class="ba-chart-tick" x=x y={HEAT_TOP - 4.0} text-anchor="middle">
                    {format!("{h:02}")}
                </text>
            }
        })
        .collect_view();
    let days = t
        .weekdays
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let y = HEAT_TOP + d as f64 * CELL_H + CELL_H / 2.0 + 3.0;
            view! {
                <text class="ba-chart-tick" x={HEAT_LEFT - 5.0} y=y text-anchor="end">{*name}</text>
            }
        })
        .collect_view();
    let cells = heat::cells(&grid)
        .into_iter()
        .map(|c| {
            let title = format!(
                "{} {:02}:00–{:02}:00: {}",
                t.weekdays[usize::from(c.weekday)],
                c.hour,
                (c.hour + 1) % 24,
                fill(t.conversations_count, c.count)
            );
            let active = c.count > 0;
            let drill = Drill::Cell {
                weekday: c.weekday,
                hour: c.hour,
            };
            let open = StoredValue::new(drill);
            let name = title.clone();
            view! {
                <g class="ba-heat-cell" data-weekday=c.weekday data-hour=c.hour
                    role=active.then_some("button") tabindex=active.then_some("0")
                    aria-label=name
                    on:click=move |_| if active { report.open(open.get_value()) }
                    on:keydown=move |ev: web_sys::KeyboardEvent| if active && activates(&ev) {
                        ev.prevent_default();
                        report.open(open.get_value());
                    }>
                    <title>{title}</title>
                    <rect class=format!("ba-heat l{}", c.level) x=c.x y=c.y
                        width={CELL_W - 2.0} height={CELL_H - 2.0} rx="2" />
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="ba-report-chart ba-wide" data-chart="heatmap">
            <figcaption><h2>{t.heatmap}</h2><p class="ba-hint">{t.heatmap_hint}</p></figcaption>
            <svg class="ba-heatmap" viewBox=view_box role="group" aria-label=t.heatmap
                preserveAspectRatio="xMidYMid meet">
                <g aria-hidden="true">{hours}{days}</g>
                <g class="ba-heat-cells">{cells}</g>
            </svg>
        </figure>
    }
}
