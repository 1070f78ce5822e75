//! The visitor's context: which page of the site they are on (and were on), with which
//! browser, language and clock. The widget reports it on its socket (`page` frames); the
//! server keeps it with the customer and shows it to attendants (`visit` frames and
//! `GET /api/customers/{id}/visit`).
//!
//! The frame's fields are plain text here: the server parses them (URLs, lengths, the
//! site's `PAGE_TRACKING` setting) before anything is kept, and the widget never builds
//! one in Rust (its page helper writes the frame in JavaScript).

use serde::{Deserialize, Serialize};

use crate::ids::TimestampMs;

/// Most pages a visit's trail keeps (the newest).
pub const MAX_TRAIL: usize = 20;

/// How much of the visitor's pages the server asks the widget for (`PAGE_TRACKING`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PageTracking {
    /// Nothing about pages is sent or kept (browser, language and clock still are).
    Off,
    /// Origin and path: query strings and fragments stay in the browser, since they often
    /// carry tokens, e-mail addresses or search terms.
    #[default]
    Path,
    /// The whole address, query and fragment included.
    Full,
}

impl PageTracking {
    pub fn is_path(&self) -> bool {
        *self == Self::Path
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "off" => Some(Self::Off),
            "path" => Some(Self::Path),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}

/// A `page` frame's fields, as the widget sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageReport {
    /// `http(s)` address, cut by the widget as `page_tracking` says (the server cuts it
    /// again); empty when it is `off`.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// `navigator.language`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The IANA time zone the browser uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Minutes east of UTC now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<i32>,
}

/// One page the visitor was on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageVisit {
    /// `http(s)` address, cut as [`PageTracking`] says.
    pub url: String,
    #[serde(default)]
    pub title: String,
    /// When the visitor arrived on it (server time).
    pub at: TimestampMs,
}

/// What the desk knows of a visitor's visit: the newest state of everything the widget
/// reported, and the trail of pages (oldest first, at most [`MAX_TRAIL`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    #[serde(default)]
    pub pages: Vec<PageVisit>,
    /// The page of another site that led here, if the browser told it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// From the socket's `User-Agent`, e.g. `Chrome 156`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// From the socket's `User-Agent`, e.g. `Windows 10`, `iPhone 17.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The browser's language (BCP 47), e.g. `pt-BR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// IANA name, e.g. `America/Sao_Paulo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Minutes east of UTC when last reported, so the desk can show the visitor's local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i16>,
    /// When it last changed (server time).
    pub updated_at: TimestampMs,
}

impl VisitView {
    /// The page the visitor is on now (the newest reported).
    pub fn current(&self) -> Option<&PageVisit> {
        self.pages.last()
    }
}
