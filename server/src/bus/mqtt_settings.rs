//! The MQTT bus's settings (`MQTT_BROKER_HOST`, `MQTT_USERNAME`, `MQTT_PASSWORD`,
//! `MQTT_BASE_TOPIC`), parsed once at start into types that cannot hold a bad value and never
//! show a credential.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// The MQTT port when `MQTT_BROKER_HOST` names none.
const DEFAULT_PORT: u16 = 1883;

/// Where the broker listens: `mqtt://host:port` (or `tcp://`, or a bare `host:port`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerAddress {
    /// A name or an IP address; an IPv6 address keeps its brackets.
    host: String,
    port: u16,
}

impl BrokerAddress {
    /// Parses `MQTT_BROKER_HOST`. The errors never repeat the input, which might hold
    /// credentials.
    pub fn parse(raw: &str) -> Result<Self, MqttSettingsError> {
        let raw = raw.trim();
        let url = match raw.split_once("://") {
            Some((scheme, _)) if matches!(scheme.to_ascii_lowercase().as_str(), "mqtt" | "tcp") => {
                url::Url::parse(raw)?
            }
            Some((scheme, _)) => {
                return Err(MqttSettingsError::UnsupportedScheme(scheme.to_owned()));
            }
            None => url::Url::parse(&format!("mqtt://{raw}"))?,
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(MqttSettingsError::CredentialsInUrl);
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(MqttSettingsError::NotJustHostAndPort);
        }
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.to_owned(),
            _ => return Err(MqttSettingsError::MissingHost),
        };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        if port == 0 {
            return Err(MqttSettingsError::ZeroPort);
        }
        Ok(Self { host, port })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mqtt://{}:{}", self.host, self.port)
    }
}

/// `MQTT_BASE_TOPIC`: the topic prefix of one cluster's bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseTopic(String);

