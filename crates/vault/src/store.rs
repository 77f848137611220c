//! The one narrow interface through which secrets pass, and the small stores built on it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use keygate_otp::Secret;

use crate::Result;

/// Where secrets live, keyed by a string the vault chooses. A missing entry is `None` on load
/// and not an error on delete.
pub trait SecretStore {
    /// Creates or replaces the secret stored under `key`.
    fn store(&self, key: &str, secret: &Secret) -> Result<()>;
    /// The secret stored under `key`, `None` when there is none.
    fn load(&self, key: &str) -> Result<Option<Secret>>;
    /// Deletes the secret under `key`; deleting a missing entry succeeds.
    fn delete(&self, key: &str) -> Result<()>;
    /// Every key in the store, or `None` when the backend cannot enumerate its entries (the
    /// vault then finds orphans through its journal only).
    fn list_ids(&self) -> Result<Option<Vec<String>>>;
}

impl<S: SecretStore + ?Sized> SecretStore for Arc<S> {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        (**self).store(key, secret)
    }
    fn load(&self, key: &str) -> Result<Option<Secret>> {
        (**self).load(key)
    }
    fn delete(&self, key: &str) -> Result<()> {
        (**self).delete(key)
    }
    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        (**self).list_ids()
    }
}

impl<S: SecretStore + ?Sized> SecretStore for Box<S> {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        (**self).store(key, secret)
    }
    fn load(&self, key: &str) -> Result<Option<Secret>> {
        (**self).load(key)
    }
    fn delete(&self, key: &str) -> Result<()> {
        (**self).delete(key)
    }
    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        (**self).list_ids()
    }
}

/// Secrets in process memory: for fast unit tests only, never for real data (nothing persists).
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, Secret>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries the store holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Secret>> {
        // A panic elsewhere while holding the lock cannot leave the map half-updated (every
        // operation is a single map call), so a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        self.lock().insert(key.to_string(), secret.clone());
        Ok(())
    }
    fn load(&self, key: &str) -> Result<Option<Secret>> {
        Ok(self.lock().get(key).cloned())
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }
    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        Ok(Some(self.lock().keys().cloned().collect()))
    }
}

/// How many times each store operation was called (successful or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// `store` calls.
    pub store: u64,
    /// `load` calls.
    pub load: u64,
    /// `delete` calls.
    pub delete: u64,
    /// `list_ids` calls.
    pub list: u64,
}

impl CallCounts {
    /// All calls together.
    pub fn total(&self) -> u64 {
        self.store + self.load + self.delete + self.list
    }
}

/// Wraps a store and counts the calls that reach it (for benchmarks and tests).
#[derive(Debug, Default)]
pub struct CountingStore<S> {
    inner: S,
    store: AtomicU64,
    load: AtomicU64,
    delete: AtomicU64,
    list: AtomicU64,
}

impl<S> CountingStore<S> {
    /// Counts calls to `inner`, starting at zero.
    pub fn new(inner: S) -> Self {
        CountingStore {
            inner,
            store: AtomicU64::new(0),
            load: AtomicU64::new(0),
            delete: AtomicU64::new(0),
            list: AtomicU64::new(0),
        }
    }

    /// The calls counted so far.
    pub fn counts(&self) -> CallCounts {
        CallCounts {
            store: self.store.load(Ordering::Relaxed),
            load: self.load.load(Ordering::Relaxed),
            delete: self.delete.load(Ordering::Relaxed),
            list: self.list.load(Ordering::Relaxed),
        }
    }

    /// Sets every count back to zero.
    pub fn reset(&self) {
        for counter in [&self.store, &self.load, &self.delete, &self.list] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

impl<S: SecretStore> SecretStore for CountingStore<S> {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        self.store.fetch_add(1, Ordering::Relaxed);
        self.inner.store(key, secret)
    }
    fn load(&self, key: &str) -> Result<Option<Secret>> {
        self.load.fetch_add(1, Ordering::Relaxed);
        self.inner.load(key)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.delete.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(key)
    }
    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        self.list.fetch_add(1, Ordering::Relaxed);
        self.inner.list_ids()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_follows_the_contract() {
        let store = MemoryStore::new();
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(store.load("a").unwrap(), None);
        store.delete("a").unwrap(); // missing is fine
        store.store("a", &secret).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(secret.clone()));
        let other = Secret::from_bytes(vec![1, 2, 3]);
        store.store("a", &other).unwrap(); // replaces
        assert_eq!(store.load("a").unwrap(), Some(other));
        store.store("b", &secret).unwrap();
        assert_eq!(
            store.list_ids().unwrap(),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        store.delete("a").unwrap();
        assert_eq!(store.load("a").unwrap(), None);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn counting_store_counts_each_operation() {
        let store = CountingStore::new(MemoryStore::new());
        let secret = Secret::from_bytes(vec![7; 10]);
        store.store("k", &secret).unwrap();
        store.load("k").unwrap();
        store.load("missing").unwrap();
        store.delete("k").unwrap();
        store.list_ids().unwrap();
        assert_eq!(
            store.counts(),
            CallCounts {
                store: 1,
                load: 2,
                delete: 1,
                list: 1
            }
        );
        assert_eq!(store.counts().total(), 5);
        store.reset();
        assert_eq!(store.counts().total(), 0);
        assert!(store.inner().is_empty());
    }
}
