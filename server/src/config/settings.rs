//! What the rest of the server asks of a [`Config`]: each component's settings, built from the
//! flags, and the checks that span several flags.

use std::time::Duration;

use super::*;
use crate::bus::{MqttSettings, MqttSettingsError};
use crate::calls::{IceSettings, IceSettingsError};
use crate::edge;

impl Config {
    /// Reads the settings from the environment alone (tests start from this and override).
    pub fn from_env_defaults() -> Self {
        match Cli::parse_from(["chimpassist", "serve"]).command {
            Command::Serve(config) => *config,
        }
    }

    /// Applies the seed's alternative names for settings.
    pub fn with_aliases(mut self) -> Self {
        if self.statistics_base_endpoint.is_none()
            && let Ok(raw) = std::env::var("STATISTICS_ENDPOINT")
        {
            self.statistics_base_endpoint = raw.parse().ok();
        }
        self
    }

    /// Lifts every per-network limit (connections, requests, new visitors, chats, open
    /// conversations, callbacks, logins): for tests and benchmarks on one machine, where every
    /// client is 127.0.0.1 and would share one allowance.
    pub fn lift_network_limits(&mut self) {
        self.max_connections_per_ip = u32::MAX;
        self.requests_per_minute_per_ip = u32::MAX;
        self.new_customers_per_minute_per_ip = u32::MAX;
        self.chats_per_minute_per_ip = u32::MAX;
        self.max_open_conversations_per_ip = u32::MAX;
        self.callbacks_per_minute_per_ip = u32::MAX;
        self.logins_per_minute_per_ip = u32::MAX;
        self.uploads_per_minute_per_ip = u32::MAX;
    }

    pub fn session_keep_alive(&self) -> Duration {
        Duration::from_millis(self.session_keep_alive_ms)
    }

    pub fn attendant_keep_alive(&self) -> Duration {
        Duration::from_millis(self.attendant_keep_alive_ms)
    }

    pub fn leader_lease(&self) -> Duration {
        Duration::from_millis(self.leader_lease_ms)
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_seconds.max(1))
    }

    /// The edge's limits (connections, rate limits, timeouts), timeouts at least 1 s.
    pub fn edge_limits(&self) -> edge::Limits {
        edge::Limits {
            trusted_proxies: self.trusted_proxies.clone(),
            max_connections_per_ip: self.max_connections_per_ip,
            requests_per_minute_per_ip: self.requests_per_minute_per_ip,
            new_customers_per_minute_per_ip: self.new_customers_per_minute_per_ip,
            chats_per_minute_per_ip: self.chats_per_minute_per_ip,
            callbacks_per_minute_per_ip: self.callbacks_per_minute_per_ip,
            logins_per_minute_per_ip: self.logins_per_minute_per_ip,
            uploads_per_minute_per_ip: self.uploads_per_minute_per_ip,
            upload_timeout: Duration::from_secs(self.upload_timeout_seconds.max(1)),
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds.max(1)),
            request_timeout: Duration::from_secs(self.request_timeout_seconds.max(1)),
        }
    }

    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_seconds)
    }

    /// True when any origin may use the customer endpoints.
    pub fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o.trim() == "*")
    }

    /// Whether the attendant WebSocket may be opened from `origin` although it is not the
    /// server's own (`BACKOFFICE_ORIGINS`, compared exactly: scheme, host and port).
    pub fn backoffice_origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.backoffice_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/'))
            .any(|o| !o.is_empty() && o.eq_ignore_ascii_case(origin))
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.any_origin()
            || self
                .allowed_origins
                .iter()
                .any(|o| o.trim().trim_end_matches('/') == origin.trim_end_matches('/'))
    }

    /// The retention sweep's settings, when a retention period is set.
    pub fn retention(&self) -> Option<crate::retention::Settings> {
        self.conversation_retention
            .map(|keep| crate::retention::Settings {
                keep,
                every: self.retention_sweep_every,
            })
    }

    /// The webhook dispatcher's settings.
    pub fn webhooks(&self) -> crate::webhooks::Settings {
        crate::webhooks::Settings {
            schedule: self.webhook_retry_schedule.0.clone(),
            timeout: Duration::from_secs(self.webhook_timeout_seconds),
            disable_after: Duration::from_secs(self.webhook_disable_after_hours * 3600),
            allow_private: self.webhook_allow_private_destinations,
            poll: Duration::from_millis(self.webhook_poll_ms),
            keep_events: Duration::from_secs(self.webhook_keep_days * 86_400),
            clustered: self.mqtt_broker_host.is_some(),
        }
    }

    /// E-mail to visitors, when `SMTP_URL` is set.
    pub fn mail(&self) -> Result<Option<crate::mail::Settings>, crate::mail::SettingsError> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        crate::mail::Settings::parse(
            url,
            &self.smtp_from,
            self.public_url.as_deref(),
            Duration::from_secs(self.email_away_seconds),
        )
        .map(Some)
    }

    pub fn call_ring(&self) -> Duration {
        Duration::from_secs(self.call_ring_seconds)
    }

    /// The ICE servers of calls; a TURN relay only with its secret.
    pub fn ice(&self) -> Result<IceSettings, IceSettingsError> {
        IceSettings::new(
            self.stun_urls.clone(),
            self.turn_urls.clone(),
            self.turn_secret.clone(),
            Duration::from_secs(self.turn_credential_seconds),
        )
    }

    /// The MQTT bus settings when `MQTT_BROKER_HOST` is set (and not blank).
    pub fn mqtt(&self) -> Result<Option<MqttSettings>, MqttSettingsError> {
        self.mqtt_broker_host
            .as_deref()
            .filter(|host| !host.trim().is_empty())
            .map(|host| {
                MqttSettings::parse(
                    host,
                    self.mqtt_username.clone(),
                    self.mqtt_password.clone(),
                    &self.mqtt_base_topic,
                )
            })
            .transpose()
    }

    /// The file checks of this deployment.
    pub fn attachment_checks(&self) -> crate::attachments::Checks {
        crate::attachments::Checks::new(self.max_attachment_bytes, self.attachment_types.0.clone())
    }

    pub fn limits(&self) -> chimpassist_protocol::Limits {
        chimpassist_protocol::Limits {
            max_frame_bytes: self.max_frame_bytes,
            max_text_bytes: self.max_text_bytes,
        }
    }
}
