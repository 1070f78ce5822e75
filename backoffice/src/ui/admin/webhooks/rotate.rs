//! Rotating an endpoint's secret: how long the old one keeps signing (a day unless chosen
//! otherwise), then the new secret, which the row shows once.

use chimpassist_protocol::WebhookId;
use chimpassist_protocol::webhook::WebhookWithSecret;
use leptos::prelude::*;

use crate::api;
use crate::ctx::Ctx;
use crate::ui::admin::{Outcome, Said, failure};
use crate::webhooks::status::Overlap;

#[component]
pub(super) fn Rotate(
    id: WebhookId,
    #[prop(into)] done: Callback<WebhookWithSecret>,
    #[prop(into)] cancel: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    let overlap = RwSignal::new(Overlap::default());
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let rotate = move |_| {
        if busy.get_untracked() {
            return;
        }
        let body = overlap.get_untracked().body();
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/webhooks/{id}/rotate");
            let answer = api::send::<_, WebhookWithSecret>("POST", &path, &body).await;
            busy.set(false);
            match answer {
                Ok(made) => done.run(made),
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let options = Overlap::ALL
        .into_iter()
        .map(|o| {
            view! { <option value=o.wire() selected=o == Overlap::default()>{o.label(w)}</option> }
        })
        .collect_view();
    view! {
        <div class="ba-inline-form ba-webhook-rotate-form" role="group" aria-label=w.rotate>
            <label><span>{w.overlap}</span>
                <select class="webhook-overlap" name="overlap"
                    on:change=move |ev| {
                        if let Some(o) = Overlap::parse(&event_target_value(&ev)) {
                            overlap.set(o);
                        }
                    }>{options}</select></label>
            <button type="button" class="ba-primary webhook-rotate-confirm"
                disabled=move || busy.get() on:click=rotate>{w.rotate_confirm}</button>
            <button type="button" class="webhook-rotate-cancel"
                on:click=move |_| cancel.run(())>{t.cancel}</button>
            <p class="ba-hint">{w.rotate_hint}</p>
            <Said outcome=outcome />
        </div>
    }
}
