//! The side menu around every signed-in page: logo, who is signed in, availability,
//! navigation (the desk, reports, administration), logout; and the banner shown while the
//! live connection is down.

use chimpassist_protocol::{AttendantToServer, Presence};
use leptos::prelude::*;

use super::Avatar;
use crate::ctx::{AdminTab, Ctx, Page, go};
use crate::desk::Conn;
use crate::{api, env, live, socket};

#[component]
pub(crate) fn Shell(children: Children) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let r = &ctx.t().reports;
    let logo = ctx.config.with_value(|c| c.logo_small_url.clone());
    let default_avatar = ctx
        .config
        .with_value(|c| c.default_attendant_avatar_url.clone());
    let who = move || {
        ctx.me.get().map(|me| {
            let url = me.avatar_url.clone().or_else(|| default_avatar.clone());
            view! {
                <div class="ba-me">
                    <Avatar name=me.name.clone() url=url />
                    <span class="ba-me-name" data-testid="me-name">{me.name.clone()}</span>
                </div>
            }
        })
    };
    let set_presence = move |p: Presence| {
        socket::send(&AttendantToServer::SetPresence { presence: p });
    };
    let presence_class = move || match ctx.desk.presence.get() {
        Presence::Online => "ba-presence online",
        Presence::Away => "ba-presence away",
        Presence::Offline => "ba-presence offline",
    };
    let logout = move |_| {
        // Closed first: the server also closes it, and that close must not read as a
        // session ended elsewhere.
        socket::stop();
        leptos::task::spawn_local(async move {
            let _ = api::send_empty("POST", "/api/logout", &()).await;
            live::signed_out(ctx);
        });
    };
    let on_desk = move || ctx.page.get() == Page::Desk;
    view! {
        <div class="ba-shell">
            <nav class="ba-menu">
                {logo.map(|src| view! { <img class="ba-logo" src=src alt="" /> })}
                {who}
                <div class=presence_class role="group" aria-label="availability">
                    <button type="button" class="ba-online" data-testid="presence-online"
                        aria-pressed=move || (ctx.desk.presence.get() == Presence::Online).to_string()
                        on:click=move |_| set_presence(Presence::Online)>{t.online}</button>
                    <button type="button" class="ba-away" data-testid="presence-away"
                        aria-pressed=move || (ctx.desk.presence.get() == Presence::Away).to_string()
                        on:click=move |_| set_presence(Presence::Away)>{t.away}</button>
                </div>
                <a href="#" class="ba-nav" class:active=on_desk
                    on:click=move |ev| { ev.prevent_default(); go(Page::Desk) }>{t.conversations}</a>
                <a href="#/reports" class="ba-nav ba-nav-reports" data-testid="nav-reports"
                    class:active=move || ctx.page.get() == Page::Reports
                    on:click=move |ev| { ev.prevent_default(); go(Page::Reports) }>
                    {move || if ctx.is_admin() { r.nav_all } else { r.nav_mine }}
                </a>
                <Show when=move || ctx.is_admin()>
                    <a href="#/admin/attendants" class="ba-nav ba-nav-admin" data-testid="nav-admin"
                        class:active=move || matches!(ctx.page.get(), Page::Admin(_))
                        on:click=move |ev| { ev.prevent_default(); go(Page::Admin(AdminTab::Attendants)) }>
                        {t.admin}
                    </a>
                </Show>
                <Show when=env::notifications_undecided>
                    <button type="button" class="ba-link" on:click=move |_| env::ask_notifications()>
                        {t.notify_enable}
                    </button>
                </Show>
                <div class="ba-menu-end">
                    <button type="button" class="ba-link"
                        on:click=move |_| go(Page::ChangePassword { forced: false })>{t.change_password}</button>
                    <button type="button" class="ba-link ba-logout" on:click=logout>{t.logout}</button>
                    <p class="ba-hint">{t.shortcuts}</p>
                </div>
            </nav>
            <Show when=move || ctx.desk.conn.get() == Conn::Lost>
                <div class="ba-banner" role="status" data-testid="reconnecting">{t.reconnecting}</div>
            </Show>
            <div class="ba-main">{children()}</div>
        </div>
    }
}
