//! The chat panel. Text from people is only ever put in text nodes (or an `href` checked to
//! be http/https), never parsed as HTML.

use chimpassist_protocol::{ConversationStatus, PreChat, TypingState};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use crate::chat::{Chat, Conn, Screen};
use crate::env;
use crate::net;
use crate::text::{Segment, segments};
use crate::timeline::{Line, Tick};

pub(crate) fn panel(chat: Chat) -> impl IntoView {
    let c = chat.config;
    let style = format!(
        "--ca-bg:{};--ca-fg:{};--ca-w:{}px;--ca-h:{}px;--ca-anim:{}ms",
        c.background_color, c.color, c.width, c.height, c.expand_animation_ms
    );
    let on_key = move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" {
            chat.bridge.with_value(|b| b.close());
        }
    };
    // Only a change of screen rebuilds the body (not every status update), so a half-typed
    // message survives the conversation being assigned.
    let which = Memo::new(move |_| (chat.screen.get(), chat.conversation.with(Option::is_some)));
    view! {
        <div
            class="ca-panel"
            class:open=move || chat.open.get()
            class:left=c.position == "bottom-left"
            style=style
            role="dialog"
            aria-label=c.title.clone()
            aria-hidden=move || (!chat.open.get()).to_string()
            on:keydown=on_key
        >
            {header(chat)}
            {conn_banner(chat)}
            <div class="ca-body">{move || { let (screen, has) = which.get(); body(chat, screen, has) }}</div>
            {c.show_powered_by.then(|| view! { <div class="ca-powered">{chat.t.powered_by}</div> })}
        </div>
    }
}

fn header(chat: Chat) -> impl IntoView {
    let c = chat.config;
    let t = chat.t;
    let subtitle = move || {
        chat.conversation.with(|conv| match conv {
            Some(conv) if conv.status.is_open() => match &conv.attendant {
                Some(a) => c
                    .active_text
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", t.chatting_with, a.name)),
                None => t.waiting.to_owned(),
            },
            _ => c
                .preview_text
                .clone()
                .or_else(|| c.default_text.clone())
                .unwrap_or_else(|| t.open_chat.to_owned()),
        })
    };
    let avatar = move || {
        chat.conversation.with(|conv| {
            conv.as_ref()
                .filter(|conv| conv.status.is_open())
                .and_then(|conv| conv.attendant.clone())
                .map(|a| avatar_view(a.avatar_url, &a.name))
        })
    };
    let conn_label = move || match chat.conn.get() {
        Conn::Online => t.online,
        Conn::Connecting => t.connecting,
        _ => t.reconnecting,
    };
    view! {
        <header class="ca-header">
            {c.logo.clone().map(|src| view! { <img class="ca-logo" src=src alt="" /> })}
            {avatar}
            <div class="ca-titles">
                <div class="ca-title">{c.title.clone()}</div>
                <div class="ca-subtitle">{subtitle}</div>
            </div>
            <span
                class="ca-conn"
                class:online=move || chat.conn.get() == Conn::Online
                role="status"
                title=conn_label
                aria-label=conn_label
            ></span>
            <Show when=move || chat.is_open_conversation()>
                <button class="ca-end" type="button" on:click=move |_| chat.end_chat()>
                    {t.end_chat}
                </button>
            </Show>
            <button
                class="ca-close"
                type="button"
                aria-label=t.close
                title=t.close
                on:click=move |_| chat.bridge.with_value(|b| b.close())
            >
                "×"
            </button>
        </header>
    }
}

fn avatar_view(url: Option<String>, name: &str) -> AnyView {
    match url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(src) => view! { <img class="ca-avatar" src=src alt="" /> }.into_any(),
        None => {
            let initial: String = name.chars().next().unwrap_or('?').to_uppercase().collect();
            view! { <span class="ca-avatar" aria-hidden="true">{initial}</span> }.into_any()
        }
    }
}

