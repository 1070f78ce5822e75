//! The panel's visit and attributes sections. The visit: where the visitor is on the site
//! now, the trail of pages before, their clock, browser, language and where they came from.
//! The attributes: what the site says about them. Each is read once over REST when the
//! panel shows the customer, then kept current by `visit` / `attributes` frames (see
//! [`crate::visit`] for the rules). Addresses are shown as text and linked only as the
//! server keeps them (`http(s)` addresses); titles and values are text, never markup.

use chimpassist_protocol::{Attributes, CustomerId, VisitView};
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::visit::{agent, local_time, newer, page_label, short_url};
use crate::{api, format};

#[component]
pub(super) fn VisitSection(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let visit = RwSignal::new(None::<VisitView>);
    let path = format!(
        "/api/customers/{}/visit",
        format::query_component(id.as_str())
    );
    leptos::task::spawn_local(async move {
        if let Ok(Some(read)) = api::get::<Option<VisitView>>(&path).await {
            visit.try_update(|v| *v = Some(newer(Some(read), v.take().unwrap_or_default())));
        }
    });
    Effect::new(move |_| {
        if let Some((customer, live)) = ctx.visit.get()
            && customer == id
        {
            visit.update(|v| *v = Some(newer(v.take(), live)));
        }
    });
    view! {
        <section class="ba-panel-section ba-visit" aria-label=t.visit>
            <h3>{t.visit}</h3>
            {move || match visit.get() {
                None => view! { <p class="ba-empty">{t.no_visit}</p> }.into_any(),
                Some(v) => view! { <Visit visit=v /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Visit(visit: VisitView) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let now_on = visit.current().cloned();
    let offset = crate::env::tz_offset_min();
    let clock = {
        let v = visit.clone();
        move || local_time(&v, ctx.desk.now.get())
    };
    let row = |name: &'static str, class: &'static str, value: Option<String>| {
        value.map(|value| {
            view! {
                <div class="ba-kv-row">
                    <dt>{name}</dt>
                    <dd class=class>{value}</dd>
                </div>
            }
        })
    };
    // Newest first, the current page included (with its arrival time).
    let trail: Vec<_> = visit.pages.iter().rev().cloned().collect();
    view! {
        <dl class="ba-kv">
            {now_on.map(|p| view! {
                <div class="ba-kv-row">
                    <dt>{t.now_on}</dt>
                    <dd class="ba-visit-now">
                        <a href=p.url.clone() target="_blank" rel="noopener noreferrer"
                            title=p.url.clone()>{page_label(&p)}</a>
                    </dd>
                </div>
            })}
            {move || row(t.local_time, "ba-visit-clock", clock())}
            {row(t.browser, "ba-visit-agent", agent(&visit))}
            {row(t.language, "ba-visit-language", visit.language.clone())}
            {row(t.came_from, "ba-visit-referrer", visit.referrer.as_deref().map(short_url))}
        </dl>
        {(trail.len() > 1).then(|| view! {
            <details class="ba-visit-trail" open>
                <summary>{format!("{} ({})", t.pages, trail.len())}</summary>
                <ol>
                    {trail.into_iter().map(|p| view! {
                        <li class="ba-visit-page">
                            <span class="ba-visit-at">{format::clock(p.at, offset)}</span> " "
                            <span class="ba-visit-title" title=p.url.clone()>{page_label(&p)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            </details>
        })}
    }
}

/// What the site says about the customer (`setAttributes`, or its signed token), by name;
/// hidden while there is nothing. Read once over REST, then kept by `attributes` frames (a
/// frame that arrived first is not overwritten by the older read).
#[component]
pub(super) fn AttributesSection(id: CustomerId) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().panel;
    let shown = RwSignal::new(Attributes::default());
    let live = RwSignal::new(false);
    let path = format!(
        "/api/customers/{}/attributes",
        format::query_component(id.as_str())
    );
    leptos::task::spawn_local(async move {
        if let Ok(read) = api::get::<Attributes>(&path).await
            && !live.get_untracked()
        {
            shown.try_set(read);
        }
    });
    // Only frames that arrive while the panel is open: the one kept from before may be
    // older than the REST read.
    Effect::new(move |opened: Option<()>| {
        let newest = ctx.attributes.get();
        if opened.is_some()
            && let Some((customer, attributes)) = newest
            && customer == id
        {
            live.set(true);
            shown.set(attributes);
        }
    });
    move || {
        let attributes = shown.get();
        (!attributes.is_empty()).then(|| {
            view! {
                <section class="ba-panel-section ba-attributes" aria-label=t.attributes>
                    <h3>{t.attributes}</h3>
                    <dl class="ba-kv">
                        {attributes.iter().map(|(name, value)| view! {
                            <div class="ba-kv-row" data-attribute=name.clone()>
                                <dt>{name.clone()}</dt>
                                <dd class="ba-attribute-value">{Attributes::display(value)}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                </section>
            }
        })
    }
}
