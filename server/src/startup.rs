//! Wiring: open the store, bootstrap accounts and queues, start the coordinator and the hub's
//! bus subscription, bind the listener. `build` returns with the port bound, so tests use
//! port 0 and read the real one.
//!
//! On MongoDB the store-dependent part runs in the background after serving starts, retried
//! with backoff until the database answers: meanwhile `/healthz` is 200 and `/readyz` 503.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::{Json, Router};
use chimpassist_protocol::{AssignmentMode, AttendantId, ErrorCode, QueueId, Role};
use chimpassist_store::{Attendant, Queue, Store, StoreError};
use chimpassist_store_mongo::MongoStore;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::auth::{Auth, AuthSettings, password, tokens};
use crate::backoff::Backoff;
use crate::bus::{Bus, LocalBus, MqttBus, MqttSettings};
use crate::config::Config;
use crate::coordinator::{Coordinator, Mode, Timing};
use crate::delivery::Delivery;
use crate::edge::Edge;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::storage::{Backend, MongoTarget, StartError};
use crate::views::now_ms;

/// Events a node may buffer for its hub before it lags.
const BUS_CAPACITY: usize = 1 << 16;
/// File descriptors kept for everything that is not a client connection (database, store
/// files, the outbound HTTP client, a connection being refused).
const FD_RESERVE: u64 = 256;

/// Raises the open-files soft limit to the hard limit and caps connections below it, so an
/// overloaded server refuses with `too_many_connections` instead of failing `accept` (which
/// leaves clients hanging in the listen backlog).
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
    /// Fires when the server begins shutting down (also `AppState::stop`).
    stop: CancellationToken,
    stage: Stage,
    edge: Arc<Edge>,
}

/// How far `build` got.
#[derive(Debug)]
enum Stage {
    /// The store answered and everything runs (the embedded store opens in `build`, so any
    /// problem with it fails the start).
    Ready(Running),
    /// MongoDB is reached in the background once serving starts: a database that is down
    /// at start is waited for (readiness false meanwhile), not a crash.
    Connecting {
        config: Box<Config>,
        checked: Checked,
        target: MongoTarget,
    },
}

/// The settings `build` parses and checks before anything starts, so a bad one fails the
/// start at once, and nothing parses them again.
#[derive(Clone, Debug)]
struct Checked {
    /// The broker of a cluster; `None`: a single node, in-process bus.
    mqtt: Option<MqttSettings>,
    /// The ICE servers of calls.
    ice: crate::calls::IceSettings,
}

/// Everything that needs the store: built once it answers.
#[derive(Debug)]
struct Running {
    state: Arc<AppState>,
    backend: Backend,
    coordinator: JoinHandle<()>,
    deliveries: JoinHandle<()>,
    webhooks: JoinHandle<()>,
    /// The retention sweep, when a retention period is set.
    retention: Option<JoinHandle<()>>,
}

