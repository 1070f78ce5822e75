//! The audit log (`GET /api/audit`): what admins changed, newest first, a page at a time
//! ("Load older"), with a Refresh. Read-only; every cell is text.

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::{ActorKind, AuditEntry, AuditPage};
use leptos::prelude::*;

use super::not_loaded;
use super::paged::{self, ListedSignal, Shown, settle};
use crate::api;
use crate::audit::{label, path};
use crate::ctx::Ctx;
use crate::env;
use crate::i18n::fill;

#[component]
pub(super) fn Audit() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let a = &ctx.t().audit;
    // `None` until the first page is in; a Refresh keeps the rows shown until it answers.
    let listed: ListedSignal<AuditEntry, AuditId> = RwSignal::new(None);
    let refreshing = RwSignal::new(false);
    let more_busy = RwSignal::new(false);
    let more_error = RwSignal::new(None::<String>);
    // Answers to a request made before the latest Refresh are dropped.
    let generation = StoredValue::new(0u32);
    let load = move |before: Option<AuditId>| {
        let mine = generation.get_value();
        leptos::task::spawn_local(async move {
            let answer = api::get::<AuditPage>(&path(before)).await;
            if generation.get_value() != mine {
                return;
            }
            let answer = answer.map(|page| (page.entries, page.next));
            settle(ctx, listed, more_error, answer, before.is_some(), |e| e.id);
            refreshing.set(false);
            more_busy.set(false);
        });
    };
    let refresh = move || {
        generation.update_value(|g| *g += 1);
        refreshing.set(true);
        more_busy.set(false);
        more_error.set(None);
        load(None);
    };
    refresh();
    let more = move |_| {
        let next = listed.with_untracked(|l| match l {
            Some(Ok(l)) => l.next,
            _ => None,
        });
        if let Some(next) = next.filter(|_| !more_busy.get_untracked()) {
            more_busy.set(true);
            more_error.set(None);
            load(Some(next));
        }
    };
    let has_more = move || paged::has_more(listed);
    let shown = paged::shown(listed);
    // Rows are keyed: a page more adds rows and leaves the others as they are.
    let rows = move || paged::items(listed);
    let table = move || match shown.get() {
        Shown::Loading => not_loaded(ctx, None),
        Shown::Failed(e) => not_loaded(ctx, Some(&e)),
        Shown::Empty => view! { <p class="ba-empty audit-empty">{a.empty}</p> }.into_any(),
        Shown::Rows => view! {
            <div class="ba-table-scroll">
                <table class="ba-table ba-audit-log" aria-label=t.audit
                    aria-busy=move || refreshing.get().to_string()>
                    <thead><tr>
                        <th scope="col">{a.col_time}</th>
                        <th scope="col">{a.col_actor}</th>
                        <th scope="col">{a.col_action}</th>
                        <th scope="col">{a.col_target}</th>
                        <th scope="col">{a.col_summary}</th>
                    </tr></thead>
                    <tbody>
                        <For each=rows key=|e| e.id children=move |e| view! { <Entry item=e /> } />
                    </tbody>
                </table>
            </div>
        }
        .into_any(),
    };
    view! {
        <section class="ba-admin-section ba-admin-audit" aria-label=t.audit>
            <div class="ba-audit-head">
                <h2>{t.audit}</h2>
                <button type="button" class="audit-refresh" disabled=move || refreshing.get()
                    on:click=move |_| refresh()>{a.refresh}</button>
            </div>
            <p class="ba-hint">{a.intro}</p>
            {table}
            <Show when=has_more>
                <button type="button" class="ba-load-more audit-older"
                    disabled=move || more_busy.get() on:click=more>{a.load_older}</button>
            </Show>
            {move || more_error.get().map(|e| view! { <p class="ba-error" role="alert">{e}</p> })}
        </section>
    }
}

/// One entry (`tr.audit-row`, `data-action` its wire form).
#[component]
fn Entry(item: AuditEntry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let a = &ctx.t().audit;
    let wire = item.action.as_str();
    let by_token = item.actor.kind == ActorKind::Token;
    let tooltip = if by_token { a.token_id } else { a.actor_id };
    // To the second, in the admin's zone as it was then (the delivery log's format).
    let when = crate::webhooks::log::time(item.at, env::now_ms(), env::tz_offset_at(item.at));
    view! {
        <tr class="audit-row" data-id=item.id.to_string() data-action=wire>
            <td class="audit-time">{when}</td>
            <td class="audit-actor" data-kind=item.actor.kind.as_str() title=fill(tooltip, &item.actor.id)>
                {item.actor.name}
                {by_token.then(|| view! { <span class="ba-badge audit-token">{a.token_badge}</span> })}
            </td>
            <td class="audit-action" title=wire>
                <span class="audit-action-label">{label(a, item.action)}</span>
                <code>{wire}</code>
            </td>
            <td class="audit-target"><code>{item.target}</code></td>
            <td class="ba-long audit-summary">{item.summary}</td>
        </tr>
    }
}