impl BaseTopic {
    pub fn parse(raw: &str) -> Result<Self, MqttSettingsError> {
        let topic = raw.trim().trim_end_matches('/');
        let why = if topic.is_empty() {
            Some("is empty")
        } else if topic.contains(['+', '#']) {
            Some("may not hold the wildcards `+` or `#`")
        } else if topic.starts_with('$') {
            Some("may not start with `$` (reserved for the broker)")
        } else if topic.contains('\0') {
            Some("may not hold a NUL character")
        } else if topic.len() > 1024 {
            Some("is longer than 1024 bytes")
        } else {
            None
        };
        match why {
            Some(why) => Err(MqttSettingsError::BaseTopic(why)),
            None => Ok(Self(topic.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bad MQTT setting.
#[derive(Debug, thiserror::Error)]
pub enum MqttSettingsError {
    #[error("MQTT_BROKER_HOST is not a valid address ({0}); expected mqtt://host:port")]
    InvalidUrl(#[from] url::ParseError),
    #[error(
        "MQTT_BROKER_HOST: `{0}://` is not supported; use mqtt://host:port (plain TCP: TLS and WebSocket brokers are not supported)"
    )]
    UnsupportedScheme(String),
    #[error("MQTT_BROKER_HOST names no host; expected mqtt://host:port")]
    MissingHost,
    #[error("MQTT_BROKER_HOST: port 0 is not a broker port")]
    ZeroPort,
    #[error(
        "MQTT_BROKER_HOST must not carry credentials: set MQTT_USERNAME and MQTT_PASSWORD instead"
    )]
    CredentialsInUrl,
    #[error("MQTT_BROKER_HOST takes mqtt://host:port only, without a path, query or fragment")]
    NotJustHostAndPort,
    #[error("MQTT_PASSWORD is set without MQTT_USERNAME")]
    PasswordWithoutUsername,
    #[error("MQTT_BASE_TOPIC {0}")]
    BaseTopic(&'static str),
}

/// Everything [`MqttBus::start`] needs. `Debug` shows no credential.
#[derive(Clone, Debug)]
pub struct MqttSettings {
    pub broker: BrokerAddress,
    pub username: Option<SecretString>,
    pub password: Option<SecretString>,
    pub base_topic: BaseTopic,
}

impl MqttSettings {
    /// From the raw settings (`MQTT_BROKER_HOST`, `MQTT_USERNAME`, `MQTT_PASSWORD`,
    /// `MQTT_BASE_TOPIC`).
    pub fn parse(
        broker: &str,
        username: Option<SecretString>,
        password: Option<SecretString>,
        base_topic: &str,
    ) -> Result<Self, MqttSettingsError> {
        let username = username.filter(|u| !u.expose_secret().is_empty());
        let password = password.filter(|p| !p.expose_secret().is_empty());
        if username.is_none() && password.is_some() {
            return Err(MqttSettingsError::PasswordWithoutUsername);
        }
        Ok(Self {
            broker: BrokerAddress::parse(broker)?,
            username,
            password,
            base_topic: BaseTopic::parse(base_topic)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(raw: &str) -> Result<(String, u16), String> {
        BrokerAddress::parse(raw)
            .map(|b| (b.host().to_owned(), b.port()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn broker_addresses_take_a_host_and_an_optional_port() {
        assert_eq!(broker("mqtt://broker:1884"), Ok(("broker".into(), 1884)));
        assert_eq!(broker("mqtt://broker"), Ok(("broker".into(), 1883)));
        assert_eq!(
            broker("MQTT://10.0.0.7:2000/"),
            Ok(("10.0.0.7".into(), 2000))
        );
        assert_eq!(broker("tcp://broker:1"), Ok(("broker".into(), 1)));
        assert_eq!(
            broker("broker.example:1885"),
            Ok(("broker.example".into(), 1885))
        );
        assert_eq!(broker(" mqtt://[::1]:1886 "), Ok(("[::1]".into(), 1886)));
    }

    #[test]
    fn bad_broker_addresses_are_refused_with_a_reason() {
        for (raw, reason) in [
            ("mqtts://broker:8883", "not supported"),
            ("ws://broker", "not supported"),
            ("mqtt://", "names no host"),
            ("mqtt://broker:99999", "not a valid address"),
            ("mqtt://broker:x", "not a valid address"),
            ("mqtt://broker:0", "port 0"),
            ("mqtt://broker/chimp", "without a path"),
            ("mqtt://broker?x=1", "without a path"),
        ] {
            let error = broker(raw).expect_err(raw);
            assert!(error.contains(reason), "{raw}: {error}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_being_repeated() {
        let error = broker("mqtt://user:hunter2@broker:1883").expect_err("credentials");
        assert!(error.contains("MQTT_USERNAME"), "{error}");
        assert!(
            !error.contains("hunter2") && !error.contains("user:"),
            "{error}"
        );
    }

    #[test]
    fn base_topics_are_plain_topic_names() {
        assert_eq!(
            BaseTopic::parse("chimpassist/demo/").map(|t| t.0).ok(),
            Some("chimpassist/demo".to_owned())
        );
        for bad in ["", "/", "a/+/b", "a/#", "$SYS/x"] {
            assert!(BaseTopic::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_needs_a_username() {
        let error = MqttSettings::parse(
            "mqtt://broker",
            None,
            Some(SecretString::from("pw")),
            "chimpassist/demo",
        )
        .expect_err("password alone");
        assert!(matches!(error, MqttSettingsError::PasswordWithoutUsername));
    }

    #[test]
    fn settings_never_show_credentials() {
        let settings = MqttSettings::parse(
            "mqtt://broker",
            Some(SecretString::from("bus-user-name")),
            Some(SecretString::from("bus-pass-word")),
            "chimpassist/demo",
        )
        .expect("valid settings");
        let shown = format!("{settings:?}");
        assert!(!shown.contains("bus-user-name"), "{shown}");
        assert!(!shown.contains("bus-pass-word"), "{shown}");
    }
}
