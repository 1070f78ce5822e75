//! An endpoint's URL, description and events, edited in its row; only what changed is sent
//! (`PATCH`).

use chimpassist_protocol::webhook::WebhookView;
use leptos::prelude::*;

use super::events::EventPicks;
use crate::api;
use crate::ctx::Ctx;
use crate::ui::admin::{Outcome, Said, failure};
use crate::webhooks::{events, form};

#[component]
pub(super) fn Edit(
    item: WebhookView,
    #[prop(into)] saved: Callback<WebhookView>,
    #[prop(into)] cancel: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    let url = RwSignal::new(item.url.clone());
    let description = RwSignal::new(item.description.clone().unwrap_or_default());
    let picked = RwSignal::new(events::ordered(&item.events));
    let id = item.id;
    let old = StoredValue::new(item);
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let patch = old.with_value(|old| {
            form::patch(
                old,
                &url.get_untracked(),
                &description.get_untracked(),
                &picked.get_untracked(),
            )
        });
        let patch = match patch {
            Ok(p) if form::is_empty(&p) => return cancel.run(()),
            Ok(p) => p,
            Err(e) => return outcome.set(Some(Err(e.text(w)))),
        };
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/webhooks/{id}");
            let answer = api::send::<_, WebhookView>("PATCH", &path, &patch).await;
            busy.set(false);
            match answer {
                Ok(view) => saved.run(view),
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    view! {
        <form class="ba-admin-form ba-webhook-edit webhook-edit-form" novalidate on:submit=save>
            <div class="ba-fields ba-webhook-fields">
                <label><span>{w.url}</span>
                    <input class="webhook-edit-url" name="url" type="url" inputmode="url"
                        autocomplete="off" spellcheck="false" prop:value=move || url.get()
                        on:input=move |ev| url.set(event_target_value(&ev)) /></label>
                <label><span>{w.description}</span>
                    <input class="webhook-edit-description" name="description" type="text"
                        autocomplete="off" placeholder=w.description_hint
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev)) /></label>
            </div>
            <EventPicks picked=picked />
            <Said outcome=outcome />
            <div class="ba-webhook-actions">
                <button type="submit" class="ba-primary webhook-save"
                    disabled=move || busy.get()>{t.save}</button>
                <button type="button" class="webhook-cancel"
                    on:click=move |_| cancel.run(())>{t.cancel}</button>
            </div>
        </form>
    }
}
