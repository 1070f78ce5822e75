//! Sign in, and the password change the initial `admin`/`admin` account is sent to.

use chimpassist_protocol::rest::{ChangePasswordRequest, LoginRequest};
use chimpassist_protocol::{AttendantView, ErrorCode};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::ctx::{Ctx, Page, go};
use crate::live;

/// The value of a named field of the form an event came from.
pub(crate) fn field(ev: &leptos::ev::SubmitEvent, name: &str) -> String {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        .and_then(|f| web_sys::FormData::new_with_form(&f).ok())
        .and_then(|d| d.get(name).as_string())
        .unwrap_or_default()
}

fn login_error(ctx: Ctx, e: &ApiError) -> String {
    ctx.t()
        .login
        .failure(e.status, e.code, e.retry_after)
        .unwrap_or_else(|| e.message.clone())
}

#[component]
pub(crate) fn Login() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().login;
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let body = LoginRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::send::<_, AttendantView>("POST", "/api/login", &body).await {
                Ok(me) => {
                    password.set(String::new());
                    live::signed_in(ctx, me);
                }
                Err(e) => error.set(Some(login_error(ctx, &e))),
            }
            busy.set(false);
        });
    };
    let logo = ctx.config.with_value(|c| c.logo_small_url.clone());
    let title = ctx.config.with_value(|c| c.main_page_title.clone());
    view! {
        <main class="ba-login" data-testid="login">
            <form class="ba-card" on:submit=submit>
                {logo.map(|src| view! { <img class="ba-logo" src=src alt="" /> })}
                <h1>{title}</h1>
                <Show when=move || ctx.session_ended.get()>
                    <p class="ba-session-ended" role="status" data-testid="session-ended">{t.session_ended}</p>
                </Show>
                <label>
                    <span>{t.email}</span>
                    <input name="email" data-testid="login-email" type="text" autocomplete="username" required
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t.password}</span>
                    <input name="password" data-testid="login-password" type="password" autocomplete="current-password" required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                </label>
                {move || error.get().map(|e| view! { <p class="ba-error" role="alert" data-testid="login-error">{e}</p> })}
                <button class="ba-primary" type="submit" data-testid="login-submit"
                    disabled=move || busy.get() || email.get().trim().is_empty() || password.get().is_empty()>
                    {move || if busy.get() { t.signing_in } else { t.sign_in }}
                </button>
            </form>
        </main>
    }
}

#[component]
pub(crate) fn ChangePassword(forced: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().login;
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (current, new, again) = (
            field(&ev, "current"),
            field(&ev, "new"),
            field(&ev, "again"),
        );
        if new != again {
            error.set(Some(t.mismatch.to_owned()));
            return;
        }
        if new.chars().count() < 8 {
            error.set(Some(t.too_short.to_owned()));
            return;
        }
        let body = ChangePasswordRequest { current, new };
        leptos::task::spawn_local(async move {
            match api::send_empty("POST", "/api/me/password", &body).await {
                Ok(()) => match api::get::<AttendantView>("/api/me").await {
                    Ok(me) => {
                        ctx.toast(t.changed.to_owned());
                        if forced {
                            live::signed_in(ctx, me);
                        } else {
                            ctx.me.set(Some(me));
                            go(Page::Desk);
                        }
                    }
                    Err(_) => live::signed_out(ctx),
                },
                Err(e) if e.code == Some(ErrorCode::InvalidCredentials) => {
                    error.set(Some(t.wrong_credentials.to_owned()))
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <main class="ba-login" data-testid="login">
            <form class="ba-card" on:submit=submit>
                <h1>{t.change_title}</h1>
                {forced.then(|| view! { <p class="ba-hint">{t.change_hint}</p> })}
                <label><span>{t.current_password}</span>
                    <input name="current" data-testid="current-password" type="password" autocomplete="current-password" required /></label>
                <label><span>{t.new_password}</span>
                    <input name="new" data-testid="new-password" type="password" autocomplete="new-password" required minlength="8" /></label>
                <label><span>{t.repeat_password}</span>
                    <input name="again" data-testid="repeat-password" type="password" autocomplete="new-password" required minlength="8" /></label>
                {move || error.get().map(|e| view! { <p class="ba-error" role="alert" data-testid="login-error">{e}</p> })}
                <button class="ba-primary" type="submit" data-testid="password-submit">{t.save}</button>
                {(!forced).then(|| view! {
                    <button type="button" on:click=move |_| go(Page::Desk)>{t.cancel}</button>
                })}
            </form>
        </main>
    }
}
