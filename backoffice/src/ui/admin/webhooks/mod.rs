//! Webhooks: the endpoints events are sent to (`/api/webhooks`). The list, oldest first,
//! each endpoint editing itself (`row`: edit, enable or disable, rotate its secret, delete,
//! and its delivery log, `log`), and the form that adds one (`new`). A secret is shown once,
//! when the server makes it (`super::secret`).

mod edit;
mod events;
mod log;
mod new;
mod rotate;
mod row;

use chimpassist_protocol::WebhookId;
use chimpassist_protocol::webhook::WebhookView;
use leptos::prelude::*;

use super::paged::Shown;
use super::{Outcome, Said, not_loaded};
use crate::api::{self, ApiError};
use crate::ctx::Ctx;

#[component]
pub(super) fn Webhooks() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let w = &ctx.t().webhooks;
    // `None` while loading.
    let listed = RwSignal::new(None::<Result<Vec<WebhookView>, ApiError>>);
    let said: Outcome = RwSignal::new(None);
    let load = move || {
        listed.set(None);
        leptos::task::spawn_local(async move {
            listed.set(Some(api::get::<Vec<WebhookView>>("/api/webhooks").await));
        });
    };
    load();
    let added = Callback::new(move |view: WebhookView| {
        said.set(None);
        if listed.with_untracked(|l| matches!(l, Some(Ok(_)))) {
            listed.update(|l| {
                if let Some(Ok(list)) = l {
                    list.push(view);
                }
            });
        } else {
            load();
        }
    });
    let removed = Callback::new(move |id: WebhookId| {
        listed.update(|l| {
            if let Some(Ok(list)) = l {
                list.retain(|v| v.id != id);
            }
        });
        said.set(Some(Ok(t.deleted.to_owned())));
    });
    let shown = Memo::new(move |_| listed.with(|l| Shown::of(l, Vec::is_empty)));
    // Rows are keyed: adding or deleting one leaves the others (their open log, a secret
    // not yet dismissed) as they are.
    let rows = move || {
        listed.with(|l| match l {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    };
    let list = move || match shown.get() {
        Shown::Loading => not_loaded(ctx, None),
        Shown::Failed(e) => not_loaded(ctx, Some(&e)),
        Shown::Empty => view! { <p class="ba-empty webhooks-empty">{w.no_webhooks}</p> }.into_any(),
        Shown::Rows => view! {
            <ul class="ba-webhooks" aria-label=t.webhooks>
                <For each=rows key=|v| v.id
                    children=move |v| view! { <row::Row item=v removed=removed /> } />
            </ul>
        }
        .into_any(),
    };
    view! {
        <section class="ba-admin-section ba-admin-webhooks" aria-label=t.webhooks>
            <div class="ba-webhooks-head">
                <h2>{t.webhooks}</h2>
                <button type="button" class="webhooks-refresh"
                    disabled=move || shown.get() == Shown::Loading
                    on:click=move |_| { said.set(None); load() }>{w.refresh}</button>
            </div>
            <p class="ba-hint">{w.intro}</p>
            <Said outcome=said />
            {list}
            <new::NewWebhook added=added />
        </section>
    }
}
