//! ICE servers from configuration (`STUN_URLS`, `TURN_URLS`, `TURN_SECRET`), and the TURN
//! credentials each call participant gets.
//!
//! # TURN credentials
//! The TURN REST API scheme (draft-uberti-behave-turn-rest-00; coturn's `use-auth-secret`):
//! the username is `<expiry as Unix seconds>:<who>` and the password
//! `base64(HMAC-SHA1(secret, username))`. The TURN server recomputes the password from the
//! secret it shares with us and refuses an expired username, so credentials need no database
//! and a leaked pair stops working by itself. The secret itself never leaves this process: it
//! is not logged, not shown by `--help`, not sent to any browser.
//!
//! A relay without credentials is an open relay anyone can use (and turn against the
//! network behind it), so `TURN_URLS` without `TURN_SECRET` fails the start.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use chimpassist_protocol::IceServer;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};

/// Longest ICE server URL accepted, bytes.
const MAX_URL_LEN: usize = 512;

/// A STUN or TURN server URL (RFC 7064 / RFC 7065): `stun:`, `stuns:`, `turn:` or `turns:`,
/// then a host, without whitespace or control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct IceUrl {
    url: String,
    relay: bool,
}

impl IceUrl {
    /// Whether it names a TURN server (`turn:`/`turns:`), which needs credentials.
    pub fn is_relay(&self) -> bool {
        self.relay
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl FromStr for IceUrl {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let url = raw.trim();
        if url.len() > MAX_URL_LEN {
            return Err(format!(
                "an ICE server URL is longer than {MAX_URL_LEN} bytes"
            ));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{url:?} contains whitespace"));
        }
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(format!("{url:?} is not a stun: or turn: URL"));
        };
        let relay = match scheme {
            "stun" | "stuns" => false,
            "turn" | "turns" => true,
            _ => {
                return Err(format!(
                    "{url:?}: the scheme must be stun, stuns, turn or turns"
                ));
            }
        };
        let host = rest.split(['?', ':']).next().unwrap_or_default();
        if host.is_empty() || host.starts_with('/') {
            return Err(format!(
                "{url:?} has no host (write e.g. turn:turn.example.com:3478)"
            ));
        }
        Ok(Self {
            url: url.to_owned(),
            relay,
        })
    }
}

impl fmt::Debug for IceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.url, f)
    }
}

impl fmt::Display for IceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// A setting that cannot work; the start fails with it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IceSettingsError {
    #[error("STUN_URLS takes stun: and stuns: URLs; {0} is a TURN server (put it in TURN_URLS)")]
    RelayInStun(String),
    #[error("TURN_URLS takes turn: and turns: URLs; {0} is a STUN server (put it in STUN_URLS)")]
    StunInTurn(String),
    #[error(
        "TURN_URLS is set without TURN_SECRET: a relay without credentials is open to anyone. \
         Set TURN_SECRET to coturn's static-auth-secret (with use-auth-secret)"
    )]
    RelayWithoutSecret,
    #[error("TURN_SECRET is set but TURN_URLS is empty: say where the TURN server is")]
    SecretWithoutRelay,
    #[error("TURN_SECRET is empty")]
    EmptySecret,
}

/// The ICE servers of this deployment. Without any, browsers still connect where their
/// host addresses reach each other (the same network).
#[derive(Clone, Default)]
pub struct IceSettings {
    stun: Vec<IceUrl>,
    turn: Option<Relay>,
}

#[derive(Clone)]
struct Relay {
    urls: Vec<IceUrl>,
    secret: SecretString,
    /// How long a participant's credentials stay valid.
    lifetime: Duration,
}

impl IceSettings {
    /// Checks the settings together: every URL in its list, and a TURN server only with its
    /// secret.
    pub fn new(
        stun: Vec<IceUrl>,
        turn: Vec<IceUrl>,
        secret: Option<SecretString>,
        lifetime: Duration,
    ) -> Result<Self, IceSettingsError> {
        if let Some(url) = stun.iter().find(|u| u.is_relay()) {
            return Err(IceSettingsError::RelayInStun(url.to_string()));
        }
        if let Some(url) = turn.iter().find(|u| !u.is_relay()) {
            return Err(IceSettingsError::StunInTurn(url.to_string()));
        }
        let turn = match (turn.is_empty(), secret) {
            (true, None) => None,
            (true, Some(_)) => return Err(IceSettingsError::SecretWithoutRelay),
            (false, None) => return Err(IceSettingsError::RelayWithoutSecret),
            (false, Some(secret)) if secret.expose_secret().is_empty() => {
                return Err(IceSettingsError::EmptySecret);
            }
            (false, Some(secret)) => Some(Relay {
                urls: turn,
                secret,
                lifetime,
            }),
        };
        Ok(Self { stun, turn })
    }

