//! The visitor's context (see [`chimpassist_protocol::visit`]): a `page` frame from the
//! widget is parsed ([`parse`]), merged into what the store keeps for the customer
//! ([`merge`]) and shown live to the attendant holding their open conversation. The site's
//! attributes of the customer ([`set_attributes`]) travel the same way.
//!
//! Kept with the customer, not a conversation: the trail goes on across reloads and
//! conversations, and the desk shows it for whichever conversation of theirs is open.
//! One read and one write per report; reports come at page changes, so rarely.

mod parse;

use chimpassist_protocol::visit::MAX_TRAIL;
use chimpassist_protocol::{
    AttributeChanges, CustomerId, PageVisit, ServerToAttendant, TimestampMs, VisitView,
};

pub use parse::{Agent, Report};

use crate::bus::BusEvent;
use crate::delivery::publish;
use crate::error::AppResult;
use crate::state::AppState;
use crate::views::now_ms;

/// `visit` with `report` applied at `now`: a new address joins the trail (the oldest
/// leaves past [`MAX_TRAIL`]); the same address again (a reload, a changed title) only
/// renames it. What the report leaves out keeps its previous value.
pub fn merge(
    visit: Option<VisitView>,
    report: Report,
    agent: &Agent,
    now: TimestampMs,
) -> VisitView {
    let mut v = visit.unwrap_or_default();
    if let Some((url, title)) = report.page {
        match v.pages.last_mut() {
            Some(last) if last.url == url => {
                if !title.is_empty() {
                    last.title = title;
                }
            }
            _ => {
                v.pages.push(PageVisit {
                    url,
                    title,
                    at: now,
                });
                let over = v.pages.len().saturating_sub(MAX_TRAIL);
                v.pages.drain(..over);
            }
        }
    }
    v.referrer = report.referrer.or(v.referrer);
    v.browser = agent.browser.clone().or(v.browser);
    v.os = agent.os.clone().or(v.os);
    v.language = report.language.or(v.language);
    v.time_zone = report.time_zone.or(v.time_zone);
    v.utc_offset_minutes = report.utc_offset_minutes.or(v.utc_offset_minutes);
    v.updated_at = now;
    v
}

fn same_but_time(a: &VisitView, b: &VisitView) -> bool {
    VisitView {
        updated_at: b.updated_at,
        ..a.clone()
    } == *b
}

/// Keeps a customer's report and tells the attendant holding their open conversation (on
/// whichever node their socket is).
pub async fn record(
    state: &AppState,
    customer: &CustomerId,
    report: Report,
    agent: &Agent,
) -> AppResult<()> {
    let kept = state.store.customer_visit(customer).await?;
    let visit = merge(kept.clone(), report, agent, now_ms());
    // Nothing new (a reconnect on the same page): no write, nothing to tell.
    if kept.is_some_and(|k| same_but_time(&k, &visit)) {
        return Ok(());
    }
    state.store.set_customer_visit(customer, &visit).await?;
    if let Some(attendant) = state.coordinator.holder_of_customer(customer) {
        let frame = ServerToAttendant::Visit {
            customer: customer.clone(),
            visit,
        };
        publish(&state.delivery, BusEvent::Attendant { attendant, frame }).await;
    }
    Ok(())
}

/// Applies the site's changes to a customer's attributes, and tells the attendant holding
/// their open conversation. Refused whole (`invalid_field`) past the limits.
pub async fn set_attributes(
    state: &AppState,
    customer: &CustomerId,
    changes: &AttributeChanges,
) -> AppResult<()> {
    // The usual refusal, said clearly (`invalid_field`) before writing; the store merges
    // again atomically, so changes from two tabs at once both land.
    let kept = state.store.customer_attributes(customer).await?;
    if kept.merged(changes)? == kept {
        return Ok(());
    }
    let Some(attributes) = state
        .store
        .update_customer_attributes(customer, changes, now_ms())
        .await?
    else {
        return Ok(());
    };
    if let Some(attendant) = state.coordinator.holder_of_customer(customer) {
        let frame = ServerToAttendant::Attributes {
            customer: customer.clone(),
            attributes,
        };
        publish(&state.delivery, BusEvent::Attendant { attendant, frame }).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(url: &str, title: &str) -> Report {
        Report {
            page: Some((url.to_owned(), title.to_owned())),
            ..Report::default()
        }
    }

    #[test]
    fn the_trail_grows_by_new_addresses_and_keeps_the_newest() {
        let agent = Agent {
            browser: Some("Chrome 156".into()),
            os: Some("Linux".into()),
        };
        let mut first = report("https://s.example/", "Home");
        first.referrer = Some("https://search.example/".into());
        first.utc_offset_minutes = Some(-180);
        let v = merge(None, first, &agent, 10);
        let v = merge(
            Some(v),
            report("https://s.example/pricing", ""),
            &Agent::default(),
            20,
        );
        // The same address again: renamed, not repeated.
        let v = merge(
            Some(v),
            report("https://s.example/pricing", "Pricing"),
            &agent,
            30,
        );
        let trail: Vec<_> = v
            .pages
            .iter()
            .map(|p| (p.url.as_str(), p.title.as_str(), p.at))
            .collect();
        assert_eq!(
            trail,
            [
                ("https://s.example/", "Home", 10),
                ("https://s.example/pricing", "Pricing", 20)
            ]
        );
        assert_eq!(
            v.referrer.as_deref(),
            Some("https://search.example/"),
            "kept"
        );
        assert_eq!(
            v.utc_offset_minutes,
            Some(-180),
            "kept when not reported again"
        );
        assert_eq!(
            (v.browser.as_deref(), v.updated_at),
            (Some("Chrome 156"), 30)
        );

        let mut v = v;
        for i in 0..30 {
            v = merge(
                Some(v),
                report(&format!("https://s.example/{i}"), "p"),
                &agent,
                40 + i,
            );
        }
        assert_eq!(v.pages.len(), MAX_TRAIL);
        assert_eq!(v.pages.last().unwrap().url, "https://s.example/29");
        assert_eq!(v.pages[0].url, "https://s.example/10");
    }

    #[test]
    fn a_report_without_a_page_changes_only_the_rest() {
        let v = merge(
            None,
            report("https://s.example/", "Home"),
            &Agent::default(),
            1,
        );
        let clock = Report {
            time_zone: Some("Asia/Kolkata".into()),
            utc_offset_minutes: Some(330),
            ..Report::default()
        };
        let v = merge(Some(v), clock, &Agent::default(), 2);
        assert_eq!(v.pages.len(), 1);
        assert_eq!(v.time_zone.as_deref(), Some("Asia/Kolkata"));
    }
}
