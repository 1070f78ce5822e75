//! Greetings: the proactive message rules (docs/widget.md#proactive-greetings). A table in
//! the order the widget tries them, each edited, turned on or off or deleted in place, and a
//! form for a new one (the same fields). The server checks every field; its message is shown
//! when it refuses.

use chimpassist_protocol::greeting::{
    GreetingFrequency, GreetingRequest, GreetingRule, MAX_GREETING_BYTES, PathPattern,
};
use chimpassist_protocol::{ErrorCode, MessageText};
use leptos::prelude::*;

use super::{Confirm, Outcome, Said, failure, form_of, not_loaded};
use crate::api;
use crate::ctx::Ctx;
use crate::i18n::{GreetingTexts, fill};
use crate::ui::login::field;

fn frequency_label(t: &'static GreetingTexts, f: GreetingFrequency) -> &'static str {
    match f {
        GreetingFrequency::OncePerDay => t.once_per_day,
        GreetingFrequency::Once => t.once,
        GreetingFrequency::EveryPage => t.every_page,
    }
}

/// The new rule typed in the form, or why it cannot be sent, in words.
fn request(ev: &leptos::ev::SubmitEvent) -> Result<GreetingRequest, String> {
    let path = PathPattern::parse(field(ev, "path").trim()).map_err(|e| e.message)?;
    let text = MessageText::parse(field(ev, "text"), MAX_GREETING_BYTES).map_err(|e| {
        if e.code == ErrorCode::TextTooLong {
            format!("{} (≤ {MAX_GREETING_BYTES} bytes)", e.message)
        } else {
            e.message
        }
    })?;
    let frequency = match field(ev, "frequency").as_str() {
        "once" => GreetingFrequency::Once,
        "every_page" => GreetingFrequency::EveryPage,
        _ => GreetingFrequency::OncePerDay,
    };
    Ok(GreetingRequest {
        name: field(ev, "name"),
        enabled: true,
        path,
        delay_seconds: field(ev, "delay").trim().parse().unwrap_or(0),
        frequency,
        only_when_online: !field(ev, "only_online").is_empty(),
        text,
        from: field(ev, "from"),
    })
}

#[component]
pub(super) fn Greetings() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (a, t) = (&ctx.t().admin, &ctx.t().greetings);
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::get::<Vec<GreetingRule>>("/api/greeting-rules")
    });
    let said: Outcome = RwSignal::new(None);
    let table = move || {
        match list.get() {
        None => not_loaded(ctx, None),
        Some(Err(e)) => not_loaded(ctx, Some(&e)),
        Some(Ok(items)) if items.is_empty() => {
            view! { <p class="ba-empty">{t.none}</p> }.into_any()
        }
        Some(Ok(items)) => view! {
            <table class="ba-table ba-admin-greetings">
                <thead><tr>
                    <th scope="col">{t.name}</th>
                    <th scope="col">{t.path}</th>
                    <th scope="col">{t.frequency}</th>
                    <th scope="col">{t.text}</th>
                    <th scope="col">{a.actions}</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|item| view! { <GreetingRow item=item version=version said=said /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section class="ba-admin-section" aria-label=a.greetings>
            <h2>{a.greetings}</h2>
            <p class="ba-hint">{t.intro}</p>
            <Said outcome=said />
            {table}
            <NewGreeting version=version />
        </section>
    }
}

#[component]
fn GreetingRow(item: GreetingRule, version: RwSignal<u32>, said: Outcome) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (a, t) = (&ctx.t().admin, &ctx.t().greetings);
    let path = StoredValue::new(format!("/api/greeting-rules/{}", item.id));
    let item = RwSignal::new(item);
    let asking = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = match request(&ev) {
            Ok(b) => b,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        body.enabled = item.with_untracked(|i| i.rule.enabled);
        leptos::task::spawn_local(async move {
            match api::send::<_, GreetingRule>("PUT", &path.get_value(), &body).await {
                Ok(saved) => {
                    item.set(saved);
                    editing.set(false);
                    outcome.set(Some(Ok(a.saved.to_owned())));
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let toggle = move |_| {
        let mut body = item.with_untracked(|i| i.rule.clone());
        body.enabled = !body.enabled;
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api::send::<_, GreetingRule>("PUT", &path.get_value(), &body).await {
                Ok(saved) => item.set(saved),
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let remove = move |()| {
        asking.set(false);
        leptos::task::spawn_local(async move {
            match api::delete(&path.get_value()).await {
                Ok(()) => {
                    said.set(Some(Ok(a.deleted.to_owned())));
                    version.update(|v| *v += 1);
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let shown = move || {
        let r = item.get().rule;
        let mut when = vec![
            fill(t.after, r.delay_seconds),
            frequency_label(t, r.frequency).to_owned(),
        ];
        if r.only_when_online {
            when.push(t.only_online.to_owned());
        }
        view! {
            <td>{r.name}<br />
                <span class="ba-hint">{if r.enabled { t.enabled } else { t.disabled }}</span></td>
            <td><code>{r.path.as_str().to_owned()}</code></td>
            <td>{when.join(" · ")}</td>
            <td class="ba-long"><b>{r.from}</b>": "{r.text.into_string()}</td>
            <td class="ba-row-actions">
                <button type="button" class="ba-edit"
                    on:click=move |_| { outcome.set(None); editing.set(true) }>{a.edit}</button>
                <button type="button" class="ba-toggle" on:click=toggle>
                    {if r.enabled { t.disable } else { t.enable }}</button>
                <button type="button" class="ba-delete"
                    on:click=move |_| { outcome.set(None); asking.set(true) }>{a.delete}</button>
            </td>
        }
    };
    let extra = move || {
        let confirm = asking.get().then(|| {
            let question = fill(t.confirm_delete, item.with_untracked(|i| i.rule.name.clone()));
            view! { <Confirm question=question yes=a.delete on_yes=remove on_no=move |()| asking.set(false) /> }
        });
        let edit = editing.get().then(|| {
            let rule = item.get_untracked().rule;
            view! {
                <form class="ba-admin-form ba-edit-greeting" on:submit=save>
                    <GreetingFields rule=Some(rule) />
                    <div class="ba-row-actions">
                        <button class="ba-primary ba-save" type="submit">{a.save}</button>
                        <button type="button" class="ba-cancel" on:click=move |_| editing.set(false)>{a.cancel}</button>
                    </div>
                </form>
            }
        });
        (edit.is_some() || confirm.is_some() || outcome.with(Option::is_some)).then(|| {
            view! { <tr class="ba-row-extra"><td colspan="5">{edit}{confirm}<Said outcome=outcome /></td></tr> }
        })
    };
    view! {
        <tr data-greeting=move || item.with(|i| i.id.to_string())>{shown}</tr>
        {extra}
    }
}

#[component]
fn NewGreeting(version: RwSignal<u32>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (a, t) = (&ctx.t().admin, &ctx.t().greetings);
    let outcome: Outcome = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match request(&ev) {
            Ok(b) => b,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        let form = form_of(&ev);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api::send::<_, GreetingRule>("POST", "/api/greeting-rules", &body).await {
                Ok(_) => {
                    if let Some(f) = form {
                        f.reset();
                    }
                    outcome.set(Some(Ok(a.saved.to_owned())));
                    version.update(|v| *v += 1);
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    view! {
        <form class="ba-admin-form ba-new-greeting" on:submit=submit>
            <h3>{t.new_rule}</h3>
            <GreetingFields rule=None />
            <Said outcome=outcome />
            <button class="ba-primary" type="submit">{a.create}</button>
        </form>
    }
}

/// A rule's fields, blank with the defaults for a new one.
#[component]
fn GreetingFields(rule: Option<GreetingRequest>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().greetings;
    let r = rule.as_ref();
    let text = |f: fn(&GreetingRequest) -> String| r.map(f).unwrap_or_default();
    let delay = r.map_or(30, |r| r.delay_seconds).to_string();
    let frequency = r.map(|r| r.frequency).unwrap_or_default();
    let online = r.is_none_or(|r| r.only_when_online);
    view! {
        <label><span>{t.name}</span>
            <input name="name" type="text" required maxlength="80" autocomplete="off"
                value=text(|r| r.name.clone()) /></label>
        <label><span>{t.path}</span>
            <input name="path" type="text" required maxlength="200" placeholder="/pricing*" autocomplete="off"
                value=text(|r| r.path.as_str().to_owned()) /></label>
        <p class="ba-hint">{t.path_hint}</p>
        <label><span>{t.delay}</span>
            <input name="delay" type="number" min="0" max="3600" value=delay required /></label>
        <label><span>{t.frequency}</span>
            <select name="frequency">
                <option value="once_per_day" selected=frequency == GreetingFrequency::OncePerDay>{t.once_per_day}</option>
                <option value="once" selected=frequency == GreetingFrequency::Once>{t.once}</option>
                <option value="every_page" selected=frequency == GreetingFrequency::EveryPage>{t.every_page}</option>
            </select></label>
        <label class="ba-check"><input name="only_online" type="checkbox" checked=online />
            <span>{t.only_online}</span></label>
        <label class="ba-wide"><span>{t.text}</span>
            <textarea name="text" rows="3" required prop:value=text(|r| r.text.as_str().to_owned())></textarea></label>
        <label><span>{t.from}</span>
            <input name="from" type="text" required maxlength="80" autocomplete="off"
                value=text(|r| r.from.clone()) /></label>
        <p class="ba-hint">{t.from_hint}</p>
    }
}
