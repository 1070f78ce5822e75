//! One attendant in the table: shown, or edited in place (name, role, queues, capacity,
//! disabled), plus a password reset. Disabling asks first.

use chimpassist_protocol::rest::{QueueView, ResetPasswordRequest, UpdateAttendantRequest};
use chimpassist_protocol::{AttendantView, QueueId};
use leptos::prelude::*;

use super::attendants::{capacity, role_name, role_of};
use super::{Confirm, Outcome, Said, failure};
use crate::api;
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::ui::login::field;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    View,
    Edit,
    Password,
}

#[component]
pub(super) fn Row(person: AttendantView, queues: Signal<Vec<QueueView>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let is_me = ctx
        .me
        .with_untracked(|m| m.as_ref().is_some_and(|m| m.id == person.id));
    let id = person.id.to_string();
    let person = RwSignal::new(person);
    let mode = RwSignal::new(Mode::View);
    let outcome: Outcome = RwSignal::new(None);
    let pending = RwSignal::new(None::<UpdateAttendantRequest>);
    // The edit form's values, filled when editing starts.
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let picks = RwSignal::new(Vec::<QueueId>::new());
    let cap = RwSignal::new(String::new());
    let disabled = RwSignal::new(false);
    let path = StoredValue::new(format!("/api/attendants/{}", api::enc(&id)));

    let start_edit = move |_| {
        person.with_untracked(|p| {
            name.set(p.name.clone());
            role.set(
                if p.role == chimpassist_protocol::Role::Admin {
                    "admin"
                } else {
                    "attendant"
                }
                .into(),
            );
            picks.set(p.queues.clone());
            cap.set(p.capacity.to_string());
            disabled.set(p.disabled);
        });
        outcome.set(None);
        mode.set(Mode::Edit);
    };
    let send = move |body: UpdateAttendantRequest| {
        pending.set(None);
        leptos::task::spawn_local(async move {
            let path = path.get_value();
            match api::send::<_, AttendantView>("PATCH", &path, &body).await {
                Ok(view) => {
                    if is_me {
                        ctx.me.set(Some(view.clone()));
                    }
                    person.set(view);
                    mode.set(Mode::View);
                    outcome.set(Some(Ok(t.saved.to_owned())));
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let save = move |_| {
        let p = person.get_untracked();
        let new_name = name.get_untracked().trim().to_owned();
        if new_name.is_empty() {
            return outcome.set(Some(Err(t.name_empty.to_owned())));
        }
        let new_cap = match capacity(t, &cap.get_untracked()) {
            Ok(c) => c.unwrap_or(p.capacity),
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        let new_role = role_of(&role.get_untracked());
        let mut new_queues = picks.get_untracked();
        new_queues.sort();
        let mut old_queues = p.queues.clone();
        old_queues.sort();
        let new_disabled = disabled.get_untracked();
        let body = UpdateAttendantRequest {
            name: (new_name != p.name).then_some(new_name),
            role: (new_role != p.role).then_some(new_role),
            queues: (new_queues != old_queues).then_some(new_queues),
            capacity: (new_cap != p.capacity).then_some(new_cap),
            disabled: (new_disabled != p.disabled).then_some(new_disabled),
            ..UpdateAttendantRequest::default()
        };
        outcome.set(None);
        if body == UpdateAttendantRequest::default() {
            mode.set(Mode::View);
        } else if body.disabled == Some(true) {
            pending.set(Some(body));
        } else {
            send(body);
        }
    };
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let password = field(&ev, "password");
        if password.chars().count() < 8 {
            return outcome.set(Some(Err(t.too_short.to_owned())));
        }
        let body = ResetPasswordRequest { password };
        leptos::task::spawn_local(async move {
            let path = format!("{}/password", path.get_value());
            match api::send_empty("POST", &path, &body).await {
                Ok(()) => {
                    person.update(|p| p.must_change_password = true);
                    mode.set(Mode::View);
                    let who = person.with_untracked(|p| p.name.clone());
                    outcome.set(Some(Ok(fill(t.password_reset, who))));
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };

    let queue_names = move || {
        let mine = person.with(|p| p.queues.clone());
        if mine.is_empty() {
            return t.none.to_owned();
        }
        queues.with(|all| {
            mine.iter()
                .map(|id| {
                    all.iter()
                        .find(|q| &q.id == id)
                        .map_or(id.to_string(), |q| q.name.clone())
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let status = move || {
        person.with(|p| {
            if p.disabled {
                t.disabled
            } else if p.must_change_password {
                t.must_change
            } else {
                t.active
            }
        })
    };
    let queue_checks = move || {
        queues
            .get()
            .into_iter()
            .map(|q| {
                let (a, b) = (q.id.clone(), q.id.clone());
                view! {
                    <label class="ba-check">
                        <input type="checkbox" value=q.id.to_string()
                            prop:checked=move || picks.with(|p| p.contains(&a))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                picks.update(|p| {
                                    p.retain(|x| x != &b);
                                    if on { p.push(b.clone()); }
                                });
                            } />
                        <span>{q.name}</span>
                    </label>
                }
            })
            .collect_view()
    };
    let shown = move || {
        view! {
            <td>{move || person.with(|p| p.name.clone())}{is_me.then(|| format!(" {}", t.you))}</td>
            <td>{move || person.with(|p| p.email.clone())}</td>
            <td>{move || role_name(t, person.with(|p| p.role))}</td>
            <td>{queue_names}</td>
            <td>{move || person.with(|p| p.capacity)}</td>
            <td class="ba-status">{status}</td>
            <td class="ba-row-actions">
                <button type="button" class="ba-edit" on:click=start_edit>{t.edit}</button>
                <button type="button" class="ba-reset-password"
                    on:click=move |_| { outcome.set(None); mode.set(Mode::Password) }>{t.reset_password}</button>
            </td>
        }
    };
    let editing = move || {
        view! {
            <td><input name="name" type="text" aria-label=t.name prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev)) /></td>
            <td>{move || person.with(|p| p.email.clone())}</td>
            <td><select name="role" aria-label=t.role disabled=is_me
                on:change=move |ev| role.set(event_target_value(&ev))>
                <option value="attendant" selected=role.get_untracked() != "admin">{t.role_attendant}</option>
                <option value="admin" selected=role.get_untracked() == "admin">{t.role_admin}</option>
            </select></td>
            <td class="ba-queue-picks">{queue_checks}</td>
            <td><input name="capacity" type="number" min="0" max="100" step="1" aria-label=t.capacity
                prop:value=move || cap.get() on:input=move |ev| cap.set(event_target_value(&ev)) /></td>
            <td><label class="ba-check">
                <input name="disabled" type="checkbox" disabled=is_me prop:checked=move || disabled.get()
                    on:change=move |ev| disabled.set(event_target_checked(&ev)) />
                <span>{t.disable_label}</span>
            </label></td>
            <td class="ba-row-actions">
                <button type="button" class="ba-primary ba-save" on:click=save>{t.save}</button>
                <button type="button" class="ba-cancel"
                    on:click=move |_| { pending.set(None); mode.set(Mode::View) }>{t.cancel}</button>
            </td>
        }
    };
    let extra = move || {
        let confirm = pending.get().map(|body| {
            let question = fill(t.confirm_disable, person.with_untracked(|p| p.name.clone()));
            view! {
                <Confirm question=question yes=t.disable
                    on_yes=move |()| send(body.clone()) on_no=move |()| pending.set(None) />
            }
        });
        let password = (mode.get() == Mode::Password).then(|| {
            view! {
                <form class="ba-inline-form ba-password-form" on:submit=reset>
                    <label><span>{t.new_password}</span>
                        <input name="password" type="password" autocomplete="new-password" required minlength="8" /></label>
                    <button type="submit" class="ba-primary">{t.set_password}</button>
                    <button type="button" on:click=move |_| mode.set(Mode::View)>{t.cancel}</button>
                </form>
            }
        });
        let said = outcome.with(Option::is_some);
        (confirm.is_some() || password.is_some() || said).then(|| {
            view! {
                <tr class="ba-row-extra"><td colspan="7">{confirm}{password}<Said outcome=outcome /></td></tr>
            }
        })
    };
    view! {
        <tr data-attendant=id class:ba-disabled=move || person.with(|p| p.disabled)>
            {move || if mode.get() == Mode::Edit { editing().into_any() } else { shown().into_any() }}
        </tr>
        {extra}
    }
}
