//! The report's controls: period (presets or two dates), grouping (only the sizes that suit
//! the period), queue and, for admins, attendant; and the CSV of it all.

use chimpassist_protocol::AttendantView;
use chimpassist_protocol::report::GroupBy;
use chimpassist_protocol::rest::QueueView;
use leptos::prelude::*;

use super::Report;
use crate::api;
use crate::ctx::Ctx;
use crate::env;
use crate::i18n::{ReportsTexts, fill};
use crate::reports::period::{self, Preset};
use crate::reports::query::{Drill, csv_name};

fn preset_label(t: &'static ReportsTexts, p: Preset) -> &'static str {
    match p {
        Preset::Today => t.today,
        Preset::Last7 => t.last_7,
        Preset::Last30 => t.last_30,
        Preset::Custom => t.custom,
    }
}

fn group_label(t: &'static ReportsTexts, g: GroupBy) -> &'static str {
    match g {
        GroupBy::Hour => t.hour,
        GroupBy::Day => t.day,
        GroupBy::Week => t.week,
    }
}

/// `None` for the "all" option's empty value.
fn chosen(raw: String) -> Option<String> {
    (!raw.is_empty()).then_some(raw)
}

#[component]
pub(super) fn Controls(report: Report) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let (first, last) = period::input_dates(report.period.get_untracked(), &env::tz_offset_at);
    let custom_from = RwSignal::new(first);
    let custom_to = RwSignal::new(last);
    let bad_dates = RwSignal::new(false);
    let set_period = move |p: period::Period| {
        report.period.set(p);
        // Each period has its own sensible grouping (hours for today, days for a week…).
        report.group_by.set(p.default_grouping());
    };
    let pick = move |raw: String| {
        let Some(p) = Preset::parse(&raw) else { return };
        report.preset.set(p);
        bad_dates.set(false);
        match period::preset(p, env::now_ms(), &env::tz_offset_at) {
            Some(range) => set_period(range),
            // Custom: the dates start as the period shown, until applied.
            None => {
                let (a, b) = period::input_dates(report.period.get_untracked(), &env::tz_offset_at);
                custom_from.set(a);
                custom_to.set(b);
            }
        }
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match period::custom(
            &custom_from.get_untracked(),
            &custom_to.get_untracked(),
            &env::tz_offset_at,
        ) {
            Some(p) => {
                bad_dates.set(false);
                set_period(p);
            }
            None => bad_dates.set(true),
        }
    };

    // Filters' choices. Names are only for people: the ids are what is sent.
    let queues = LocalResource::new(|| api::get::<Vec<QueueView>>("/api/queues"));
    Effect::new(move |_| {
        if let Some(Ok(list)) = queues.get() {
            report.queue_names.set(
                list.into_iter()
                    .map(|q| (q.id.to_string(), q.name))
                    .collect(),
            );
        }
    });
    let people = LocalResource::new(move || async move {
        if report.admin.get() {
            api::get::<Vec<AttendantView>>("/api/attendants")
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        }
    });
    let queue_options = move || {
        report
            .queue_names
            .get()
            .into_iter()
            .map(|(id, name)| {
                let selected = report.queue.with(|q| q.as_deref() == Some(id.as_str()));
                view! { <option value=id prop:selected=selected>{name}</option> }
            })
            .collect_view()
    };
    let attendant_options = move || {
        people
            .get()
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let id = a.id.to_string();
                let selected = report.attendant.with(|x| x.as_deref() == Some(id.as_str()));
                view! { <option value=id prop:selected=selected>{a.name}</option> }
            })
            .collect_view()
    };
    let groups = move || {
        report.period.get().groupings().into_iter().map(|g| {
            view! { <option value=g.as_str() prop:selected=move || report.group_by.get() == g>{group_label(t, g)}</option> }
        }).collect_view()
    };
    let csv = move || report.filters.with(|f| f.csv_path(&Drill::All));
    let csv_file = move || {
        let (a, b) = period::input_dates(report.period.get(), &env::tz_offset_at);
        csv_name(&a, &b)
    };
    let custom = move || report.preset.get() == Preset::Custom;
    view! {
        <form class="ba-reports-controls" aria-label=t.controls on:submit=apply>
            <label>
                <span>{t.period}</span>
                <select name="period" data-testid="report-period"
                    on:change=move |ev| pick(event_target_value(&ev))>
                    {Preset::ALL.into_iter().map(|p| view! {
                        <option value=p.wire() prop:selected=move || report.preset.get() == p>{preset_label(t, p)}</option>
                    }).collect_view()}
                </select>
            </label>
            <Show when=custom>
                <label>
                    <span>{t.from}</span>
                    <input type="date" name="from" data-testid="report-from" prop:value=move || custom_from.get()
                        on:input=move |ev| custom_from.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t.to}</span>
                    <input type="date" name="to" data-testid="report-to" prop:value=move || custom_to.get()
                        on:input=move |ev| custom_to.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="ba-primary" data-testid="report-apply">{t.apply}</button>
            </Show>
            <label>
                <span>{t.group_by}</span>
                <select name="group_by" data-testid="report-group"
                    on:change=move |ev| {
                        if let Some(g) = GroupBy::parse(&event_target_value(&ev)) {
                            report.group_by.set(report.period.get_untracked().fit(g));
                        }
                    }>
                    {groups}
                </select>
            </label>
            <label>
                <span>{t.queue}</span>
                <select name="queue" data-testid="report-queue"
                    on:change=move |ev| report.queue.set(chosen(event_target_value(&ev)))>
                    <option value="">{t.all_queues}</option>
                    {queue_options}
                </select>
            </label>
            <Show when=move || report.admin.get()>
                <label>
                    <span>{t.attendant}</span>
                    <select name="attendant" data-testid="report-attendant"
                        on:change=move |ev| report.attendant.set(chosen(event_target_value(&ev)))>
                        <option value="">{t.all_attendants}</option>
                        {attendant_options}
                    </select>
                </label>
            </Show>
            <a class="ba-csv" data-testid="report-csv" href=csv download=csv_file title=t.csv_hint>{t.csv}</a>
            <Show when=move || bad_dates.get()>
                <p class="ba-error" role="alert">{t.bad_dates}</p>
            </Show>
            <p class="ba-hint ba-zone">{move || fill(t.zone, report.filters.with(|f| f.tz.clone()))}</p>
        </form>
    }
}
