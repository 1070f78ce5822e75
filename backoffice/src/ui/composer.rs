//! The composer: Enter sends, Shift+Enter starts a new line, `/shortcut` offers canned
//! responses, and a switch turns the text into a private note instead of a reply. Our
//! typing state goes to the customer while we type.

use chimpassist_protocol::{CannedResponse, MessageText, TypingState};
use leptos::html::Textarea;
use leptos::prelude::*;

use crate::board::Entry;
use crate::ctx::Ctx;
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
        let Ok(parsed) =
            MessageText::parse(raw.clone(), ctx.desk.max_text.get_untracked() as usize)
        else {
            return;
        };
        text.set(String::new());
        if note_mode.get_untracked() {
            live::post_note(ctx, entry.id, raw);
        } else {
            live::send_message(ctx, entry.id, parsed);
        }
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
        <form class="ba-composer" class:note=move || note_mode.get()
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
            <textarea node_ref=area data-testid="composer" rows="3" aria-label=t.composer
                placeholder=move || if note_mode.get() { t.note_placeholder } else { t.composer }
                prop:value=move || text.get() on:input=on_input on:keydown=on_key
                on:blur=move |_| live::typing(ctx, entry.id, TypingState::Paused)></textarea>
            <div class="ba-composer-bar">
                <span class="ba-hint">{t.composer_hint}</span>
                <button class="ba-primary ba-send" type="submit"
                    disabled=move || text.with(|s| s.trim().is_empty()) || too_long()>
                    {t.send}
                </button>
            </div>
        </form>
    }
}
