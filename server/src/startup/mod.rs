//! Wiring: open the store, bootstrap accounts and queues, start the coordinator and the hub's
//! bus subscription, bind the listener. `build` returns with the port bound, so tests use
//! port 0 and read the real one.
//!
//! On MongoDB the store-dependent part runs in the background after serving starts, retried
//! with backoff until the database answers: meanwhile `/healthz` is 200 and `/readyz` 503.
//!
//! This file: [`Application`] (build, bind, serve, stop); `running`: everything that needs
//! the store, started once it answers; `mongo`: reaching MongoDB in the background and what
//! is served meanwhile; `bootstrap`: the default queue and the first admin.

mod bootstrap;
mod mongo;
mod running;

use std::future::Future;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::bus::MqttSettings;
use crate::config::Config;
use crate::edge::Edge;
use crate::storage::{Backend, MongoTarget};

use mongo::{start_on_mongo, while_connecting};
use running::Running;

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
        checked: Box<Checked>,
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
    /// E-mail to visitors (`SMTP_URL`); `None`: no mail.
    mail: Option<crate::mail::Settings>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Checked here, so a bad setting fails the start even while the store is awaited.
        let checked = Checked {
            mqtt: config.mqtt()?,
            ice: config.ice()?,
            mail: config.mail()?,
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
                    checked: Box::new(checked),
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
                    *checked,
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
