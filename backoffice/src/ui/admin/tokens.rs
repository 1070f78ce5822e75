//! API tokens (`/api/tokens`): the list with each token's scopes, state and last use, Revoke
//! (asked first), and the form that makes one (element ids `#token-new`, `#token-name`,
//! `#token-expiry`, `#token-create`). A new token is shown once, above the form.

use chimpassist_protocol::token::{ApiScope, ApiTokenView, ApiTokenWithSecret};
use leptos::prelude::*;

use super::paged::Shown;
use super::secret::OneTimeSecret;
use super::{Confirm, Outcome, Said, failure, not_loaded};
use crate::api::{self, ApiError};
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::tokens::{EXPIRIES, State, request, scope_label};
use crate::{env, format};

#[component]
pub(super) fn Tokens() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let k = &ctx.t().tokens;
    let listed = RwSignal::new(None::<Result<Vec<ApiTokenView>, ApiError>>);
    let said: Outcome = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        listed.set(Some(api::get::<Vec<ApiTokenView>>("/api/tokens").await));
    });
    // A token made or revoked here replaces its row (or joins the list).
    let changed = Callback::new(move |view: ApiTokenView| {
        listed.update(|l| {
            if let Some(Ok(list)) = l {
                match list.iter_mut().find(|v| v.id == view.id) {
                    Some(row) => *row = view,
                    None => list.push(view),
                }
            }
        });
    });
    let shown = Memo::new(move |_| listed.with(|l| Shown::of(l, Vec::is_empty)));
    let rows = move || {
        listed.with(|l| match l {
            Some(Ok(list)) => list.clone(),
            _ => Vec::new(),
        })
    };
    let list = move || match shown.get() {
        Shown::Loading => not_loaded(ctx, None),
        Shown::Failed(e) => not_loaded(ctx, Some(&e)),
        Shown::Empty => view! { <p class="ba-empty tokens-empty">{k.no_tokens}</p> }.into_any(),
        Shown::Rows => view! {
            <ul class="ba-webhooks ba-tokens" aria-label=t.tokens>
                // Keyed by id and state, so a revoked row is drawn again.
                <For each=rows key=|v| (v.id, v.revoked_at)
                    children=move |v| view! { <Row item=v changed=changed said=said /> } />
            </ul>
        }
        .into_any(),
    };
    view! {
        <section class="ba-admin-section ba-admin-tokens" aria-label=t.tokens>
            <h2>{t.tokens}</h2>
            <p class="ba-hint">{k.intro}</p>
            <Said outcome=said />
            {list}
            <NewToken added=changed />
        </section>
    }
}

/// One token (`li.token-row`, `data-state` active / expired / revoked).
#[component]
fn Row(item: ApiTokenView, changed: Callback<ApiTokenView>, said: Outcome) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let k = &ctx.t().tokens;
    let now = env::now_ms();
    let when = move |at: i64| format::when(at, now, env::tz_offset_at(at));
    let state = State::of(&item, now);
    let asking = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let id = item.id;
    let name = item.name.clone();
    let revoke = move |()| {
        asking.set(false);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/tokens/{id}");
            match api::send::<_, ApiTokenView>("DELETE", &path, &()).await {
                Ok(view) => {
                    said.set(Some(Ok(k.revoked_done.to_owned())));
                    changed.run(view);
                }
                Err(e) => {
                    busy.set(false);
                    said.set(Some(Err(failure(ctx, &e))));
                }
            }
        });
    };
    let scopes = item
        .scopes
        .iter()
        .map(|&s| {
            view! { <li data-scope=s.as_str() title=s.as_str()>{scope_label(k, s)}</li> }
        })
        .collect_view();
    let mut facts = vec![fill(k.created_at, when(item.created_at))];
    facts.push(match item.last_used_at {
        Some(at) => fill(k.last_used, when(at)),
        None => k.never_used.to_owned(),
    });
    if let Some(at) = item.revoked_at {
        facts.push(fill(k.revoked_at, when(at)));
    } else if let Some(at) = item.expires_at {
        facts.push(fill(k.expires, when(at)));
    }
    let facts = facts
        .into_iter()
        .map(|f| view! { <span>{f}</span> })
        .collect_view();
    view! {
        <li class="ba-webhook token-row" data-id=id.to_string()
            data-state=state.slug()>
            <div class="ba-webhook-head">
                <strong class="token-name">{item.name.clone()}</strong>
                <code class="token-hint">{format!("chimp_…{}", item.hint)}</code>
                <span class=format!("{} token-state", state.class())>{state.text(k)}</span>
            </div>
            <ul class="ba-token-scopes token-scopes" aria-label=k.scopes>{scopes}</ul>
            <p class="ba-hint token-facts">{facts}</p>
            {(state == State::Active).then(|| view! {
                <div class="ba-webhook-actions">
                    <button type="button" class="ba-danger token-revoke"
                        disabled=move || busy.get()
                        on:click=move |_| asking.set(true)>{k.revoke}</button>
                </div>
            })}
            <Show when=move || asking.get()>
                <Confirm question=fill(k.confirm_revoke, &name) yes=k.revoke on_yes=revoke
                    on_no=move |()| asking.set(false) />
            </Show>
        </li>
    }
}

