//! Settings: command-line flags, each also readable from an environment variable (the flag
//! wins). `chimpassist serve --help` lists them all.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

use crate::bus::{MqttSettings, MqttSettingsError};
use crate::calls::{IceSettings, IceSettingsError, IceUrl};
use crate::edge::{self, TrustedProxies};

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
    /// `{email,password}` answers 200 with the user, 401 or 404. Credentials in it
    /// (`https://user:pass@host/`) are sent as basic auth and never printed.
    #[arg(long, env = "AUTHENTICATION_ENDPOINT", hide_env_values = true)]
    pub authentication_endpoint: Option<Endpoint>,

    /// Base URL of your statistics endpoints (without `/chimpassist`); also read from
    /// `STATISTICS_ENDPOINT`. Credentials in it are sent as basic auth and never printed.
    #[arg(long, env = "STATISTICS_BASE_ENDPOINT", hide_env_values = true)]
    pub statistics_base_endpoint: Option<Endpoint>,

    /// Also show statistics for visitors whose site id is not verified. Off by default: an
    /// unverified id is whatever the visitor's page claims, so your endpoints would show
    /// another person's contact info to the attendant.
    #[arg(long, env = "ALLOW_UNVERIFIED_STATISTICS", default_value_t = false)]
    pub allow_unverified_statistics: bool,

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

    /// Largest file a message may carry, bytes (10 MiB by default). Larger uploads are
    /// answered `413 file_too_large`; the widget and the back-office say so before sending.
    #[arg(long, env = "MAX_ATTACHMENT_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_attachment_bytes: u64,

    /// Which files may be sent, by kind (read from the bytes, never the name): a
    /// comma-separated list of `image` (PNG, JPEG, GIF, WebP, SVG), `pdf`, `text`, `office`
    /// (Word, Excel, PowerPoint, OpenDocument, RTF) and `zip`. Programs never are.
    #[arg(long, env = "ATTACHMENT_TYPES", default_value = "image,pdf,text,office,zip",
        value_parser = parse_groups)]
    pub attachment_types: Groups,

    /// File uploads per minute per client network, for customers (attendants are signed in
    /// and only limited by `REQUESTS_PER_MINUTE_PER_IP`).
    #[arg(long, env = "UPLOADS_PER_MINUTE_PER_IP", default_value_t = 30)]
    pub uploads_per_minute_per_ip: u32,

    /// Seconds a file upload may take, its body included (`REQUEST_TIMEOUT_SECONDS` is for
    /// everything else): 10 MiB over a slow mobile uplink takes minutes.
    #[arg(long, env = "UPLOAD_TIMEOUT_SECONDS", default_value_t = 300)]
    pub upload_timeout_seconds: u64,

    /// Largest WebSocket frame or JSON body, bytes.
    #[arg(long, env = "MAX_FRAME_BYTES", default_value_t = 16 * 1024)]
    pub max_frame_bytes: usize,

    /// Frames per second a connection may send on average (bursts up to twice that).
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 20)]
    pub rate_limit_per_second: u32,

    /// Most connections at once, HTTP and WebSocket (lowered to fit the open-files limit).
    /// Past it, new connections are answered `503 too_many_connections` and closed.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 100_000)]
    pub max_connections: usize,

    /// Most connections one client address holds at once (a trusted proxy's are not counted
    /// this way: limit its clients in the proxy). Past it: `429 too_many_connections`.
    #[arg(long, env = "MAX_CONNECTIONS_PER_IP", default_value_t = 256)]
    pub max_connections_per_ip: u32,

    /// Seconds a connection has to send a request's headers; also how long a kept-alive HTTP
    /// connection may wait for its next request. Silent connections are closed after it.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_read_timeout_seconds: u64,

    /// Seconds an HTTP request, its body included, may take before it is answered `408`.
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,

    /// HTTP requests per minute one client network may make (an IPv4 address, an IPv6 /64).
    #[arg(long, env = "REQUESTS_PER_MINUTE_PER_IP", default_value_t = 1200)]
    pub requests_per_minute_per_ip: u32,

    /// New visitor identities per minute per client network (`POST /session` or a widget
    /// `hello` without a customer token).
    #[arg(long, env = "NEW_CUSTOMERS_PER_MINUTE_PER_IP", default_value_t = 20)]
    pub new_customers_per_minute_per_ip: u32,

    /// Chat requests (`start_chat`) per minute per client network.
    #[arg(long, env = "CHATS_PER_MINUTE_PER_IP", default_value_t = 10)]
    pub chats_per_minute_per_ip: u32,

    /// Open (queued or ongoing) conversations one client network may have at once.
    #[arg(long, env = "MAX_OPEN_CONVERSATIONS_PER_IP", default_value_t = 10)]
    pub max_open_conversations_per_ip: u32,

    /// Callback requests (`POST /api/callback`) per minute per client network.
    #[arg(long, env = "CALLBACKS_PER_MINUTE_PER_IP", default_value_t = 5)]
    pub callbacks_per_minute_per_ip: u32,

    /// Sign-in attempts per minute per client network (each account also backs off after 5
    /// failures in a row: 1 s, 2 s, 4 s … up to 15 min).
    #[arg(long, env = "LOGINS_PER_MINUTE_PER_IP", default_value_t = 20)]
    pub logins_per_minute_per_ip: u32,

    /// Reverse proxies in front of this server whose `X-Forwarded-For` and
    /// `X-Forwarded-Proto` are believed: comma-separated addresses or CIDR ranges (e.g.
    /// `10.0.0.0/8`). None by default: the client is whoever connects, those headers ignored.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", hide_default_value = true,
        value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,

    /// Origins besides the server's own that may open the attendant WebSocket
    /// (comma-separated), e.g. `http://127.0.0.1:8080` for `trunk serve`. None by default.
    /// The widget's `ALLOWED_ORIGINS` never do.
    #[arg(long, env = "BACKOFFICE_ORIGINS", value_delimiter = ',')]
    pub backoffice_origins: Vec<String>,

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

    /// Seconds a call rings unanswered before it ends as missed.
    #[arg(long, env = "CALL_RING_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub call_ring_seconds: u64,

    /// Let webhook endpoints be loopback, private or link-local addresses (`10.…`,
    /// `192.168.…`, `127.…`, `169.254.…`, `fc00::/7`…). Off: such destinations are refused,
    /// so an admin account cannot be used to reach the server's own network (SSRF). Turn it
    /// on for a closed network whose receivers live there, and in tests.
    #[arg(
        long,
        env = "WEBHOOK_ALLOW_PRIVATE_DESTINATIONS",
        default_value_t = false
    )]
    pub webhook_allow_private_destinations: bool,

    /// Delays before each webhook attempt, comma-separated (`ms`, `s`, `m`, `h`); the number
    /// of delays is the number of attempts. Svix's schedule by default (eight attempts over
    /// about 27 hours).
    #[arg(long, env = "WEBHOOK_RETRY_SCHEDULE", default_value = crate::webhooks::policy::DEFAULT_SCHEDULE, value_parser = parse_schedule)]
    pub webhook_retry_schedule: Schedule,

    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECONDS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout_seconds: u64,

    /// Hours of nothing but failed deliveries after which an endpoint is disabled (its
    /// undelivered events wait until an admin enables it again).
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub webhook_disable_after_hours: u64,

    /// Milliseconds between a node's looks for new events and due retries: the most an event
    /// waits before its first attempt.
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,

    /// Days delivered webhook events and the delivery log are kept (for redelivery).
    #[arg(long, env = "WEBHOOK_KEEP_DAYS", default_value_t = 14, value_parser = clap::value_parser!(u64).range(2..=365))]
    pub webhook_keep_days: u64,

    /// How long an ended conversation keeps its messages, notes and files (`365d`, `12h`…);
    /// unset: kept until erased. One node at a time empties older ones; their records stay
    /// for the reports.
    #[arg(long, env = "CONVERSATION_RETENTION", value_parser = parse_retention)]
    pub conversation_retention: Option<Duration>,

    /// How often the retention sweep looks for conversations past the retention period.
    #[arg(long, env = "RETENTION_SWEEP_EVERY", default_value = "1h", value_parser = parse_sweep_every)]
    pub retention_sweep_every: Duration,

    /// STUN servers the browsers of a call use to find their public addresses
    /// (comma-separated `stun:host:port` URLs). None by default: a STUN server learns every
    /// caller's address, so choose it. Without STUN or TURN, calls connect only where the two
    /// browsers reach each other directly.
    #[arg(long, env = "STUN_URLS", value_delimiter = ',')]
    pub stun_urls: Vec<IceUrl>,

    /// TURN relays for calls whose browsers cannot reach each other (comma-separated
    /// `turn:`/`turns:` URLs, e.g. `turn:turn.example.com:3478?transport=udp`). Needs
    /// `TURN_SECRET`.
    #[arg(long, env = "TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<IceUrl>,

    /// The TURN relay's shared secret (coturn: `use-auth-secret` and `static-auth-secret`).
    /// Each call participant gets credentials made from it that expire; the secret itself is
    /// never sent or logged.
    #[arg(long, env = "TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<SecretString>,

    /// Seconds a call participant's TURN credentials stay valid. The relay checks them when
    /// the call connects and whenever the browser renews its allocation, so this bounds how
    /// long a call can go on through the relay.
    #[arg(long, env = "TURN_CREDENTIAL_SECONDS", default_value_t = 14_400, value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub turn_credential_seconds: u64,
}

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
        }
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