    /// Whether a TURN relay is configured.
    pub fn has_relay(&self) -> bool {
        self.turn.is_some()
    }

    /// The `iceServers` for one participant of one call: the STUN servers, and the TURN
    /// servers with credentials for `who` (a name for the relay's logs, without `:`) valid
    /// from `now` for the configured lifetime.
    pub fn servers_for(&self, who: &str, now: SystemTime) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun.is_empty() {
            servers.push(IceServer {
                urls: self.stun.iter().map(|u| u.to_string()).collect(),
                username: None,
                credential: None,
            });
        }
        if let Some(relay) = &self.turn {
            let expiry = now
                .checked_add(relay.lifetime)
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let username = format!("{expiry}:{}", who.replace(':', "_"));
            let credential = turn_password(relay.secret.expose_secret(), &username);
            servers.push(IceServer {
                urls: relay.urls.iter().map(|u| u.to_string()).collect(),
                username: Some(username),
                credential: Some(credential),
            });
        }
        servers
    }
}

impl fmt::Debug for IceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceSettings")
            .field("stun", &self.stun)
            .field("turn", &self.turn.as_ref().map(|r| &r.urls))
            .finish_non_exhaustive()
    }
}

/// `base64(HMAC-SHA1(secret, username))`: the TURN REST API's password.
pub fn turn_password(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<IceUrl> {
        list.iter().map(|u| u.parse().unwrap()).collect()
    }

    #[test]
    fn urls_need_a_stun_or_turn_scheme_and_a_host() {
        for good in [
            "stun:stun.example.com:3478",
            "stuns:stun.example.com",
            "turn:127.0.0.1:3478?transport=udp",
            "turns:turn.example.com:5349?transport=tcp",
            "turn:[::1]:3478",
        ] {
            assert!(good.parse::<IceUrl>().is_ok(), "{good}");
        }
        for bad in [
            "http://turn.example.com",
            "turn:",
            "turn://x",
            "stun:a b",
            "example.com:3478",
            "",
        ] {
            assert!(bad.parse::<IceUrl>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_relay_needs_its_secret_and_each_list_its_kind() {
        let secret = || Some(SecretString::from("s3cret"));
        let hour = Duration::from_secs(3600);
        let turn = urls(&["turn:t.example.com"]);
        let stun = urls(&["stun:s.example.com"]);
        assert_eq!(
            IceSettings::new(vec![], turn.clone(), None, hour).err(),
            Some(IceSettingsError::RelayWithoutSecret)
        );
        assert_eq!(
            IceSettings::new(stun.clone(), vec![], secret(), hour).err(),
            Some(IceSettingsError::SecretWithoutRelay)
        );
        assert_eq!(
            IceSettings::new(turn.clone(), vec![], None, hour).err(),
            Some(IceSettingsError::RelayInStun("turn:t.example.com".into()))
        );
        assert_eq!(
            IceSettings::new(vec![], stun.clone(), secret(), hour).err(),
            Some(IceSettingsError::StunInTurn("stun:s.example.com".into()))
        );
        assert!(IceSettings::new(stun, turn, secret(), hour).is_ok());
        assert!(
            IceSettings::new(vec![], vec![], None, hour)
                .unwrap()
                .servers_for("x", SystemTime::now())
                .is_empty()
        );
    }

    #[test]
    fn credentials_follow_the_turn_rest_scheme_and_never_carry_the_secret() {
        let settings = IceSettings::new(
            urls(&["stun:s.example.com"]),
            urls(&["turn:t.example.com", "turns:t.example.com:5349"]),
            Some(SecretString::from("testsecret")),
            Duration::from_secs(600),
        )
        .unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let servers = settings.servers_for("call:1.customer", now);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[0].urls, ["stun:s.example.com"]);
        assert_eq!(servers[0].username, None);
        let turn = &servers[1];
        assert_eq!(
            turn.urls,
            ["turn:t.example.com", "turns:t.example.com:5349"]
        );
        // The expiry first; a `:` in the name would end coturn's timestamp field early.
        assert_eq!(turn.username.as_deref(), Some("1800000600:call_1.customer"));
        // `printf %s 1800000600:call_1.customer | openssl dgst -sha1 -hmac testsecret -binary | base64`
        assert_eq!(
            turn.credential.as_deref(),
            Some("qL3Z/7py2USlXyw1RzDqgiKg8JE=")
        );
        let shown = format!("{settings:?} {servers:?}");
        assert!(!shown.contains("testsecret"), "{shown}");
    }
}
