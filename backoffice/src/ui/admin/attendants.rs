//! Attendants: the table of accounts (each row edits itself, see `attendant_row`) and the
//! form that creates one.

use chimpassist_protocol::rest::{NewAttendantRequest, QueueView};
use chimpassist_protocol::{AttendantView, ErrorCode, QueueId, Role};
use leptos::prelude::*;

use super::attendant_row::Row;
use super::{Outcome, Said, failure, fields, form_of, not_loaded, optional};
use crate::api;
use crate::ctx::Ctx;
use crate::i18n::{AdminTexts, fill};
use crate::ui::login::field;

/// Server-side limit of `capacity`.
const MAX_CAPACITY: u32 = 100;

/// A capacity typed in a form: empty means "the server's default" (`None`).
pub(super) fn capacity(t: &AdminTexts, raw: &str) -> Result<Option<u32>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(c) if c <= MAX_CAPACITY => Ok(Some(c)),
        _ => Err(t.capacity_invalid.to_owned()),
    }
}

pub(super) fn role_of(raw: &str) -> Role {
    if raw == "admin" {
        Role::Admin
    } else {
        Role::Attendant
    }
}

pub(super) fn role_name(t: &AdminTexts, role: Role) -> &'static str {
    match role {
        Role::Admin => t.role_admin,
        Role::Attendant => t.role_attendant,
    }
}

#[component]
pub(super) fn Attendants() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let version = RwSignal::new(0u32);
    let people = LocalResource::new(move || {
        version.track();
        api::get::<Vec<AttendantView>>("/api/attendants")
    });
    let queue_list = LocalResource::new(|| api::get::<Vec<QueueView>>("/api/queues"));
    let queues = Signal::derive(move || queue_list.get().and_then(Result::ok).unwrap_or_default());
    let table = move || match people.get() {
        None => not_loaded(ctx, None),
        Some(Err(e)) => not_loaded(ctx, Some(&e)),
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="ba-empty">{t.no_attendants}</p> }.into_any()
        }
        Some(Ok(mut list)) => {
            list.sort_by_key(|a| a.name.to_lowercase());
            view! {
                <table class="ba-table ba-admin-attendants">
                    <thead><tr>
                        <th scope="col">{t.name}</th>
                        <th scope="col">{t.email}</th>
                        <th scope="col">{t.role}</th>
                        <th scope="col">{t.queues}</th>
                        <th scope="col">{t.capacity}</th>
                        <th scope="col">{t.status}</th>
                        <th scope="col">{t.actions}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|a| view! { <Row person=a queues=queues /> }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    };
    view! {
        <section class="ba-admin-section" aria-label=t.attendants>
            <h2>{t.attendants}</h2>
            {table}
            <NewAttendant queues=queues version=version />
        </section>
    }
}

#[component]
fn NewAttendant(queues: Signal<Vec<QueueView>>, version: RwSignal<u32>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let outcome: Outcome = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let password = field(&ev, "password");
        if password.chars().count() < 8 {
            outcome.set(Some(Err(t.too_short.to_owned())));
            return;
        }
        let capacity = match capacity(t, &field(&ev, "capacity")) {
            Ok(c) => c,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        let picked: Vec<QueueId> = fields(&ev, "queues")
            .into_iter()
            .filter_map(|q| QueueId::parse(q).ok())
            .collect();
        let body = NewAttendantRequest {
            email: field(&ev, "email").trim().to_owned(),
            name: field(&ev, "name").trim().to_owned(),
            password,
            role: Some(role_of(&field(&ev, "role"))),
            skill: optional(&field(&ev, "skill")),
            queues: (!picked.is_empty()).then_some(picked),
            capacity,
            avatar_url: None,
        };
        let form = form_of(&ev);
        busy.set(true);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api::send::<_, AttendantView>("POST", "/api/attendants", &body).await {
                Ok(created) => {
                    outcome.set(Some(Ok(fill(t.created, &created.name))));
                    if let Some(f) = form {
                        f.reset();
                    }
                    version.update(|v| *v += 1);
                }
                Err(e) if e.code == Some(ErrorCode::Conflict) => {
                    outcome.set(Some(Err(t.email_taken.to_owned())))
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
            busy.set(false);
        });
    };
    let default_queue = QueueId::default_queue();
    let picks = move || {
        queues
            .get()
            .into_iter()
            .map(|q| {
                let checked = q.id == default_queue;
                view! {
                    <label class="ba-check">
                        <input type="checkbox" name="queues" value=q.id.to_string() checked=checked />
                        <span>{q.name}</span>
                    </label>
                }
            })
            .collect_view()
    };
    view! {
        <form class="ba-admin-form ba-new-attendant" on:submit=submit>
            <h3>{t.new_attendant}</h3>
            <div class="ba-fields">
                <label><span>{t.email}</span>
                    <input name="email" type="text" autocomplete="off" required /></label>
                <label><span>{t.name}</span>
                    <input name="name" type="text" autocomplete="off" required /></label>
                <label><span>{t.initial_password}</span>
                    <input name="password" type="password" autocomplete="new-password" required minlength="8" /></label>
                <label><span>{t.role}</span>
                    <select name="role">
                        <option value="attendant" selected>{t.role_attendant}</option>
                        <option value="admin">{t.role_admin}</option>
                    </select></label>
                <label><span>{t.capacity}</span>
                    <input name="capacity" type="number" min="0" max="100" step="1" title=t.capacity_hint /></label>
                <label><span>{t.skill}</span>
                    <input name="skill" type="text" placeholder="support/firstLevel" /></label>
            </div>
            <fieldset class="ba-queue-picks">
                <legend>{t.queues}</legend>
                {picks}
                <p class="ba-hint">{t.queues_hint}</p>
            </fieldset>
            <Said outcome=outcome />
            <button class="ba-primary" type="submit" disabled=move || busy.get()>{t.create}</button>
        </form>
    }
}
