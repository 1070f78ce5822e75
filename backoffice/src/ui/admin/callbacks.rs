//! Callback requests left by visitors while nobody was available: open ones by default,
//! done ones on request, each marked done with one click.

use chimpassist_protocol::rest::{CallbackView, QueueView};
use chimpassist_protocol::{AttendantId, AttendantView};
use leptos::prelude::*;

use super::{Outcome, Said, failure, not_loaded};
use crate::app::Ctx;
use crate::i18n::fill;
use crate::{api, env, format};

#[component]
pub(super) fn Callbacks() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let show_done = RwSignal::new(false);
    let list = LocalResource::new(move || {
        let all = show_done.get();
        async move {
            let path = if all {
                "/api/callbacks?all=true"
            } else {
                "/api/callbacks"
            };
            api::get::<Vec<CallbackView>>(path).await
        }
    });
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
    let table = move || {
        match list.get() {
        None => not_loaded(ctx, None),
        Some(Err(e)) => not_loaded(ctx, Some(&e)),
        Some(Ok(items)) if items.is_empty() => {
            view! { <p class="ba-empty">{t.no_callbacks}</p> }.into_any()
        }
        Some(Ok(items)) => view! {
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
                    {items.into_iter().map(|c| view! { <CallbackRow item=c names=names /> }).collect_view()}
                </tbody>
            </table>
        }
        .into_any(),
    }
    };
    view! {
        <section class="ba-admin-section" aria-label=t.callbacks>
            <h2>{t.callbacks}</h2>
            <label class="ba-check ba-show-done">
                <input type="checkbox" name="show_done" prop:checked=move || show_done.get()
                    on:change=move |ev| show_done.set(event_target_checked(&ev)) />
                <span>{t.show_done}</span>
            </label>
            {table}
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
