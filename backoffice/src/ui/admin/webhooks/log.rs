//! An endpoint's delivery log: its attempts, newest first, a page at a time ("Load older"),
//! a Refresh, and per attempt a Redeliver that sends that event to the endpoint again.
//! While open on its first page (and the tab is visible) it refreshes itself every few
//! seconds, so retries and new deliveries show up as they happen.

use std::time::Duration;

use chimpassist_protocol::webhook::{DeliveryAttemptView, DeliveryLog as LogPage};
use chimpassist_protocol::{AttemptId, WebhookId};
use leptos::prelude::*;

use crate::api;
use crate::ctx::Ctx;
use crate::env;
use crate::i18n::fill;
use crate::ui::admin::paged::{self, ListedSignal, Shown, settle};
use crate::ui::admin::{Outcome, Said, failure, not_loaded};
use crate::webhooks::log;

/// How often an open log refreshes itself.
const EVERY: Duration = Duration::from_secs(3);

#[component]
pub(super) fn DeliveryLog(id: WebhookId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    // `None` until the first page is in; a Refresh keeps the rows shown until it answers.
    let listed: ListedSignal<DeliveryAttemptView, AttemptId> = RwSignal::new(None);
    let refreshing = RwSignal::new(false);
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    let said: Outcome = RwSignal::new(None);
    // Answers to a request made before the latest Refresh are dropped.
    let generation = StoredValue::new(0u32);
    let load = move |before: Option<AttemptId>| {
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let answer = api::get::<LogPage>(&log::path(id, before)).await;
            if generation.get_value() != mine {
                return;
            }
            let answer = answer.map(|page| (page.attempts, page.next));
            settle(ctx, listed, more_error, answer, before.is_some(), |item| {
                item.id
            });
            refreshing.set(false);
            more_busy.set(false);
        });
    };
    // Older pages loaded: no self-refresh, which would drop them from under the reader.
    let older_loaded = StoredValue::new(false);
    let refresh = move || {
        older_loaded.set_value(false);
        generation.update_value(|g| *g += 1);
        refreshing.set(true);
        more_busy.set(false);
        more_error.set(None);
        load(None);
    };
    refresh();
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !env::hidden() && !older_loaded.get_value() && !refreshing.get_untracked() {
                refresh();
            }
        },
        EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }
    let more = move |_| {
        let next = listed.with_untracked(|l| match l {
            Some(Ok(l)) => l.next,
            _ => None,
        });
        if let Some(next) = next.filter(|_| !more_busy.get_untracked()) {
            older_loaded.set_value(true);
            more_busy.set(true);
            more_error.set(None);
            load(Some(next));
        }
    };
    let redelivered = Callback::new(move |result: Result<String, String>| {
        let ok = result.is_ok();
        said.set(Some(result));
        if ok {
            refresh();
        }
    });
    let has_more = move || paged::has_more(listed);
    let shown = paged::shown(listed);
    let rows = move || paged::items(listed);
    let table = move || {
        match shown.get() {
        Shown::Loading => not_loaded(ctx, None),
        Shown::Failed(e) => not_loaded(ctx, Some(&e)),
        Shown::Empty => {
            view! { <p class="ba-empty delivery-empty">{w.no_deliveries}</p> }.into_any()
        }
        Shown::Rows => view! {
            <div class="ba-table-scroll">
                <table class="ba-table ba-delivery-log" aria-busy=move || refreshing.get().to_string()>
                    <thead><tr>
                        <th scope="col">{w.col_time}</th>
                        <th scope="col">{w.col_event}</th>
                        <th scope="col">{w.col_event_id}</th>
                        <th scope="col">{w.col_attempt}</th>
                        <th scope="col">{w.col_status}</th>
                        <th scope="col">{w.col_duration}</th>
                        <th scope="col">{w.col_outcome}</th>
                        <th scope="col">{w.col_error}</th>
                        <th scope="col">{t.actions}</th>
                    </tr></thead>
                    <tbody>
                        <For each=rows key=|a| a.id
                            children=move |a| view! { <Attempt item=a webhook=id done=redelivered /> } />
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    }
    };
    view! {
        <section class="ba-webhook-log" id=format!("webhook-log-{id}") aria-label=w.log_title>
            <div class="ba-webhook-log-head">
                <h4>{w.log_title}</h4>
                <button type="button" class="delivery-refresh" disabled=move || refreshing.get()
                    on:click=move |_| { said.set(None); refresh() }>{w.refresh}</button>
            </div>
            <Said outcome=said />
            {table}
            <Show when=has_more>
                <button type="button" class="ba-load-more delivery-older"
                    disabled=move || more_busy.get() on:click=more>{w.load_older}</button>
            </Show>
            {move || more_error.get().map(|e| view! { <p class="ba-error" role="alert">{e}</p> })}
        </section>
    }
}

/// One attempt (`tr.delivery-row`), with its Redeliver button.
#[component]
fn Attempt(
    item: DeliveryAttemptView,
    webhook: WebhookId,
    done: Callback<Result<String, String>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = &ctx.t().webhooks;
    let event = item.event_id;
    let short = log::short_id(event);
    let label = fill(w.redeliver_label, &short);
    let scheduled = fill(w.redelivered, &short);
    let busy = RwSignal::new(false);
    let redeliver = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let scheduled = scheduled.clone();
        leptos::task::spawn_local(async move {
            let path = log::redeliver_path(webhook, event);
            let answer = api::send_empty("POST", &path, &()).await;
            busy.set(false);
            done.run(answer.map(|()| scheduled).map_err(|e| failure(ctx, &e)));
        });
    };
    let (now, offset) = (env::now_ms(), env::tz_offset_min());
    let state = log::outcome_state(item.outcome);
    view! {
        <tr class="delivery-row" data-id=item.id.to_string() data-event-id=event.to_string()
            data-outcome=state>
            <td class="delivery-time">{log::time(item.at, now, offset)}</td>
            <td><code class="delivery-event">{item.event_type.as_str()}</code></td>
            <td><code class="delivery-event-id" title=event.to_string()>{short}</code></td>
            <td class="delivery-attempt">{item.attempt}</td>
            <td class="delivery-status">{log::http_status(w, item.status)}</td>
            <td class="delivery-duration">{log::duration(item.duration_ms)}</td>
            <td>
                <span class=format!("ba-outcome ba-outcome-{state} delivery-outcome") data-outcome=state>
                    {log::outcome_text(w, &item, now, offset)}
                </span>
            </td>
            <td class="ba-long delivery-error">{item.error.clone()}</td>
            <td>
                <button type="button" class="delivery-redeliver" aria-label=label
                    disabled=move || busy.get() on:click=redeliver>{w.redeliver}</button>
            </td>
        </tr>
    }
}
