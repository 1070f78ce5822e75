//! The customer panel, the right-hand column of the attendant screen: who the customer of
//! the selected conversation is, the site's contact info, additional info and statistics
//! (through the server's statistics proxy), and the customer's conversations.
//!
//! Everything in it belongs to one customer: selecting a conversation of another customer
//! rebuilds the sections, and with them their requests. Whatever the site's endpoints answer
//! is shown as text (links only for `http(s)` URLs), never as markup.

use chimpassist_protocol::{ConversationView, CustomerId, CustomerView};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Avatar;
use super::chart::LineChart;
use crate::api::{self, ApiResult};
use crate::ctx::Ctx;
use crate::i18n::{PanelTexts, fill};
use crate::identity::Identity;
use crate::stats::{self, Range, StatValue, Statistic};
use crate::{env, format, live};

#[component]
pub(crate) fn CustomerPanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let customer = Memo::new(move |_| {
        ctx.desk
            .selected_entry()
            .map(|e| e.view.with(|v| v.customer.clone()))
    });
    let id = Memo::new(move |_| customer.with(|c| c.as_ref().map(|c| c.id.clone())));
    view! {
        <aside class="ba-panel" aria-label=t.panel>
            {move || match id.get() {
                None => view! { <p class="ba-placeholder">{t.no_customer}</p> }.into_any(),
                Some(id) => view! { <Customer id=id customer=customer /> }.into_any(),
            }}
        </aside>
    }
}

/// The panel of one customer; rebuilt (and so re-fetched) when the customer changes.
#[component]
fn Customer(id: CustomerId, customer: Memo<Option<CustomerView>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    // The site's endpoints know customers by their site id: without one there is nothing to
    // ask (the server would answer 404 three times).
    let has_site_id = customer.with_untracked(|c| {
        c.as_ref()
            .and_then(|c| c.external_id.as_deref())
            .is_some_and(|x| !x.trim().is_empty())
    });
    let off = if !ctx.config.with_value(|c| c.statistics_configured) {
        Some(t.not_configured)
    } else if !has_site_id {
        Some(t.no_site_id)
    } else {
        None
    };
    let site = match off {
        None => {
            let (contact, additional, statistics) = (id.clone(), id.clone(), id.clone());
            view! {
                <Section class="ba-contact" title=t.contact><Contact id=contact /></Section>
                <Section class="ba-additional" title=t.additional><Additional id=additional /></Section>
                <Section class="ba-statistics" title=t.statistics><Statistics id=statistics /></Section>
            }
            .into_any()
        }
        // Not even asked. One line says so for the three sections.
        Some(why) => view! {
            <section class="ba-panel-section ba-site-off">
                <p class="ba-panel-off">{why}</p>
            </section>
        }
        .into_any(),
    };
    let visit = id.clone();
    view! {
        <Header customer=customer />
        <super::visit::VisitSection id=visit />
        <super::visit::AttributesSection id=id.clone() />
        {site}
        <Section class="ba-previous" title=t.previous><Previous id=id /></Section>
    }
}

#[component]
fn Section(class: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class=format!("ba-panel-section {class}") aria-label=title>
            <h3>{title}</h3>
            {children()}
        </section>
    }
}

#[component]
fn Header(customer: Memo<Option<CustomerView>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    move || {
        customer.get().map(|c| {
            let identity = Identity::of(&c);
            // The mark by the name: the whole profile proven, or nothing proven. With only the
            // id proven the ✓ goes by the id, and the name and e-mail say they are claims.
            let name_mark = match identity {
                Identity::Profile => Some(("✓", "ba-id verified", t.verified)),
                Identity::SiteId(_) => None,
                Identity::Unverified => Some(("?", "ba-id unverified", t.unverified)),
            };
            let claimed = identity.profile_claimed();
            let claim = move || {
                claimed.then(|| {
                    view! { " " <span class="ba-claim" title=t.claimed_hint>{t.claimed}</span> }
                })
            };
            let email = c.email.filter(|e| !e.trim().is_empty());
            let site_id = c.external_id.filter(|e| !e.trim().is_empty());
            let admin = ctx.is_admin();
            view! {
                <header class="ba-panel-head">
                    <Avatar name=c.name.clone() url=c.avatar_url.clone() />
                    <div class="ba-panel-who">
                        <h2 class="ba-panel-name">
                            <span>{c.name.clone()}</span> " "
                            {name_mark.map(|(mark, class, title)| view! {
                                <span class=class role="img" title=title aria-label=title>{mark}</span>
                            })}
                            {claim()}
                        </h2>
                        {email.map(|e| view! { <p class="ba-panel-email">{e}{claim()}</p> })}
                        {site_id.map(|x| view! {
                            <p class="ba-panel-site">
                                {t.site_id} ": " <span class="ba-panel-site-id">{x}</span>
                                {claimed.then(|| view! {
                                    " " <span class="ba-id verified" role="img" title=t.site_id_verified
                                        aria-label=t.site_id_verified>"✓"</span>
                                })}
                            </p>
                        })}
                        {admin.then(|| view! { <DataRights id=c.id.clone() name=c.name.clone() /> })}
                    </div>
                </header>
            }
        })
    }
}