/// The kinds of file `ATTACHMENT_TYPES` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Groups(pub Vec<crate::attachments::FileGroup>);

fn parse_groups(raw: &str) -> Result<Groups, String> {
    crate::attachments::FileGroup::parse_list(raw).map(Groups)
}

/// `WEBHOOK_RETRY_SCHEDULE`: the delay before each attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

fn parse_retention(raw: &str) -> Result<Duration, String> {
    match crate::webhooks::policy::parse_duration(raw.trim())? {
        Duration::ZERO => Err("a retention period of 0 would empty every conversation at once; leave it unset to keep them".into()),
        period => Ok(period),
    }
}

fn parse_sweep_every(raw: &str) -> Result<Duration, String> {
    let every = crate::webhooks::policy::parse_duration(raw.trim())?;
    if every < Duration::from_millis(10) || every > Duration::from_secs(86_400) {
        return Err("the retention sweep runs every 10ms to 1d".into());
    }
    Ok(every)
}

fn parse_schedule(raw: &str) -> Result<Schedule, String> {
    crate::webhooks::policy::parse_schedule(raw).map(Schedule)
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
    fn retention_is_off_by_default_and_takes_a_period_with_its_unit() {
        let default = serve(&[]).expect("accepted");
        assert!(
            default.retention().is_none(),
            "kept until erased by default"
        );
        let year = serve(&["--conversation-retention", "365d"]).expect("accepted");
        let settings = year.retention().expect("on");
        assert_eq!(settings.keep, Duration::from_secs(365 * 86_400));
        assert_eq!(settings.every, Duration::from_secs(3600));
        for refused in ["0", "1y", "365"] {
            let error = serve(&["--conversation-retention", refused])
                .expect_err(refused)
                .to_string();
            assert!(
                error.contains("CONVERSATION_RETENTION") || error.contains("retention"),
                "{error}"
            );
        }
        assert!(serve(&["--retention-sweep-every", "2d"]).is_err());
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

    #[test]
    fn endpoint_credentials_are_used_but_never_shown() {
        let config = serve(&[
            "--statistics-base-endpoint",
            "http://statsuser:S3cretStat@127.0.0.1:1/base",
        ])
        .expect("accepted");
        let endpoint = config.statistics_base_endpoint.clone().expect("set");
        assert_eq!(endpoint.url().password(), Some("S3cretStat"));
        for shown in [
            endpoint.to_string(),
            format!("{endpoint:?}"),
            format!("{config:?}"),
        ] {
            assert!(!shown.contains("S3cret"), "{shown}");
            assert!(!shown.contains("statsuser"), "{shown}");
        }
    }

    #[test]
    fn backoffice_origins_are_empty_by_default_and_compared_exactly() {
        let config = serve(&[]).expect("defaults");
        assert!(!config.backoffice_origin_allowed("http://127.0.0.1:8080"));
        let config = serve(&["--backoffice-origins", "http://127.0.0.1:8080"]).expect("set");
        assert!(config.backoffice_origin_allowed("http://127.0.0.1:8080/"));
        assert!(!config.backoffice_origin_allowed("https://127.0.0.1:8080"));
        assert!(!config.backoffice_origin_allowed("http://127.0.0.1:8081"));
    }
}
