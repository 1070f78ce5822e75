//! One async lock per key, created on demand and forgotten when nobody holds or waits for it.
//!
//! Appends to one conversation all write its document inside a transaction, so only one can
//! be in flight at a time; the others fail with a write conflict and retry. With many
//! writers that is a storm of aborted attempts (50 concurrent appends to one conversation
//! took over 40 attempts each and some missed the deadline). Queueing this process's appends
//! per conversation in front of the transaction removes the storm; the transaction still
//! keeps appends from *other* processes correct, they merely retry.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Debug)]
pub(crate) struct KeyedLock<K> {
    locks: Mutex<HashMap<K, Arc<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLock<K> {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

/// Holds the lock of one key; dropping it lets the next waiter in.
#[derive(Debug)]
pub(crate) struct KeyGuard<'a, K: Eq + Hash + Clone> {
    owner: &'a KeyedLock<K>,
    key: K,
    // Dropped after `Drop::drop` has run, i.e. after the map entry was (maybe) removed.
    _held: OwnedMutexGuard<()>,
}

impl<K: Eq + Hash + Clone> KeyedLock<K> {
    /// Waits until no one else in this process holds `key`'s lock, then holds it.
    pub(crate) async fn lock(&self, key: K) -> KeyGuard<'_, K> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(locks.entry(key.clone()).or_default())
        };
        let held = lock.lock_owned().await;
        KeyGuard {
            owner: self,
            key,
            _held: held,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().map(|l| l.len()).unwrap_or_default()
    }
}

impl<K: Eq + Hash + Clone> Drop for KeyGuard<'_, K> {
    fn drop(&mut self) {
        let mut locks = self.owner.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Every clone of the `Arc` is made under this map lock, so the count is exact here:
        // the map's own plus the one inside our guard means no one else holds or waits.
        if locks
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) <= 2)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_holder_per_key_and_entries_are_forgotten() {
        let locks = Arc::new(KeyedLock::<u32>::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40u32 {
            let locks = Arc::clone(&locks);
            let inside = Arc::clone(&inside);
            tasks.spawn(async move {
                let _guard = locks.lock(i % 2).await;
                let now = inside.fetch_add(1, Ordering::SeqCst);
                assert!(now < 2, "two holders of one key at once");
                tokio::task::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task");
        }
        assert_eq!(locks.len(), 0, "unused locks are removed");
    }
}
