//! An endpoint's status badge, the note on a rotated-out secret, and how long that secret
//! keeps signing after a rotation.

use chimpassist_protocol::TimestampMs;
use chimpassist_protocol::webhook::{RotateSecret, WebhookView};

use crate::format;
use crate::i18n::{WebhookTexts, fill};

/// What the badge says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Enabled,
    /// Disabled by an admin.
    Disabled,
    /// Disabled by the server (`410 Gone`, failing for days), with its reason.
    DisabledBecause(String),
    /// Enabled, but every attempt since then has failed.
    Failing(TimestampMs),
}

impl Status {
    pub fn of(view: &WebhookView) -> Self {
        match (view.enabled, &view.disabled_reason, view.failing_since) {
            (false, Some(reason), _) if !reason.trim().is_empty() => {
                Status::DisabledBecause(reason.trim().to_owned())
            }
            (false, ..) => Status::Disabled,
            (true, _, Some(since)) => Status::Failing(since),
            (true, _, None) => Status::Enabled,
        }
    }

    /// The badge's `data-state` and the last part of its class (`ba-badge-…`).
    pub fn state(&self) -> &'static str {
        match self {
            Status::Enabled => "enabled",
            Status::Disabled => "disabled",
            Status::DisabledBecause(_) => "disabled-reason",
            Status::Failing(_) => "failing",
        }
    }

    /// The badge's text; times in the zone `offset_min` minutes east of UTC.
    pub fn text(&self, t: &WebhookTexts, offset_min: i32) -> String {
        match self {
            Status::Enabled => t.status_enabled.to_owned(),
            Status::Disabled => t.status_disabled.to_owned(),
            Status::DisabledBecause(reason) => fill(t.status_disabled_reason, reason),
            Status::Failing(since) => fill(t.status_failing, format::date_time(*since, offset_min)),
        }
    }
}

/// "Previous secret valid until …", while a rotated-out secret still signs.
pub fn previous_secret(
    t: &WebhookTexts,
    view: &WebhookView,
    now: TimestampMs,
    offset_min: i32,
) -> Option<String> {
    view.previous_secret_until
        .filter(|until| *until > now)
        .map(|until| fill(t.previous_secret, format::date_time(until, offset_min)))
}

/// How long the old secret keeps signing after a rotation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overlap {
    None,
    Hour,
    #[default]
    Day,
    Week,
}

impl Overlap {
    pub const ALL: [Overlap; 4] = [Overlap::None, Overlap::Hour, Overlap::Day, Overlap::Week];

    pub fn minutes(self) -> u32 {
        match self {
            Overlap::None => 0,
            Overlap::Hour => 60,
            Overlap::Day => 24 * 60,
            Overlap::Week => 7 * 24 * 60,
        }
    }

    /// The `<option>`'s value.
    pub fn wire(self) -> &'static str {
        match self {
            Overlap::None => "none",
            Overlap::Hour => "hour",
            Overlap::Day => "day",
            Overlap::Week => "week",
        }
    }

    pub fn parse(wire: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.wire() == wire)
    }

    pub fn label(self, t: &WebhookTexts) -> &'static str {
        match self {
            Overlap::None => t.overlap_none,
            Overlap::Hour => t.overlap_hour,
            Overlap::Day => t.overlap_day,
            Overlap::Week => t.overlap_week,
        }
    }

    /// `POST /api/webhooks/{id}/rotate`'s body.
    pub fn body(self) -> RotateSecret {
        RotateSecret {
            overlap_minutes: Some(self.minutes()),
        }
    }
}
