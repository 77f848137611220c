//! The vault: account rows in SQLite, their secrets in a [`SecretStore`], kept consistent.
//!
//! Ordering rules that make a kill at any point lose nothing committed:
//! - add: journal the key (committed), write the keyring entry, then commit the row and clear the
//!   journal in one transaction. A failed row commit deletes the keyring entry again.
//! - remove: delete the row and journal the key in one transaction, then delete the keyring
//!   entry and clear the journal.
//! - HOTP: the advanced counter is committed before the code is returned.
//!
//! Whatever a crash leaves behind is a journal record plus maybe a keyring entry without a row,
//! which [`Vault::doctor`] finds and repairs.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use keygate_otp::{unix_now, Account, Algorithm};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::doctor::Report;
use crate::entry::kind_from_str;
use crate::fingerprint::{self, FINGERPRINT_LEN};
use crate::store::SecretStore;
use crate::unlocked::{Slot, Unlocked};
use crate::{schema, AccountId, AddOutcome, Entry, Error, Result};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "vault.sqlite3";

/// Journal records younger than this may belong to an add or remove running in another process
/// right now; doctor leaves them alone.
const IN_PROGRESS_SECONDS: u64 = 60;

/// The shortest query tried as an id prefix.
const MIN_ID_PREFIX: usize = 4;

/// How many candidates an ambiguous query lists.
const MAX_CANDIDATES: usize = 10;

const ENTRY_COLUMNS: &str =
    "id, issuer, name, kind, algorithm, digits, period, counter, position, \
                             created_at, updated_at, note, favourite";

/// The staff vault. Opening it touches only SQLite; the keyring is used when secrets are added,
/// loaded ([`Vault::unlock`], [`Vault::load_account`], [`Vault::hotp_next`]) or removed.
pub struct Vault<S> {
    conn: Connection,
    store: S,
    path: PathBuf,
    vault_id: Uuid,
    fingerprint_key: Zeroizing<Vec<u8>>,
}

impl<S> std::fmt::Debug for Vault<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("vault_id", &self.vault_id)
            .finish_non_exhaustive()
    }
}

/// An account row as read from SQLite, before its text fields are checked.
struct RawRow {
    id: String,
    issuer: Option<String>,
    name: String,
    kind: String,
    algorithm: String,
    digits: i64,
    period: i64,
    counter: i64,
    position: i64,
    created: i64,
    updated: i64,
    note: Option<String>,
    favourite: bool,
}

impl RawRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawRow {
            id: row.get(0)?,
            issuer: row.get(1)?,
            name: row.get(2)?,
            kind: row.get(3)?,
            algorithm: row.get(4)?,
            digits: row.get(5)?,
            period: row.get(6)?,
            counter: row.get(7)?,
            position: row.get(8)?,
            created: row.get(9)?,
            updated: row.get(10)?,
            note: row.get(11)?,
            favourite: row.get(12)?,
        })
    }

    fn into_entry(self, tags: Vec<String>) -> Result<Entry> {
        let damaged = |reason: String| Error::DamagedRow {
            id: self.id.clone(),
            reason,
        };
        let id = self
            .id
            .parse::<AccountId>()
            .map_err(|_| damaged("the id is not a UUID".into()))?;
        let kind = kind_from_str(&self.kind)
            .ok_or_else(|| damaged(format!("unknown kind {:?}", self.kind)))?;
        let algorithm = self
            .algorithm
            .parse::<Algorithm>()
            .map_err(|_| damaged(format!("unknown algorithm {:?}", self.algorithm)))?;
        let number = |value: i64, field: &str| {
            u64::try_from(value).map_err(|_| damaged(format!("negative {field}")))
        };
        Ok(Entry {
            id,
            kind,
            algorithm,
            digits: u32::try_from(self.digits)
                .map_err(|_| damaged("digits out of range".into()))?,
            period: number(self.period, "period")?,
            counter: number(self.counter, "counter")?,
            position: u32::try_from(self.position)
                .map_err(|_| damaged("position out of range".into()))?,
            created: number(self.created, "creation time")?,
            updated: number(self.updated, "update time")?,
            issuer: self.issuer,
            name: self.name,
            note: self.note,
            tags,
            favourite: self.favourite,
        })
    }
}

