//! The form that adds an endpoint (the one part of the tab with element ids:
//! `#webhook-new`, `#webhook-url`, `#webhook-description`, `#webhook-enabled`,
//! `#webhook-create`). The new endpoint's secret is shown above it, once.

use chimpassist_protocol::webhook::{WebhookEventType, WebhookView, WebhookWithSecret};
use leptos::prelude::*;

use super::events::EventPicks;
use crate::api;
use crate::ctx::Ctx;
use crate::ui::admin::secret::OneTimeSecret;
use crate::ui::admin::{Outcome, Said, failure};
use crate::webhooks::form;

#[component]
pub(super) fn NewWebhook(added: Callback<WebhookView>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = &ctx.t().webhooks;
    let url = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<WebhookEventType>::new());
    let enabled = RwSignal::new(true);
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let secret = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = match form::request(
            &url.get_untracked(),
            &description.get_untracked(),
            &picked.get_untracked(),
            enabled.get_untracked(),
        ) {
            Ok(body) => body,
            Err(e) => return outcome.set(Some(Err(e.text(w)))),
        };
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::send::<_, WebhookWithSecret>("POST", "/api/webhooks", &body).await;
            busy.set(false);
            match answer {
                Ok(made) => {
                    url.set(String::new());
                    description.set(String::new());
                    picked.set(Vec::new());
                    enabled.set(true);
                    secret.set(Some(made.secret));
                    outcome.set(Some(Ok(w.created.to_owned())));
                    added.run(made.webhook);
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let once = move || {
        secret.get().map(|s| {
            view! {
                <OneTimeSecret secret=s label=w.secret warning=w.secret_once
                    dismiss=w.secret_dismiss kind="webhook" on_dismiss=move |()| secret.set(None) />
            }
        })
    };
    view! {
        {once}
        <form id="webhook-new" class="ba-admin-form ba-new-webhook" novalidate on:submit=submit>
            <h3>{w.new_webhook}</h3>
            <div class="ba-fields ba-webhook-fields">
                <label><span>{w.url}</span>
                    <input id="webhook-url" name="url" type="url" inputmode="url" autocomplete="off"
                        spellcheck="false" placeholder="https://" aria-describedby="webhook-url-hint"
                        prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev)) /></label>
                <label><span>{w.description}</span>
                    <input id="webhook-description" name="description" type="text" autocomplete="off"
                        placeholder=w.description_hint prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev)) /></label>
            </div>
            <p id="webhook-url-hint" class="ba-hint">{w.url_hint}</p>
            <EventPicks picked=picked select_all_id="webhook-select-all" />
            <label class="ba-check">
                <input id="webhook-enabled" name="enabled" type="checkbox"
                    prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                <span>{w.enabled}</span>
            </label>
            <Said outcome=outcome />
            <button id="webhook-create" class="ba-primary" type="submit"
                disabled=move || busy.get()>{w.add}</button>
        </form>
    }
}