fn conn_banner(chat: Chat) -> impl IntoView {
    let t = chat.t;
    move || match chat.conn.get() {
        Conn::Online => None,
        Conn::Connecting => {
            Some(view! { <div class="ca-banner" role="status">{t.connecting}</div> }.into_any())
        }
        Conn::Reconnecting => Some(
            view! { <div class="ca-banner warn" role="status">{t.reconnecting}</div> }.into_any(),
        ),
        Conn::Refused(why) => {
            Some(view! { <div class="ca-banner error" role="alert">{why}</div> }.into_any())
        }
    }
}

fn body(chat: Chat, screen: Screen, has_conversation: bool) -> AnyView {
    match screen {
        Screen::Chat if has_conversation => chat_view(chat).into_any(),
        Screen::Chat => view! { <p class="ca-note">{chat.t.connecting}</p> }.into_any(),
        Screen::Callback => callback_form(chat).into_any(),
        Screen::CallbackSent => {
            let t = chat.t;
            view! {
                <div class="ca-home">
                    <p class="ca-note" role="status">{t.callback_sent}</p>
                    <button type="button" on:click=move |_| chat.screen.set(Screen::Home)>{t.back}</button>
                </div>
            }
            .into_any()
        }
        Screen::Home => home(chat).into_any(),
    }
}

fn home(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let c = chat.config;
    // Fields the host page already told us (userData) are not asked again.
    // Reactive: the form may be drawn before `welcome` tells us who the visitor is.
    let known_name = move || {
        chat.customer.with(|c| {
            c.as_ref()
                .is_some_and(|c| c.external_id.is_some() && !c.name.is_empty())
        })
    };
    let known_email = move || {
        chat.customer
            .with(|c| c.as_ref().is_some_and(|c| c.email.is_some()))
    };
    let name = NodeRef::<html::Input>::new();
    let email = NodeRef::<html::Input>::new();
    let problem = NodeRef::<html::Textarea>::new();
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let value = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        chat.start_chat(PreChat {
            name: value(name.get().map(|i| i.value())),
            email: value(email.get().map(|i| i.value())),
            problem: value(problem.get().map(|i| i.value())),
        });
    };
    let nobody = move || chat.available.get() == Some(false);
    let ready = move || chat.conn.get() == Conn::Online;
    view! {
        <form class="ca-home ca-prechat" on:submit=submit>
            <p class="ca-greeting">{c.preview_text.clone().unwrap_or_else(|| t.greeting.to_owned())}</p>
            <Show when=nobody>
                <p class="ca-note ca-offline" role="status">{t.nobody_online}</p>
            </Show>
            <Show when=move || c.asks("name") && !known_name()>
                <label>{t.name}<input name="name" autocomplete="name" node_ref=name /></label>
            </Show>
            <Show when=move || c.asks("email") && !known_email()>
                <label>{t.email}<input name="email" type="email" autocomplete="email" node_ref=email /></label>
            </Show>
            {c.asks("problem").then(|| view! {
                <label>{t.problem}<textarea name="problem" rows="3" node_ref=problem></textarea></label>
            })}
            <button class="ca-start ca-primary" type="submit" disabled=move || !ready()>
                {move || if nobody() { t.leave_message } else { t.start }}
            </button>
            <Show when=nobody>
                <button class="ca-callback" type="button" on:click=move |_| chat.screen.set(Screen::Callback)>
                    {t.request_callback}
                </button>
            </Show>
        </form>
    }
}

