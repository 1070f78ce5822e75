//! What an admin may save as an endpoint: parsed once, at the edge.

use chimpassist_protocol::webhook::{
    MAX_WEBHOOK_DESCRIPTION_LEN, MAX_WEBHOOK_URL_LEN, WebhookEventType, WebhookView,
};
use chimpassist_store::WebhookEndpoint;

use super::guard;
use crate::error::AppError;

/// A destination URL that passed every check that can be made before sending: `http(s)`,
/// a host, no credentials in it, not too long, and (unless private destinations are allowed)
/// not an internal address — written literally or as a name that resolves to one now.
#[derive(Clone, Debug)]
pub struct Destination(url::Url);

impl Destination {
    pub async fn parse(raw: &str, allow_private: bool) -> Result<Self, AppError> {
        let raw = raw.trim();
        if raw.len() > MAX_WEBHOOK_URL_LEN {
            return Err(AppError::invalid(format!(
                "url is longer than {MAX_WEBHOOK_URL_LEN} bytes"
            )));
        }
        let url = url::Url::parse(raw)
            .map_err(|e| AppError::invalid(format!("url is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::invalid("url must start with https:// or http://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::invalid(
                "url must not contain a user name or password (the signature authenticates)",
            ));
        }
        let Some(host) = url.host_str() else {
            return Err(AppError::invalid("url has no host"));
        };
        guard::check_url(&url, allow_private).map_err(|e| AppError::invalid(e.to_string()))?;
        if !allow_private && matches!(url.host(), Some(url::Host::Domain(_))) {
            // A name that does not resolve now may later: only a refusal is an error here.
            if let Err(e) = guard::resolve(host, false).await
                && let Some(refused) = guard::refusal(e.as_ref())
            {
                return Err(AppError::invalid(refused.to_string()));
            }
        }
        Ok(Self(url))
    }

    pub fn into_string(self) -> String {
        self.0.into()
    }
}

/// At least one event, each once, in a stable order.
pub fn events(mut events: Vec<WebhookEventType>) -> Result<Vec<WebhookEventType>, AppError> {
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(AppError::invalid(
            "events must name at least one event type",
        ));
    }
    Ok(events)
}

/// Trimmed; empty means none.
pub fn description(raw: Option<String>) -> Result<Option<String>, AppError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.trim();
    if text.chars().count() > MAX_WEBHOOK_DESCRIPTION_LEN {
        return Err(AppError::invalid(format!(
            "description is longer than {MAX_WEBHOOK_DESCRIPTION_LEN} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::invalid("description must be one line of text"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// The admin's view: everything but the secrets.
pub fn view(e: &WebhookEndpoint, now: i64) -> WebhookView {
    WebhookView {
        id: e.id,
        url: e.url.clone(),
        events: e.events.clone(),
        enabled: e.enabled,
        description: e.description.clone(),
        created_at: e.created_at,
        disabled_reason: e.disabled_reason.clone(),
        failing_since: e.failing_since,
        previous_secret_until: e
            .previous_secret
            .as_ref()
            .map(|p| p.until)
            .filter(|until| *until > now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn refused(raw: &str) -> String {
        Destination::parse(raw, false)
            .await
            .expect_err(raw)
            .body()
            .message
    }

    #[tokio::test]
    async fn destinations_are_checked_before_they_are_saved() {
        assert!(refused("ftp://example.com/x").await.contains("https://"));
        assert!(
            refused("https://user:pw@example.com/")
                .await
                .contains("password")
        );
        assert!(
            refused("http://169.254.169.254/latest")
                .await
                .contains("destination refused")
        );
        assert!(
            refused("http://localhost:8080/hook")
                .await
                .contains("loopback")
        );
        assert!(refused("not a url").await.contains("valid URL"));
        assert!(
            Destination::parse("http://127.0.0.1:9/h", true)
                .await
                .is_ok()
        );
        let saved = Destination::parse("https://hooks.example.com/in", false).await;
        assert_eq!(saved.unwrap().into_string(), "https://hooks.example.com/in");
    }

    #[test]
    fn events_and_descriptions_are_normalised() {
        use WebhookEventType as T;
        let got = events(vec![
            T::MessageCreated,
            T::ConversationCreated,
            T::MessageCreated,
        ]);
        assert_eq!(
            got.unwrap(),
            vec![T::ConversationCreated, T::MessageCreated]
        );
        assert!(events(vec![]).is_err());
        assert_eq!(
            description(Some("  CRM  ".into())).unwrap().as_deref(),
            Some("CRM")
        );
        assert_eq!(description(Some(" ".into())).unwrap(), None);
        assert!(description(Some("a\nb".into())).is_err());
    }
}
