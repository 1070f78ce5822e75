//! The retention period (`CONVERSATION_RETENTION`): ended conversations older than it lose
//! their messages, notes and files, on one node at a time. Off unless set.
//!
//! Every `every`, each node claims the `retention` lease (held for three periods, renewed by
//! its holder each round), and the holder empties what ended before `now - keep`, in batches,
//! through [`Store::purge_ended_before`] — so a cluster sweeps once, and when the holder
//! stops another node takes over within three periods. The sweep is idempotent (emptied
//! conversations are marked), so a round cut short is finished by the next.

use std::sync::Arc;
use std::time::Duration;

use chimpassist_store::{Purged, Store, StoreResult};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::views::now_ms;

/// The lease naming the node that sweeps.
const LEASE: &str = "retention";
/// Conversations emptied per write: each batch is one transaction, short enough not to hold
/// the store's writer (or a MongoDB transaction) for long.
const BATCH: u32 = 200;

/// From `Config::retention`.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long an ended conversation keeps its content.
    pub keep: Duration,
    /// How often the sweep runs.
    pub every: Duration,
}

/// The task that sweeps.
pub struct Sweeper {
    store: Arc<dyn Store>,
    settings: Settings,
    holder: String,
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("holder", &self.holder)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Sweeper {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        Self {
            store,
            settings,
            holder: format!("node-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    pub fn spawn(self, stop: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.settings.every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {}
                }
                match self.sweep(&stop).await {
                    Ok(Some(purged)) if purged.conversations > 0 => tracing::info!(
                        conversations = purged.conversations,
                        messages = purged.messages,
                        notes = purged.notes,
                        files = purged.files,
                        "retention: emptied conversations past the retention period"
                    ),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "retention sweep failed; retrying next round")
                    }
                }
            }
        })
    }

    /// One round: `None` when another node holds the lease.
    async fn sweep(&self, stop: &CancellationToken) -> StoreResult<Option<Purged>> {
        let now = now_ms();
        let ttl =
            u64::try_from(self.settings.every.as_millis().saturating_mul(3)).unwrap_or(u64::MAX);
        let lease = self
            .store
            .claim_lease(LEASE, &self.holder, now, ttl)
            .await?;
        if lease.holder != self.holder || lease.expires_at <= now {
            return Ok(None);
        }
        let keep = i64::try_from(self.settings.keep.as_millis()).unwrap_or(i64::MAX);
        let cutoff = now.saturating_sub(keep);
        let mut total = Purged::default();
        loop {
            let purged = self.store.purge_ended_before(cutoff, now, BATCH).await?;
            total = total.plus(purged);
            if purged.conversations < u64::from(BATCH) || stop.is_cancelled() {
                return Ok(Some(total));
            }
        }
    }
}