fn callback_form(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let name = NodeRef::<html::Input>::new();
    let phone = NodeRef::<html::Input>::new();
    let email = NodeRef::<html::Input>::new();
    let when = NodeRef::<html::Input>::new();
    let note = NodeRef::<html::Textarea>::new();
    let error = RwSignal::new(None::<String>);
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let get = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let body = chimpassist_protocol::rest::CallbackRequest {
            name: name.get().map(|i| i.value()).unwrap_or_default(),
            phone: get(phone.get().map(|i| i.value())),
            email: get(email.get().map(|i| i.value())),
            preferred_time: get(when.get().map(|i| i.value())),
            queue: chat
                .config
                .queue_id
                .as_deref()
                .and_then(|q| chimpassist_protocol::QueueId::parse(q).ok()),
            note: get(note.get().map(|i| i.value())),
        };
        leptos::task::spawn_local(async move {
            match net::request_callback(chat.config, &body).await {
                Ok(()) => chat.screen.set(Screen::CallbackSent),
                Err(why) => error.set(Some(why)),
            }
        });
    };
    view! {
        <form class="ca-home ca-callback-form" on:submit=submit>
            <label>{t.name}<input name="name" required autocomplete="name" node_ref=name /></label>
            <label>{t.phone}<input name="phone" type="tel" autocomplete="tel" node_ref=phone /></label>
            <label>{t.email}<input name="email" type="email" autocomplete="email" node_ref=email /></label>
            <label>{t.preferred_time}<input name="preferred_time" node_ref=when /></label>
            <label>{t.problem}<textarea name="note" rows="2" node_ref=note></textarea></label>
            {move || error.get().map(|e| view! { <p class="ca-error" role="alert">{e}</p> })}
            <button class="ca-primary" type="submit">{t.send_request}</button>
            <button type="button" on:click=move |_| chat.screen.set(Screen::Home)>{t.back}</button>
        </form>
    }
}

fn chat_view(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let log = NodeRef::<html::Div>::new();
    let status = move || chat.conversation.with(|c| c.as_ref().map(|c| c.status));
    let is_open = Memo::new(move |_| status().is_some_and(ConversationStatus::is_open));
    let lines = move || chat.receipts.with(|r| chat.timeline.with(|tl| tl.lines(r)));
    // Keep the newest message in view unless the visitor scrolled up to read older ones.
    let stick = StoredValue::new(true);
    Effect::new(move |_| {
        chat.timeline.track();
        chat.attendant_typing.track();
        if let Some(el) = log.get()
            && stick.get_value()
        {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = log.get() {
            stick.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < 40);
            if el.scroll_top() < 20 && chat.timeline.with_untracked(|t| t.more_before) {
                chat.load_older();
            }
        }
    };
    let queue = move || {
        (status() == Some(ConversationStatus::Queued)).then(|| {
            let (pos, ewt) = chat.queue.get().unwrap_or((0, 0));
            view! {
                <div class="ca-queue" role="status">
                    <strong>{t.waiting}</strong>
                    {(pos > 0).then(|| view! { <span>{t.position}": "<b class="ca-pos">{pos}</b></span> })}
                    {(pos > 0).then(|| view! { <span>{t.minutes}": "<b class="ca-ewt">{ewt.div_ceil(60)}</b></span> })}
                </div>
            }
        })
    };
    let typing = move || {
        chat.attendant_typing.get().then(|| {
            let name = chat
                .conversation
                .with(|c| {
                    c.as_ref()
                        .and_then(|c| c.attendant.as_ref().map(|a| a.name.clone()))
                })
                .unwrap_or_default();
            view! { <div class="ca-typing">{name}" "{t.typing}</div> }
        })
    };
    view! {
        {queue}
        <div class="ca-log" role="log" aria-live="polite" aria-relevant="additions" node_ref=log on:scroll=on_scroll>
            <Show when=move || chat.timeline.with(|t| t.more_before && t.oldest_seq().is_some_and(|s| s > 1))>
                <button class="ca-older" type="button" on:click=move |_| chat.load_older()>{t.older}</button>
            </Show>
            <For each=lines key=|l: &Line| format!("{}{:?}", l.key, l.tick) let:line>
                {line_view(chat, line)}
            </For>
        </div>
        {typing}
        {move || if is_open.get() { composer(chat).into_any() } else { ended(chat).into_any() }}
    }
}

fn line_view(chat: Chat, line: Line) -> impl IntoView {
    let t = chat.t;
    let parts: Vec<(bool, String)> = segments(&line.text)
        .into_iter()
        .map(|s| match s {
            Segment::Text(s) => (false, s.to_owned()),
            Segment::Link(s) => (true, s.to_owned()),
        })
        .collect();
    let tick = line.tick.map(|tick| {
        let (class, mark, label) = match tick {
            Tick::Pending => ("pending", "○", t.sending),
            Tick::Failed => ("failed", "!", t.failed),
            Tick::Sent => ("sent", "✓", t.sent),
            Tick::Delivered => ("delivered", "✓✓", t.delivered),
            Tick::Read => ("read", "✓✓", t.read),
        };
        view! { <span class=format!("ca-tick {class}") title=label aria-label=label>{mark}</span> }
    });
    let author = if line.mine {
        t.you.to_owned()
    } else {
        line.author.clone()
    };
    view! {
        <div class="ca-msg" class:me=line.mine data-seq=line.seq.map(|s| s.to_string())>
            <span class="ca-sr">{author}": "</span>
            <div class="ca-text">
                {parts
                    .into_iter()
                    .map(|(link, s)| {
                        if link {
                            let href = s.clone();
                            view! { <a href=href target="_blank" rel="noopener noreferrer nofollow">{s}</a> }.into_any()
                        } else {
                            s.into_any()
                        }
                    })
                    .collect_view()}
            </div>
            <div class="ca-meta">
                <time>{env::clock(line.at)}</time>
                {tick}
            </div>
            {line.error.map(|e| view! { <div class="ca-error">{e}</div> })}
        </div>
    }
}

fn composer(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let input = NodeRef::<html::Textarea>::new();
    let error = RwSignal::new(None::<String>);
    let send = move || {
        if let Some(el) = input.get() {
            let text = el.value();
            if text.trim().is_empty() {
                return;
            }
            match chat.send_text(&text) {
                Ok(()) => {
                    el.set_value("");
                    error.set(None);
                }
                Err(why) => error.set(Some(why)),
            }
        }
    };
    let on_key = move |e: ev::KeyboardEvent| {
        if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
            e.prevent_default();
            send();
        }
    };
    // Focus the composer when the panel opens, for keyboard users.
    Effect::new(move |_| {
        if chat.open.get()
            && let Some(el) = input.get()
        {
            let _ = el.focus();
        }
    });
    view! {
        {move || error.get().map(|e| view! { <p class="ca-error" role="alert">{e}</p> })}
        <form class="ca-composer" on:submit=move |e: ev::SubmitEvent| { e.prevent_default(); send(); }>
            <textarea
                rows="2"
                placeholder=t.placeholder
                aria-label=t.placeholder
                node_ref=input
                on:keydown=on_key
                on:input=move |_| net::typing(TypingState::Composing)
            ></textarea>
            <button class="ca-send ca-primary" type="submit" aria-label=t.send>{t.send}</button>
        </form>
    }
}

