//! Queues: each one's settings in its own form (business hours too), and a form for a new
//! queue. Saving is `PUT /api/queues/{id}` with the whole `QueueView` (create or replace).

use chimpassist_protocol::hours::BusinessHours;
use chimpassist_protocol::rest::QueueView;
use chimpassist_protocol::{AssignmentMode, CallPolicy, QueueId};
use leptos::prelude::*;

use super::{Outcome, Said, failure, form_of, not_loaded, optional};
use crate::ctx::Ctx;
use crate::hours::{BadField, DAYS, day_text, hours_of};
use crate::i18n::{AdminTexts, fill};
use crate::queues::bot_of;
use crate::ui::login::field;
use crate::{api, env};

/// The hours the form's fields say (`None`: the queue is answered at any time), or why
/// they do not read, in words.
fn hours_field(
    t: &'static AdminTexts,
    ev: &leptos::ev::SubmitEvent,
) -> Result<Option<BusinessHours>, String> {
    if field(ev, "hours_on").is_empty() {
        return Ok(None);
    }
    let days: [String; 7] = std::array::from_fn(|i| field(ev, &format!("day{i}")));
    hours_of(&field(ev, "time_zone"), &days, &field(ev, "holidays"))
        .map(Some)
        .map_err(|bad| match bad {
            BadField::Day(day) => {
                let at = DAYS.iter().position(|d| *d == day).unwrap_or(0);
                fill(t.day_invalid, t.days[at])
            }
            BadField::Holidays => t.holidays_invalid.to_owned(),
        })
}

/// The business-hours part of a queue's form.
#[component]
fn HoursFields(hours: Option<BusinessHours>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let on = RwSignal::new(hours.is_some());
    let zone = hours
        .as_ref()
        .map_or_else(env::time_zone, |h| h.time_zone.clone());
    let holidays = hours
        .as_ref()
        .map(|h| h.holidays.join(", "))
        .unwrap_or_default();
    let days = DAYS
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let text = hours
                .as_ref()
                .map(|h| day_text(h, *day))
                .unwrap_or_default();
            view! {
                <label><span>{t.days[i]}</span>
                    <input name=format!("day{i}") type="text" placeholder=t.closed value=text
                        autocomplete="off" /></label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="ba-hours">
            <legend>{t.hours}</legend>
            <label class="ba-check"><input name="hours_on" type="checkbox" checked=on.get_untracked()
                on:change=move |ev| on.set(event_target_checked(&ev)) />
                <span>{t.hours_on}</span></label>
            <div class="ba-fields" hidden=move || !on.get()>
                <label><span>{t.time_zone}</span>
                    <input name="time_zone" type="text" value=zone title=t.time_zone_hint autocomplete="off" /></label>
                {days}
                <label class="ba-wide"><span>{t.holidays}</span>
                    <input name="holidays" type="text" value=holidays placeholder="2026-12-25, 2027-01-01" /></label>
            </div>
            <p class="ba-hint" hidden=move || !on.get()>{t.hours_hint}" "{t.time_zone_hint}" "{t.holidays_hint}</p>
        </fieldset>
    }
}

#[component]
pub(super) fn Queues() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::get::<Vec<QueueView>>("/api/queues")
    });
    let taken = Signal::derive(move || {
        list.get()
            .and_then(Result::ok)
            .map(|qs| qs.into_iter().map(|q| q.id).collect())
            .unwrap_or_default()
    });
    let forms = move || match list.get() {
        None => not_loaded(ctx, None),
        Some(Err(e)) => not_loaded(ctx, Some(&e)),
        Some(Ok(qs)) if qs.is_empty() => view! { <p class="ba-empty">{t.no_queues}</p> }.into_any(),
        Some(Ok(qs)) => qs
            .into_iter()
            .map(|q| view! { <QueueForm queue=Some(q) version=version taken=taken /> })
            .collect_view()
            .into_any(),
    };
    view! {
        <section class="ba-admin-section ba-admin-queues" aria-label=t.queues>
            <h2>{t.queues}</h2>
            {forms}
            <QueueForm queue=None version=version taken=taken />
        </section>
    }
}

fn mode_of(raw: &str) -> AssignmentMode {
    if raw == "manual" {
        AssignmentMode::Manual
    } else {
        AssignmentMode::Auto
    }
}

