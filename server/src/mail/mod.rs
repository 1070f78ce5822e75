//! E-mail to visitors: the transcript of a resolved conversation, and the replies a visitor
//! left before reading, with a link that reopens the chat. Replies *by* e-mail are not read:
//! the visitor answers in the chat the link opens.
//!
//! Mail is not sent from the code that resolves or replies. It goes through the webhook
//! outbox as two internal subscribers (`chimpassist_store::webhooks::internal`): the event is
//! recorded in the same write as its change, a node claims the delivery, and a failed send is
//! retried on the webhook schedule (`WEBHOOK_RETRY_SCHEDULE`), so an SMTP outage delays mail
//! and loses none. Every node must therefore have the same `SMTP_URL`.
//!
//! - [`compose`]: the messages, in the visitor's language (en, pt-BR), plain text and HTML;
//! - [`links`]: signed, expiring links;
//! - [`send`]: what one delivery sends, or why it sends nothing.
//!
//! The page a link opens, and the call that turns a link into a session, are `api::mail`.

pub mod compose;
pub mod links;
mod send;

use std::sync::Arc;
use std::time::Duration;

use chimpassist_protocol::webhook::WebhookEventType;
use chimpassist_store::{Store, Subscription, webhooks::internal};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};

use crate::coordinator::Coordinator;

pub use send::Outcome;

/// How long the SMTP server may take over one message.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// What `SMTP_URL`, `SMTP_FROM`, `PUBLIC_URL` and `EMAIL_AWAY_SECONDS` say, checked.
#[derive(Clone)]
pub struct Settings {
    smtp_url: SecretString,
    pub from: Mailbox,
    /// Without a trailing slash.
    pub public_url: String,
    /// How long a visitor must have been gone before a reply is mailed.
    pub away: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .field("away", &self.away)
            .finish_non_exhaustive()
    }
}

/// Why the mail settings are unusable. Never quotes `SMTP_URL`: it may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("SMTP_URL must be an smtp:// or smtps:// URL with a host")]
    SmtpUrl,
    #[error("SMTP_FROM is not a mailbox (`Name <address@example.com>`): {0}")]
    From(String),
    #[error("SMTP_URL needs PUBLIC_URL (the https:// address visitors reach this server at)")]
    NoPublicUrl,
    #[error("PUBLIC_URL must be an http:// or https:// URL: {0}")]
    PublicUrl(String),
}

impl Settings {
    pub fn parse(
        smtp_url: &SecretString,
        from: &str,
        public_url: Option<&str>,
        away: Duration,
    ) -> Result<Self, SettingsError> {
        let smtp = url::Url::parse(smtp_url.expose_secret()).map_err(|_| SettingsError::SmtpUrl)?;
        if !matches!(smtp.scheme(), "smtp" | "smtps") || smtp.host_str().is_none() {
            return Err(SettingsError::SmtpUrl);
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SettingsError::From(e.to_string()))?;
        let public_url = public_url.ok_or(SettingsError::NoPublicUrl)?;
        let parsed = url::Url::parse(public_url)
            .map_err(|e| SettingsError::PublicUrl(format!("{public_url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(SettingsError::PublicUrl(public_url.to_owned()));
        }
        Ok(Self {
            smtp_url: smtp_url.clone(),
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            away,
        })
    }
}

/// Sends the mail the outbox's internal deliveries ask for.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: Settings,
    links: links::Links,
    store: Arc<dyn Store>,
    coordinator: Coordinator,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(
        settings: Settings,
        links: links::Links,
        store: Arc<dyn Store>,
        coordinator: Coordinator,
    ) -> Result<Self, SettingsError> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose_secret())
                .map_err(|_| SettingsError::SmtpUrl)?
                .timeout(Some(SMTP_TIMEOUT))
                .build();
        Ok(Self {
            transport,
            settings,
            links,
            store,
            coordinator,
        })
    }

    /// What the outbox delivers to mail: resolves at once, new messages after `away` (most
    /// are read long before; [`send`] checks).
    pub fn subscriptions(&self) -> Vec<Subscription> {
        vec![
            Subscription {
                endpoint: internal::mail_transcripts(),
                events: vec![WebhookEventType::ConversationResolved],
                delay_ms: 0,
            },
            Subscription {
                endpoint: internal::mail_replies(),
                events: vec![WebhookEventType::MessageCreated],
                delay_ms: self.settings.away.as_millis() as i64,
            },
        ]
    }
}
