//! The single-node bus: a tokio broadcast channel.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

use super::{Bus, BusError, BusEvent};

/// In-process bus; the default when no broker is configured.
#[derive(Debug)]
pub struct LocalBus {
    sender: broadcast::Sender<Arc<BusEvent>>,
}

impl LocalBus {
    /// `capacity` events may be queued per subscriber before it lags.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        Self { sender }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, event: BusEvent) -> Result<(), BusError> {
        // No subscriber is not an error: nobody is connected to receive it.
        let _ = self.sender.send(Arc::new(event));
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<BusEvent>> {
        self.sender.subscribe()
    }
}