/// Admins' data-rights actions on the customer: export (a download) and erase (asked first).
#[component]
fn DataRights(id: CustomerId, name: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let path = format!("/api/contacts/{}", format::query_component(id.as_str()));
    let asking = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let target = StoredValue::new(path.clone());
    let question = StoredValue::new(fill(t.confirm_erase, &name));
    let erase = move |()| {
        asking.set(false);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::delete(&target.get_value()).await;
            busy.set(false);
            ctx.notice.set(Some(match answer {
                Ok(()) => t.erased.to_owned(),
                Err(e) => e.message,
            }));
        });
    };
    view! {
        <p class="ba-panel-export">
            <a class="panel-export" download title=t.export_hint href=format!("{path}/export")>
                {t.export}
            </a>
            " · "
            <button type="button" class="ba-link panel-erase"
                disabled=move || busy.get() on:click=move |_| asking.set(true)>{t.erase}</button>
        </p>
        <Show when=move || asking.get()>
            <super::admin::Confirm question=question.get_value() yes=t.erase
                on_yes=erase on_no=move |()| asking.set(false) />
        </Show>
    }
}

/// One section's data from `path()`: fetched again when the path changes or on retry, and
/// reading as still loading until the answer for the current path and attempt is in. A
/// refresh fetches again but keeps showing the current answer meanwhile.
struct Fetch<T: 'static> {
    key: Memo<(String, u32)>,
    attempt: RwSignal<u32>,
    refresh: RwSignal<u32>,
    data: LocalResource<((String, u32), ApiResult<T>)>,
}

impl<T: 'static> Clone for Fetch<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Fetch<T> {}

impl<T: DeserializeOwned + Clone + 'static> Fetch<T> {
    fn new(path: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let (attempt, refresh) = (RwSignal::new(0), RwSignal::new(0));
        let key = Memo::new(move |_| (path(), attempt.get()));
        let data = LocalResource::new(move || {
            let key = key.get();
            refresh.track();
            async move {
                let answer = api::get::<T>(&key.0).await;
                (key, answer)
            }
        });
        Fetch {
            key,
            attempt,
            refresh,
            data,
        }
    }

    /// `None` while loading.
    fn state(&self) -> Option<ApiResult<T>> {
        let key = self.key.get();
        self.data
            .get()
            .and_then(|(k, answer)| (k == key).then_some(answer))
    }

    fn retry(&self) {
        self.attempt.update(|n| *n += 1);
    }

    fn refresh(&self) {
        self.refresh.update(|n| *n += 1);
    }
}

/// A section's body: loading, the rendered answer, why the site was not asked (`site`: a
/// section fed by the site's endpoints), or the failure with a retry button. `render` gives
/// `None` for an answer of the wrong shape.
fn body<T: DeserializeOwned + Clone + 'static>(
    fetch: Fetch<T>,
    site: bool,
    failed: &'static str,
    render: impl Fn(T) -> Option<AnyView> + Send + 'static,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let failure = move |reason: String| {
        view! {
            <p class="ba-panel-error" role="alert">
                <span>{fill(failed, reason)}</span> " "
                <button type="button" class="ba-link ba-retry" on:click=move |_| fetch.retry()>{t.retry}</button>
            </p>
        }
        .into_any()
    };
    move || match fetch.state() {
        None => view! {
            <p class="ba-panel-loading" role="status" aria-busy="true">{t.loading}</p>
        }
        .into_any(),
        // Refused rather than failed (no endpoint, no verified site id, not mine to see):
        // said plainly, with nothing to retry.
        Some(Err(e)) => match t.refusal(e.status, e.code).filter(|_| site) {
            Some(why) => view! { <p class="ba-panel-off">{why}</p> }.into_any(),
            None => failure(e.message),
        },
        Some(Ok(answer)) => render(answer).unwrap_or_else(|| failure(t.unexpected.to_owned())),
    }
}

fn empty(text: &'static str) -> AnyView {
    view! { <p class="ba-empty">{text}</p> }.into_any()
}

fn info_path(id: &CustomerId, kind: &str) -> String {
    format!("/api/customers/{}/{kind}", api::enc(id.as_str()))
}

