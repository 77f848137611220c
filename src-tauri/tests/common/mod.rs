//! What the desktop tests share: the secret store they run on. By default the in-memory store,
//! so `cargo test -p keygate-desktop` needs no keyring; every test also has a `keyring`
//! variant on the real Secret Service, ignored by default and run by scripts/test.sh.

#![allow(dead_code, unused_macros)] // Each test binary uses its own part of this module.

use std::sync::Arc;

use keygate_otp::Secret;
use keygate_vault::{KeyringStore, MemoryStore, SecretStore};

/// Why the keyring variants are ignored by default (shown by `cargo test`).
pub(crate) const NEEDS_KEYRING: &str =
    "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)";

/// Where a test's secrets live. `open` is what the app does at start: a second `open` is a
/// restart, and sees what the first one stored.
#[derive(Clone)]
pub(crate) enum Secrets {
    /// One in-memory store shared by every `open`.
    Memory(Arc<MemoryStore>),
    /// The real Secret Service of scripts/with-keyring.sh (a new connection per `open`).
    Keyring,
}

impl Secrets {
    /// A fresh in-memory store.
    pub(crate) fn memory() -> Self {
        Secrets::Memory(Arc::new(MemoryStore::new()))
    }

    /// The throwaway Secret Service of scripts/with-keyring.sh. Anywhere else it panics with what
    /// to do: a test that asked for the real keyring must not pass without one, and must never
    /// fill a real keyring.
    pub(crate) fn keyring() -> Self {
        let problem = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            Some("there is no D-Bus session bus")
        } else if std::env::var("KEYGATE_TEST_KEYRING").as_deref() != Ok("1") {
            Some("this session bus was not set up by scripts/with-keyring.sh")
        } else {
            None
        };
        if let Some(problem) = problem {
            panic!(
                "{problem}: this test {NEEDS_KEYRING}, e.g. \
                 `scripts/with-keyring.sh cargo test -p keygate-desktop -- --ignored`"
            );
        }
        Secrets::Keyring
    }

    /// The store, as the app opens it.
    pub(crate) fn open(&self) -> TestStore {
        match self {
            Secrets::Memory(store) => TestStore::Memory(Arc::clone(store)),
            Secrets::Keyring => TestStore::Keyring(KeyringStore::new().unwrap()),
        }
    }
}

/// The store a test's [`keygate_desktop::app::Desktop`] runs on.
pub(crate) enum TestStore {
    /// In memory.
    Memory(Arc<MemoryStore>),
    /// The Secret Service.
    Keyring(KeyringStore),
}

impl TestStore {
    fn inner(&self) -> &dyn SecretStore {
        match self {
            TestStore::Memory(store) => store.as_ref(),
            TestStore::Keyring(store) => store,
        }
    }
}

impl SecretStore for TestStore {
    fn store(&self, key: &str, secret: &Secret) -> keygate_vault::Result<()> {
        self.inner().store(key, secret)
    }
    fn load(&self, key: &str) -> keygate_vault::Result<Option<Secret>> {
        self.inner().load(key)
    }
    fn delete(&self, key: &str) -> keygate_vault::Result<()> {
        self.inner().delete(key)
    }
    fn list_ids(&self) -> keygate_vault::Result<Option<Vec<String>>> {
        self.inner().list_ids()
    }
}

// Used through `#[macro_use] mod common;`.

/// Declares, for each named test function taking [`Secrets`], a module of that name with a
/// `memory` test (run by default) and a `keyring` test (ignored: it needs the Secret Service).
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn memory() {
                super::$name(super::common::Secrets::memory());
            }

            #[test]
            #[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
            fn keyring() {
                super::$name(super::common::Secrets::keyring());
            }
        }
    )*};
}

/// [`on_both_stores`] for async tests (on a multi-threaded runtime, as the app's commands run).
macro_rules! on_both_stores_async {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn memory() {
                super::$name(super::common::Secrets::memory()).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            #[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
            async fn keyring() {
                super::$name(super::common::Secrets::keyring()).await;
            }
        }
    )*};
}
