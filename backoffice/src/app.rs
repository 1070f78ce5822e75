//! Start-up, the app-wide context and which page shows.
//!
//! Start-up reads the server's runtime settings (`/config/backoffice`: branding, labels,
//! forced language) before the first paint, so the title, favicon and language are right
//! from the start and nothing is baked into the build.

use std::cell::Cell;
use std::collections::HashMap;

use chimpassist_protocol::rest::BackofficeConfig;
use chimpassist_protocol::{
    AttendantView, CannedResponse, ConversationId, ConversationView, Note, Role,
};
use leptos::prelude::*;

use crate::desk::{Conn, Desk, Section};
use crate::i18n::{Lang, Texts};
use crate::{api, env, socket, ui};

/// The pages. Admin pages have their own URL fragment (`#/admin/…`) so they can be linked
/// and reloaded; the server enforces the admin role on every admin call regardless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    Loading,
    Login,
    ChangePassword { forced: bool },
    Desk,
    Admin(AdminTab),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AdminTab {
    Attendants,
    Queues,
    Canned,
    Callbacks,
    Widget,
}

impl AdminTab {
    pub(crate) const ALL: [AdminTab; 5] = [
        AdminTab::Attendants,
        AdminTab::Queues,
        AdminTab::Canned,
        AdminTab::Callbacks,
        AdminTab::Widget,
    ];

    pub(crate) fn slug(self) -> &'static str {
        match self {
            AdminTab::Attendants => "attendants",
            AdminTab::Queues => "queues",
            AdminTab::Canned => "canned",
            AdminTab::Callbacks => "callbacks",
            AdminTab::Widget => "widget",
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.slug() == slug)
    }
}

/// Everything a component may need, cheap to copy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    pub lang: Lang,
    pub config: StoredValue<BackofficeConfig>,
    pub me: RwSignal<Option<AttendantView>>,
    pub page: RwSignal<Page>,
    pub desk: Desk,
    /// A message for the attendant (an error the server sent, a failed action).
    pub notice: RwSignal<Option<String>>,
    /// Canned responses, read at sign-in (the composer offers them on `/`).
    pub canned: RwSignal<Vec<CannedResponse>>,
    /// Private notes per conversation, fetched when a conversation is first opened and
    /// kept current by `note` frames.
    pub notes: RwSignal<HashMap<ConversationId, Vec<Note>>>,
    /// The session ended under us (revoked, expired): the sign-in page says so.
    pub session_ended: RwSignal<bool>,
}

thread_local! {
    /// The app's context, for the code outside components that needs it (a REST answer).
    static CURRENT: Cell<Option<Ctx>> = const { Cell::new(None) };
}

/// The server refused a call until the account changes its password: go to that page.
pub(crate) fn password_change_required() {
    if let Some(ctx) = CURRENT.get() {
        ctx.password_change_required();
    }
}

