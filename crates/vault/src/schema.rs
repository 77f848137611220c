//! The SQLite schema and its versioned migrations (`PRAGMA user_version`).
//!
//! No secret is ever written here: the `fingerprint` column is an HMAC of the secret (see
//! [`crate::fingerprint`]), and the keyring journal holds only keys.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::{Error, Result};

/// Migration `n` (0-based) takes the database from `user_version` n to n + 1. Append only:
/// never edit a migration that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: accounts, tags, vault metadata and the keyring journal.
    "CREATE TABLE vault_meta (
         key   TEXT PRIMARY KEY,
         value BLOB NOT NULL
     ) STRICT;

     CREATE TABLE accounts (
         id          TEXT PRIMARY KEY,
         issuer      TEXT,
         name        TEXT NOT NULL,
         kind        TEXT NOT NULL CHECK (kind IN ('totp', 'hotp', 'steam', 'yaotp', 'motp')),
         algorithm   TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
         digits      INTEGER NOT NULL CHECK (digits > 0),
         period      INTEGER NOT NULL CHECK (period > 0),
         counter     INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),
         position    INTEGER NOT NULL,
         created_at  INTEGER NOT NULL,
         updated_at  INTEGER NOT NULL,
         note        TEXT,
         favourite   INTEGER NOT NULL DEFAULT 0 CHECK (favourite IN (0, 1)),
         fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 32)
     ) STRICT;

     -- Same issuer + account name + secret is one account (names compared ignoring ASCII case).
     CREATE UNIQUE INDEX accounts_identity
         ON accounts (coalesce(issuer, '') COLLATE NOCASE, name COLLATE NOCASE, fingerprint);
     CREATE INDEX accounts_position ON accounts (position);

     CREATE TABLE account_tags (
         account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
         tag        TEXT NOT NULL,
         PRIMARY KEY (account_id, tag)
     ) STRICT;

     -- Keyring entries that may exist without an account row: written (committed) before a
     -- keyring write or after a row delete, cleared once row and keyring agree. Whatever is left
     -- after a crash is what `doctor` cleans up, even on keyrings that cannot be enumerated.
     CREATE TABLE keyring_journal (
         account_id TEXT PRIMARY KEY,
         operation  TEXT NOT NULL CHECK (operation IN ('add', 'remove')),
         at         INTEGER NOT NULL
     ) STRICT;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Opens (creating if needed) the database at `path` with the connection settings every
/// operation relies on, and migrates it to [`SCHEMA_VERSION`].
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    // Another Keygate process (the desktop app next to the CLI) may hold the write lock briefly.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "SQLite refused WAL mode; using its default journal");
    }
    // FULL: a committed HOTP counter survives a power cut, not just a killed process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = Transaction::new(conn, TransactionBehavior::Exclusive)?;
    let found: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tracing::info!(version = index + 1, "migrated the vault database");
    }
    tx.commit()?;
    Ok(())
}

/// A value from `vault_meta`, creating it with `make` the first time.
pub(crate) fn meta_or_insert(
    conn: &Connection,
    key: &str,
    make: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>> {
    let existing: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(value) = existing {
        return Ok(value);
    }
    // INSERT OR IGNORE + read back: two processes creating the vault at once agree on one value.
    conn.execute(
        "INSERT OR IGNORE INTO vault_meta (key, value) VALUES (?1, ?2)",
        rusqlite::params![key, make()],
    )?;
    Ok(conn.query_row(
        "SELECT value FROM vault_meta WHERE key = ?1",
        [key],
        |row| row.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_databases() {
        let dir = tempdir();
        let path = dir.join("vault.sqlite3");
        let conn = open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(conn);
        // Reopening does not re-run migration 1 (it would fail: tables exist).
        drop(open(&path).unwrap());

        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        assert!(matches!(err, Error::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(err.to_string().contains("upgrade Keygate"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn meta_values_are_created_once() {
        let dir = tempdir();
        let conn = open(&dir.join("vault.sqlite3")).unwrap();
        let first = meta_or_insert(&conn, "k", || vec![1, 2]).unwrap();
        let second = meta_or_insert(&conn, "k", || vec![3]).unwrap();
        assert_eq!((first, second), (vec![1, 2], vec![1, 2]));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("keygate-schema-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
