//! The callbacks list of the admin pages: which requests to show, the paged
//! `GET /api/callbacks` query, and pages put together.

use crate::format::query_component;

/// Callbacks asked for per page.
pub const PAGE: u32 = 50;

/// Which callback requests to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    /// Not done yet (the server's default).
    #[default]
    Open,
    Done,
    All,
}

impl Filter {
    pub const ALL: [Filter; 3] = [Filter::Open, Filter::Done, Filter::All];

    /// The `state` of the query, and the value of the page's `<select>`.
    pub fn wire(self) -> &'static str {
        match self {
            Filter::Open => "open",
            Filter::Done => "done",
            Filter::All => "all",
        }
    }

    pub fn parse(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.wire() == wire)
    }
}

/// `GET /api/callbacks` for one page: the newest one, or the one after cursor `before` (the
/// previous page's `next`).
pub fn path(filter: Filter, before: Option<&str>) -> String {
    let mut path = format!("/api/callbacks?state={}&limit={PAGE}", filter.wire());
    if let Some(before) = before {
        path.push_str("&before=");
        path.push_str(&query_component(before));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_and_default_to_open() {
        for f in Filter::ALL {
            assert_eq!(Filter::parse(f.wire()), Some(f));
        }
        assert_eq!(Filter::default(), Filter::Open);
        assert_eq!(Filter::parse("closed"), None);
    }

    #[test]
    fn the_first_page_has_no_cursor_and_later_ones_pass_next_encoded() {
        assert_eq!(
            path(Filter::Open, None),
            "/api/callbacks?state=open&limit=50"
        );
        assert_eq!(
            path(Filter::All, Some("1700000000000_0b7c")),
            "/api/callbacks?state=all&limit=50&before=1700000000000_0b7c"
        );
        assert_eq!(
            path(Filter::Done, Some("a&b=c d/é")),
            "/api/callbacks?state=done&limit=50&before=a%26b%3Dc%20d%2F%C3%A9"
        );
    }
}
