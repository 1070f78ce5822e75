//! The desk right now (`GET /api/reports/live`): who waits, what is in progress, who is
//! available, the longest wait. Read when the page opens and every 15 seconds while it is
//! open and visible; the timer stops with the page.
//!
//! Why polled and not pushed: the socket carries the desk's own conversations, not desk-wide
//! counts, and a quarter-minute is fresh enough for a manager's glance.

use std::time::Duration;

use chimpassist_protocol::report::LiveSnapshot;
use leptos::prelude::*;

use crate::ctx::Ctx;
use crate::reports::numbers::duration;
use crate::{api, env};

const EVERY: Duration = Duration::from_secs(15);

#[component]
pub(super) fn LiveStrip() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let t = &ctx.t().reports;
    let snapshot = RwSignal::new(None::<LiveSnapshot>);
    let read = move || {
        leptos::task::spawn_local(async move {
            // Failing quietly: the strip keeps its last numbers (or stays hidden) and the
            // next tick tries again; the page's own errors say what is wrong.
            if let Ok(s) = api::get::<LiveSnapshot>("/api/reports/live").await {
                snapshot.set(Some(s));
            }
        });
    };
    read();
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !env::hidden() {
                read();
            }
        },
        EVERY,
    ) {
        on_cleanup(move || handle.clear());
    }
    move || {
        snapshot.get().map(|s| {
            let longest = if s.longest_wait_ms > 0 {
                duration(s.longest_wait_ms)
            } else {
                "—".to_owned()
            };
            let items = [
                ("waiting", t.waiting_now, s.waiting.to_string()),
                ("active", t.active_now, s.active.to_string()),
                ("online", t.online, s.online.to_string()),
                ("busy", t.busy, s.busy.to_string()),
                ("away", t.away, s.away.to_string()),
                ("longest_wait", t.longest_wait, longest),
            ];
            view! {
                <section class="ba-live" aria-label=t.live data-testid="report-live">
                    <h2>{t.live}</h2>
                    <dl>
                        {items.into_iter().map(|(key, label, value)| view! {
                            <div class="ba-live-item" data-live=key>
                                <dt>{label}</dt>
                                <dd>{value}</dd>
                            </div>
                        }).collect_view()}
                    </dl>
                </section>
            }
        })
    }
}
