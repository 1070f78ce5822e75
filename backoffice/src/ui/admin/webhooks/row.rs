//! One endpoint in the list (`li.webhook-row[data-id]`): its URL, status badge, description,
//! events and notes, and its actions, each opening in place: edit, enable/disable, rotate
//! the secret, the delivery log, delete (asked first).

use chimpassist_protocol::WebhookId;
use chimpassist_protocol::webhook::{WebhookPatch, WebhookView, WebhookWithSecret};
use leptos::prelude::*;

use super::edit::Edit;
use super::log::DeliveryLog;
use super::rotate::Rotate;
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::ui::admin::secret::OneTimeSecret;
use crate::ui::admin::{Confirm, Outcome, Said, failure};
use crate::webhooks::events;
use crate::webhooks::status::{Status, previous_secret};
use crate::{api, env, format};

/// What opens under the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    Rotate,
    Delete,
}

#[component]
pub(super) fn Row(item: WebhookView, removed: Callback<WebhookId>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    let id = item.id;
    let item = RwSignal::new(item);
    let mode = RwSignal::new(Mode::View);
    let secret = RwSignal::new(None::<String>);
    let log_open = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let path = StoredValue::new(format!("/api/webhooks/{id}"));
    let offset = env::tz_offset_min();
    let open = move |m: Mode| {
        outcome.set(None);
        mode.set(if mode.get_untracked() == m {
            Mode::View
        } else {
            m
        });
    };

    let toggle = move |_| {
        if busy.get_untracked() {
            return;
        }
        let on = !item.with_untracked(|v| v.enabled);
        let body = WebhookPatch {
            enabled: Some(on),
            ..WebhookPatch::default()
        };
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::send::<_, WebhookView>("PATCH", &path.get_value(), &body).await;
            busy.set(false);
            match answer {
                Ok(view) => {
                    item.set(view);
                    let said = if on { w.enabled_now } else { w.disabled_now };
                    outcome.set(Some(Ok(said.to_owned())));
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let remove = move |()| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::delete(&path.get_value()).await {
                // The list drops this row.
                Ok(()) => removed.run(id),
                Err(e) => {
                    busy.set(false);
                    mode.set(Mode::View);
                    outcome.set(Some(Err(failure(ctx, &e))));
                }
            }
        });
    };
    let saved = move |view: WebhookView| {
        item.set(view);
        mode.set(Mode::View);
        outcome.set(Some(Ok(t.saved.to_owned())));
    };
    let rotated = move |made: WebhookWithSecret| {
        item.set(made.webhook);
        secret.set(Some(made.secret));
        mode.set(Mode::View);
        outcome.set(Some(Ok(w.rotated.to_owned())));
    };

    let status = Memo::new(move |_| item.with(Status::of));
    let badge = move || {
        status.with(|s| {
            let state = s.state();
            view! {
                <span class=format!("ba-badge ba-badge-{state} webhook-status") data-state=state>
                    {s.text(w, offset)}
                </span>
            }
        })
    };
    let description = move || {
        let text = item.with(|v| v.description.clone());
        text.filter(|d| !d.trim().is_empty()).map(|d| {
            view! { <p class="ba-webhook-description webhook-description">{d}</p> }
        })
    };
    let subscribed = move || {
        let picked = events::ordered(&item.with(|v| v.events.clone()));
        let names = (!events::is_all(&picked)).then(|| {
            picked
                .iter()
                .map(|e| view! { <code>{e.as_str()}</code> })
                .collect_view()
        });
        view! {
            <p class="ba-webhook-events webhook-events" data-count=picked.len().to_string()>
                <span class="ba-webhook-events-count">{events::summary(w, &picked)}</span>
                {names}
            </p>
        }
    };
    let notes = move || {
        let (previous, created) =
            item.with(|v| (previous_secret(w, v, env::now_ms(), offset), v.created_at));
        view! {
            {previous.map(|p| view! { <p class="ba-hint webhook-previous-secret">{p}</p> })}
            <p class="ba-hint ba-webhook-created">
                {fill(w.created_at, format::date_time(created, offset))}
            </p>
        }
    };
    let panel = move || match mode.get() {
        Mode::View => None,
        Mode::Edit => Some(
            view! {
                <Edit item=item.get_untracked() saved=saved cancel=move |()| mode.set(Mode::View) />
            }
            .into_any(),
        ),
        Mode::Rotate => Some(
            view! { <Rotate id=id done=rotated cancel=move |()| mode.set(Mode::View) /> }
                .into_any(),
        ),
        Mode::Delete => {
            let question = fill(w.confirm_delete, item.with_untracked(|v| v.url.clone()));
            Some(
                view! {
                    <Confirm question=question yes=t.delete on_yes=remove
                        on_no=move |()| mode.set(Mode::View) />
                }
                .into_any(),
            )
        }
    };
    let once = move || {
        secret.get().map(|s| {
            view! {
                <OneTimeSecret secret=s label=w.secret warning=w.secret_once
                    dismiss=w.secret_dismiss kind="webhook" on_dismiss=move |()| secret.set(None) />
            }
        })
    };
    let log_id = format!("webhook-log-{id}");
    let log = move || log_open.get().then(|| view! { <DeliveryLog id=id /> });
    view! {
        <li class="ba-webhook webhook-row" data-id=id.to_string()
            class:ba-disabled=move || !item.with(|v| v.enabled)>
            <div class="ba-webhook-head">
                <code class="ba-webhook-url webhook-url">{move || item.with(|v| v.url.clone())}</code>
                {badge}
            </div>
            {description}
            {subscribed}
            {notes}
            <div class="ba-webhook-actions">
                <button type="button" class="webhook-edit" aria-pressed=move || (mode.get() == Mode::Edit).to_string()
                    on:click=move |_| open(Mode::Edit)>{t.edit}</button>
                <button type="button" class="webhook-toggle" disabled=move || busy.get()
                    on:click=toggle>
                    {move || if item.with(|v| v.enabled) { w.disable } else { w.enable }}
                </button>
                <button type="button" class="webhook-rotate" aria-pressed=move || (mode.get() == Mode::Rotate).to_string()
                    on:click=move |_| open(Mode::Rotate)>{w.rotate}</button>
                <button type="button" class="webhook-deliveries" aria-controls=log_id
                    aria-expanded=move || log_open.get().to_string()
                    on:click=move |_| log_open.update(|o| *o = !*o)>{w.deliveries}</button>
                <button type="button" class="ba-delete webhook-delete" disabled=move || busy.get()
                    on:click=move |_| open(Mode::Delete)>{t.delete}</button>
            </div>
            {panel}
            {once}
            <Said outcome=outcome />
            {log}
        </li>
    }
}
