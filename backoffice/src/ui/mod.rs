//! The screens. Each module is one area of the page; they share [`Ctx`] from context.

// `#[component]` re-declares each component as `pub` (and its props struct) inside these
// private modules; nothing here is part of a public API.
#![allow(unreachable_pub)]

mod admin;
mod avatar;
mod chart;
mod chat;
mod composer;
mod list;
mod login;
mod panel;
mod reports;
mod search;
mod shell;
mod visit;

use leptos::prelude::*;

use crate::ctx::{Ctx, Page};
use crate::desk::Section;
use crate::live;

pub(crate) use avatar::Avatar;

#[component]
pub(crate) fn App() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let body = move || match ctx.page.get() {
        Page::Loading => view! { <div class="ba-loading" aria-busy="true"></div> }.into_any(),
        Page::Login => view! { <login::Login /> }.into_any(),
        Page::ChangePassword { forced } => {
            view! { <login::ChangePassword forced=forced /> }.into_any()
        }
        Page::Desk => view! { <shell::Shell><Desk /></shell::Shell> }.into_any(),
        Page::Admin(tab) => {
            view! { <shell::Shell><admin::Admin tab=tab /></shell::Shell> }.into_any()
        }
        Page::Reports => view! { <shell::Shell><reports::Reports /></shell::Shell> }.into_any(),
    };
    view! {
        {body}
        <Notice />
    }
}

/// The attendant screen: lists, chat pane, customer panel.
#[component]
fn Desk() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    shortcuts(ctx);
    view! {
        <section class="ba-lists" data-testid="lists" aria-label=ctx.t().desk.conversations>
            <search::Search />
            <list::Lists />
        </section>
        <chat::ChatPane />
        <panel::CustomerPanel />
    }
}

/// Alt+↑ / Alt+↓: previous / next conversation.
fn shortcuts(ctx: Ctx) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if !ev.alt_key() || !matches!(ev.key().as_str(), "ArrowUp" | "ArrowDown") {
            return;
        }
        ev.prevent_default();
        let order = ordered(ctx);
        if order.is_empty() {
            return;
        }
        let at = ctx
            .desk
            .selected
            .get_untracked()
            .and_then(|s| order.iter().position(|id| *id == s));
        let next = match (at, ev.key().as_str()) {
            (None, _) => 0,
            (Some(i), "ArrowDown") => (i + 1).min(order.len() - 1),
            (Some(i), _) => i.saturating_sub(1),
        };
        live::select(ctx, order[next]);
    });
    on_cleanup(move || handle.remove());
}

/// The conversations Alt+↑/↓ walks through: waiting, then mine online, then offline.
fn ordered(ctx: Ctx) -> Vec<chimpassist_protocol::ConversationId> {
    let Some(me) = ctx.me.get_untracked() else {
        return Vec::new();
    };
    [Section::Waiting, Section::Online, Section::Offline]
        .into_iter()
        .flat_map(|s| ctx.desk.list(&me, s))
        .map(|e| e.id)
        .collect()
}

#[component]
fn Notice() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    move || {
        ctx.notice.get().map(|text| {
            view! {
                <div class="ba-notice" role="alert" data-testid="notice">
                    <span>{text}</span>
                    <button type="button" aria-label="×" on:click=move |_| ctx.notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}
