//! Wiring: open the store, bootstrap accounts and queues, start the coordinator and the hub's
//! bus subscription, bind the listener. `build` returns with the port bound, so tests use
//! port 0 and read the real one.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderValue, Method, header};
use axum::serve::ListenerExt;
use chimpassist_protocol::{AssignmentMode, AttendantId, QueueId, Role};
use chimpassist_store::{Attendant, Queue, SqliteStore, Store};
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Auth, AuthSettings, password, tokens};
use crate::bus::{Bus, LocalBus};
use crate::config::Config;
use crate::coordinator::{Coordinator, Timing};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::views::now_ms;

/// Events a node may buffer for its hub before it lags.
const BUS_CAPACITY: usize = 1 << 16;
/// File descriptors kept for everything that is not a WebSocket (database, HTTP requests,
/// the outbound HTTP client).
const FD_RESERVE: u64 = 256;

/// Raises the open-files soft limit to the hard limit and caps WebSocket connections below
/// it, so an overloaded server refuses with `too_many_connections` instead of failing
/// `accept` (which leaves clients hanging in the listen backlog).
fn connection_cap(configured: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the open-files limit");
            return configured;
        }
    };
    let usable = usize::try_from(limit.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
    if usable < configured {
        tracing::info!(
            open_files = limit,
            max_connections = usable,
            "connection cap lowered to fit the open-files limit"
        );
    }
    configured.min(usable)
}

/// A built, bound, not yet serving application.
#[derive(Debug)]
pub struct Application {
    port: u16,
    listener: TcpListener,
    state: Arc<AppState>,
    store: Arc<SqliteStore>,
    coordinator: JoinHandle<()>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let store =
            Arc::new(SqliteStore::open_in(&config.data_dir).with_context(|| {
                format!("opening the database in {}", config.data_dir.display())
            })?);
        let dyn_store: Arc<dyn Store> = store.clone();
        bootstrap(&dyn_store, &config).await?;
        let secret = dyn_store
            .setting_or_init("customer_token_secret", tokens::random_token())
            .await?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .context("building the HTTP client")?;
        let auth = Auth::new(
            Arc::clone(&dyn_store),
            secret.as_bytes(),
            AuthSettings {
                identity_secret: config.identity_secret.clone(),
                require_verified: config.require_verified_identity,
                authentication_endpoint: config.authentication_endpoint.clone(),
                default_capacity: config.default_capacity,
            },
            http.clone(),
        );
        let bus: Arc<dyn Bus> = Arc::new(LocalBus::new(BUS_CAPACITY));
        let stop = CancellationToken::new();
        let timing = Timing {
            session_keep_alive: config.session_keep_alive(),
            attendant_keep_alive: config.attendant_keep_alive(),
        };
        let (coordinator, coordinator_task) = Coordinator::start(
            Arc::clone(&dyn_store),
            Arc::clone(&bus),
            timing,
            stop.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("starting the coordinator: {e}"))?;
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(AppState {
            connections: Arc::new(Semaphore::new(connection_cap(config.max_connections))),
            config,
            store: dyn_store,
            bus,
            hub: Hub::new(),
            coordinator,
            auth,
            metrics: Metrics::default(),
            http,
            upstream: Default::default(),
            stop,
        });
        Ok(Self {
            port,
            listener,
            state,
            store,
            coordinator: coordinator_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves; then closes WebSockets (1001), lets in-flight HTTP
    /// requests finish, stops the coordinator and waits for the store to commit every
    /// queued write.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state;
        let deliveries = spawn_deliveries(Arc::clone(&state));
        let app = crate::api::router(Arc::clone(&state))
            .layer(RequestBodyLimitLayer::new(
                state.config.max_frame_bytes.max(64 * 1024),
            ))
            .layer(cors(&state.config))
            // Merged after the CORS layer, which would answer a listed origin instead of the
            // widget files' own `*` (see assets.rs).
            .merge(crate::assets::router(&state.config.assets_dir))
            .layer(TraceLayer::new_for_http());
        let stop = state.stop.clone();
        // Chat frames are small: without TCP_NODELAY, Nagle's algorithm and delayed ACKs
        // hold them for ~40 ms.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down");
            stop.cancel();
        })
        .await
        .context("serving")?;
        state.stop.cancel();
        deliveries.abort();
        let _ = self.coordinator.await;
        self.store.close().await;
        tracing::info!("stopped; every acknowledged write is on disk");
        Ok(())
    }
}

/// Hands bus events to this node's hub. If the hub lags behind the bus, connections may
/// have missed events: they are cut, and clients resume from the store.
fn spawn_deliveries(state: Arc<AppState>) -> JoinHandle<()> {
    let mut events = state.bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => state.hub.deliver(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "hub lagged behind the bus; cutting connections");
                    state.hub.cut_all();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
}

/// CORS for the widget's REST calls from other origins. The customer routes use bearer
/// tokens, never cookies, so credentials are not allowed cross-origin.
fn cors(config: &Config) -> CorsLayer {
    let origins = if config.any_origin() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            config
                .allowed_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
}

/// The default queue, and a first admin when there is no attendant at all.
async fn bootstrap(store: &Arc<dyn Store>, config: &Config) -> anyhow::Result<()> {
    if store.get_queue(&QueueId::default_queue()).await?.is_none() {
        store
            .upsert_queue(Queue {
                id: QueueId::default_queue(),
                name: "Default".into(),
                mode: AssignmentMode::Auto,
                skill: None,
                greeting: None,
                away_message: None,
            })
            .await?;
    }
    if store.count_attendants().await? > 0 {
        return Ok(());
    }
    let (login, password, default) = match (&config.admin_email, &config.admin_password) {
        (Some(login), Some(password)) => (login.to_lowercase(), password.clone(), false),
        (None, None) if config.production => anyhow::bail!(
            "production mode refuses the default admin/admin account: set ADMIN_EMAIL and ADMIN_PASSWORD"
        ),
        (None, None) => ("admin".to_owned(), SecretString::from("admin"), true),
        _ => anyhow::bail!("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither"),
    };
    if !default {
        password::check_new(password.expose_secret())
            .map_err(|e| anyhow::anyhow!("ADMIN_PASSWORD: {}", e.body().message))?;
    }
    let hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
    store
        .create_attendant(Attendant {
            id: AttendantId::parse("admin")?,
            email: login.clone(),
            name: "Administrator".into(),
            avatar_url: None,
            role: Role::Admin,
            skill: "support/firstLevel".into(),
            queues: vec![QueueId::default_queue()],
            capacity: config.default_capacity,
            disabled: false,
            password_hash: Some(hash),
            must_change_password: default,
            created_at: now_ms(),
        })
        .await?;
    if default {
        tracing::warn!(
            "\n\n  !!! Created the default account admin/admin. Log in and change its password now. !!!\n  !!! Set ADMIN_EMAIL/ADMIN_PASSWORD, or run with --production, to avoid this.       !!!\n"
        );
    } else {
        tracing::info!(login, "created the first admin account");
    }
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
