//! The app-wide context every component and the live connection share, and which page
//! shows.
//!
//! Why a module of its own: both the views (`ui/*`) and the driver of the live connection
//! (`live.rs`) need the context, and `app.rs` starts both; kept here, none of them imports
//! another one that imports it back.

use chimpassist_protocol::rest::BackofficeConfig;
use chimpassist_protocol::{
    AttendantView, Attributes, CannedResponse, CustomerId, Role, VisitView,
};
use leptos::prelude::*;

use crate::board::Board;
use crate::i18n::{Lang, Texts};
use crate::{api, env};

/// The pages. Admin pages and reports have their own URL fragment (`#/admin/…`,
/// `#/reports`) so they can be linked and reloaded; the server enforces the admin role on
/// every admin call, and limits an attendant's reports to their own numbers, regardless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    Loading,
    Login,
    ChangePassword {
        forced: bool,
    },
    Desk,
    Admin(AdminTab),
    /// "Reports" for admins, "My numbers" for attendants: the same page.
    Reports,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AdminTab {
    Attendants,
    Queues,
    Canned,
    Greetings,
    Callbacks,
    Widget,
    Webhooks,
    Tokens,
    Audit,
}

impl AdminTab {
    pub(crate) const ALL: [AdminTab; 9] = [
        AdminTab::Attendants,
        AdminTab::Queues,
        AdminTab::Canned,
        AdminTab::Greetings,
        AdminTab::Callbacks,
        AdminTab::Widget,
        AdminTab::Webhooks,
        AdminTab::Tokens,
        AdminTab::Audit,
    ];

    pub(crate) fn slug(self) -> &'static str {
        match self {
            AdminTab::Attendants => "attendants",
            AdminTab::Queues => "queues",
            AdminTab::Canned => "canned",
            AdminTab::Greetings => "greetings",
            AdminTab::Callbacks => "callbacks",
            AdminTab::Widget => "widget",
            AdminTab::Webhooks => "webhooks",
            AdminTab::Tokens => "tokens",
            AdminTab::Audit => "audit",
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
    pub desk: Board,
    /// A message for the attendant (an error the server sent, a failed action).
    pub notice: RwSignal<Option<String>>,
    /// Canned responses, read at sign-in (the composer offers them on `/`).
    pub canned: RwSignal<Vec<CannedResponse>>,
    /// The session ended under us (revoked, expired): the sign-in page says so.
    pub session_ended: RwSignal<bool>,
    /// The newest visit a `visit` frame brought, with its customer: the panel's visit
    /// section takes it when it shows that customer.
    pub visit: RwSignal<Option<(CustomerId, VisitView)>>,
    /// The newest attributes an `attributes` frame brought, with their customer.
    pub attributes: RwSignal<Option<(CustomerId, Attributes)>>,
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

    /// Reads the canned responses again (at sign-in, and after an admin changed them).
    pub(crate) fn reload_canned(&self) {
        let canned = self.canned;
        leptos::task::spawn_local(async move {
            if let Ok(list) = api::get::<Vec<CannedResponse>>("/api/canned").await {
                canned.set(list);
            }
        });
    }
}

/// Moves to a page, keeping the URL fragment in step.
pub(crate) fn go(page: Page) {
    let hash = match page {
        Page::Admin(tab) => format!("#/admin/{}", tab.slug()),
        Page::Reports => "#/reports".to_owned(),
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

pub(crate) fn page_from_hash() -> Page {
    let hash = env::window().location().hash().unwrap_or_default();
    match hash.strip_prefix("#/admin/").and_then(AdminTab::parse) {
        Some(tab) => Page::Admin(tab),
        None if hash == "#/admin" => Page::Admin(AdminTab::Attendants),
        None if hash == "#/reports" => Page::Reports,
        None => Page::Desk,
    }
}
