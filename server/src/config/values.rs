//! The types some flags parse into, and their parsers (named in `Config`'s attributes).

use std::time::Duration;

use clap::ValueEnum;

/// An endpoint URL of yours that may carry credentials (`https://user:pass@host/`): they are
/// used, never shown — `Display` and `Debug` leave the user info out.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint(url::Url);

impl Endpoint {
    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The URL without user info, for logs and messages.
    pub fn redacted(&self) -> String {
        let mut url = self.0.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.to_string()
    }
}

impl std::str::FromStr for Endpoint {
    type Err = url::ParseError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        url::Url::parse(raw).map(Self)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({})", self.redacted())
    }
}

/// A language the back-office is translated into. Parsed at start, so a misspelt
/// `FORCE_i18n_LANGUAGE` stops the server with the accepted values instead of being ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UiLanguage {
    #[value(name = "en")]
    En,
    #[value(name = "pt-BR")]
    PtBr,
}

impl UiLanguage {
    /// The BCP 47 tag the back-office's translations are keyed by.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::PtBr => "pt-BR",
        }
    }
}

/// The kinds of file `ATTACHMENT_TYPES` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups(pub Vec<crate::attachments::FileGroup>);

pub(super) fn parse_groups(raw: &str) -> Result<Groups, String> {
    crate::attachments::FileGroup::parse_list(raw).map(Groups)
}

/// `WEBHOOK_RETRY_SCHEDULE`: the delay before each attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

pub(super) fn parse_retention(raw: &str) -> Result<Duration, String> {
    match crate::webhooks::policy::parse_duration(raw.trim())? {
        Duration::ZERO => Err("a retention period of 0 would empty every conversation at once; leave it unset to keep them".into()),
        period => Ok(period),
    }
}

pub(super) fn parse_page_tracking(raw: &str) -> Result<chimpassist_protocol::PageTracking, String> {
    chimpassist_protocol::PageTracking::parse(raw)
        .ok_or_else(|| format!("PAGE_TRACKING is off, path or full, not {raw:?}"))
}

pub(super) fn parse_sweep_every(raw: &str) -> Result<Duration, String> {
    let every = crate::webhooks::policy::parse_duration(raw.trim())?;
    if every < Duration::from_millis(10) || every > Duration::from_secs(86_400) {
        return Err("the retention sweep runs every 10ms to 1d".into());
    }
    Ok(every)
}

pub(super) fn parse_schedule(raw: &str) -> Result<Schedule, String> {
    crate::webhooks::policy::parse_schedule(raw).map(Schedule)
}