fn ended(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let score = RwSignal::new(0u8);
    let comment = NodeRef::<html::Textarea>::new();
    let rated = move || {
        chat.conversation
            .with(|c| c.as_ref().is_some_and(|c| c.rating.is_some()))
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        if score.get_untracked() > 0 {
            chat.rate(
                score.get_untracked(),
                comment.get().map(|c| c.value()).unwrap_or_default(),
            );
        }
    };
    view! {
        <div class="ca-ended">
            <p class="ca-note">{t.ended}</p>
            <Show
                when=rated
                fallback=move || view! {
                    <form class="ca-rating" on:submit=submit>
                        <p id="ca-rate-label">{t.rate}</p>
                        <div class="ca-stars" role="radiogroup" aria-labelledby="ca-rate-label">
                            {(1u8..=5)
                                .map(|n| view! {
                                    <button
                                        type="button"
                                        role="radio"
                                        data-score=n.to_string()
                                        aria-checked=move || (score.get() == n).to_string()
                                        aria-label=format!("{n}/5")
                                        class:on=move || n <= score.get()
                                        on:click=move |_| score.set(n)
                                    >"★"</button>
                                })
                                .collect_view()}
                        </div>
                        <textarea rows="2" placeholder=t.comment aria-label=t.comment node_ref=comment></textarea>
                        <button class="ca-primary ca-rate" type="submit" disabled=move || score.get() == 0>{t.submit_rating}</button>
                    </form>
                }
            >
                <p class="ca-note ca-thanks" role="status">{t.thanks}</p>
            </Show>
            <button class="ca-new" type="button" on:click=move |_| chat.screen.set(Screen::Home)>{t.new_chat}</button>
        </div>
    }
}