/// The form that makes a token; the token is shown once, above it.
#[component]
fn NewToken(added: Callback<ApiTokenView>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let k = &ctx.t().tokens;
    let name = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<ApiScope>::new());
    let expiry = RwSignal::new(None::<u32>);
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let secret = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = match request(
            &name.get_untracked(),
            &picked.get_untracked(),
            expiry.get_untracked(),
        ) {
            Ok(body) => body,
            Err(e) => return outcome.set(Some(Err(e.text(k).to_owned()))),
        };
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::send::<_, ApiTokenWithSecret>("POST", "/api/tokens", &body).await;
            busy.set(false);
            match answer {
                Ok(made) => {
                    name.set(String::new());
                    picked.set(Vec::new());
                    expiry.set(None);
                    secret.set(Some(made.secret));
                    outcome.set(Some(Ok(k.created.to_owned())));
                    added.run(made.token);
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let once = move || {
        secret.get().map(|s| {
            view! {
                <OneTimeSecret secret=s label=k.token warning=k.token_once
                    dismiss=k.token_dismiss kind="token" on_dismiss=move |()| secret.set(None) />
            }
        })
    };
    let scopes = ApiScope::ALL
        .iter()
        .map(|&scope| {
            view! {
                <label class="ba-check">
                    <input type="checkbox" name="scope" value=scope.as_str()
                        prop:checked=move || picked.with(|p| p.contains(&scope))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            picked.update(|p| {
                                p.retain(|s| *s != scope);
                                if on {
                                    p.push(scope);
                                }
                            });
                        } />
                    <span>{scope_label(k, scope)}</span>
                    <code>{scope.as_str()}</code>
                </label>
            }
        })
        .collect_view();
    let expiries = EXPIRIES
        .iter()
        .map(|days| {
            let (value, text) = match days {
                None => (String::new(), k.never.to_owned()),
                Some(d) => (d.to_string(), fill(k.days, d)),
            };
            view! { <option value=value>{text}</option> }
        })
        .collect_view();
    view! {
        {once}
        <form id="token-new" class="ba-admin-form ba-new-webhook" novalidate on:submit=submit>
            <h3>{k.new_token}</h3>
            <div class="ba-fields">
                <label><span>{k.name}</span>
                    <input id="token-name" name="name" type="text" autocomplete="off" maxlength="80"
                        placeholder=k.name_hint prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <label><span>{k.expiry}</span>
                    <select id="token-expiry" name="expiry"
                        prop:value=move || expiry.get().map(|d| d.to_string()).unwrap_or_default()
                        on:change=move |ev| expiry.set(event_target_value(&ev).parse().ok())>
                        {expiries}
                    </select></label>
            </div>
            <fieldset class="ba-token-scope-picks">
                <legend>{k.scopes}</legend>
                {scopes}
            </fieldset>
            <Said outcome=outcome />
            <button id="token-create" class="ba-primary" type="submit"
                disabled=move || busy.get()>{k.create}</button>
        </form>
    }
}
