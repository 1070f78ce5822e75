//! Everything that needs the store: the coordinator, the bus deliveries, the webhook
//! dispatcher and the retention sweep, the application state and its router.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, Method, header};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::{Auth, AuthSettings, tokens};
use crate::bus::{Bus, LocalBus, MqttBus, MqttSettings};
use crate::config::Config;
use crate::coordinator::{Coordinator, Mode, Timing};
use crate::delivery::Delivery;
use crate::edge::Edge;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::storage::{Backend, StartError};

use super::Checked;
use super::bootstrap::bootstrap;

/// Events a node may buffer for its hub before it lags.
const BUS_CAPACITY: usize = 1 << 16;

/// Everything that needs the store: built once it answers.
#[derive(Debug)]
pub(super) struct Running {
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
    pub(super) async fn start(
        backend: Backend,
        config: Config,
        Checked { mqtt, ice, mail }: Checked,
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
        let mail_links = crate::mail::links::Links::new(secret.as_bytes());
        let outbox = config.webhooks();
        let mailer = match mail {
            Some(settings) => {
                tracing::info!(?settings, "e-mail to visitors: on");
                let mailer = crate::mail::Mailer::new(
                    settings,
                    outbox.schedule.clone(),
                    outbox.timeout,
                    mail_links.clone(),
                    Arc::clone(&dyn_store),
                    coordinator.clone(),
                )
                .context("building the SMTP client")?;
                Some(Arc::new(mailer))
            }
            None => None,
        };
        let recorder = match &mailer {
            Some(mailer) => crate::webhooks::Recorder::with_internal(mailer.subscriptions()),
            None if outbox.clustered => crate::webhooks::Recorder::relaying(),
            None => crate::webhooks::Recorder::default(),
        };
        let webhooks = crate::webhooks::Dispatcher::new(
            Arc::clone(&dyn_store),
            outbox,
            recorder.clone(),
            mailer,
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
            mail_links,
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
    pub(super) fn router(&self) -> Router {
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
    pub(super) async fn stop(self) {
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