#[component]
fn Contact(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let fetch = Fetch::<Value>::new(move || info_path(&id, "contactInfo"));
    body(fetch, true, t.contact_failed, move |answer| {
        let rows = stats::parse_contact(&answer)?;
        Some(if rows.is_empty() {
            empty(t.no_contact)
        } else {
            view! {
                <dl class="ba-kv">
                    {rows.into_iter().map(|(name, value)| view! { <ContactRow name=name value=value /> }).collect_view()}
                </dl>
            }
            .into_any()
        })
    })
}

#[component]
fn ContactRow(name: String, value: String) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let copied = RwSignal::new(false);
    let label = fill(t.copy_value, &name);
    let text = value.clone();
    let copy = move |_| {
        env::copy_to_clipboard(&text);
        copied.set(true);
        set_timeout(
            move || {
                copied.try_set(false);
            },
            std::time::Duration::from_millis(1500),
        );
    };
    view! {
        <div class="ba-kv-row">
            <dt>{name}</dt>
            <dd>
                <span class="ba-kv-value">{value}</span>
                <button type="button" class="ba-copy" class:copied=move || copied.get()
                    title=label.clone() aria-label=label on:click=copy>
                    {move || if copied.get() { t.copied } else { t.copy }}
                </button>
            </dd>
        </div>
    }
}

