//! Settings: command-line flags, each also readable from an environment variable (the flag
//! wins). `chimpassist serve --help` lists them all.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

use crate::bus::{MqttSettings, MqttSettingsError};

/// Chimp Assist: an open-source customer-service live chat.
#[derive(Debug, Parser)]
#[command(name = "chimpassist", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the chat server (REST, WebSockets, coordinator).
    Serve(Box<Config>),
}

/// Every setting of `chimpassist serve`.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Directory of the embedded database (unused when `MONGO_CONNECTION_URL` is set).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// MongoDB connection string (`mongodb://…` or `mongodb+srv://…`): when set, everything is
    /// stored in MongoDB instead of the embedded database. Needs a replica set (a single node
    /// is enough) for transactions. Only its hosts are ever logged.
    #[arg(long, env = "MONGO_CONNECTION_URL", hide_env_values = true)]
    pub mongo_connection_url: Option<SecretString>,

    /// MongoDB database name.
    #[arg(long, env = "MONGO_DATABASE", default_value = "chimpassist")]
    pub mongo_database: String,

    /// MQTT broker joining the nodes of a cluster (`mqtt://host:port`, port 1883 by default):
    /// when set, events travel between nodes through it instead of staying in this process.
    /// Credentials go in `MQTT_USERNAME` and `MQTT_PASSWORD`, never in this URL.
    #[arg(long, env = "MQTT_BROKER_HOST")]
    pub mqtt_broker_host: Option<String>,

    /// User name for the MQTT broker (never logged).
    #[arg(long, env = "MQTT_USERNAME", hide_env_values = true)]
    pub mqtt_username: Option<SecretString>,

    /// Password for the MQTT broker (never logged).
    #[arg(long, env = "MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<SecretString>,

    /// Topic prefix of the cluster's bus: nodes on the same broker with the same prefix form
    /// one cluster.
    #[arg(long, env = "MQTT_BASE_TOPIC", default_value = "chimpassist/demo")]
    pub mqtt_base_topic: String,

    /// Milliseconds of the coordinator's lease in a cluster: the node holding it coordinates
    /// and renews it every fifth of it; when that node dies another takes over after at most
    /// this long. Also how long a silent node's sockets stay counted.
    #[arg(long, env = "LEADER_LEASE_TIME", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(500..=600_000))]
    pub leader_lease_ms: u64,

    /// Directory of the built front ends: the widget's files in its `widget/` folder (`cargo
    /// xtask widget` writes them), read on every request, so a rebuilt widget needs no
    /// restart; the back-office's in `backoffice/`, whose page is read at start.
    #[arg(long, env = "ASSETS_DIR", default_value = "dist")]
    pub assets_dir: PathBuf,

    /// Milliseconds a conversation survives without the customer connected before it
    /// expires (or, while still queued, is abandoned).
    #[arg(long, env = "SESSION_KEEP_ALIVE_TIME", default_value_t = 600_000)]
    pub session_keep_alive_ms: u64,

    /// Milliseconds an attendant may be disconnected before going offline; their open
    /// conversations then go back to the head of the queue.
    #[arg(long, env = "ATTENDANT_KEEP_ALIVE_TIME", default_value_t = 30_000)]
    pub attendant_keep_alive_ms: u64,

    /// Seconds the public queue statistics and the statistics proxy cache their answers.
    #[arg(long, env = "CACHE_SECONDS", default_value_t = 2)]
    pub cache_seconds: u64,

    /// Base URL of your authentication hook: `POST {url}/chimpassist/auth` with
    /// `{email,password}` answers 200 with the user, 401 or 404.
    #[arg(long, env = "AUTHENTICATION_ENDPOINT")]
    pub authentication_endpoint: Option<url::Url>,

    /// Base URL of your statistics endpoints (without `/chimpassist`); also read from
    /// `STATISTICS_ENDPOINT`.
    #[arg(long, env = "STATISTICS_BASE_ENDPOINT")]
    pub statistics_base_endpoint: Option<url::Url>,

    /// Origins allowed to open the customer WebSocket and call the widget's REST routes
    /// (comma-separated, e.g. `https://shop.example.com`); `*` allows any.
    #[arg(
        long,
        env = "ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = "*"
    )]
    pub allowed_origins: Vec<String>,

    /// Secret shared with your site's backend to verify visitor identities: `userData.hash`
    /// = hex HMAC-SHA256(secret, id), or `userData.token` = HS256 JWT with `sub` and `exp`.
    #[arg(long, env = "IDENTITY_SECRET", hide_env_values = true)]
    pub identity_secret: Option<SecretString>,

    /// Refuse customers whose `userData` carries an id without a valid proof.
    #[arg(long, env = "REQUIRE_VERIFIED_IDENTITY", default_value_t = false)]
    pub require_verified_identity: bool,

    /// Concurrent conversations per attendant unless set per attendant.
    #[arg(long, env = "DEFAULT_CAPACITY", default_value_t = 3)]
    pub default_capacity: u32,

    /// Longest message text, bytes.
    #[arg(long, env = "MAX_TEXT_BYTES", default_value_t = 4096)]
    pub max_text_bytes: usize,

    /// Largest WebSocket frame or JSON body, bytes.
    #[arg(long, env = "MAX_FRAME_BYTES", default_value_t = 16 * 1024)]
    pub max_frame_bytes: usize,

    /// Frames per second a connection may send on average (bursts up to twice that).
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 20)]
    pub rate_limit_per_second: u32,

    /// Most WebSocket connections at once.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 100_000)]
    pub max_connections: usize,

    /// Seconds between server pings; a connection silent for three times this is closed.
    #[arg(long, env = "HEARTBEAT_SECONDS", default_value_t = 20)]
    pub heartbeat_seconds: u64,

    /// Login of the first admin, created when no attendant exists.
    #[arg(long, env = "ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// Password of that admin.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<SecretString>,

    /// Production mode: refuse the default `admin`/`admin` account and send cookies `Secure`.
    #[arg(long, env = "PRODUCTION", default_value_t = false)]
    pub production: bool,

    /// Small logo in the back-office's header (URL); the built-in one when unset.
    #[arg(long, env = "LOGO_SMALL_URL")]
    pub logo_small_url: Option<String>,

    /// Avatar the back-office shows for attendants without one of their own (URL).
    #[arg(long, env = "DEFAULT_ATTENDANT_AVATAR_URL")]
    pub default_attendant_avatar_url: Option<String>,

    /// The back-office's favicon (URL).
    #[arg(long, env = "FAV_ICON_URL")]
    pub fav_icon_url: Option<String>,

    /// Browser tab title of the back-office.
    #[arg(long, env = "MAIN_PAGE_TITLE", default_value = "Chimp Assist")]
    pub main_page_title: String,

    /// Browser tab title of the back-office's sign-in page.
    #[arg(
        long,
        env = "LOGIN_PAGE_TITLE",
        default_value = "Chimp Assist – Sign in"
    )]
    pub login_page_title: String,

    /// Heading of the back-office's list of connected customers (translated default).
    #[arg(long, env = "ONLINE_CUSTOMERS_LABEL")]
    pub online_customers_label: Option<String>,

    /// Heading of the back-office's list of customers who left (translated default).
    #[arg(long, env = "OFFLINE_CUSTOMERS_LABEL")]
    pub offline_customers_label: Option<String>,

    /// Language of the back-office for everyone (`en` or `pt-BR`) instead of each browser's.
    #[arg(
        long = "force-i18n-language",
        env = "FORCE_i18n_LANGUAGE",
        value_name = "FORCE_i18n_LANGUAGE",
        ignore_case = true
    )]
    pub force_i18n_language: Option<UiLanguage>,

    /// Log filter, e.g. `info` or `chimpassist_server=debug`.
    #[arg(long, env = "LOG", default_value = "info")]
    pub log: String,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "LOG_JSON", default_value_t = false)]
    pub log_json: bool,
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
            self.statistics_base_endpoint = url::Url::parse(&raw).ok();
        }
        self
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

    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_seconds)
    }

    /// True when any origin may use the customer endpoints.
    pub fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o.trim() == "*")
    }

    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.any_origin()
            || self
                .allowed_origins
                .iter()
                .any(|o| o.trim().trim_end_matches('/') == origin.trim_end_matches('/'))
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

    pub fn limits(&self) -> chimpassist_protocol::Limits {
        chimpassist_protocol::Limits {
            max_frame_bytes: self.max_frame_bytes,
            max_text_bytes: self.max_text_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Result<Config, clap::Error> {
        let argv = ["chimpassist", "serve"].iter().chain(args);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            Command::Serve(config) => *config,
        })
    }

    #[test]
    fn the_forced_language_is_en_or_pt_br_and_anything_else_stops_the_start() {
        let config = serve(&["--force-i18n-language", "pt-br"]).expect("accepted");
        assert_eq!(
            config.force_i18n_language.map(UiLanguage::tag),
            Some("pt-BR")
        );
        let error = serve(&["--force-i18n-language", "fr"])
            .expect_err("refused")
            .to_string();
        assert!(error.contains("FORCE_i18n_LANGUAGE"), "{error}");
        assert!(error.contains("en, pt-BR"), "{error}");
    }
}
