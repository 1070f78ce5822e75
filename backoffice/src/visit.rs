//! The visitor's context as the panel shows it, from a [`VisitView`]: which of two views is
//! the newer (a REST answer may arrive after a live frame), how a page is named, and the
//! visitor's local time. Pure, so tested natively; the section itself is `ui::visit`.

use chimpassist_protocol::{PageVisit, TimestampMs, VisitView};

use crate::format;

/// `live` if it is at least as recent as `kept`: a snapshot read over REST must not
/// replace a newer `visit` frame that overtook it.
pub fn newer(kept: Option<VisitView>, live: VisitView) -> VisitView {
    match kept {
        Some(k) if k.updated_at > live.updated_at => k,
        _ => live,
    }
}

/// A page as a line of the trail: its title, or its address without the scheme when it
/// has none.
pub fn page_label(page: &PageVisit) -> String {
    let title = page.title.trim();
    if title.is_empty() {
        short_url(&page.url)
    } else {
        title.to_owned()
    }
}

/// `shop.example/pricing` for `https://shop.example/pricing`.
pub fn short_url(url: &str) -> String {
    let bare = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    bare.strip_suffix('/').unwrap_or(bare).to_owned()
}

/// The visitor's clock now (`14:05`), with their time zone's name when known:
/// `14:05 (America/Sao_Paulo)`. `None` when the widget never said its offset.
pub fn local_time(visit: &VisitView, now: TimestampMs) -> Option<String> {
    let offset = visit.utc_offset_minutes?;
    let clock = format::clock(now, i32::from(offset));
    Some(match &visit.time_zone {
        Some(zone) => format!("{clock} ({zone})"),
        None => clock,
    })
}

/// `Chrome 156 · Linux`, or whichever of the two is known.
pub fn agent(visit: &VisitView) -> Option<String> {
    let parts: Vec<&str> = [visit.browser.as_deref(), visit.os.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(updated_at: TimestampMs) -> VisitView {
        VisitView {
            updated_at,
            ..VisitView::default()
        }
    }

    #[test]
    fn an_older_snapshot_does_not_replace_a_newer_frame() {
        assert_eq!(newer(Some(visit(20)), visit(10)).updated_at, 20);
        assert_eq!(newer(Some(visit(10)), visit(20)).updated_at, 20);
        assert_eq!(newer(None, visit(5)).updated_at, 5);
    }

    #[test]
    fn pages_are_named_by_title_else_by_address() {
        let mut p = PageVisit {
            url: "https://shop.example/pricing".into(),
            title: " Pricing – Shop ".into(),
            at: 0,
        };
        assert_eq!(page_label(&p), "Pricing – Shop");
        p.title.clear();
        assert_eq!(page_label(&p), "shop.example/pricing");
        assert_eq!(short_url("http://shop.example/"), "shop.example");
    }

    #[test]
    fn the_visitors_clock_is_their_offset_from_utc() {
        // 2023-11-14 22:13:20 UTC.
        let now = 1_700_000_000_000;
        let mut v = visit(0);
        assert_eq!(local_time(&v, now), None);
        v.utc_offset_minutes = Some(-180);
        assert_eq!(local_time(&v, now).as_deref(), Some("19:13"));
        v.utc_offset_minutes = Some(330);
        v.time_zone = Some("Asia/Kolkata".into());
        assert_eq!(local_time(&v, now).as_deref(), Some("03:43 (Asia/Kolkata)"));
        assert_eq!(agent(&v), None);
        v.os = Some("Linux".into());
        assert_eq!(agent(&v).as_deref(), Some("Linux"));
        v.browser = Some("Chrome 156".into());
        assert_eq!(agent(&v).as_deref(), Some("Chrome 156 · Linux"));
    }
}
