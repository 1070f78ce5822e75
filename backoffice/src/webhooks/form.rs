//! The create and edit forms: what was typed and checked, as the request to send, or the
//! first thing wrong with it.

use chimpassist_protocol::webhook::{
    MAX_WEBHOOK_DESCRIPTION_LEN, MAX_WEBHOOK_URL_LEN, WebhookEventType, WebhookPatch,
    WebhookRequest, WebhookView,
};

use super::events::ordered;
use crate::i18n::{WebhookTexts, fill};

/// Why a form cannot be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    UrlEmpty,
    /// Not `http://` or `https://`.
    UrlScheme,
    /// Nothing (or only a port) between the scheme and the path.
    UrlHost,
    /// `user:password@` in the URL.
    UrlCredentials,
    /// Spaces or control characters.
    UrlSpaces,
    UrlTooLong,
    NoEvents,
    DescriptionTooLong,
}

impl FormError {
    /// The reason in words.
    pub fn text(self, t: &WebhookTexts) -> String {
        match self {
            FormError::UrlEmpty => t.url_empty.to_owned(),
            FormError::UrlScheme => t.url_scheme.to_owned(),
            FormError::UrlHost => t.url_host.to_owned(),
            FormError::UrlCredentials => t.url_credentials.to_owned(),
            FormError::UrlSpaces => t.url_spaces.to_owned(),
            FormError::UrlTooLong => fill(t.url_too_long, MAX_WEBHOOK_URL_LEN),
            FormError::NoEvents => t.no_events.to_owned(),
            FormError::DescriptionTooLong => {
                fill(t.description_too_long, MAX_WEBHOOK_DESCRIPTION_LEN)
            }
        }
    }
}

/// The URL typed, trimmed, if it looks like one the server takes.
pub fn url(raw: &str) -> Result<String, FormError> {
    let url = raw.trim();
    if url.is_empty() {
        return Err(FormError::UrlEmpty);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FormError::UrlSpaces);
    }
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            url.get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .map(|_| &url[scheme.len()..])
        })
        .ok_or(FormError::UrlScheme)?;
    if url.len() > MAX_WEBHOOK_URL_LEN {
        return Err(FormError::UrlTooLong);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(FormError::UrlCredentials);
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Err(FormError::UrlHost);
    }
    Ok(url.to_owned())
}

/// The description typed, trimmed; `None` when empty.
pub fn description(raw: &str) -> Result<Option<String>, FormError> {
    let text = raw.trim();
    if text.chars().count() > MAX_WEBHOOK_DESCRIPTION_LEN {
        return Err(FormError::DescriptionTooLong);
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The events checked, in order, at least one.
pub fn events(picked: &[WebhookEventType]) -> Result<Vec<WebhookEventType>, FormError> {
    let events = ordered(picked);
    if events.is_empty() {
        return Err(FormError::NoEvents);
    }
    Ok(events)
}

/// `POST /api/webhooks` for the create form.
pub fn request(
    raw_url: &str,
    raw_description: &str,
    picked: &[WebhookEventType],
    enabled: bool,
) -> Result<WebhookRequest, FormError> {
    Ok(WebhookRequest {
        url: url(raw_url)?,
        events: events(picked)?,
        enabled,
        description: description(raw_description)?,
    })
}

/// `PATCH /api/webhooks/{id}` for the edit form: only what changed (all `None` when
/// nothing did); a cleared description is sent as `""`, which removes it.
pub fn patch(
    old: &WebhookView,
    raw_url: &str,
    raw_description: &str,
    picked: &[WebhookEventType],
) -> Result<WebhookPatch, FormError> {
    let url = url(raw_url)?;
    let events = events(picked)?;
    let description = description(raw_description)?;
    Ok(WebhookPatch {
        url: (url != old.url).then_some(url),
        events: (events != ordered(&old.events)).then_some(events),
        enabled: None,
        description: (description != old.description).then(|| description.unwrap_or_default()),
    })
}

/// Whether a patch would change nothing.
pub fn is_empty(patch: &WebhookPatch) -> bool {
    *patch == WebhookPatch::default()
}
