//! Proactive messages ("greetings"): rules an admin writes, such as "on `/pricing*`, after
//! 30 s on the page, once a day, only when someone is online, say *Questions about plans?*".
//!
//! The loader fetches the enabled rules in one small cached request (`GET /api/greetings`)
//! and, only when there are some, a tiny script that times them and draws the greeting
//! above the launcher, without loading the chat. The visitor's answer starts a
//! conversation whose first message is the greeting (as the team's) and whose second is the
//! answer (the `say` frame, with the rule's id).

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::{GreetingId, TimestampMs};
use crate::model::MessageText;

/// Most rules kept: each is sent to every visitor's page.
pub const MAX_GREETINGS: usize = 50;
/// Longest wait before a greeting, seconds.
pub const MAX_DELAY_SECONDS: u32 = 3600;
/// Longest rule name and sender name, in characters.
pub const MAX_GREETING_NAME_CHARS: usize = 80;
/// Longest greeting, in bytes: it is drawn in a small bubble.
pub const MAX_GREETING_BYTES: usize = 500;
/// Longest path pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 200;

/// Which pages a rule fires on, matched against the whole path of the page (`/pricing`, not
/// its query or host): `*` stands for any run of characters, everything else for itself.
/// `/pricing` is that page alone, `/pricing*` it and everything under it, `*` every page.
/// Starts with `/` or `*`; no spaces or control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct PathPattern(String);

impl PathPattern {
    pub fn parse(raw: impl Into<String>) -> Result<Self, ProtocolError> {
        let raw = raw.into();
        let len = raw.chars().count();
        if !(1..=MAX_PATTERN_CHARS).contains(&len) {
            return Err(ProtocolError::invalid(format!(
                "path must be 1 to {MAX_PATTERN_CHARS} characters"
            )));
        }
        if !(raw.starts_with('/') || raw.starts_with('*')) {
            return Err(ProtocolError::invalid(
                "path must start with / or * (it is matched against the page's path)",
            ));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ProtocolError::invalid(
                "path must not hold spaces or control characters",
            ));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `path` is one of the pattern's pages (the rule the widget's greeting script
    /// applies, written here once for the docs and the tests).
    pub fn matches(&self, path: &str) -> bool {
        let mut parts = self.0.split('*');
        let first = parts.next().unwrap_or("");
        let Some(mut rest) = path.strip_prefix(first) else {
            return false;
        };
        let parts: Vec<&str> = parts.collect();
        let Some((last, middle)) = parts.split_last() else {
            return rest.is_empty();
        };
        for part in middle {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last)
    }
}

impl TryFrom<String> for PathPattern {
    type Error = ProtocolError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<PathPattern> for String {
    fn from(p: PathPattern) -> Self {
        p.0
    }
}

/// How often one visitor may see a rule's greeting (counted in their browser).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GreetingFrequency {
    /// At most once in 24 hours.
    #[default]
    OncePerDay,
    /// Once, ever.
    Once,
    /// On every page load that matches.
    EveryPage,
}

/// A rule as admins see it (`GET /api/greeting-rules`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GreetingRule {
    pub id: GreetingId,
    #[serde(flatten)]
    pub rule: GreetingRequest,
    pub updated_at: TimestampMs,
}

/// `POST /api/greeting-rules` and `PUT /api/greeting-rules/{id}` (admin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GreetingRequest {
    /// For admins only (1–80 characters), e.g. "Pricing page".
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub path: PathPattern,
    /// Seconds on the page before the greeting shows (0–3600).
    #[serde(default)]
    pub delay_seconds: u32,
    #[serde(default)]
    pub frequency: GreetingFrequency,
    /// Shown only while someone serves the widget's queue (online, within its hours).
    #[serde(default)]
    pub only_when_online: bool,
    /// What the visitor reads: plain text, at most 500 bytes.
    pub text: MessageText,
    /// The name the greeting is signed with (1–80 characters), e.g. "Ana" or "Sales".
    pub from: String,
}

fn enabled() -> bool {
    true
}

/// A rule as every visitor's page gets it: what the greeting script needs, nothing more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicGreeting {
    pub id: GreetingId,
    pub path: PathPattern,
    pub delay_seconds: u32,
    pub frequency: GreetingFrequency,
    pub only_when_online: bool,
    pub text: MessageText,
    pub from: String,
}

/// `GET /api/greetings` (public): the enabled rules, in the order they are tried.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Greetings {
    pub rules: Vec<PublicGreeting>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(raw: &str) -> PathPattern {
        PathPattern::parse(raw).unwrap()
    }

    #[test]
    fn a_pattern_without_a_star_is_one_page() {
        assert!(p("/pricing").matches("/pricing"));
        assert!(!p("/pricing").matches("/pricing/team"));
        assert!(!p("/pricing").matches("/about"));
    }

    #[test]
    fn stars_match_any_run() {
        assert!(p("/pricing*").matches("/pricing"));
        assert!(p("/pricing*").matches("/pricing/team"));
        assert!(p("*").matches("/anything/at/all"));
        assert!(p("/shop/*/checkout").matches("/shop/42/checkout"));
        assert!(!p("/shop/*/checkout").matches("/shop/42/cart"));
        assert!(p("*/faq").matches("/en/faq"));
        assert!(!p("*/faq").matches("/en/faq/2"));
        assert!(p("/a*a").matches("/aa"));
        assert!(!p("/a*a").matches("/a"));
    }

    #[test]
    fn patterns_are_checked() {
        assert!(PathPattern::parse("pricing").is_err());
        assert!(PathPattern::parse("").is_err());
        assert!(PathPattern::parse("/a b").is_err());
        assert!(PathPattern::parse("/".repeat(201)).is_err());
        let parsed: Result<PathPattern, _> = serde_json::from_str("\"nope\"");
        assert!(parsed.is_err());
    }
}