fn to_i64(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::TooLarge { field, value })
}

/// Issuer as the database stores it: trimmed, `None` when empty.
fn clean_issuer(issuer: Option<&str>) -> Option<String> {
    issuer
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
}

fn is_constraint_violation(err: &Error) -> bool {
    matches!(
        err,
        Error::Database(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

impl<S: SecretStore> Vault<S> {
    /// Opens the vault in `data_dir` (created, private to the user, if missing), with `store`
    /// holding the secrets. Only SQLite is touched here.
    pub fn open(data_dir: impl AsRef<Path>, store: S) -> Result<Self> {
        let dir = data_dir.as_ref();
        create_private_dir(dir)?;
        let path = dir.join(DATABASE_FILE);
        let conn = schema::open(&path)?;
        let vault_id =
            schema::meta_or_insert(&conn, "vault_id", || Uuid::new_v4().as_bytes().to_vec())?;
        let vault_id = Uuid::from_slice(&vault_id).map_err(|_| Error::DamagedRow {
            id: "vault_meta.vault_id".into(),
            reason: "not 16 bytes".into(),
        })?;
        let fingerprint_key =
            Zeroizing::new(schema::meta_or_insert(&conn, "fingerprint_key", || {
                fingerprint::new_key().to_vec()
            })?);
        if fingerprint_key.len() != FINGERPRINT_LEN {
            return Err(Error::DamagedRow {
                id: "vault_meta.fingerprint_key".into(),
                reason: format!("not {FINGERPRINT_LEN} bytes"),
            });
        }
        tracing::debug!(path = %path.display(), %vault_id, "opened the vault");
        Ok(Vault {
            conn,
            store,
            path,
            vault_id,
            fingerprint_key,
        })
    }

    /// The SQLite file.
    pub fn database_path(&self) -> &Path {
        &self.path
    }

    /// The secret store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The key under which the secret of `id` lives in the store: `VAULT-ID/ACCOUNT-ID`. The
    /// vault's own id keeps vaults that share one keyring (several data directories, tests)
    /// from mistaking each other's entries for orphans.
    pub fn secret_key(&self, id: &AccountId) -> String {
        format!("{}/{id}", self.vault_id)
    }

    /// The store key of an application secret of this vault: `VAULT-ID/app.NAME`.
    pub(crate) fn app_secret_key(&self, name: &str) -> String {
        format!("{}/{APP_SECRET_PREFIX}{name}", self.vault_id)
    }

    /// A secret the application keeps beside the accounts (e.g. the embedded server's master
    /// key), created with `len` random bytes on first use. It lives in the same store as the
    /// account secrets, under this vault's id, so `doctor` knows it as the vault's own.
    pub fn app_secret(&self, name: &str, len: usize) -> Result<keygate_otp::Secret> {
        if let Some(secret) = self.app_secret_get(name)? {
            return Ok(secret);
        }
        let mut bytes = zeroize::Zeroizing::new(vec![0u8; len]);
        getrandom::fill(&mut bytes).expect("the operating system's random source failed");
        let secret = keygate_otp::Secret::from_bytes(bytes.to_vec());
        self.app_secret_set(name, &secret)?;
        Ok(secret)
    }

    /// The application secret `name` as stored, or `None` when there is none (nothing is
    /// created).
    pub fn app_secret_get(&self, name: &str) -> Result<Option<keygate_otp::Secret>> {
        self.store.load(&self.checked_app_secret_key(name)?)
    }

    /// Stores `secret` as the application secret `name`, replacing any previous one.
    pub fn app_secret_set(&self, name: &str, secret: &keygate_otp::Secret) -> Result<()> {
        self.store
            .store(&self.checked_app_secret_key(name)?, secret)
    }

    /// Deletes the application secret `name` (nothing happens when there is none).
    pub fn app_secret_delete(&self, name: &str) -> Result<()> {
        self.store.delete(&self.checked_app_secret_key(name)?)
    }

    /// [`Self::app_secret_key`] of a valid name: ASCII letters, digits and dashes.
    fn checked_app_secret_key(&self, name: &str) -> Result<String> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(Error::InvalidAppSecretName(name.to_string()));
        }
        Ok(self.app_secret_key(name))
    }

    /// The account id in a store key of this vault (`None` for other vaults' keys).
    fn account_of_key(&self, key: &str) -> Option<AccountId> {
        let (vault, account) = key.split_once('/')?;
        if vault.parse::<Uuid>().ok()? != self.vault_id {
            return None;
        }
        account.parse().ok()
    }

    /// Adds an account: keyring entry first, then the row. The same issuer, name and secret
    /// already in the vault gives [`AddOutcome::Duplicate`] and writes nothing.
    pub fn add(&self, account: &Account) -> Result<AddOutcome> {
        let counter = to_i64(account.counter, "counter")?;
        let period = to_i64(account.period, "period")?;
        let issuer = clean_issuer(account.issuer.as_deref());
        let name = account.name.trim().to_string();
        let fingerprint = fingerprint::fingerprint(&self.fingerprint_key, &account.secret);
        if let Some(existing) = self.find_duplicate(issuer.as_deref(), &name, &fingerprint)? {
            return Ok(AddOutcome::Duplicate(self.get(&existing)?));
        }

        let id = AccountId::random();
        let key = self.secret_key(&id);
        let now = unix_now();
        self.conn.execute(
            "INSERT INTO keyring_journal (account_id, operation, at) VALUES (?1, 'add', ?2)",
            params![id.to_string(), to_i64(now, "time")?],
        )?;
        if let Err(err) = self.store.store(&key, &account.secret) {
            if err.is_keyring_unavailable() {
                // Nothing was written; a delete would only ask to unlock the keyring again.
                self.clear_journal_quietly(&id);
            } else {
                // The write may have happened before the failure was reported: undo it.
                self.undo_keyring_write(&id, &key);
            }
            return Err(err);
        }
        let inserted = (|| -> Result<()> {
            let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
            let position: i64 = tx.query_row(
                "SELECT coalesce(max(position), -1) + 1 FROM accounts",
                [],
                |row| row.get(0),
            )?;
            tx.execute(
                "INSERT INTO accounts (id, issuer, name, kind, algorithm, digits, period, counter,
                     position, created_at, updated_at, note, favourite, fingerprint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, NULL, 0, ?11)",
                params![
                    id.to_string(),
                    issuer,
                    name,
                    account.kind.as_str(),
                    account.algorithm.as_str(),
                    account.digits,
                    period,
                    counter,
                    position,
                    to_i64(now, "time")?,
                    &fingerprint[..],
                ],
            )?;
            tx.execute(
                "DELETE FROM keyring_journal WHERE account_id = ?1",
                [id.to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })();
        match inserted {
            Ok(()) => {
                tracing::info!(%id, "added an account");
                Ok(AddOutcome::Added(self.get(&id)?))
            }
            Err(err) => {
                self.undo_keyring_write(&id, &key);
                // Another process may have added the same account between our check and commit.
                if is_constraint_violation(&err) {
                    if let Some(existing) =
                        self.find_duplicate(issuer.as_deref(), &name, &fingerprint)?
                    {
                        return Ok(AddOutcome::Duplicate(self.get(&existing)?));
                    }
                }
                Err(err)
            }
        }
    }

    /// Deletes the keyring entry of an add that did not complete, then its journal record. If
    /// either fails, the journal record stays and doctor finishes the job.
    fn undo_keyring_write(&self, id: &AccountId, key: &str) {
        match self.store.delete(key) {
            Ok(()) => self.clear_journal_quietly(id),
            Err(err) => {
                tracing::warn!(%id, error = %err, "could not delete the keyring entry of a failed add; doctor will");
            }
        }
    }

    /// Clears a journal record when failing to is harmless (doctor clears stale records).
    fn clear_journal_quietly(&self, id: &AccountId) {
        if let Err(err) = self.clear_journal(id) {
            tracing::warn!(%id, error = %err, "could not clear the keyring journal");
        }
    }

    /// Adds several accounts (a migration export) in order, one result per account. After a
    /// keyring that is unavailable or locked, the remaining accounts are not tried
    /// ([`Error::NotAttempted`]).
    pub fn add_many<'a>(
        &self,
        accounts: impl IntoIterator<Item = &'a Account>,
    ) -> Vec<Result<AddOutcome>> {
        let mut results = Vec::new();
        let mut keyring_down = false;
        for account in accounts {
            if keyring_down {
                results.push(Err(Error::NotAttempted));
                continue;
            }
            let result = self.add(account);
            keyring_down = matches!(&result, Err(err) if err.is_keyring_unavailable());
            results.push(result);
        }
        results
    }

    fn find_duplicate(
        &self,
        issuer: Option<&str>,
        name: &str,
        fingerprint: &[u8; FINGERPRINT_LEN],
    ) -> Result<Option<AccountId>> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM accounts
                 WHERE coalesce(issuer, '') = ?1 COLLATE NOCASE
                   AND name = ?2 COLLATE NOCASE AND fingerprint = ?3",
                params![issuer.unwrap_or(""), name, &fingerprint[..]],
                |row| row.get(0),
            )
            .optional()?;
        id.map(|id| {
            id.parse().map_err(|_| Error::DamagedRow {
                id,
                reason: "the id is not a UUID".into(),
            })
        })
        .transpose()
    }

    /// Every account's metadata, in list order (position, then creation).
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut tags = self.all_tags()?;
        let mut statement = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM accounts ORDER BY position, created_at, id"
        ))?;
        let rows = statement
            .query_map([], RawRow::read)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|row| {
                let account_tags = tags.remove(&row.id).unwrap_or_default();
                row.into_entry(account_tags)
            })
            .collect()
    }

    fn all_tags(&self) -> Result<BTreeMap<String, Vec<String>>> {
        let mut statement = self
            .conn
            .prepare("SELECT account_id, tag FROM account_tags ORDER BY account_id, tag")?;
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, tag) = row?;
            tags.entry(id).or_default().push(tag);
        }
        Ok(tags)
    }

    /// One account's metadata.
    pub fn get(&self, id: &AccountId) -> Result<Entry> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM accounts WHERE id = ?1"),
                [id.to_string()],
                RawRow::read,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let mut statement = self
            .conn
            .prepare("SELECT tag FROM account_tags WHERE account_id = ?1 ORDER BY tag")?;
        let tags = statement
            .query_map([id.to_string()], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        row.into_entry(tags)
    }

    /// Finds one account by id prefix, or by issuer/name (case-insensitive: `Issuer:name`, an
    /// exact issuer or name, then a substring). Several matches are an error listing them.
    pub fn find(&self, query: &str) -> Result<Entry> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::EmptyQuery);
        }
        let entries = self.list()?;
        let wanted = query.to_lowercase();
        let pick = |matches: Vec<&Entry>| -> Option<Result<Entry>> {
            match matches.len() {
                0 => None,
                1 => Some(Ok(matches[0].clone())),
                n => Some(Err(Error::Ambiguous {
                    query: query.to_string(),
                    count: n,
                    candidates: matches
                        .iter()
                        .take(MAX_CANDIDATES)
                        .map(|e| format!("{} {}", e.id.short(), e.label()))
                        .chain(
                            (n > MAX_CANDIDATES)
                                .then(|| format!("and {} more", n - MAX_CANDIDATES)),
                        )
                        .collect(),
                })),
            }
        };
        // Short hex words ("ace", "bad") are more likely names than id prefixes.
        let by_id = entries
            .iter()
            .filter(|e| wanted.len() >= MIN_ID_PREFIX && e.id.to_string().starts_with(&wanted))
            .collect();
        if let Some(found) = pick(by_id) {
            return found;
        }
        let exact = entries
            .iter()
            .filter(|e| {
                let issuer = e.issuer.as_deref().unwrap_or("").to_lowercase();
                let name = e.name.to_lowercase();
                format!("{issuer}:{name}") == wanted
                    || (!issuer.is_empty() && issuer == wanted && e.name.is_empty())
                    || name == wanted
                    || e.label().to_lowercase() == wanted
            })
            .collect();
        if let Some(found) = pick(exact) {
            return found;
        }
        let partial = entries
            .iter()
            .filter(|e| {
                e.issuer
                    .as_deref()
                    .is_some_and(|i| i.to_lowercase().contains(&wanted))
                    || e.name.to_lowercase().contains(&wanted)
            })
            .collect();
        pick(partial).unwrap_or_else(|| Err(Error::NotFound(query.to_string())))
    }

    /// Removes an account: the row first (with a journal record), then its keyring entry.
    pub fn remove(&self, id: &AccountId) -> Result<Entry> {
        let entry = self.get(id)?;
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        if tx.execute("DELETE FROM accounts WHERE id = ?1", [id.to_string()])? == 0 {
            return Err(Error::NotFound(id.to_string()));
        }
        tx.execute(
            "INSERT OR REPLACE INTO keyring_journal (account_id, operation, at)
             VALUES (?1, 'remove', ?2)",
            params![id.to_string(), to_i64(unix_now(), "time")?],
        )?;
        tx.commit()?;
        tracing::info!(%id, "removed an account");
        match self.store.delete(&self.secret_key(id)) {
            Ok(()) => {
                self.conn.execute(
                    "DELETE FROM keyring_journal WHERE account_id = ?1",
                    [id.to_string()],
                )?;
                Ok(entry)
            }
            Err(err) => Err(Error::CleanupPending {
                id: *id,
                reason: err.to_string(),
            }),
        }
    }

    /// Changes the issuer and account name.
    pub fn rename(&self, id: &AccountId, issuer: Option<&str>, name: &str) -> Result<Entry> {
        let result = self.update(
            id,
            "UPDATE accounts SET issuer = ?2, name = ?3, updated_at = ?4 WHERE id = ?1",
            &[
                &clean_issuer(issuer),
                &name.trim(),
                &to_i64(unix_now(), "time")?,
            ],
        );
        match result {
            Err(err) if is_constraint_violation(&err) => {
                let fingerprint: Vec<u8> = self.conn.query_row(
                    "SELECT fingerprint FROM accounts WHERE id = ?1",
                    [id.to_string()],
                    |row| row.get(0),
                )?;
                let fingerprint: [u8; FINGERPRINT_LEN] =
                    fingerprint.try_into().map_err(|_| Error::DamagedRow {
                        id: id.to_string(),
                        reason: "bad fingerprint".into(),
                    })?;
                let issuer = clean_issuer(issuer);
                match self.find_duplicate(issuer.as_deref(), name.trim(), &fingerprint)? {
                    Some(other) => Err(Error::WouldDuplicate(other)),
                    None => Err(err),
                }
            }
            other => other,
        }
    }

    /// Sets or clears the note.
    pub fn set_note(&self, id: &AccountId, note: Option<&str>) -> Result<Entry> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        self.update(
            id,
            "UPDATE accounts SET note = ?2, updated_at = ?3 WHERE id = ?1",
            &[&note, &to_i64(unix_now(), "time")?],
        )
    }

    /// Marks or unmarks the account as a favourite.
    pub fn set_favourite(&self, id: &AccountId, favourite: bool) -> Result<Entry> {
        self.update(
            id,
            "UPDATE accounts SET favourite = ?2, updated_at = ?3 WHERE id = ?1",
            &[&favourite, &to_i64(unix_now(), "time")?],
        )
    }

    /// Replaces the tags (trimmed; empty and repeated tags dropped).
    pub fn set_tags<T: AsRef<str>>(&self, id: &AccountId, tags: &[T]) -> Result<Entry> {
        let tags: BTreeSet<&str> = tags
            .iter()
            .map(|t| t.as_ref().trim())
            .filter(|t| !t.is_empty())
            .collect();
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE accounts SET updated_at = ?2 WHERE id = ?1",
            params![id.to_string(), to_i64(unix_now(), "time")?],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(id.to_string()));
        }
        tx.execute(
            "DELETE FROM account_tags WHERE account_id = ?1",
            [id.to_string()],
        )?;
        for tag in tags {
            tx.execute(
                "INSERT INTO account_tags (account_id, tag) VALUES (?1, ?2)",
                params![id.to_string(), tag],
            )?;
        }
        tx.commit()?;
        self.get(id)
    }

    fn update(&self, id: &AccountId, sql: &str, values: &[&dyn rusqlite::ToSql]) -> Result<Entry> {
        let id_text = id.to_string();
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id_text];
        all.extend_from_slice(values);
        if self.conn.execute(sql, all.as_slice())? == 0 {
            return Err(Error::NotFound(id.to_string()));
        }
        self.get(id)
    }

    /// Moves an account to `position` in the list (0 first; past the end means last), shifting
    /// the others.
    pub fn move_to(&self, id: &AccountId, position: u32) -> Result<()> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let mut order = {
            let mut statement =
                tx.prepare("SELECT id FROM accounts ORDER BY position, created_at, id")?;
            let ids = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            ids
        };
        let id_text = id.to_string();
        let from = order
            .iter()
            .position(|other| *other == id_text)
            .ok_or_else(|| Error::NotFound(id_text.clone()))?;
        let moving = order.remove(from);
        order.insert((position as usize).min(order.len()), moving);
        {
            let mut statement = tx.prepare(
                "UPDATE accounts SET position = ?2 WHERE id = ?1 AND position IS NOT ?2",
            )?;
            for (index, account) in order.iter().enumerate() {
                statement.execute(params![account, index as i64])?;
            }
        }
        tx.execute(
            "UPDATE accounts SET updated_at = ?2 WHERE id = ?1",
            params![id_text, to_i64(unix_now(), "time")?],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One account with its secret (one keyring read), e.g. to show one code or export a QR.
    pub fn load_account(&self, id: &AccountId) -> Result<Account> {
        let entry = self.get(id)?;
        let secret = self
            .store
            .load(&self.secret_key(id))?
            .ok_or(Error::SecretMissing(*id))?;
        Ok(account_from(&entry, secret)?)
    }

    /// Reads every secret in one pass and keeps them in memory (wiped when the [`Unlocked`] is
    /// dropped), so codes can be refreshed any number of times without the keyring. An
    /// unavailable or locked keyring fails the whole unlock; a missing or damaged entry only
    /// makes that account unavailable.
    pub fn unlock(&self) -> Result<Unlocked> {
        let entries = self.list()?;
        let mut slots = Vec::with_capacity(entries.len());
        for entry in &entries {
            let slot = match self.store.load(&self.secret_key(&entry.id)) {
                Ok(Some(secret)) => match account_from(entry, secret) {
                    Ok(account) => Slot::Ready(account),
                    Err(err) => Slot::Unreadable(err.to_string()),
                },
                Ok(None) => Slot::Missing,
                Err(err @ Error::CorruptSecret { .. }) => Slot::Unreadable(err.to_string()),
                Err(err) => return Err(err),
            };
            slots.push(slot);
        }
        tracing::debug!(accounts = entries.len(), "unlocked the vault");
        Ok(Unlocked::new(entries, slots))
    }

    /// Advances the HOTP counter of `id`, commits it, and only then returns the code for the
    /// counter value it had (one keyring read).
    pub fn hotp_next(&self, id: &AccountId) -> Result<String> {
        let entry = self.get(id)?;
        if entry.kind != keygate_otp::Kind::Hotp {
            return Err(Error::NotHotp(*id));
        }
        // Read the secret before advancing: with a locked keyring nothing is shown, so nothing
        // may be used up either.
        let secret = self
            .store
            .load(&self.secret_key(id))?
            .ok_or(Error::SecretMissing(*id))?;
        let mut account = account_from(&entry, secret)?;
        account.counter = self.advance_hotp(id)?;
        Ok(account.code_at(0)?)
    }

    /// Commits counter + 1 and returns the counter to use now.
    pub(crate) fn advance_hotp(&self, id: &AccountId) -> Result<u64> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let row: Option<(String, i64)> = tx
            .query_row(
                "SELECT kind, counter FROM accounts WHERE id = ?1",
                [id.to_string()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (kind, counter) = row.ok_or_else(|| Error::NotFound(id.to_string()))?;
        if kind != keygate_otp::Kind::Hotp.as_str() {
            return Err(Error::NotHotp(*id));
        }
        let next = counter.checked_add(1).ok_or(Error::TooLarge {
            field: "counter",
            value: counter as u64,
        })?;
        tx.execute(
            "UPDATE accounts SET counter = ?2, updated_at = ?3 WHERE id = ?1",
            params![id.to_string(), next, to_i64(unix_now(), "time")?],
        )?;
        tx.commit()?;
        tracing::debug!(%id, counter = next, "advanced an HOTP counter");
        Ok(counter as u64)
    }

    /// Checks that rows and keyring entries match: rows whose secret is missing or unreadable,
    /// keyring entries of this vault without a row (found by listing the keyring when it can,
    /// and through the journal always). With `repair`, orphan entries are deleted; rows whose
    /// secret is lost are only reported (the account must be added again, or removed).
    pub fn doctor(&self, repair: bool) -> Result<Report> {
        let entries = self.list()?;
        let mut report = Report {
            accounts: entries.len(),
            ..Report::default()
        };
        let rows: HashSet<AccountId> = entries.iter().map(|e| e.id).collect();
        for entry in &entries {
            match self.store.load(&self.secret_key(&entry.id)) {
                Ok(Some(_)) => {}
                Ok(None) => report.lost_secrets.push(entry.clone()),
                Err(err @ Error::CorruptSecret { .. }) => report
                    .unreadable_secrets
                    .push((entry.clone(), err.to_string())),
                Err(err) => return Err(err),
            }
        }

        let journal = self.journal()?;
        let now = unix_now();
        let listed = self.store.list_ids()?;
        report.enumerated = listed.is_some();
        let mut in_keyring: BTreeSet<AccountId> = BTreeSet::new();
        for key in listed.iter().flatten() {
            match self.account_of_key(key) {
                Some(id) => {
                    in_keyring.insert(id);
                }
                None if key.starts_with(&self.app_secret_key("")) => report.app_secrets += 1,
                None if is_keygate_key(key) => report.other_vault_entries += 1,
                None => report.unrecognised_entries.push(key.clone()),
            }
        }
        let mut candidates: BTreeSet<AccountId> = in_keyring
            .iter()
            .filter(|id| !rows.contains(id))
            .copied()
            .collect();
        candidates.extend(journal.keys().filter(|id| !rows.contains(id)));
        let mut stale_journal = Vec::new();
        for id in candidates {
            if journal
                .get(&id)
                .is_some_and(|at| now.saturating_sub(*at) < IN_PROGRESS_SECONDS)
            {
                report.in_progress.push(id);
                continue;
            }
            let exists = if report.enumerated {
                in_keyring.contains(&id)
            } else {
                self.store.load(&self.secret_key(&id))?.is_some()
            };
            if exists {
                report.orphan_entries.push(id);
            } else {
                stale_journal.push(id);
            }
        }
        // Journal records of accounts that do have a row are left by nothing we do; clear them.
        stale_journal.extend(journal.keys().filter(|id| rows.contains(id)));

        if repair {
            for id in &report.orphan_entries {
                self.store.delete(&self.secret_key(id))?;
                self.clear_journal(id)?;
                report.removed_orphans.push(*id);
                tracing::info!(%id, "deleted an orphan keyring entry");
            }
            for id in &stale_journal {
                self.clear_journal(id)?;
            }
        }
        Ok(report)
    }

    fn journal(&self) -> Result<BTreeMap<AccountId, u64>> {
        let mut statement = self
            .conn
            .prepare("SELECT account_id, at FROM keyring_journal")?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, at)| Some((id.parse().ok()?, u64::try_from(at).unwrap_or(0))))
            .collect())
    }

    fn clear_journal(&self, id: &AccountId) -> Result<()> {
        self.conn.execute(
            "DELETE FROM keyring_journal WHERE account_id = ?1",
            [id.to_string()],
        )?;
        Ok(())
    }
}

/// Whether a key has the `VAULT-ID/ACCOUNT-ID` shape of some Keygate vault.
/// Application secrets are stored as `VAULT-ID/app.NAME`.
const APP_SECRET_PREFIX: &str = "app.";

fn is_keygate_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(vault, account)| {
        vault.parse::<Uuid>().is_ok()
            && (account.parse::<Uuid>().is_ok() || account.starts_with(APP_SECRET_PREFIX))
    })
}

/// Builds the OTP engine's account from a row and its secret.
pub(crate) fn account_from(
    entry: &Entry,
    secret: keygate_otp::Secret,
) -> keygate_otp::Result<Account> {
    Account::new(
        entry.kind,
        secret,
        entry.issuer.clone(),
        entry.name.clone(),
        entry.algorithm,
        entry.digits,
        entry.period,
        entry.counter,
    )
}

/// Creates the data directory readable by the user only (existing directories are left as they
/// are).
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
