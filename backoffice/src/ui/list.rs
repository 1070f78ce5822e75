//! The conversation lists: the waiting queue (with wait times and, for queues in manual
//! mode, "next customer"), then my conversations with customers online and offline.

use chimpassist_protocol::rest::QueueView;
use chimpassist_protocol::{AssignmentMode, AttendantToServer, ConversationId};
use leptos::prelude::*;

use super::Avatar;
use crate::board::Entry;
use crate::ctx::Ctx;
use crate::desk::Section;
use crate::format;
use crate::i18n::fill;
use crate::identity::Identity;
use crate::{api, live, socket};

#[component]
pub(crate) fn Lists() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let queues = LocalResource::new(|| api::get::<Vec<QueueView>>("/api/queues"));
    // "Next customer" is offered when one of my queues hands out conversations by hand.
    let manual = move || {
        let mine = ctx
            .me
            .with(|m| m.as_ref().map(|m| m.queues.clone()).unwrap_or_default());
        queues.with(|q| {
            q.as_ref().and_then(|r| r.as_ref().ok()).is_some_and(|qs| {
                qs.iter()
                    .any(|q| q.mode == AssignmentMode::Manual && mine.contains(&q.id))
            })
        })
    };
    let list = move |s: Section| {
        Memo::new(move |_| {
            ctx.me
                .with(|m| m.as_ref().map(|m| ctx.desk.list(m, s)).unwrap_or_default())
        })
    };
    // Each item asks "am I selected?" of one selector, which wakes only the two items whose
    // answer changes: a click redraws two items, not every item of a long list.
    let selected = ctx.desk.selected;
    provide_context(Selector::new(move || selected.get()));
    let waiting = list(Section::Waiting);
    let online = list(Section::Online);
    let offline = list(Section::Offline);
    let label = |custom: Option<String>, default: &'static str| {
        custom.unwrap_or_else(|| default.to_owned())
    };
    let online_label = label(
        ctx.config.with_value(|c| c.online_customers_label.clone()),
        t.online_customers,
    );
    let offline_label = label(
        ctx.config.with_value(|c| c.offline_customers_label.clone()),
        t.offline_customers,
    );
    view! {
        <div class="ba-list-scroll">
            <section class="ba-section ba-waiting" data-testid="waiting" aria-label=t.queue>
                <h2>{t.queue} <span class="ba-count">{move || waiting.with(Vec::len)}</span></h2>
                <Show when=manual>
                    <button type="button" class="ba-primary ba-next" data-testid="next-customer"
                        disabled=move || waiting.with(Vec::is_empty)
                        on:click=move |_| { socket::send(&AttendantToServer::NextCustomer { queue: None }); }>
                        {t.next_customer}
                    </button>
                </Show>
                <Items entries=waiting waiting=true empty=t.queue_empty />
            </section>
            <section class="ba-section ba-online" data-testid="online" aria-label=online_label.clone()>
                <h2>{online_label.clone()} <span class="ba-count">{move || online.with(Vec::len)}</span></h2>
                <Items entries=online waiting=false empty=t.nobody />
            </section>
            <section class="ba-section ba-offline" data-testid="offline" aria-label=offline_label.clone()>
                <h2>{offline_label.clone()} <span class="ba-count">{move || offline.with(Vec::len)}</span></h2>
                <Items entries=offline waiting=false empty=t.nobody />
            </section>
        </div>
    }
}

#[component]
fn Items(entries: Memo<Vec<Entry>>, waiting: bool, empty: &'static str) -> impl IntoView {
    view! {
        <Show when=move || !entries.with(Vec::is_empty)
            fallback=move || view! { <p class="ba-empty">{empty}</p> }>
            <ul class="ba-items">
                <For each=move || entries.get() key=|e| e.id
                    children=move |e| view! { <Item entry=e waiting=waiting /> } />
            </ul>
        </Show>
    }
}

#[component]
pub(crate) fn Item(entry: Entry, waiting: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().desk;
    let v = entry.view;
    let selection = expect_context::<Selector<Option<ConversationId>>>();
    let selected = move || selection.selected(&Some(entry.id));
    let unread = move || entry.thread.with(|t| t.unread());
    let last = move || {
        entry.thread.with(|th| {
            th.pending
                .last()
                .map(|p| p.text.as_str().to_owned())
                .or_else(|| th.messages.last().map(|m| m.text.as_str().to_owned()))
                .or_else(|| v.with(|v| v.subject.clone()))
                .map(|s| format::preview(&s, 80))
                .unwrap_or_default()
        })
    };
    let time = move || {
        let now = ctx.desk.now.get();
        if waiting {
            fill(
                t.waiting_for,
                format::elapsed(now - v.with(|v| v.requested_at)),
            )
        } else {
            let at = entry
                .thread
                .with(|th| th.messages.last().map(|m| m.timestamp))
                .unwrap_or_else(|| v.with(|v| v.assigned_at.unwrap_or(v.requested_at)));
            format::when(at, now, crate::env::tz_offset_min())
        }
    };
    let customer = v.with_untracked(|v| v.customer.clone());
    let identity = Identity::of(&customer);
    // Proven id, claimed name: the name says so when hovered.
    let name_title = identity.profile_claimed().then_some(t.claimed_hint);
    let mark = match identity {
        Identity::Profile => view! {
            <span class="ba-id verified" role="img" title=t.verified aria-label=t.verified>"✓"</span>
        }
        .into_any(),
        Identity::SiteId(id) => view! {
            <span class="ba-site-mark" title=t.site_id_verified>{fill(t.site_id_mark, id)}</span>
        }
        .into_any(),
        Identity::Unverified => view! {
            <span class="ba-id unverified" role="img" title=t.unverified aria-label=t.unverified>"?"</span>
        }
        .into_any(),
    };
    view! {
        <li class="ba-item" data-testid="conversation" class:selected=selected data-conversation=entry.id.to_string()>
            <button type="button" on:click=move |_| live::select(ctx, entry.id)>
                <Avatar name=customer.name.clone() url=customer.avatar_url.clone() />
                <span class="ba-item-main">
                    <span class="ba-item-top">
                        <span class="ba-name" data-testid="customer-name" title=name_title>{move || v.with(|v| v.customer.name.clone())}</span>
                        {mark}
                        // Waiting, but with a bot answering: not for people yet.
                        {move || v.with(|v| v.bot.clone()).map(|bot| view! {
                            <span class="ba-bot-tag" data-testid="bot-tag" title=bot.clone()>{t.bot}</span>
                        })}
                        <span class="ba-time" data-testid="time">{time}</span>
                    </span>
                    <span class="ba-item-bottom">
                        {move || if entry.typing.get() {
                            view! { <span class="ba-typing">{t.typing}</span> }.into_any()
                        } else {
                            view! { <span class="ba-last">{last}</span> }.into_any()
                        }}
                        <Show when=move || { unread() > 0 }>
                            <span class="ba-unread" aria-label="unread">{unread}</span>
                        </Show>
                    </span>
                </span>
            </button>
        </li>
    }
}
