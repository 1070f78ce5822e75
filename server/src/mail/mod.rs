//! E-mail to visitors: the transcript of a resolved conversation, and the replies a visitor
//! left before reading, with a link that reopens the chat. Replies *by* e-mail are not read:
//! the visitor answers in the chat the link opens.
//!
//! Mail is not sent from the code that resolves or replies. It goes through the webhook
//! outbox as two internal subscribers (`chimpassist_store::webhooks::internal`): the event is
//! recorded in the same write as its change, a node claims the delivery, and a failed send is
//! retried on the webhook schedule (`WEBHOOK_RETRY_SCHEDULE`), so an SMTP outage delays mail
//! and loses none. Nodes without `SMTP_URL` record and hand on mail's events while a mailing
//! node's [`beacon`] holds.
//!
//! - [`beacon`]: how nodes without `SMTP_URL` learn that mail is on elsewhere;
//! - [`compose`]: the messages, in the visitor's language (en, pt-BR), plain text and HTML;
//! - [`links`]: signed, expiring links;
//! - [`send`]: what one delivery sends, or why it sends nothing.
//!
//! The page a link opens, and the call that turns a link into a session, are `api::mail`.

pub mod beacon;
pub mod compose;
pub mod links;
mod send;

use std::sync::Arc;
use std::time::Duration;

use chimpassist_store::{Store, Subscription};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};

use crate::coordinator::Coordinator;

pub use send::Outcome;

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
    #[error(
        "SMTP_URL has credentials but no TLS: use smtps:// or add ?tls=required, so the \
         password never crosses the network in the clear"
    )]
    SmtpCleartext,
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
        let tls = smtp.scheme() == "smtps"
            || smtp
                .query_pairs()
                .any(|(k, v)| k == "tls" && v == "required");
        if !smtp.username().is_empty() && !tls {
            return Err(SettingsError::SmtpCleartext);
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SettingsError::From(e.to_string()))?;
        let public_url = public_url.ok_or(SettingsError::NoPublicUrl)?;
        let parsed = url::Url::parse(public_url)
            .map_err(|e| SettingsError::PublicUrl(format!("{public_url:?}: {e}")))?;
        // The pages links open call `/api/…` and load `/widget.js` from the root.
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none()
            || parsed.path() != "/"
            || parsed.query().is_some()
        {
            return Err(SettingsError::PublicUrl(format!(
                "{public_url:?} (an origin such as https://chat.acme.example, no path)"
            )));
        }
        Ok(Self {
            smtp_url: smtp_url.clone(),
            from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            away,
        })
    }
}

/// The key the suppression list knows an address by: a hash of it, trimmed and lower-cased,
/// so the list (kept after the contacts are erased) holds no address.
pub fn address_key(address: &lettre::Address) -> String {
    // Hashed here, not with `auth::tokens::token_hash`: `auth` depends on the
    // configuration, which depends on this module.
    use sha2::{Digest as _, Sha256};
    let normal = address.to_string().trim().to_lowercase();
    hex::encode(Sha256::digest(format!(
        "chimpassist mail address v1:{normal}"
    )))
}

/// Sends the mail the outbox's internal deliveries ask for.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: Settings,
    /// The delays between attempts (`WEBHOOK_RETRY_SCHEDULE`).
    schedule: Vec<Duration>,
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
    /// A mailer whose failed sends are retried after `schedule`'s delays, each SMTP
    /// exchange within `timeout`.
    pub fn new(
        settings: Settings,
        schedule: Vec<Duration>,
        timeout: Duration,
        links: links::Links,
        store: Arc<dyn Store>,
        coordinator: Coordinator,
    ) -> Result<Self, SettingsError> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose_secret())
                .map_err(|_| SettingsError::SmtpUrl)?
                .timeout(Some(timeout))
                .build();
        Ok(Self {
            transport,
            settings,
            schedule,
            links,
            store,
            coordinator,
        })
    }

    /// What the outbox delivers to mail ([`beacon::subscriptions`]).
    pub fn subscriptions(&self) -> Vec<Subscription> {
        beacon::subscriptions(self.settings.away.as_millis() as i64)
    }

    /// This node's beacon at `now` ([`beacon`]).
    pub fn beacon(&self, now: chimpassist_protocol::TimestampMs) -> String {
        beacon::lit(self.settings.away, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(smtp: &str, public: Option<&str>) -> Result<Settings, SettingsError> {
        Settings::parse(
            &SecretString::from(smtp.to_owned()),
            "Acme <help@acme.example>",
            public,
            Duration::from_secs(300),
        )
    }

    #[test]
    fn settings_refuse_what_would_leak_or_break_links() {
        let public = Some("https://chat.acme.example/");
        assert!(parse("smtps://u:p@mail.acme.example:465", public).is_ok());
        assert!(parse("smtp://u:p@mail.acme.example:587?tls=required", public).is_ok());
        assert!(parse("smtp://relay.internal:25", public).is_ok());
        let cleartext = parse("smtp://u:secret-pw@mail.acme.example:587", public).unwrap_err();
        assert!(matches!(cleartext, SettingsError::SmtpCleartext));
        assert!(!cleartext.to_string().contains("secret-pw"));
        let bad = parse("http://u:secret-pw@mail.acme.example", public).unwrap_err();
        assert!(!bad.to_string().contains("secret-pw"), "{bad}");
        assert!(matches!(
            parse("smtp://relay:25", None),
            Err(SettingsError::NoPublicUrl)
        ));
        assert!(matches!(
            parse("smtp://relay:25", Some("https://acme.example/chat")),
            Err(SettingsError::PublicUrl(_))
        ));
        let ok = parse("smtp://relay:25", public).unwrap();
        assert_eq!(ok.public_url, "https://chat.acme.example");
        assert!(!format!("{ok:?}").contains("relay"), "no SMTP URL in Debug");
    }

    #[test]
    fn an_address_is_known_by_one_key_however_it_is_written() {
        let a: lettre::Address = "Ana@Example.com".parse().unwrap();
        let b: lettre::Address = "ana@example.com".parse().unwrap();
        let c: lettre::Address = "bo@example.com".parse().unwrap();
        assert_eq!(address_key(&a), address_key(&b));
        assert_ne!(address_key(&a), address_key(&c));
        assert!(!address_key(&a).contains("ana"));
    }
}
