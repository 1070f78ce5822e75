//! The administration pages: attendants, queues, canned responses, greetings, callbacks, the widget
//! snippet, outgoing webhooks, API tokens and the audit log, one tab each (`#/admin/<tab>`). Only
//! administrators get them: anyone else sees a message and no admin call is made (the server
//! refuses those calls regardless).

mod attendant_row;
mod attendants;
mod audit;
mod callbacks;
mod canned;
mod greetings;
mod paged;
mod queues;
mod secret;
mod tokens;
mod webhooks;
mod widget;

use chimpassist_protocol::ErrorCode;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::ApiError;
use crate::ctx::{AdminTab, Ctx, Page, go};
use crate::i18n::AdminTexts;
use crate::live;

/// What the last action of a form came to, shown next to it: success or failure, in words.
pub(super) type Outcome = RwSignal<Option<Result<String, String>>>;

#[component]
pub(crate) fn Admin(tab: AdminTab) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // The role may change while the page is open (the server then reconnects us): the page
    // follows it, and is rebuilt only when it does.
    let admin = Memo::new(move |_| ctx.is_admin());
    move || {
        if admin.get() {
            untrack(|| tabs(ctx, tab))
        } else {
            view! {
                <section class="ba-admin">
                    <p class="ba-forbidden" role="alert">{ctx.t().admin.forbidden}</p>
                </section>
            }
            .into_any()
        }
    }
}

fn tabs(ctx: Ctx, tab: AdminTab) -> AnyView {
    let t = &ctx.t().admin;
    let tabs = AdminTab::ALL
        .into_iter()
        .map(|each| {
            view! {
                <a href=format!("#/admin/{}", each.slug()) role="tab" class="ba-admin-tab"
                    class:active=each == tab aria-selected=(each == tab).to_string()
                    data-tab=each.slug()
                    on:click=move |ev| { ev.prevent_default(); go(Page::Admin(each)) }>
                    {tab_label(t, each)}
                </a>
            }
        })
        .collect_view();
    let body = match tab {
        AdminTab::Attendants => view! { <attendants::Attendants /> }.into_any(),
        AdminTab::Queues => view! { <queues::Queues /> }.into_any(),
        AdminTab::Canned => view! { <canned::Canned /> }.into_any(),
        AdminTab::Greetings => view! { <greetings::Greetings /> }.into_any(),
        AdminTab::Callbacks => view! { <callbacks::Callbacks /> }.into_any(),
        AdminTab::Widget => view! { <widget::Widget /> }.into_any(),
        AdminTab::Webhooks => view! { <webhooks::Webhooks /> }.into_any(),
        AdminTab::Tokens => view! { <tokens::Tokens /> }.into_any(),
        AdminTab::Audit => view! { <audit::Audit /> }.into_any(),
    };
    view! {
        <section class="ba-admin" aria-label=t.title>
            <h1>{t.title}</h1>
            <nav class="ba-admin-tabs" role="tablist" aria-label=t.title>{tabs}</nav>
            <div class="ba-admin-body" role="tabpanel" aria-label=tab_label(t, tab)>{body}</div>
        </section>
    }
    .into_any()
}

fn tab_label(t: &'static AdminTexts, tab: AdminTab) -> &'static str {
    match tab {
        AdminTab::Attendants => t.attendants,
        AdminTab::Queues => t.queues,
        AdminTab::Canned => t.canned,
        AdminTab::Greetings => t.greetings,
        AdminTab::Callbacks => t.callbacks,
        AdminTab::Widget => t.widget,
        AdminTab::Webhooks => t.webhooks,
        AdminTab::Tokens => t.tokens,
        AdminTab::Audit => t.audit,
    }
}

/// A failed call in words: the server's own message, except where we can say it better.
/// An expired login goes back to the login page.
pub(super) fn failure(ctx: Ctx, e: &ApiError) -> String {
    let t = &ctx.t().admin;
    if e.is_unauthenticated() {
        live::session_ended(ctx);
    }
    match (e.status, e.code) {
        (0, _) => t.unreachable.to_owned(),
        (_, Some(ErrorCode::Forbidden)) => t.forbidden.to_owned(),
        _ => e.message.clone(),
    }
}

/// Shown while a list loads (`None`), or instead of it when loading failed.
pub(super) fn not_loaded(ctx: Ctx, error: Option<&ApiError>) -> AnyView {
    match error {
        None => {
            view! { <p class="ba-hint" aria-busy="true">{ctx.t().admin.loading}</p> }.into_any()
        }
        Some(e) => view! { <p class="ba-error" role="alert">{failure(ctx, e)}</p> }.into_any(),
    }
}

/// Every value of a named field (checkbox groups) of the form an event came from.
pub(super) fn fields(ev: &leptos::ev::SubmitEvent, name: &str) -> Vec<String> {
    form_of(ev)
        .and_then(|f| web_sys::FormData::new_with_form(&f).ok())
        .map(|d| {
            d.get_all(name)
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The form a submit event came from (to reset it after success).
pub(super) fn form_of(ev: &leptos::ev::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    ev.target().and_then(|t| t.dyn_into().ok())
}

/// `Some(trimmed)`, or `None` when only whitespace was typed.
pub(super) fn optional(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The last action's outcome: `role=status` on success, `role=alert` on failure.
#[component]
pub(super) fn Said(outcome: Outcome) -> impl IntoView {
    move || {
        outcome.get().map(|r| match r {
            Ok(s) => view! { <p class="ba-ok" role="status">{s}</p> }.into_any(),
            Err(s) => view! { <p class="ba-error" role="alert">{s}</p> }.into_any(),
        })
    }
}

/// An in-page "are you sure?" for actions that cannot simply be undone.
#[component]
pub(super) fn Confirm(
    question: String,
    yes: &'static str,
    #[prop(into)] on_yes: Callback<()>,
    #[prop(into)] on_no: Callback<()>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let label = question.clone();
    view! {
        <div class="ba-confirm" role="alertdialog" aria-label=label>
            <p>{question}</p>
            <button type="button" class="ba-danger ba-confirm-yes" on:click=move |_| on_yes.run(())>{yes}</button>
            <button type="button" class="ba-confirm-no" on:click=move |_| on_no.run(())>{ctx.t().admin.cancel}</button>
        </div>
    }
}
