//! Start-up: reads the server's runtime settings (`/config/backoffice`: branding, labels,
//! forced language) before the first paint, so the title, favicon and language are right
//! from the start and nothing is baked into the build; then mounts the views and starts the
//! live desk.

use chimpassist_protocol::AttendantView;
use chimpassist_protocol::rest::BackofficeConfig;
use leptos::prelude::*;

use crate::board::Board;
use crate::ctx::{Ctx, Page, page_from_hash};
use crate::i18n::Lang;
use crate::{api, env, live, ui};

fn default_config() -> BackofficeConfig {
    BackofficeConfig {
        logo_small_url: None,
        default_attendant_avatar_url: None,
        fav_icon_url: None,
        main_page_title: "Chimp Assist".into(),
        login_page_title: "Chimp Assist".into(),
        online_customers_label: None,
        offline_customers_label: None,
        force_language: None,
        max_text_bytes: 4096,
        statistics_configured: false,
    }
}

pub(crate) fn mount() {
    console_panic();
    // Leptos sets up its task executor when it mounts; this first request runs before that.
    wasm_bindgen_futures::spawn_local(async {
        let config = api::get::<BackofficeConfig>("/config/backoffice")
            .await
            .unwrap_or_else(|_| default_config());
        let lang = Lang::pick(config.force_language.as_deref(), &env::browser_languages());
        env::set_lang(lang.tag());
        if let Some(icon) = &config.fav_icon_url {
            env::set_favicon(icon);
        }
        if let Some(root) = env::document().get_element_by_id("boot") {
            root.remove();
        }
        leptos::mount::mount_to_body(move || {
            let ctx = Ctx {
                lang,
                config: StoredValue::new(config),
                me: RwSignal::new(None),
                page: RwSignal::new(Page::Loading),
                desk: Board::new(),
                notice: RwSignal::new(None),
                canned: RwSignal::new(Vec::new()),
                session_ended: RwSignal::new(false),
                visit: RwSignal::new(None),
                attributes: RwSignal::new(None),
            };
            provide_context(ctx);
            live::install(ctx);
            start(ctx);
            view! { <ui::App /> }
        });
    });
}

fn start(ctx: Ctx) {
    leptos::task::spawn_local(async move {
        match api::get::<AttendantView>("/api/me").await {
            Ok(me) => live::signed_in(ctx, me),
            Err(_) => ctx.page.set(Page::Login),
        }
    });
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if matches!(
            ctx.page.get_untracked(),
            Page::Desk | Page::Admin(_) | Page::Reports
        ) {
            ctx.page.set(page_from_hash());
        }
    });
    // Page title: the login page's, or the main one with the unread count in front.
    Effect::new(move |_| {
        let config = ctx.config;
        let title = match ctx.page.get() {
            Page::Login | Page::Loading => config.with_value(|c| c.login_page_title.clone()),
            _ => {
                let main = config.with_value(|c| c.main_page_title.clone());
                let unread = ctx
                    .me
                    .with(|m| m.as_ref().map(|m| ctx.desk.total_unread(&m.id)))
                    .unwrap_or(0);
                if unread > 0 {
                    format!("({unread}) {main}")
                } else {
                    main
                }
            }
        };
        env::set_title(&title);
    });
}

/// Panics are bugs; say so in the console instead of failing silently.
fn console_panic() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
    }));
}
