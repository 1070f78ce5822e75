//! Callback requests left by visitors while nobody was available: open ones by default,
//! done ones or all on request, newest first, a page at a time ("Load more"), each marked
//! done with one click.

use chimpassist_protocol::rest::{CallbackView, CallbacksPage, QueueView};
use chimpassist_protocol::{AttendantId, AttendantView};
use leptos::prelude::*;

use super::paged::{self, ListedSignal, Shown, settle};
use super::{Outcome, Said, failure, not_loaded};
use crate::api;
use crate::callbacks::{self, Filter};
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::{env, format};

#[component]
pub(super) fn Callbacks() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let filter = RwSignal::new(Filter::Open);
    // `None` until the first page of the current filter is in.
    let listed: ListedSignal<CallbackView, String> = RwSignal::new(None);
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    // Answers for an earlier filter (changed while loading) are dropped.
    let generation = StoredValue::new(0u32);
    let load = move |before: Option<String>| {
        let f = filter.get_untracked();
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let answer = api::get::<CallbacksPage>(&callbacks::path(f, before.as_deref())).await;
            if generation.get_value() != mine {
                return;
            }
            let answer = answer.map(|page| (page.callbacks, page.next));
            settle(ctx, listed, more_error, answer, before.is_some(), |item| {
                item.id
            });
            more_busy.set(false);
        });
    };
    let reload = move |f: Filter| {
        generation.update_value(|g| *g += 1);
        filter.set(f);
        listed.set(None);
        more_busy.set(false);
        more_error.set(None);
        load(None);
    };
    reload(Filter::Open);
    let more = move |_| {
        let next = listed.with_untracked(|l| match l {
            Some(Ok(l)) => l.next.clone(),
            _ => None,
        });
        if let Some(next) = next.filter(|_| !more_busy.get_untracked()) {
            more_busy.set(true);
            more_error.set(None);
            load(Some(next));
        }
    };
    // Names for "done by" and the queue column; ids are shown when these fail.
    let people = LocalResource::new(|| api::get::<Vec<AttendantView>>("/api/attendants"));
    let queues = LocalResource::new(|| api::get::<Vec<QueueView>>("/api/queues"));
    let names = Signal::derive(move || {
        let mut out: Vec<(String, String)> = people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.id.to_string(), a.name))
            .collect();
        out.extend(
            queues
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|q| (format!("q:{}", q.id), q.name)),
        );
        out
    });
    let has_more = move || paged::has_more(listed);
    // Rows are keyed: a page more adds rows and leaves the others (and what was done in
    // them) as they are.
    let shown = paged::shown(listed);
    let rows = move || paged::items(listed);
    let table = move || match shown.get() {
        Shown::Loading => not_loaded(ctx, None),
        Shown::Failed(e) => not_loaded(ctx, Some(&e)),
        Shown::Empty => view! { <p class="ba-empty">{t.no_callbacks}</p> }.into_any(),
        Shown::Rows => view! {
            <table class="ba-table ba-admin-callbacks">
                <thead><tr>
                    <th scope="col">{t.requested}</th>
                    <th scope="col">{t.name}</th>
                    <th scope="col">{t.contact}</th>
                    <th scope="col">{t.preferred_time}</th>
                    <th scope="col">{t.queue}</th>
                    <th scope="col">{t.note}</th>
                    <th scope="col">{t.status}</th>
                </tr></thead>
                <tbody>
                    <For each=rows key=|c| c.id
                        children=move |c| view! { <CallbackRow item=c names=names /> } />
                </tbody>
            </table>
        }
        .into_any(),
    };
    let label = |f: Filter| match f {
        Filter::Open => t.callbacks_open,
        Filter::Done => t.callbacks_done,
        Filter::All => t.callbacks_all,
    };
    view! {
        <section class="ba-admin-section" aria-label=t.callbacks>
            <h2>{t.callbacks}</h2>
            <label class="ba-callback-filter">
                <span>{t.callbacks_shown}</span>
                <select name="state" prop:value=move || filter.get().wire()
                    on:change=move |ev| {
                        if let Some(f) = Filter::parse(&event_target_value(&ev)) {
                            reload(f);
                        }
                    }>
                    {Filter::ALL.into_iter().map(|f| view! {
                        <option value=f.wire()>{label(f)}</option>
                    }).collect_view()}
                </select>
            </label>
            {table}
            <Show when=has_more>
                <button type="button" class="ba-load-more" data-testid="load-more" disabled=move || more_busy.get()
                    on:click=more>{t.load_more}</button>
            </Show>
            {move || more_error.get().map(|e| view! { <p class="ba-error" role="alert">{e}</p> })}
        </section>
    }
}

fn name_of(names: &[(String, String)], key: &str) -> String {
    names.iter().find(|(k, _)| k == key).map_or_else(
        || key.trim_start_matches("q:").to_owned(),
        |(_, n)| n.clone(),
    )
}

#[component]
fn CallbackRow(item: CallbackView, names: Signal<Vec<(String, String)>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let id = item.id;
    let queue_key = format!("q:{}", item.queue);
    let phone = item.phone.clone().map(|p| {
        let href = format!("tel:{}", p.replace(' ', ""));
        view! { <a href=href>{p}</a> }
    });
    let email = item.email.clone().map(|e| {
        let href = format!("mailto:{e}");
        view! { <a href=href>{e}</a> }
    });
    let item = RwSignal::new(item);
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let done = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/callbacks/{id}/done");
            match api::send::<_, CallbackView>("POST", &path, &()).await {
                Ok(view) => {
                    item.set(view);
                    outcome.set(Some(Ok(t.marked_done.to_owned())));
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
            busy.set(false);
        });
    };
    let status = move || match item.with(|c| (c.done_at, c.done_by.clone())) {
        (Some(at), by) => {
            let who = by.as_ref().map(AttendantId::to_string).unwrap_or_default();
            let who = names.with(|n| name_of(n, &who));
            view! {
                <span class="ba-done-at">{format::date_time(at, env::tz_offset_min())}</span>
                <span class="ba-hint">{fill(t.done_by, who)}</span>
            }
            .into_any()
        }
        (None, _) => view! {
            <button type="button" class="ba-primary ba-mark-done" disabled=move || busy.get()
                on:click=done>{t.mark_done}</button>
        }
        .into_any(),
    };
    let c = item.get_untracked();
    view! {
        <tr data-callback=id.to_string() class:ba-done=move || item.with(|c| c.done_at.is_some())>
            <td>{format::date_time(c.created_at, env::tz_offset_min())}</td>
            <td>{c.name}</td>
            <td class="ba-contact">{phone}{email}</td>
            <td>{c.preferred_time}</td>
            <td>{move || names.with(|n| name_of(n, &queue_key))}</td>
            <td class="ba-long">{c.note}</td>
            <td class="ba-status">{status}<Said outcome=outcome /></td>
        </tr>
    }
}