/// One queue's form; `None` is the form that creates a queue (with an id field).
#[component]
fn QueueForm(
    queue: Option<QueueView>,
    version: RwSignal<u32>,
    taken: Signal<Vec<QueueId>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let is_new = queue.is_none();
    let existing = queue.as_ref().map(|q| q.id.clone());
    let mode = RwSignal::new(queue.as_ref().map(|q| q.mode).unwrap_or_default());
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let id = match &existing {
            Some(id) => id.clone(),
            None => match QueueId::parse(field(&ev, "id").trim()) {
                Ok(id) if taken.with_untracked(|all| all.contains(&id)) => {
                    return outcome.set(Some(Err(t.queue_id_taken.to_owned())));
                }
                Ok(id) => id,
                Err(_) => return outcome.set(Some(Err(t.queue_id_invalid.to_owned()))),
            },
        };
        let Some(name) = optional(&field(&ev, "name")) else {
            return outcome.set(Some(Err(t.name_empty.to_owned())));
        };
        let Ok(bot) = bot_of(&field(&ev, "bot_name"), &field(&ev, "bot_timeout")) else {
            return outcome.set(Some(Err(t.bot_timeout_invalid.to_owned())));
        };
        let hours = match hours_field(t, &ev) {
            Ok(h) => h,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        let body = QueueView {
            id: id.clone(),
            name,
            mode: mode.get_untracked(),
            skill: optional(&field(&ev, "skill")),
            greeting: optional(&field(&ev, "greeting")),
            away_message: optional(&field(&ev, "away_message")),
            calls: CallPolicy::parse(&field(&ev, "calls")).unwrap_or_default(),
            bot,
            hours,
        };
        let form = form_of(&ev);
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/queues/{}", api::enc(id.as_str()));
            match api::send::<_, QueueView>("PUT", &path, &body).await {
                Ok(_) if is_new => {
                    if let Some(f) = form {
                        f.reset();
                    }
                    mode.set(AssignmentMode::Auto);
                    outcome.set(Some(Ok(t.saved.to_owned())));
                    version.update(|v| *v += 1);
                }
                Ok(_) => outcome.set(Some(Ok(t.saved.to_owned()))),
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
            busy.set(false);
        });
    };
    let manual = mode.get_untracked() == AssignmentMode::Manual;
    let calls = queue.as_ref().map(|q| q.calls).unwrap_or_default();
    let q = queue.clone();
    let value =
        move |f: fn(&QueueView) -> Option<String>| q.as_ref().and_then(f).unwrap_or_default();
    let id_attr = queue.as_ref().map(|q| q.id.to_string());
    let bot = queue.as_ref().and_then(|q| q.bot.clone());
    let bot_timeout = bot.as_ref().map_or(60, |b| b.timeout_secs).to_string();
    let bot_name = bot.map(|b| b.name).unwrap_or_default();
    let heading = queue.as_ref().map_or_else(
        || t.new_queue.to_owned(),
        |q| format!("{} ({})", q.name, q.id),
    );
    view! {
        <form class="ba-admin-form ba-queue" class:ba-new-queue=is_new data-queue=id_attr on:submit=submit>
            <h3>{heading}</h3>
            <div class="ba-fields">
                {is_new.then(|| view! {
                    <label><span>{t.queue_id}</span>
                        <input name="id" type="text" required autocomplete="off" title=t.queue_id_hint /></label>
                })}
                <label><span>{t.name}</span>
                    <input name="name" type="text" required value=value(|q| Some(q.name.clone())) /></label>
                <label><span>{t.mode}</span>
                    <select name="mode" on:change=move |ev| mode.set(mode_of(&event_target_value(&ev)))>
                        <option value="auto" selected=!manual>{t.mode_auto}</option>
                        <option value="manual" selected=manual>{t.mode_manual}</option>
                    </select></label>
                <label><span>{t.calls}</span>
                    <select name="calls">
                        <option value="off" selected=calls == CallPolicy::Off>{t.calls_off}</option>
                        <option value="attendant_starts" selected=calls == CallPolicy::AttendantStarts>{t.calls_attendant}</option>
                        <option value="either_side" selected=calls == CallPolicy::EitherSide>{t.calls_either}</option>
                    </select></label>
                <label><span>{t.skill}</span>
                    <input name="skill" type="text" placeholder=t.skill_hint value=value(|q| q.skill.clone()) /></label>
                <label><span>{t.bot_name}</span>
                    <input name="bot_name" type="text" maxlength="60" title=t.bot_name_hint value=bot_name /></label>
                <label><span>{t.bot_timeout}</span>
                    <input name="bot_timeout" type="number" min="1" max="86400" value=bot_timeout /></label>
            </div>
            <p class="ba-hint">{t.bot_name_hint}</p>
            <p class="ba-hint ba-mode-hint">
                {move || if mode.get() == AssignmentMode::Manual { t.mode_manual_hint } else { t.mode_auto_hint }}
            </p>
            {is_new.then(|| view! { <p class="ba-hint">{t.queue_id_hint}</p> })}
            <label class="ba-wide"><span>{t.greeting}</span>
                <textarea name="greeting" rows="2" placeholder=t.greeting_hint
                    prop:value=value(|q| q.greeting.clone())></textarea></label>
            <label class="ba-wide"><span>{t.away_message}</span>
                <textarea name="away_message" rows="2" placeholder=t.away_hint
                    prop:value=value(|q| q.away_message.clone())></textarea></label>
            <HoursFields hours=queue.as_ref().and_then(|q| q.hours.clone()) />
            <Said outcome=outcome />
            <button class="ba-primary" type="submit" disabled=move || busy.get()>
                {if is_new { t.create } else { t.save }}
            </button>
        </form>
    }
}
