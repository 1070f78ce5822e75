//! The chat panel. Text from people is only ever put in text nodes (or an `href` checked to
//! be http/https), never parsed as HTML.

use chimpassist_protocol::{ConversationStatus, FileId, PreChat};
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api;
use crate::chat::{Chat, Conn, Screen};
use crate::env;
use crate::net;
use crate::text::{Segment, segments};
use crate::timeline::{Line, Tick};
use crate::wire::{Value, js, string};

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
    let which = Memo::new(move |_| {
        chat.session.with(|s| match s.screen {
            Screen::Chat if s.conversation.is_none() => Screen::Starting,
            screen => screen,
        })
    });
    let notice = move || {
        chat.session
            .with(|s| s.notice.clone())
            .map(|n| view! { <div class="ca-banner error" role="alert">{n}</div> })
    };
    view! {
        <div
            class="ca-panel"
            lang=chat.t.lang
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
            {notice}
            <div class="ca-body">{move || body(chat, which.get())}</div>
            {c.show_powered_by.then(|| view! { <div class="ca-powered">{chat.t.powered_by}</div> })}
        </div>
    }
}

fn header(chat: Chat) -> impl IntoView {
    let c = chat.config;
    let t = chat.t;
    let subtitle = move || {
        chat.session.with(|s| match &s.conversation {
            // Whoever answers: the attendant, else the bot holding the conversation.
            Some(conv) if conv.status.is_open() => {
                match conv
                    .attendant
                    .as_ref()
                    .map(|a| &a.name)
                    .or(conv.bot.as_ref())
                {
                    Some(name) => c
                        .active_text
                        .clone()
                        .unwrap_or_else(|| format!("{} {name}", t.chatting_with)),
                    None => t.waiting.to_owned(),
                }
            }
            _ => c
                .preview_text
                .clone()
                .or_else(|| c.default_text.clone())
                .unwrap_or_else(|| t.open_chat.to_owned()),
        })
    };
    let avatar = move || {
        chat.session.with(|s| {
            s.conversation
                .as_ref()
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
            // Upper-cased by CSS: Rust's `to_uppercase` would ship 13 KB of Unicode tables.
            let initial: String = name.chars().next().unwrap_or('?').into();
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

fn body(chat: Chat, screen: Screen) -> AnyView {
    match screen {
        Screen::Chat => chat_view(chat).into_any(),
        Screen::Starting => view! { <p class="ca-note">{chat.t.connecting}</p> }.into_any(),
        Screen::Callback => callback_form(chat).into_any(),
        Screen::CallbackSent => {
            let t = chat.t;
            view! {
                <div class="ca-home">
                    <p class="ca-note" role="status">{t.callback_sent}</p>
                    <button type="button" on:click=move |_| chat.set_screen(Screen::Home)>{t.back}</button>
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
        chat.session.with(|s| {
            s.customer
                .as_ref()
                .is_some_and(|c| c.external_id.is_some() && !c.name.is_empty())
        })
    };
    let known_email = move || {
        chat.session
            .with(|s| s.customer.as_ref().is_some_and(|c| c.email.is_some()))
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let form = Fields::of(&e);
        chat.start_chat(PreChat {
            name: form.get("name"),
            email: form.get("email"),
            problem: form.get("problem"),
        });
    };
    let nobody = move || chat.session.with(|s| s.available == Some(false));
    let ready = move || chat.conn.get() == Conn::Online;
    view! {
        <form class="ca-home ca-prechat" on:submit=submit>
            <p class="ca-greeting">{c.preview_text.clone().unwrap_or_else(|| t.greeting.to_owned())}</p>
            <Show when=nobody>
                // Read when shown: `available` and `opens_at` change together.
                <p class="ca-note ca-offline" role="status">{
                    match chat.session.with_untracked(|s| s.opens_at) {
                        Some(at) => t.closed_until.replace("{}", &env::when(at, t.lang)),
                        None => t.nobody_online.to_owned(),
                    }
                }</p>
            </Show>
            <Show when=move || c.asks("name") && !known_name()>
                <label>{t.name}<input name="name" autocomplete="name" /></label>
            </Show>
            <Show when=move || c.asks("email") && !known_email()>
                <label>{t.email}<input name="email" type="email" autocomplete="email" /></label>
            </Show>
            {c.asks("problem").then(|| view! {
                <label>{t.problem}<textarea name="problem" rows="3"></textarea></label>
            })}
            <button class="ca-start ca-primary" type="submit" disabled=move || !ready()>
                {move || if nobody() { t.leave_message } else { t.start }}
            </button>
            <Show when=nobody>
                <button class="ca-callback" type="button" on:click=move |_| chat.set_screen(Screen::Callback)>
                    {t.request_callback}
                </button>
            </Show>
        </form>
    }
}

fn callback_form(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let error = RwSignal::new(None::<String>);
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let form = Fields::of(&e);
        let body = chimpassist_protocol::rest::CallbackRequest {
            name: form.get("name").unwrap_or_default(),
            phone: form.get("phone"),
            email: form.get("email"),
            preferred_time: form.get("preferred_time"),
            queue: chat
                .config
                .queue_id
                .as_deref()
                .and_then(|q| chimpassist_protocol::QueueId::parse(q).ok()),
            note: form.get("note"),
        };
        leptos::task::spawn_local(async move {
            match api::request_callback(chat.config, chat.t, &body).await {
                Ok(()) => chat.set_screen(Screen::CallbackSent),
                Err(why) => error.set(Some(why)),
            }
        });
    };
    view! {
        <form class="ca-home ca-callback-form" on:submit=submit>
            <label>{t.name}<input name="name" required autocomplete="name" /></label>
            <label>{t.phone}<input name="phone" type="tel" autocomplete="tel" /></label>
            <label>{t.email}<input name="email" type="email" autocomplete="email" /></label>
            <label>{t.preferred_time}<input name="preferred_time" /></label>
            <label>{t.problem}<textarea name="note" rows="2"></textarea></label>
            {move || error.get().map(|e| view! { <p class="ca-error" role="alert">{e}</p> })}
            <button class="ca-primary" type="submit">{t.send_request}</button>
            <button type="button" on:click=move |_| chat.set_screen(Screen::Home)>{t.back}</button>
        </form>
    }
}

fn chat_view(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let log = NodeRef::<html::Div>::new();
    let is_open = Memo::new(move |_| chat.is_open_conversation());
    let lines = move || chat.timeline.with(|tl| tl.lines(&tl.receipts));
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
        chat.session.with(|s| {
            // While a bot answers there is no line to show.
            let c = s.conversation.as_ref()?;
            let queued = c.status == ConversationStatus::Queued && c.bot.is_none();
            queued.then(|| s.queue.unwrap_or((0, 0)))
        }).map(|(pos, ewt)| {
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
                .session
                .with(|s| {
                    s.conversation
                        .as_ref()
                        .and_then(|c| c.attendant.as_ref().map(|a| a.name.clone()))
                })
                .unwrap_or_default();
            view! { <div class="ca-typing">{name}" "{t.typing}</div> }
        })
    };
    // An address for replies while away, asked (when the desk mails them) of a visitor it
    // has none for (one the site signed in has the site's). Gone once left.
    let ask_email = move || {
        let asks = is_open.get()
            && chat.session.with(|s| {
                s.email_replies
                    && s.customer
                        .as_ref()
                        .is_some_and(|c| c.email.is_none() && !c.profile_verified)
            });
        asks.then(|| {
            let submit = move |e: ev::SubmitEvent| {
                e.prevent_default();
                if let Some(email) = Fields::of(&e).get("email") {
                    chat.leave_email(email);
                }
            };
            view! {
                <form class="ca-email" on:submit=submit>
                    <label>{t.email_replies}<input name="email" type="email" required autocomplete="email" /></label>
                    <button type="submit">{t.send}</button>
                </form>
            }
        })
    };
    view! {
        {queue}
        {ask_email}
        <div class="ca-log" role="log" aria-live="polite" aria-relevant="additions" node_ref=log on:scroll=on_scroll>
            <Show when=move || chat.timeline.with(|t| t.more_before && t.oldest_seq().is_some_and(|s| s > 1))>
                <button class="ca-older" type="button" on:click=move |_| chat.load_older()>{t.older}</button>
            </Show>
            <For each=lines key=|l: &Line| format!("{}{}", l.key, l.tick.map_or(0, |t| t as u8 + 1)) let:line>
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
            // A bot is named in sight; anyone else for screen readers only.
            <span class=if line.bot { "ca-bot" } else { "ca-sr" }>
                {author}{if line.bot { t.bot } else { ": " }}
            </span>
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

/// The uploaded files the tray gives up: their ids, and their names for the pending line.
fn take_files() -> (Vec<FileId>, String) {
    let list = js::parse(&net::files_take())
        .map(|l| l.items())
        .unwrap_or_default();
    let names: Vec<String> = list.iter().filter_map(|f| string(f, "name")).collect();
    let ids = list
        .iter()
        .filter_map(|f| FileId::parse(&string(f, "id")?).ok())
        .collect();
    (ids, names.join(", "))
}

fn composer(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let input = NodeRef::<html::Textarea>::new();
    let form = NodeRef::<html::Form>::new();
    let tray = NodeRef::<html::Div>::new();
    let error = RwSignal::new(None::<String>);
    // Files picked, pasted or dropped go to the tray, which uploads them at once.
    Effect::new(move |_| {
        if let (Some(f), Some(b)) = (form.get(), tray.get()) {
            let config = chat.config;
            let max = chat.session.with_untracked(|s| s.max_file) as f64;
            net::files_open(
                &f,
                &b,
                max,
                t.lang,
                &config.api_url(""),
                &config.storage_key("token"),
            );
        }
    });
    let send = move || {
        if let Some(el) = input.get() {
            let text = el.value();
            let files = net::files_state();
            if files == "busy" {
                error.set(Some(t.files_busy.into()));
                return;
            }
            if text.trim().is_empty() && files != "ready" {
                return;
            }
            let (ids, names) = if files == "ready" {
                take_files()
            } else {
                Default::default()
            };
            match chat.send_text(&text, ids, names) {
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
        <div class="ca-tray" node_ref=tray></div>
        <form class="ca-composer" node_ref=form
            data-conversation=move || chat.session.with(|s| s.conversation.as_ref().map(|c| c.id.to_string()))
            on:submit=move |e: ev::SubmitEvent| { e.prevent_default(); send(); }>
            <button type="button" class="ca-attach" aria-label=t.attach title=t.attach on:click=|_| net::files_pick()><svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M16.5 6.5v9a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10a1.5 1.5 0 0 1-3 0V6.5"/></svg></button>
            <textarea
                rows="2"
                placeholder=t.placeholder
                aria-label=t.placeholder
                node_ref=input
                on:keydown=on_key
                on:input=move |_| chat.typing()
            ></textarea>
            <button class="ca-send ca-primary" type="submit" aria-label=t.send>{t.send}</button>
        </form>
    }
}

fn ended(chat: Chat) -> impl IntoView {
    let t = chat.t;
    let score = RwSignal::new(0u64);
    let rated = move || {
        chat.session
            .with(|s| s.conversation.as_ref().is_some_and(|c| c.rating.is_some()))
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        if score.get_untracked() > 0 {
            let comment = Fields::of(&e).get("comment").unwrap_or_default();
            chat.rate(score.get_untracked() as u8, comment);
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
                            {(1u64..=5)
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
                        <textarea name="comment" rows="2" placeholder=t.comment aria-label=t.comment></textarea>
                        <button class="ca-primary ca-rate" type="submit" disabled=move || score.get() == 0>{t.submit_rating}</button>
                    </form>
                }
            >
                <p class="ca-note ca-thanks" role="status">{t.thanks}</p>
            </Show>
            <button class="ca-new" type="button" on:click=move |_| chat.set_screen(Screen::Home)>{t.new_chat}</button>
        </div>
    }
}

/// The fields of a submitted form, read by name.
///
/// Forms are read this way rather than through node refs: every node-ref element type
/// costs the widget about 2 KB of WASM.
struct Fields(Option<web_sys::FormData>);

impl Fields {
    fn of(e: &ev::SubmitEvent) -> Self {
        Self(
            e.target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
                .and_then(|f| web_sys::FormData::new_with_form(&f).ok()),
        )
    }

    /// The trimmed-nonempty value of field `name`.
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .as_ref()?
            .get(name)
            .as_string()
            .filter(|s| !s.trim().is_empty())
    }
}