impl Running {
    /// Bootstraps the store's contents, starts the coordinator and the bus deliveries (on
    /// the broker `checked.mqtt` names, else in-process).
    async fn start(
        backend: Backend,
        config: Config,
        Checked { mqtt, ice }: Checked,
        stop: CancellationToken,
        edge: Arc<Edge>,
    ) -> Result<Self, StartError> {
        let dyn_store = backend.store();
        bootstrap(&dyn_store, &config).await?;
        let secret = dyn_store
            .setting_or_init("customer_token_secret", tokens::random_token())
            .await?;
        let link_key = dyn_store
            .setting_or_init("file_link_key", tokens::random_token())
            .await?;
        let attachments = crate::attachments::Attachments::new(
            config.attachment_checks(),
            crate::attachments::Links::new(link_key.as_bytes()),
        );
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .context("building the HTTP client")?;
        let metrics = Metrics::default();
        metrics.register_edge(&edge.throttled, &edge.slots.refusals);
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
            Arc::clone(&edge),
            metrics.password_checks.clone(),
        );
        let mode = match &mqtt {
            Some(_) => Mode::Cluster {
                lease: config.leader_lease(),
            },
            None => Mode::Solo,
        };
        let bus = start_bus(mqtt);
        let timing = Timing {
            session_keep_alive: config.session_keep_alive(),
            attendant_keep_alive: config.attendant_keep_alive(),
            call_ring: config.call_ring(),
        };
        let (coordinator, coordinator_task) = Coordinator::start(
            Arc::clone(&dyn_store),
            Arc::clone(&bus),
            timing,
            mode,
            crate::coordinator::Limits {
                open_conversations_per_ip: config.max_open_conversations_per_ip,
            },
            stop.clone(),
        )
        .await?;
        let delivery = Delivery::new(
            Arc::clone(&dyn_store),
            Arc::clone(&bus),
            coordinator.clone(),
            &metrics,
            attachments.links.clone(),
        );
        let deliveries = delivery.spawn();
        let recorder = crate::webhooks::Recorder::default();
        let webhooks = crate::webhooks::Dispatcher::new(
            Arc::clone(&dyn_store),
            config.webhooks(),
            recorder.clone(),
        )
        .context("building the webhook client")?
        .spawn(stop.clone());
        let retention = config.retention().map(|settings| {
            crate::retention::Sweeper::new(Arc::clone(&dyn_store), settings).spawn(stop.clone())
        });
        let state = Arc::new(AppState {
            attachments,
            ice,
            edge,
            config,
            store: dyn_store,
            bus,
            delivery,
            coordinator,
            auth,
            metrics,
            http,
            upstream: Default::default(),
            webhooks: recorder,
            stop,
        });
        Ok(Self {
            state,
            backend,
            coordinator: coordinator_task,
            deliveries,
            webhooks,
            retention,
        })
    }

    /// Every route, without the outermost (tracing) layer.
    fn router(&self) -> Router {
        let state = &self.state;
        crate::api::router(Arc::clone(state))
            .merge(crate::ws::router(Arc::clone(state)))
            .layer(RequestBodyLimitLayer::new(
                state.config.max_frame_bytes.max(64 * 1024),
            ))
            .merge(crate::api::upload_router(Arc::clone(state)))
            .layer(cors(&state.config))
            // Merged after the CORS layer, which would answer a listed origin instead of the
            // widget files' own `*` (see assets.rs).
            .merge(crate::assets::router(&state.config.assets_dir))
    }

    /// Stops the coordinator and waits for the store to commit every queued write.
    async fn stop(self) {
        self.state.stop.cancel();
        self.deliveries.abort();
        // Stopped between attempts (cancelled) or in one (its claim runs out and the
        // delivery is tried again: at least once).
        self.webhooks.abort();
        if let Some(retention) = &self.retention {
            retention.abort();
        }
        let _ = self.coordinator.await;
        self.backend.close().await;
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Checked here, so a bad setting fails the start even while the store is awaited.
        let checked = Checked {
            mqtt: config.mqtt()?,
            ice: config.ice()?,
        };
        if checked.mqtt.is_some() && config.mongo_connection_url.is_none() {
            anyhow::bail!(
                "MQTT_BROKER_HOST joins this node to a cluster, whose nodes must share one store: \
                 set MONGO_CONNECTION_URL too (or neither, for a single node)"
            );
        }
        let stop = CancellationToken::new();
        let edge = Edge::new(
            &config.edge_limits(),
            connection_cap(config.max_connections),
        );
        let stage = match MongoTarget::from_config(&config)? {
            None => {
                let backend = Backend::embedded(&config)?;
                Stage::Ready(
                    Running::start(
                        backend,
                        config.clone(),
                        checked,
                        stop.clone(),
                        Arc::clone(&edge),
                    )
                    .await?,
                )
            }
            Some(target) => {
                tracing::info!(
                    hosts = target.hosts(),
                    database = target.database(),
                    "storing in MongoDB; connecting in the background"
                );
                Stage::Connecting {
                    config: Box::new(config.clone()),
                    checked,
                    target,
                }
            }
        };
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            port,
            listener,
            stop,
            stage,
            edge,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` resolves; then closes WebSockets (1001), lets in-flight HTTP
    /// requests finish, stops the coordinator and waits for the store to commit every
    /// queued write. On MongoDB, also stops when the background start fails for a reason a
    /// retry cannot fix, and returns that error.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            stop,
            stage,
            edge,
            ..
        } = self;
        let (app, starting) = match stage {
            // Already running: a finished task gives both stages one shape.
            Stage::Ready(running) => (running.router(), tokio::spawn(async { Ok(Some(running)) })),
            Stage::Connecting {
                config,
                checked,
                target,
            } => {
                let slot = Arc::new(OnceLock::new());
                let task = tokio::spawn(start_on_mongo(
                    *config,
                    checked,
                    target,
                    stop.clone(),
                    Arc::clone(&edge),
                    Arc::clone(&slot),
                ));
                (while_connecting(slot), task)
            }
        };
        // A 5xx is logged where it arises (internal errors with their cause, an unreachable
        // store once per request that needs it); the layer's own "response failed" for every
        // 503 of `/readyz` during an outage would only bury that.
        let app = app
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&edge),
                crate::edge::guard,
            ))
            .layer(
                TraceLayer::new_for_http()
                    .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
            );
        edge.spawn_janitor(stop.clone());
        let stopping = stop.clone();
        crate::edge::listen::serve(listener, app, edge.listen_settings(), async move {
            tokio::select! {
                () = shutdown => tracing::info!("shutting down"),
                () = stopping.cancelled() => {}
            }
            stopping.cancel();
        })
        .await;
        stop.cancel();
        let running = starting.await.context("the start task panicked")??;
        if let Some(running) = running {
            running.stop().await;
        }
        tracing::info!("stopped; every acknowledged write is stored");
        Ok(())
    }
}

/// Reaches MongoDB, creates its schema and starts everything that needs the store, retrying
/// with backoff while the database cannot be reached; then installs the full router in
/// `slot`. `Ok(None)` when the server stops first; an error a retry cannot fix stops the
/// server.
async fn start_on_mongo(
    config: Config,
    checked: Checked,
    target: MongoTarget,
    stop: CancellationToken,
    edge: Arc<Edge>,
    slot: Arc<OnceLock<Router>>,
) -> anyhow::Result<Option<Running>> {
    let mut backoff = Backoff::default();
    let mut store = None;
    for attempt in 1u32.. {
        let tried = async {
            let mongo = match &store {
                Some(mongo) => MongoStore::clone(mongo),
                None => store.insert(target.connect().await?).clone(),
            };
            mongo.ensure_schema().await?;
            Running::start(
                Backend::Mongo(mongo),
                config.clone(),
                checked.clone(),
                stop.clone(),
                Arc::clone(&edge),
            )
            .await
        };
        let outcome = tokio::select! {
            outcome = tried => outcome,
            () = stop.cancelled() => return Ok(None),
        };
        match outcome {
            Ok(running) => {
                let _ = slot.set(running.router());
                tracing::info!(hosts = target.hosts(), attempt, "MongoDB reached; ready");
                return Ok(Some(running));
            }
            Err(e) if e.is_retryable() => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    hosts = target.hosts(),
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = format!("{e:#}"),
                    "MongoDB unreachable; not ready"
                );
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => return Ok(None),
                }
            }
            Err(e) => {
                stop.cancel();
                return Err(anyhow::Error::new(e).context("starting on MongoDB"));
            }
        }
    }
    unreachable!("the attempts never run out")
}

/// While the store is being reached: `/healthz` answers (the process is alive), `/readyz`
/// and everything else say 503; once `app` is set, every request goes to it.
fn while_connecting(app: Arc<OnceLock<Router>>) -> Router {
    Router::new().fallback(move |request: Request| {
        let app = Arc::clone(&app);
        async move {
            if let Some(app) = app.get() {
                return match app.clone().oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
            }
            match request.uri().path() {
                "/healthz" => Json(json!({"status": "ok"})).into_response(),
                "/readyz" => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({"status": "starting: store not reachable yet"})),
                )
                    .into_response(),
                _ => AppError::client(
                    ErrorCode::Unavailable,
                    "the server is starting: its store is not reachable yet; retry shortly",
                )
                .into_response(),
            }
        }
    })
}

/// The bus: through the MQTT broker when one is configured (connecting in the background),
/// else in-process.
fn start_bus(mqtt: Option<MqttSettings>) -> Arc<dyn Bus> {
    match mqtt {
        Some(settings) => {
            tracing::info!(
                broker = %settings.broker,
                base_topic = settings.base_topic.as_str(),
                "bus: MQTT"
            );
            Arc::new(MqttBus::start(settings, BUS_CAPACITY))
        }
        None => Arc::new(LocalBus::new(BUS_CAPACITY)),
    }
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
async fn bootstrap(store: &Arc<dyn Store>, config: &Config) -> Result<(), StartError> {
    if store.get_queue(&QueueId::default_queue()).await?.is_none() {
        store
            .upsert_queue(Queue {
                id: QueueId::default_queue(),
                name: "Default".into(),
                mode: AssignmentMode::Auto,
                skill: None,
                greeting: None,
                away_message: None,
                calls: Default::default(),
                bot: None,
            })
            .await?;
    }
    if store.count_attendants().await? > 0 {
        return Ok(());
    }
    let (login, password, default) = match (&config.admin_email, &config.admin_password) {
        (Some(login), Some(password)) => (login.to_lowercase(), password.clone(), false),
        (None, None) if config.production => return Err(anyhow::anyhow!(
            "production mode refuses the default admin/admin account: set ADMIN_EMAIL and ADMIN_PASSWORD"
        ).into()),
        // Anyone who can reach the port would know the password.
        (None, None) if !config.host.is_loopback() => return Err(anyhow::anyhow!(
            "refusing to create the default admin/admin account on {}, which is not a loopback \
             address: set ADMIN_EMAIL and ADMIN_PASSWORD",
            config.host
        ).into()),
        (None, None) => ("admin".to_owned(), SecretString::from("admin"), true),
        _ => return Err(anyhow::anyhow!("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither").into()),
    };
    if !default {
        password::check_new(password.expose_secret())
            .map_err(|e| anyhow::anyhow!("ADMIN_PASSWORD: {}", e.body().message))?;
    }
    let hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
    let created = store
        .create_attendant(Attendant {
            id: AttendantId::parse("admin").map_err(anyhow::Error::from)?,
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
        .await;
    match created {
        Ok(_) => {}
        // Another node of the cluster, starting at the same time, made it first.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
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
