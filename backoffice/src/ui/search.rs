//! Search across conversations (customer name or message text), and my recent
//! conversations, so resolved ones stay findable. Results open in the chat pane.

use std::time::Duration;

use chimpassist_protocol::{ConversationView, SearchHit};
use leptos::prelude::*;

use super::Avatar;
use crate::api::{self, enc};
use crate::ctx::Ctx;
use crate::{format, live};

#[component]
pub(crate) fn Search() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let query = RwSignal::new(String::new());
    let hits = RwSignal::new(None::<Vec<SearchHit>>);
    let recent = RwSignal::new(None::<Vec<ConversationView>>);
    let generation = StoredValue::new(0u32);
    let run = move |q: String| {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if q.trim().chars().count() < 2 {
            hits.set(None);
            return;
        }
        // Wait for a pause in typing; only the newest query's answer is shown.
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let path = format!("/api/search?q={}&limit=30", enc(q.trim()));
                    let result = api::get::<Vec<SearchHit>>(&path).await;
                    if generation.get_value() == mine {
                        match result {
                            Ok(list) => hits.set(Some(list)),
                            Err(e) => ctx.toast(e.message),
                        }
                    }
                });
            },
            Duration::from_millis(250),
        );
    };
    let toggle_recent = move |_| {
        if recent.with_untracked(Option::is_some) {
            recent.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            match api::get::<Vec<ConversationView>>("/api/me/conversations?limit=30").await {
                Ok(list) => recent.set(Some(list)),
                Err(e) => ctx.toast(e.message),
            }
        });
    };
    view! {
        <div class="ba-search">
            <input type="search" data-testid="search" aria-label=t.search placeholder=t.search title=t.search_hint
                prop:value=move || query.get()
                on:input=move |ev| { let q = event_target_value(&ev); query.set(q.clone()); run(q); }
                on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { query.set(String::new()); hits.set(None); } />
            <button type="button" class="ba-link ba-recent-toggle" on:click=toggle_recent>{t.recent}</button>
        </div>
        {move || hits.get().map(|list| view! {
            <section class="ba-section ba-results" aria-label=t.search>
                {if list.is_empty() {
                    view! { <p class="ba-empty">{t.no_results}</p> }.into_any()
                } else {
                    view! { <ul class="ba-items">
                        {list.into_iter().map(|h| {
                            let snippet = h.message.as_ref().map(|m| format::preview(m.text.as_str(), 90));
                            view! { <Found view=h.conversation snippet=snippet /> }
                        }).collect_view()}
                    </ul> }.into_any()
                }}
            </section>
        })}
        {move || recent.get().map(|list| view! {
            <section class="ba-section ba-recent" aria-label=t.recent>
                <h2>{t.recent}</h2>
                <ul class="ba-items">
                    {list.into_iter().map(|c| view! { <Found view=c snippet=None /> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn Found(view: ConversationView, snippet: Option<String>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let now = ctx.desk.now.get_untracked();
    let when = format::when(
        view.ended_at.unwrap_or(view.requested_at),
        now,
        crate::env::tz_offset_min(),
    );
    let status = (t.status)(view.status);
    let rating = view
        .rating
        .as_ref()
        .map(|r| "★".repeat(usize::from(r.score)));
    let (name, avatar) = (view.customer.name.clone(), view.customer.avatar_url.clone());
    let id = view.id;
    view! {
        <li class="ba-item ba-hit" data-conversation=id.to_string()>
            <button type="button" on:click=move |_| live::open(ctx, view.clone())>
                <Avatar name=name.clone() url=avatar />
                <span class="ba-item-main">
                    <span class="ba-item-top">
                        <span class="ba-name" data-testid="result-name">{name}</span>
                        <span class="ba-time">{when}</span>
                    </span>
                    <span class="ba-item-bottom">
                        <span class="ba-last">{snippet.unwrap_or_else(|| status.to_owned())}</span>
                        {rating.map(|r| view! { <span class="ba-stars" title=t.rating>{r}</span> })}
                    </span>
                </span>
            </button>
        </li>
    }
}
