//! The event checkboxes of the create and edit forms, with "select all".

use chimpassist_protocol::webhook::WebhookEventType;
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::webhooks::events;

/// One checkbox per event type (`input[data-event="message.created"]`), bound to `picked`.
#[component]
pub(super) fn EventPicks(
    picked: RwSignal<Vec<WebhookEventType>>,
    /// The "select all" checkbox's `id`, for the one form that has ids.
    #[prop(optional)]
    select_all_id: Option<&'static str>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let w = &ctx.t().webhooks;
    let every = move || picked.with(|p| events::is_all(p));
    let some = move || picked.with(|p| !p.is_empty() && !events::is_all(p));
    let boxes = events::all()
        .iter()
        .copied()
        .map(|e| {
            view! {
                <label class="ba-check ba-webhook-event">
                    <input type="checkbox" value=e.as_str() data-event=e.as_str()
                        prop:checked=move || picked.with(|p| p.contains(&e))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            picked.update(|p| events::toggle(p, e, on));
                        } />
                    <code>{e.as_str()}</code>
                    <span class="ba-hint">{events::hint(w, e)}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="ba-webhook-events-pick">
            <legend>{w.events}</legend>
            <label class="ba-check ba-webhook-select-all">
                <input type="checkbox" id=select_all_id class="webhook-select-all"
                    prop:checked=every prop:indeterminate=some
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        picked.set(if on { events::all().to_vec() } else { Vec::new() });
                    } />
                <span>{w.select_all}</span>
            </label>
            <div class="ba-webhook-event-grid">{boxes}</div>
        </fieldset>
    }
}
