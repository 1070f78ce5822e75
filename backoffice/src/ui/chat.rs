//! The chat pane: header with presence and actions, the history (paged on scroll, grouped
//! by sender, with times and delivery/read ticks), the customer's typing, and the composer.

use chimpassist_protocol::rest::{AttendantDirectoryEntry, QueueView};
use chimpassist_protocol::{
    AttachmentView, AttendantToServer, CallMedia, CallPolicy, ClientMessageId, ConversationStatus,
    CustomerPresence, MessageView, Note, NoteId, Party, Seq, TransferTarget,
};
use leptos::html::Div;
use leptos::prelude::*;

use super::Avatar;
use super::composer::Composer;
use crate::board::Entry;
use crate::ctx::Ctx;
use crate::desk::Command;
use crate::thread::{Pending, Thread, Tick, same_group};
use crate::{api, env, format, live, socket};

#[component]
pub(crate) fn ChatPane() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    // Reading the selected conversation when the tab comes back into view.
    let handle = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if let Some(id) = ctx.desk.selected.get_untracked().filter(|_| !env::hidden()) {
            live::command(ctx, Command::MarkRead(id));
        }
    });
    on_cleanup(move || handle.remove());
    view! {
        <section class="ba-chat" aria-label="chat" data-testid="chat">
            {move || match ctx.desk.selected_entry() {
                Some(e) => view! { <Conversation entry=e /> }.into_any(),
                None => view! { <p class="ba-placeholder" data-testid="chat-placeholder">{ctx.t().desk.pick_conversation}</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Conversation(entry: Entry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let v = entry.view;
    let mine = move || {
        let me = ctx.me.with(|m| m.as_ref().map(|m| m.id.clone()));
        v.with(|v| v.status.is_open() && v.attendant.as_ref().map(|a| a.id.clone()) == me)
    };
    let ended = move || v.with(|v| !v.status.is_open());
    let presence = move || {
        let (label, class) = match v.with(|v| v.customer_presence) {
            CustomerPresence::Active => (t.customer_active, "ba-dot active"),
            CustomerPresence::Inactive => (t.customer_inactive, "ba-dot inactive"),
            CustomerPresence::Gone => (t.customer_gone, "ba-dot gone"),
        };
        // Gone: when we last heard from them (their newest message, else their request).
        let seen = (v.with(|v| v.customer_presence) == CustomerPresence::Gone).then(|| {
            let at = entry
                .thread
                .with(|th| {
                    th.messages
                        .iter()
                        .rev()
                        .find(|m| m.from.party == Party::Customer)
                        .map(|m| m.timestamp)
                })
                .unwrap_or_else(|| v.with(|v| v.requested_at));
            let when = format::when(at, ctx.desk.now.get(), env::tz_offset_min());
            view! { <span class="ba-last-seen">" · " {crate::i18n::fill(t.last_seen, when)}</span> }
        });
        view! { <span class=class></span><span class="ba-presence-label">{label}</span> {seen} }
    };
    let status = move || (t.status)(v.with(|v| v.status));
    let customer = v.with_untracked(|v| v.customer.clone());
    view! {
        <header class="ba-chat-header" data-testid="chat-header">
            <Avatar name=customer.name.clone() url=customer.avatar_url.clone() />
            <div class="ba-chat-who">
                <h2 data-testid="chat-customer-name">{move || v.with(|v| v.customer.name.clone())}</h2>
                <p class="ba-chat-meta">{presence} " · " <span class="ba-status">{status}</span></p>
                {move || v.with(|v| v.rating.clone()).map(|r| view! {
                    <p class="ba-csat" title=t.rating>
                        <span class="ba-stars">{"★".repeat(usize::from(r.score))}</span>
                        {r.comment.map(|c| format!(" “{c}”"))}
                    </p>
                })}
            </div>
            <div class="ba-actions">
                <Show when=mine>
                    <HolderTools entry=entry />
                    <button type="button" class="ba-resolve" data-testid="resolve"
                        on:click=move |_| { socket::send(&AttendantToServer::Resolve { conversation: entry.id }); }>
                        {t.resolve}
                    </button>
                </Show>
                <Show when=move || v.with(|v| matches!(v.status, ConversationStatus::Resolved | ConversationStatus::Expired))>
                    <button type="button" class="ba-reopen" data-testid="reopen"
                        on:click=move |_| { socket::send(&AttendantToServer::Reopen { conversation: entry.id }); }>
                        {t.reopen}
                    </button>
                </Show>
            </div>
        </header>
        <Show when=ended>
            <p class="ba-ended" role="status" data-testid="ended">{move || crate::i18n::fill(t.resolved_banner, status())}</p>
        </Show>
        <History entry=entry />
        <Show when=move || entry.typing.get()>
            <p class="ba-typing-line" role="status" data-testid="typing-line">{move || v.with(|v| v.customer.name.clone())} " " {t.typing}</p>
        </Show>
        <Show when=mine fallback=move || view! {
            <Show when=move || !ended()><p class="ba-hint ba-not-yours" data-testid="not-yours">{t.not_yours}</p></Show>
        }>
            <Composer entry=entry />
        </Show>
    }
}

#[component]
fn History(entry: Entry) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let scroller = NodeRef::<Div>::new();
    // Whether the view was at the bottom before the latest change: new messages then keep
    // it there; otherwise the attendant is reading older ones and is left alone.
    let stick = StoredValue::new(true);
    let before = StoredValue::new((0i32, 0i32)); // scroll height and top before an older page
    let on_scroll = move |_| {
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        stick.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < 80);
        if el.scroll_top() < 60 && entry.thread.with_untracked(|t| t.more) {
            before.set_value((el.scroll_height(), el.scroll_top()));
            live::command(ctx, Command::LoadOlder(entry.id));
        }
    };
    let oldest = Memo::new(move |_| entry.thread.with(|t| t.oldest_seq()));
    let count = Memo::new(move |_| entry.thread.with(|t| t.messages.len() + t.pending.len()));
    Effect::new(move |prev_oldest: Option<Option<u64>>| {
        let now_oldest = oldest.get();
        count.track();
        let older_page = prev_oldest.is_some_and(|p| p.is_some() && p != now_oldest);
        request_animation_frame(move || {
            let Some(el) = scroller.get_untracked() else {
                return;
            };
            if older_page {
                let (h, top) = before.get_value();
                el.set_scroll_top(el.scroll_height() - h + top);
            } else if stick.get_value() {
                el.set_scroll_top(el.scroll_height());
            }
        });
        now_oldest
    });
    let offset = env::tz_offset_min();
    live::command(ctx, Command::OpenNotes(entry.id));
    let rows = move || {
        let notes = ctx.desk.notes_of(&entry.id);
        entry.thread.with(|th| rows(th, notes))
    };
    let row_view = move |row: Row| {
        match row {
        Row::Note(n) => view! {
            <div class="ba-msg note" data-testid="note">
                <span class="ba-msg-name">{t.private_note} " · " {n.author.name.clone()}</span>
                <p class="ba-text" data-testid="message-text">{n.text.as_str().to_owned()}</p>
                <span class="ba-msg-meta"><time>{format::clock(n.created_at, offset)}</time></span>
            </div>
        }
        .into_any(),
        Row::Message { m, .. } if m.call.is_some() => {
            let record = m.call.as_ref().map(|c| format::call(c, t)).unwrap_or_default();
            view! {
                <p class="ba-call-record" data-testid="call-record" data-seq=m.seq>
                    {record} " · " {m.from.name.clone()} " · "
                    <time>{format::clock(m.timestamp, offset)}</time>
                </p>
            }
            .into_any()
        }
        Row::Message { m, first, tick } => {
            // A bot speaks for the team: on our side, named as a bot, without receipts.
            let name = if m.from.party == Party::Bot {
                format!("{} · {}", m.from.name, t.bot)
            } else {
                m.from.name.clone()
            };
            view! {
                <Bubble ours=m.from.party.is_team() first=first name=name text=m.text.as_str().to_owned()
                    time=format::clock(m.timestamp, offset) tick=tick seq=m.seq files=m.attachments.clone() />
            }
            .into_any()
        }
        Row::Pending(p) => {
            let tick = Some(if p.failed.is_some() { Tick::Failed } else { Tick::Sending });
            view! {
                <Bubble ours=true first=false name=String::new() text=pending_text(&p)
                    time=format::clock(p.at, offset) tick=tick seq=0 files=Vec::new() />
            }
            .into_any()
        }
        Row::Failed { client_id, why } => view! {
            <p class="ba-failed" role="alert" data-testid="send-failed">{why} " "
                <button type="button" class="ba-link" data-testid="retry"
                    on:click=move |_| retry(ctx, entry, client_id)>{t.retry}</button>
            </p>
        }
        .into_any(),
    }
    };
    view! {
        <div class="ba-history" data-testid="history" node_ref=scroller on:scroll=on_scroll aria-live="polite">
            <Show when=move || entry.loading_older.get()>
                <p class="ba-hint">{t.older}</p>
            </Show>
            // The pre-chat form's problem text: what the customer came for.
            {move || entry.view.with(|v| v.subject.clone()).map(|s| view! {
                <p class="ba-subject" data-testid="subject"><b>{t.subject}</b> " " {s}</p>
            })}
            // Keyed: a new message adds one bubble, a receipt redraws the bubbles whose tick
            // changed; the rest stay as they are.
            <For each=rows key=Row::key children=row_view />
        </div>
    }
}

/// A pending message's text, with the names of the files it carries (their links come with
/// the server's copy).
fn pending_text(p: &Pending) -> String {
    let names: Vec<&str> = p.attachments.iter().map(|f| f.name.as_str()).collect();
    match (p.text.as_str(), names.is_empty()) {
        (text, true) => text.to_owned(),
        ("", false) => format!("📎 {}", names.join(", ")),
        (text, false) => format!("{text}\n📎 {}", names.join(", ")),
    }
}

/// One line of the history, in the order drawn: stored messages with the notes written
/// between them, then our messages still pending, each refused one followed by its reason.
#[derive(Clone)]
enum Row {
    Note(Note),
    /// `tick`: ours (the attendant side's), with how far it got.
    Message {
        m: MessageView,
        first: bool,
        tick: Option<Tick>,
    },
    Pending(Pending),
    Failed {
        client_id: ClientMessageId,
        why: String,
    },
}

/// What a row is drawn from: a row whose key is unchanged is not drawn again.
#[derive(Clone, PartialEq, Eq, Hash)]
enum RowKey {
    Note(NoteId),
    /// With how many files it shows: the server's copy of ours brings their links.
    Message(Seq, bool, Option<Tick>, usize),
    Pending(ClientMessageId, bool),
    Failed(ClientMessageId),
}

impl Row {
    fn key(&self) -> RowKey {
        match self {
            Row::Note(n) => RowKey::Note(n.id),
            Row::Message { m, first, tick } => {
                RowKey::Message(m.seq, *first, *tick, m.attachments.len())
            }
            Row::Pending(p) => RowKey::Pending(p.client_id, p.failed.is_some()),
            Row::Failed { client_id, .. } => RowKey::Failed(*client_id),
        }
    }
}

fn rows(th: &Thread, notes: Vec<Note>) -> Vec<Row> {
    let mut notes = notes.into_iter().peekable();
    let mut out = Vec::with_capacity(th.messages.len() + th.pending.len());
    let mut prev: Option<&MessageView> = None;
    for m in &th.messages {
        while let Some(n) = notes.next_if(|n| n.created_at <= m.timestamp) {
            out.push(Row::Note(n));
        }
        let first = !prev.is_some_and(|p| same_group(p, m));
        let tick = (m.from.party == Party::Attendant).then(|| th.tick(m.seq));
        out.push(Row::Message {
            m: m.clone(),
            first,
            tick,
        });
        prev = Some(m);
    }
    out.extend(notes.map(Row::Note));
    for p in &th.pending {
        out.push(Row::Pending(p.clone()));
        if let Some(why) = p.failed.clone() {
            out.push(Row::Failed {
                client_id: p.client_id,
                why,
            });
        }
    }
    out
}

/// Sends a refused message again, as a new message.
fn retry(ctx: Ctx, entry: Entry, failed: ClientMessageId) {
    let command = Command::Retry {
        conversation: entry.id,
        failed,
        client_id: ClientMessageId::new(),
    };
    live::command(ctx, command);
}

#[component]
fn Bubble(
    ours: bool,
    first: bool,
    name: String,
    text: String,
    time: String,
    tick: Option<Tick>,
    seq: u64,
    /// Drawn by the shared files code: thumbnails that open full size, download cards.
    files: Vec<AttachmentView>,
) -> impl IntoView {
    let files_el = NodeRef::<leptos::html::Div>::new();
    let has_files = !files.is_empty();
    Effect::new(move |_| {
        if let Some(el) = files_el.get() {
            crate::files::show(&el, &files);
        }
    });
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let (mark, label) = match tick {
        Some(Tick::Sending) => ("🕓", t.sending),
        Some(Tick::Failed) => ("!", t.failed),
        Some(Tick::Sent) => ("✓", t.sent),
        Some(Tick::Delivered) => ("✓✓", t.delivered),
        Some(Tick::Read) => ("✓✓", t.read),
        None => ("", ""),
    };
    let tick_class = match tick {
        Some(Tick::Read) => "ba-tick read",
        Some(Tick::Failed) => "ba-tick failed",
        _ => "ba-tick",
    };
    let class = match (ours, first) {
        (true, true) => "ba-msg ours first",
        (true, false) => "ba-msg ours",
        (false, true) => "ba-msg theirs first",
        (false, false) => "ba-msg theirs",
    };
    view! {
        <div class=class data-seq=seq data-testid={if ours { "message-ours" } else { "message-theirs" }}>
            {(first && !name.is_empty()).then(|| view! { <span class="ba-msg-name">{name}</span> })}
            // Text node, never markup: whatever the customer typed is shown as typed.
            {(!text.is_empty()).then(|| view! { <p class="ba-text" data-testid="message-text">{text}</p> })}
            {has_files.then(|| view! { <div class="ba-files" data-testid="message-files" node_ref=files_el></div> })}
            <span class="ba-msg-meta">
                <time>{time}</time>
                {tick.map(|_| view! { <span class=tick_class data-testid="tick" title=label aria-label=label>{mark}</span> })}
            </span>
        </div>
    }
}

/// What the holder of a conversation may do besides resolving it: call, transfer. The
/// queues are read once for both (are the queue's calls off? where may it go?).
#[component]
fn HolderTools(entry: Entry) -> impl IntoView {
    let queues = LocalResource::new(|| async {
        api::get::<Vec<QueueView>>("/api/queues")
            .await
            .unwrap_or_default()
    });
    view! {
        <CallButtons entry=entry queues=queues />
        <Transfer entry=entry queues=queues />
    }
}

/// "Voice call" and "Video call" for a conversation I hold, unless its queue has calls off
/// (the call itself is `crate::calls`' card).
#[component]
fn CallButtons(entry: Entry, queues: LocalResource<Vec<QueueView>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let allowed = move || {
        let queue = entry.view.with(|v| v.queue.clone());
        queues
            .get()
            .and_then(|qs| qs.into_iter().find(|q| q.id == queue))
            .is_some_and(|q| q.calls != CallPolicy::Off)
    };
    let button = move |media: CallMedia, label: &'static str, testid: &'static str| {
        view! {
            <button type="button" class="ba-call" data-testid=testid
                on:click=move |_| crate::calls::invite(entry.id, media)>
                {label}
            </button>
        }
    };
    view! {
        <Show when=allowed>
            {button(CallMedia::Voice, t.voice_call, "call-voice")}
            {button(CallMedia::Video, t.video_call, "call-video")}
        </Show>
    }
}

/// Transfer to a queue or to another attendant (online ones first).
#[component]
fn Transfer(entry: Entry, queues: LocalResource<Vec<QueueView>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let directory = LocalResource::new(|| async {
        let mut people = api::get::<Vec<AttendantDirectoryEntry>>("/api/attendants/directory")
            .await
            .unwrap_or_default();
        people.sort_by_key(|a| {
            (
                a.presence != chimpassist_protocol::Presence::Online,
                a.name.clone(),
            )
        });
        people
    });
    let data = move || Some((queues.get()?, directory.get()?));
    let me = ctx.me.with_untracked(|m| m.as_ref().map(|m| m.id.clone()));
    let on_change = move |ev| {
        let value = event_target_value(&ev);
        let to = if let Some(q) = value.strip_prefix("q:") {
            chimpassist_protocol::QueueId::parse(q)
                .ok()
                .map(TransferTarget::Queue)
        } else if let Some(a) = value.strip_prefix("a:") {
            chimpassist_protocol::AttendantId::parse(a)
                .ok()
                .map(TransferTarget::Attendant)
        } else {
            None
        };
        if let Some(to) = to {
            socket::send(&AttendantToServer::Transfer {
                conversation: entry.id,
                to,
            });
        }
    };
    view! {
        <select class="ba-transfer" data-testid="transfer" aria-label=t.transfer on:change=on_change>
            <option value="" selected>{t.transfer_to}</option>
            {move || data().map(|(queues, people)| {
                let me = me.clone();
                view! {
                    <optgroup label=t.to_queue>
                        {queues.into_iter().map(|q| view! {
                            <option value=format!("q:{}", q.id)>{q.name}</option>
                        }).collect_view()}
                    </optgroup>
                    <optgroup label=t.to_attendant>
                        {people.into_iter().filter(|a| Some(&a.id) != me.as_ref()).map(|a| {
                            let presence = match a.presence {
                                chimpassist_protocol::Presence::Online => t.online,
                                chimpassist_protocol::Presence::Away => t.away,
                                chimpassist_protocol::Presence::Offline => t.offline,
                            };
                            view! { <option value=format!("a:{}", a.id)>{format!("{} ({presence})", a.name)}</option> }
                        }).collect_view()}
                    </optgroup>
                }
            })}
        </select>
    }
}
