//! The composer: Enter sends, Shift+Enter starts a new line, `/shortcut` offers canned
//! responses, and a switch turns the text into a private note instead of a reply. Our
//! typing state goes to the customer while we type.

use chimpassist_protocol::{CannedResponse, MessageText, TypingState};
use leptos::html::{Div, Form, Textarea};
use leptos::prelude::*;

use crate::board::Entry;
use crate::ctx::Ctx;
use crate::files::{self, Tray, TrayState};
use crate::live;

/// Canned responses whose shortcut starts with what follows the `/`.
fn suggestions(ctx: Ctx, text: &str) -> Vec<CannedResponse> {
    let Some(typed) = text.strip_prefix('/') else {
        return Vec::new();
    };
    if typed.contains(char::is_whitespace) {
        return Vec::new();
    }
    let typed = typed.to_lowercase();
    ctx.canned.with(|list| {
        list.iter()
            .filter(|r| r.shortcut.as_str().starts_with(&typed))
            .take(6)
            .cloned()
            .collect()
    })
}

#[component]
pub(crate) fn Composer(entry: Entry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let text = RwSignal::new(String::new());
    let note_mode = RwSignal::new(false);
    let area = NodeRef::<Textarea>::new();
    let form = NodeRef::<Form>::new();
    let tray_el = NodeRef::<Div>::new();
    // Files being attached: the tray uploads them; `files_now` follows its state.
    let tray: StoredValue<Option<Tray>, LocalStorage> = StoredValue::new_local(None);
    let files_now = RwSignal::new(TrayState::Empty);
    Effect::new(move |_| {
        let (Some(area), Some(form), Some(el)) = (area.get(), form.get(), tray_el.get()) else {
            return;
        };
        if tray.with_value(Option::is_some) {
            return;
        }
        let refresh = move || {
            let now = tray.with_value(|t| t.as_ref().map_or(TrayState::Empty, |t| t.now()));
            files_now.set(now);
        };
        let made = files::tray(
            &el,
            &area,
            &form,
            entry.id.to_string(),
            ctx.desk.max_file.get_untracked(),
            refresh,
        );
        tray.set_value(Some(made));
    });
    on_cleanup(move || {
        tray.with_value(|t| t.as_ref().map(|t| t.clear()))
            .unwrap_or(())
    });
    let options = Memo::new(move |_| text.with(|s| suggestions(ctx, s)));
    let too_long = move || text.with(|s| s.len() > ctx.desk.max_text.get() as usize);
    let pick = move |r: CannedResponse| {
        text.set(r.text.into_string());
        if let Some(a) = area.get_untracked() {
            let _ = a.focus();
        }
    };
    let submit = move || {
        let raw = text.get_untracked();
        let max = ctx.desk.max_text.get_untracked() as usize;
        if note_mode.get_untracked() {
            if MessageText::parse(raw.clone(), max).is_ok() {
                text.set(String::new());
                live::post_note(ctx, entry.id, raw);
            }
            return;
        }
        // Files go with the text once every upload is done; text alone goes at once.
        let attached = match files_now.get_untracked() {
            TrayState::Busy => return,
            TrayState::Ready => tray.with_value(|t| t.as_ref().map(|t| t.files())),
            TrayState::Empty => None,
        }
        .unwrap_or_default();
        let parsed = match MessageText::parse(raw, max) {
            Ok(parsed) => parsed,
            Err(_) if !attached.is_empty() => MessageText::none(),
            Err(_) => return,
        };
        text.set(String::new());
        live::send_message(ctx, entry.id, parsed, attached);
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            match options.get_untracked().into_iter().next() {
                Some(first) if text.with_untracked(|s| s.starts_with('/')) => pick(first),
                _ => submit(),
            }
        } else if ev.key() == "Tab"
            && let Some(first) = options.get_untracked().into_iter().next()
        {
            ev.prevent_default();
            pick(first);
        }
    };
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        if !note_mode.get_untracked() {
            let state = if value.trim().is_empty() {
                TypingState::Paused
            } else {
                TypingState::Composing
            };
            live::typing(ctx, entry.id, state);
        }
        text.set(value);
    };
    view! {
        <form class="ba-composer" class:note=move || note_mode.get() node_ref=form
            on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="ba-mode" role="group">
                <button type="button" aria-pressed=move || (!note_mode.get()).to_string()
                    on:click=move |_| note_mode.set(false)>{t.reply_mode}</button>
                <button type="button" class="ba-note-toggle" data-testid="note-toggle" aria-pressed=move || note_mode.get().to_string()
                    on:click=move |_| note_mode.set(true)>{t.note_mode}</button>
            </div>
            <Show when=move || text.with(|s| s.starts_with('/') && !s.contains(' '))>
                <ul class="ba-canned" role="listbox" data-testid="canned">
                    {move || {
                        let list = options.get();
                        if list.is_empty() {
                            view! { <li class="ba-hint">{t.canned_none}</li> }.into_any()
                        } else {
                            list.into_iter().map(|r| {
                                let label = format!("/{}", r.shortcut);
                                let preview = crate::format::preview(r.text.as_str(), 60);
                                view! {
                                    <li role="option">
                                        <button type="button" on:click=move |_| pick(r.clone())>
                                            <b>{label}</b> " " {preview}
                                        </button>
                                    </li>
                                }
                            }).collect_view().into_any()
                        }
                    }}
                </ul>
            </Show>
            <div class="ba-tray" node_ref=tray_el hidden=move || note_mode.get()></div>
            <textarea node_ref=area data-testid="composer" rows="3" aria-label=t.composer
                placeholder=move || if note_mode.get() { t.note_placeholder } else { t.composer }
                prop:value=move || text.get() on:input=on_input on:keydown=on_key
                on:blur=move |_| live::typing(ctx, entry.id, TypingState::Paused)></textarea>
            <div class="ba-composer-bar">
                <button type="button" class="ba-attach" data-testid="attach" aria-label=t.attach title=t.attach
                    disabled=move || note_mode.get()
                    on:click=move |_| tray.with_value(|t| if let Some(t) = t { t.pick() })><svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M16.5 6.5v9a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10a1.5 1.5 0 0 1-3 0V6.5"/></svg></button>
                <span class="ba-hint">{t.composer_hint}</span>
                <button class="ba-primary ba-send" type="submit"
                    disabled=move || {
                        let files = files_now.get();
                        let empty = text.with(|s| s.trim().is_empty());
                        files == TrayState::Busy || (empty && files != TrayState::Ready) || too_long()
                    }>
                    {t.send}
                </button>
            </div>
        </form>
    }
}
