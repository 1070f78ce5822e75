//! Canned responses: saved replies attendants insert by typing `/shortcut`. A table edited
//! in place, a form for a new one; shortcuts and texts are checked here as the server does.

use chimpassist_protocol::workspace::MAX_SHORTCUT_CHARS;
use chimpassist_protocol::{CannedRequest, CannedResponse, ErrorCode, MessageText, Shortcut};
use leptos::prelude::*;

use super::{Confirm, Outcome, Said, failure, form_of, not_loaded};
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::ui::login::field;
use crate::{api, env, format};

/// The request for what was typed, or why it cannot be sent, in words.
fn request(ctx: Ctx, shortcut: &str, text: String) -> Result<CannedRequest, String> {
    let t = &ctx.t().admin;
    let shortcut = shortcut.trim();
    let shortcut = Shortcut::parse(shortcut).map_err(|_| {
        if (1..=MAX_SHORTCUT_CHARS).contains(&shortcut.chars().count()) {
            t.shortcut_chars.to_owned()
        } else {
            t.shortcut_length.to_owned()
        }
    })?;
    let max = ctx.config.with_value(|c| c.max_text_bytes);
    let text = MessageText::parse(text, max as usize).map_err(|e| match e.code {
        ErrorCode::TextTooLong => fill(t.text_too_long, max),
        _ => t.text_empty.to_owned(),
    })?;
    Ok(CannedRequest { shortcut, text })
}

/// A refused save in words: a taken shortcut is said as such.
fn refused(ctx: Ctx, e: &api::ApiError) -> String {
    if e.code == Some(ErrorCode::Conflict) {
        ctx.t().admin.shortcut_taken.to_owned()
    } else {
        failure(ctx, e)
    }
}

#[component]
pub(super) fn Canned() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let version = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        version.track();
        api::get::<Vec<CannedResponse>>("/api/canned")
    });
    let said: Outcome = RwSignal::new(None);
    let table = move || match list.get() {
        None => not_loaded(ctx, None),
        Some(Err(e)) => not_loaded(ctx, Some(&e)),
        Some(Ok(items)) if items.is_empty() => {
            view! { <p class="ba-empty">{t.no_canned}</p> }.into_any()
        }
        Some(Ok(mut items)) => {
            items.sort_by(|a, b| a.shortcut.cmp(&b.shortcut));
            view! {
                <table class="ba-table ba-admin-canned">
                    <thead><tr>
                        <th scope="col">{t.shortcut}</th>
                        <th scope="col">{t.text}</th>
                        <th scope="col">{t.updated}</th>
                        <th scope="col">{t.actions}</th>
                    </tr></thead>
                    <tbody>
                        {items.into_iter().map(|item| view! { <CannedRow item=item version=version said=said /> }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }
    };
    view! {
        <section class="ba-admin-section" aria-label=t.canned>
            <h2>{t.canned}</h2>
            <Said outcome=said />
            {table}
            <NewCanned version=version />
        </section>
    }
}

#[component]
fn CannedRow(item: CannedResponse, version: RwSignal<u32>, said: Outcome) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let id = item.id;
    let path = format!("/api/canned/{id}");
    let path = StoredValue::new(path);
    let item = RwSignal::new(item);
    let editing = RwSignal::new(false);
    let asking = RwSignal::new(false);
    let outcome: Outcome = RwSignal::new(None);
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let edit = move |_| {
        item.with_untracked(|i| {
            shortcut.set(i.shortcut.to_string());
            text.set(i.text.as_str().to_owned());
        });
        outcome.set(None);
        editing.set(true);
    };
    let save = move |_| {
        let body = match request(ctx, &shortcut.get_untracked(), text.get_untracked()) {
            Ok(b) => b,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        leptos::task::spawn_local(async move {
            match api::send::<_, CannedResponse>("PUT", &path.get_value(), &body).await {
                Ok(saved) => {
                    item.set(saved);
                    editing.set(false);
                    outcome.set(Some(Ok(t.saved.to_owned())));
                    ctx.reload_canned();
                }
                Err(e) => outcome.set(Some(Err(refused(ctx, &e)))),
            }
        });
    };
    let remove = move |()| {
        asking.set(false);
        leptos::task::spawn_local(async move {
            match api::delete(&path.get_value()).await {
                Ok(()) => {
                    said.set(Some(Ok(t.deleted.to_owned())));
                    version.update(|v| *v += 1);
                    ctx.reload_canned();
                }
                Err(e) => outcome.set(Some(Err(failure(ctx, &e)))),
            }
        });
    };
    let shown = move || {
        let i = item.get();
        view! {
            <td><code>{format!("/{}", i.shortcut)}</code></td>
            <td class="ba-long">{i.text.into_string()}</td>
            <td>{format::date_time(i.updated_at, env::tz_offset_min())}</td>
            <td class="ba-row-actions">
                <button type="button" class="ba-edit" on:click=edit>{t.edit}</button>
                <button type="button" class="ba-delete"
                    on:click=move |_| { outcome.set(None); asking.set(true) }>{t.delete}</button>
            </td>
        }
    };
    let edited = move || {
        view! {
            <td><input name="shortcut" type="text" aria-label=t.shortcut maxlength="32"
                prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev)) /></td>
            <td><textarea name="text" rows="3" aria-label=t.text
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea></td>
            <td>{move || format::date_time(item.with(|i| i.updated_at), env::tz_offset_min())}</td>
            <td class="ba-row-actions">
                <button type="button" class="ba-primary ba-save" on:click=save>{t.save}</button>
                <button type="button" class="ba-cancel" on:click=move |_| editing.set(false)>{t.cancel}</button>
            </td>
        }
    };
    let extra = move || {
        let confirm = asking.get().then(|| {
            let question = fill(t.confirm_delete, item.with_untracked(|i| i.shortcut.clone()));
            view! { <Confirm question=question yes=t.delete on_yes=remove on_no=move |()| asking.set(false) /> }
        });
        (confirm.is_some() || outcome.with(Option::is_some)).then(|| {
            view! { <tr class="ba-row-extra"><td colspan="4">{confirm}<Said outcome=outcome /></td></tr> }
        })
    };
    view! {
        <tr data-canned=id.to_string()>
            {move || if editing.get() { edited().into_any() } else { shown().into_any() }}
        </tr>
        {extra}
    }
}

#[component]
fn NewCanned(version: RwSignal<u32>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().admin;
    let outcome: Outcome = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match request(ctx, &field(&ev, "shortcut"), field(&ev, "text")) {
            Ok(b) => b,
            Err(msg) => return outcome.set(Some(Err(msg))),
        };
        let form = form_of(&ev);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            match api::send::<_, CannedResponse>("POST", "/api/canned", &body).await {
                Ok(_) => {
                    if let Some(f) = form {
                        f.reset();
                    }
                    outcome.set(Some(Ok(t.saved.to_owned())));
                    version.update(|v| *v += 1);
                    ctx.reload_canned();
                }
                Err(e) => outcome.set(Some(Err(refused(ctx, &e)))),
            }
        });
    };
    view! {
        <form class="ba-admin-form ba-new-canned" on:submit=submit>
            <h3>{t.new_canned}</h3>
            <label><span>{t.shortcut}</span>
                <input name="shortcut" type="text" required maxlength="32" autocomplete="off" /></label>
            <p class="ba-hint">{t.shortcut_hint}</p>
            <label class="ba-wide"><span>{t.text}</span>
                <textarea name="text" rows="4" required></textarea></label>
            <Said outcome=outcome />
            <button class="ba-primary" type="submit">{t.create}</button>
        </form>
    }
}