impl Ctx {
    pub(crate) fn t(&self) -> &'static Texts {
        self.lang.texts()
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.me
            .with(|m| m.as_ref().is_some_and(|m| m.role == Role::Admin))
    }

    pub(crate) fn toast(&self, message: String) {
        self.notice.set(Some(message));
    }

    /// The login is gone (logout, expiry, revoked): back to the login page, state dropped.
    pub(crate) fn signed_out(&self) {
        socket::stop();
        self.me.set(None);
        self.desk.entries.set(Default::default());
        self.desk.selected.set(None);
        self.desk.conn.set(Conn::Connecting);
        self.page.set(Page::Login);
    }

    /// The session ended without the attendant logging out here (logged out elsewhere, the
    /// password changed or reset, the account disabled, expired): signed out, and the
    /// sign-in page says why.
    pub(crate) fn session_ended(&self) {
        self.session_ended.set(true);
        self.signed_out();
    }

    /// The account must change its password before anything else (the server answered
    /// `password_change_required`): the live connection stops until it is changed.
    pub(crate) fn password_change_required(&self) {
        if matches!(
            self.page.get_untracked(),
            Page::ChangePassword { forced: true } | Page::Login | Page::Loading
        ) {
            return;
        }
        socket::stop();
        self.me.update(|me| {
            if let Some(me) = me {
                me.must_change_password = true;
            }
        });
        self.page.set(Page::ChangePassword { forced: true });
    }

    /// After login (or at start with a valid cookie).
    pub(crate) fn signed_in(&self, me: AttendantView) {
        let forced = me.must_change_password;
        self.session_ended.set(false);
        self.me.set(Some(me));
        if forced {
            self.page.set(Page::ChangePassword { forced: true });
        } else {
            self.page.set(page_from_hash());
            socket::start(*self);
            self.reload_canned();
        }
    }

    pub(crate) fn reload_canned(&self) {
        let canned = self.canned;
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::get::<Vec<CannedResponse>>("/api/canned").await {
                canned.set(list);
            }
        });
    }

    pub(crate) fn select(&self, id: ConversationId) {
        self.desk.selected.set(Some(id));
        if let Some(e) = self.desk.entry(&id) {
            if !e.thread.with_untracked(|t| t.loaded) {
                socket::load_history(*self, id, false);
            } else {
                socket::mark_read(*self, id);
            }
        }
        if self.page.get_untracked() != Page::Desk {
            go(Page::Desk);
        }
    }

    /// Opens a conversation that may not be in our lists (a search hit, a previous one).
    pub(crate) fn open(&self, view: ConversationView) {
        let id = view.id;
        if self.desk.entry(&id).is_none() {
            self.desk.upsert(view);
        }
        self.select(id);
    }

    /// Re-reads one conversation's state (after it left us while we were disconnected).
    pub(crate) fn refresh_conversation(&self, id: ConversationId) {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            let path = format!("/api/conversations/{id}");
            match api::get::<ConversationView>(&path).await {
                Ok(view) => {
                    ctx.desk.upsert(view);
                }
                // Moved out of what we may see (another queue, never ours).
                Err(e) if e.status == 403 || e.status == 404 => ctx.withdrawn(id),
                Err(_) => {}
            }
        });
    }

    /// A conversation left what this attendant may see: out of the lists, and out of the
    /// chat pane if it was there, saying where it went.
    pub(crate) fn withdrawn(&self, id: ConversationId) {
        if self.desk.selected.get_untracked() == Some(id)
            && let Some(e) = self.desk.entry(&id)
        {
            let name = e.view.with_untracked(|v| v.customer.name.clone());
            self.toast(crate::i18n::fill(self.t().desk.withdrawn, name));
        }
        self.desk.remove(&id);
    }

    /// The conversations Alt+↑/↓ walks through: waiting, then mine online, then offline.
    pub(crate) fn ordered(&self) -> Vec<ConversationId> {
        let Some(me) = self.me.get_untracked() else {
            return Vec::new();
        };
        [Section::Waiting, Section::Online, Section::Offline]
            .into_iter()
            .flat_map(|s| self.desk.list(&me, s))
            .map(|e| e.id)
            .collect()
    }
}

/// Moves to a page, keeping the URL fragment in step.
pub(crate) fn go(page: Page) {
    let hash = match page {
        Page::Admin(tab) => format!("#/admin/{}", tab.slug()),
        _ => String::new(),
    };
    let loc = env::window().location();
    if loc.hash().unwrap_or_default() != hash {
        let _ = loc.set_hash(&hash);
    }
    if let Some(ctx) = use_context::<Ctx>() {
        ctx.page.set(page);
    }
}

fn page_from_hash() -> Page {
    let hash = env::window().location().hash().unwrap_or_default();
    match hash.strip_prefix("#/admin/").and_then(AdminTab::parse) {
        Some(tab) => Page::Admin(tab),
        None if hash == "#/admin" => Page::Admin(AdminTab::Attendants),
        None => Page::Desk,
    }
}

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
                desk: Desk::new(),
                notice: RwSignal::new(None),
                canned: RwSignal::new(Vec::new()),
                notes: RwSignal::new(HashMap::new()),
                session_ended: RwSignal::new(false),
            };
            CURRENT.set(Some(ctx));
            provide_context(ctx);
            start(ctx);
            view! { <ui::App /> }
        });
    });
}

fn start(ctx: Ctx) {
    leptos::task::spawn_local(async move {
        match api::get::<AttendantView>("/api/me").await {
            Ok(me) => ctx.signed_in(me),
            Err(_) => ctx.page.set(Page::Login),
        }
    });
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if matches!(ctx.page.get_untracked(), Page::Desk | Page::Admin(_)) {
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