#[component]
fn Additional(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let fetch = Fetch::<Value>::new(move || info_path(&id, "additionalInfo"));
    body(fetch, true, t.additional_failed, move |answer| {
        let items = stats::parse_additional(&answer)?;
        Some(if items.is_empty() {
            empty(t.no_additional)
        } else {
            view! {
                <ul class="ba-info">
                    {items.into_iter().map(|i| {
                        // An icon that does not load takes no room.
                        let broken = RwSignal::new(false);
                        view! {
                            <li class="ba-info-row">
                                {i.icon.map(|src| view! {
                                    <img class="ba-info-icon" src=src alt="" width="16" height="16"
                                        loading="lazy" referrerpolicy="no-referrer"
                                        hidden=move || broken.get() on:error=move |_| broken.set(true) />
                                })}
                                <span class="ba-info-label">{i.label}</span>
                                <span class="ba-info-value">{i.value}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        })
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    Day,
    Week,
    Custom,
}

#[component]
fn Statistics(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let period = RwSignal::new(Period::Day);
    // The custom period starts as the last 24 hours, in the attendant's own time.
    let (now, offset) = (env::now_ms(), env::tz_offset_min());
    let start = RwSignal::new(stats::input_value(now - 86_400_000, offset));
    let end = RwSignal::new(stats::input_value(now, offset));
    let custom = Memo::new(move |_| Range::custom(&start.get(), &end.get()));
    // A custom period being typed (or backwards) keeps the previous answer on screen.
    let range = Memo::new(move |prev: Option<&Range>| match period.get() {
        Period::Day => Range::Day,
        Period::Week => Range::Week,
        Period::Custom => custom.get().or_else(|| prev.cloned()).unwrap_or(Range::Day),
    });
    let fetch = Fetch::<Value>::new(move || {
        format!(
            "{}?{}",
            info_path(&id, "statistics"),
            range.with(Range::query)
        )
    });
    let on_period = move |ev| {
        period.set(match event_target_value(&ev).as_str() {
            "7d" => Period::Week,
            "custom" => Period::Custom,
            _ => Period::Day,
        });
    };
    let is_custom = move || period.get() == Period::Custom;
    // Set as a property: a rebuilt panel must not keep a previous select's choice.
    let period_value = move || match period.get() {
        Period::Day => "24h",
        Period::Week => "7d",
        Period::Custom => "custom",
    };
    view! {
        <div class="ba-range">
            <select class="ba-range-select" aria-label=t.period on:change=on_period prop:value=period_value>
                <option value="24h">{t.last_24h}</option>
                <option value="7d">{t.last_7d}</option>
                <option value="custom">{t.custom}</option>
            </select>
            <Show when=is_custom>
                <div class="ba-range-custom">
                    <label>
                        <span>{t.from}</span>
                        <input type="datetime-local" class="ba-range-start" prop:value=move || start.get()
                            on:change=move |ev| start.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        <span>{t.to}</span>
                        <input type="datetime-local" class="ba-range-end" prop:value=move || end.get()
                            on:change=move |ev| end.set(event_target_value(&ev)) />
                    </label>
                </div>
                <Show when=move || custom.with(Option::is_none)>
                    <p class="ba-error ba-range-bad" role="alert">{t.bad_range}</p>
                </Show>
            </Show>
        </div>
        {body(fetch, true, t.statistics_failed, move |answer| {
            let list = stats::parse_statistics(&answer)?;
            Some(if list.is_empty() {
                empty(t.no_statistics)
            } else {
                view! {
                    <ul class="ba-stats">{list.into_iter().map(|s| statistic(t, s)).collect_view()}</ul>
                }
                .into_any()
            })
        })}
    }
}

/// One statistic: `li.ba-stat[data-shape]` with its label and its value drawn by shape.
fn statistic(t: &'static PanelTexts, s: Statistic) -> AnyView {
    let (shape, value) = match s.value {
        StatValue::Text(text) => ("scalar", view! { <span class="ba-stat-value">{text}</span> }.into_any()),
        StatValue::Bool(b) => (
            "scalar",
            view! { <span class="ba-stat-value">{if b { t.yes } else { t.no }}</span> }.into_any(),
        ),
        StatValue::Empty => (
            "empty",
            view! { <span class="ba-stat-value ba-stat-none">{t.no_data}</span> }.into_any(),
        ),
        StatValue::Unsupported => (
            "unsupported",
            view! { <span class="ba-stat-value ba-stat-unsupported">{t.unsupported}</span> }.into_any(),
        ),
        StatValue::Links(links) => (
            "links",
            view! {
                <ul class="ba-stat-links">
                    {links.into_iter().map(|l| if l.safe {
                        view! {
                            <li><a class="ba-stat-link" href=l.url target="_blank" rel="noopener noreferrer">{l.label}</a></li>
                        }.into_any()
                    } else {
                        // Not a web address: shown, never followed.
                        let text = if l.label == l.url { l.label } else { format!("{} ({})", l.label, l.url) };
                        view! { <li><span class="ba-stat-link-text">{text}</span></li> }.into_any()
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        ),
        StatValue::Chart(series) => {
            let label = if s.label.is_empty() { t.chart.to_owned() } else { s.label.clone() };
            ("chart", view! { <LineChart label=label series=series /> }.into_any())
        }
    };
    view! {
        <li class="ba-stat" data-shape=shape>
            <span class="ba-stat-label">{s.label}</span>
            {value}
        </li>
    }
    .into_any()
}

#[component]
fn Previous(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let fetch = Fetch::<Vec<ConversationView>>::new(move || {
        format!("{}?limit=10", info_path(&id, "conversations"))
    });
    // Statuses move on (resolved, reopened, a new conversation): read the list again when
    // the selected conversation, or its status, changes.
    let selected = Memo::new(move |_| {
        ctx.desk
            .selected_entry()
            .map(|e| (e.id, e.view.with(|v| v.status)))
    });
    Effect::new(move |seen: Option<()>| {
        selected.track();
        if seen.is_some() {
            fetch.refresh();
        }
    });
    body(fetch, false, t.previous_failed, move |list| {
        Some(if list.is_empty() {
            empty(t.no_previous)
        } else {
            view! {
                <ul class="ba-previous-list">
                    {list.into_iter().map(|c| view! { <PreviousItem conversation=c /> }).collect_view()}
                </ul>
            }
            .into_any()
        })
    })
}

#[component]
fn PreviousItem(conversation: ConversationView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let id = conversation.id;
    let current = move || ctx.desk.selected.get() == Some(id);
    let when = format::date_time(conversation.requested_at, env::tz_offset_min());
    let status = (ctx.t().desk.status)(conversation.status);
    let who = conversation
        .attendant
        .as_ref()
        .map_or_else(|| t.no_attendant.to_owned(), |a| a.name.clone());
    let subject = conversation
        .subject
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| format::preview(s, 80));
    let rating = conversation.rating.clone().map(|r| {
        let score = usize::from(r.score.clamp(1, 5));
        let stars = format!("{}{}", "★".repeat(score), "☆".repeat(5 - score));
        let rated = fill(t.rated, score);
        let comment = r.comment.filter(|c| !c.trim().is_empty());
        view! {
            <span class="ba-prev-csat">
                <span class="ba-stars" role="img" title=rated.clone() aria-label=rated>{stars}</span>
                {comment.map(|c| view! { <span class="ba-prev-comment">{format!("“{c}”")}</span> })}
            </span>
        }
    });
    let label = fill(t.open, &when);
    view! {
        <li class="ba-prev" class:current=current data-conversation=id.to_string()>
            <button type="button" class="ba-prev-open" title=label
                aria-current=move || current().then_some("true")
                on:click=move |_| live::open(ctx, conversation.clone())>
                <span class="ba-prev-top">
                    <time class="ba-prev-date">{when}</time>
                    <span class="ba-prev-status">{status}</span>
                </span>
                <span class="ba-prev-attendant">{who}</span>
                {subject.map(|s| view! { <span class="ba-prev-subject">{s}</span> })}
                {rating}
                <Show when=current>
                    <span class="ba-prev-here">{t.this_conversation}</span>
                </Show>
            </button>
        </li>
    }
}
