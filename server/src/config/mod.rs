//! Settings: command-line flags, each also readable from an environment variable (the flag
//! wins). `chimpassist serve --help` lists them all.
//!
//! This file: the flags themselves ([`Config`]); `values`: the types some flags parse into
//! and their parsers; `settings`: what the rest of the server asks of a `Config` (each
//! component's settings, checks across flags).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::calls::IceUrl;
use crate::edge::TrustedProxies;

mod settings;
#[cfg(test)]
mod tests;
mod values;

pub use values::{Endpoint, Groups, Schedule, UiLanguage};
use values::{
    parse_groups, parse_page_tracking, parse_retention, parse_schedule, parse_sweep_every,
};

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

    /// What the widget reports of the visitor's page: `off` (nothing about pages), `path`
    /// (origin and path: query strings and fragments often carry tokens, so they stay in the
    /// browser) or `full`.
    #[arg(long, env = "PAGE_TRACKING", default_value = "path", value_parser = parse_page_tracking)]
    pub page_tracking: chimpassist_protocol::PageTracking,

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

    /// The SMTP server that sends e-mail to visitors (transcripts, replies they missed):
    /// `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS) or `smtp://host:25` (a relay on a trusted network). Unset: no e-mail. Needs
    /// `PUBLIC_URL`; every node must have the same. The credentials are never logged.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The sender of e-mail to visitors, e.g. `Acme Support <support@acme.example>`.
    #[arg(
        long,
        env = "SMTP_FROM",
        default_value = "Chimp Assist <chat@localhost>"
    )]
    pub smtp_from: String,

    /// Where visitors reach this server (`https://chat.acme.example`): the links in e-mails
    /// (reopening a conversation) point there.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Seconds a visitor must have been gone, with an attendant's reply unread, before the
    /// reply is e-mailed to them.
    #[arg(long, env = "EMAIL_AWAY_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub email_away_seconds: u64,
}
