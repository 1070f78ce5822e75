//! The single-node bus: a tokio broadcast channel.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Bus, BusError, BusEvent, Fanout, Subscription};

/// In-process bus; the default when no broker is configured. Its only gaps are subscribers
/// that fall more than `capacity` events behind.
#[derive(Debug)]
pub struct LocalBus {
    fanout: Fanout,
}

impl LocalBus {
    /// `capacity` events may be queued per subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        Self {
            fanout: Fanout::new(capacity),
        }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, event: BusEvent) -> Result<(), BusError> {
        self.fanout.event(Arc::new(event));
        Ok(())
    }

    async fn room(&self) {
        self.fanout.room().await;
    }

    fn subscribe(&self) -> Subscription {
        self.fanout.subscribe()
    }

    fn is_ready(&self) -> bool {
        true
    }
}
