//! The SQLite [`Store`]: WAL, foreign keys on, versioned migrations, a small connection pool.

use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use keygate_otp::throttle::Throttle;
use keygate_otp::Algorithm;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};

use super::{
    ApiKey, AuditEntry, AuditFilter, Device, DeviceKind, EmailCode, NewAudit, NewSession, NewUser,
    Page, Session, StaticToken, Store, Tx, User, UserChanges,
};
use crate::error::{Error, Result};

/// Connections kept open: readers run in parallel under WAL, writers queue on SQLite's lock.
const POOL_SIZE: usize = 4;

/// Versioned migrations: entry `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    is_active INTEGER NOT NULL DEFAULT 1,
    is_staff INTEGER NOT NULL DEFAULT 0,
    is_superuser INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    password_changed_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_login INTEGER,
    replay_notices INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('totp', 'hotp', 'static', 'email')),
    name TEXT NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    secret BLOB,
    algorithm TEXT NOT NULL DEFAULT 'SHA1',
    digits INTEGER NOT NULL DEFAULT 6,
    step INTEGER NOT NULL DEFAULT 30,
    t0 INTEGER NOT NULL DEFAULT 0,
    tolerance INTEGER NOT NULL DEFAULT 1,
    drift INTEGER NOT NULL DEFAULT 0,
    last_t INTEGER NOT NULL DEFAULT -1,
    counter INTEGER NOT NULL DEFAULT 0,
    throttle_failures INTEGER NOT NULL DEFAULT 0,
    throttle_last_failure INTEGER,
    code_salt BLOB,
    code_hash BLOB,
    code_expires_at INTEGER,
    code_sent_at INTEGER,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;
CREATE INDEX devices_user ON devices(user_id);

CREATE TABLE static_tokens (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    salt BLOB NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE INDEX static_tokens_device ON static_tokens(device_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- ASVS 2.8.6: removing the device ends every session it verified, in the same statement.
    device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,
    verified INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    password_at INTEGER NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_device ON sessions(device_id);

CREATE TABLE throttles (
    subject TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure INTEGER
) STRICT;

CREATE TABLE failures (
    subject TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX failures_subject ON failures(subject, at);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash BLOB NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
) STRICT;
"#];

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A SQLite database file.
pub struct SqliteStore {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it. The file is created
    /// readable by its owner only.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::io(format!("cannot create directory {}", parent.display()), e)
            })?;
        }
        let existed = path.exists();
        let first = Connection::open(path)?;
        if !existed {
            restrict_permissions(path)?;
        }
        let mode: String =
            first.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Storage(format!(
                "the database could not switch to WAL (journal mode is {mode})"
            )));
        }
        configure(&first)?;
        migrate(&first)?;
        let mut conns = vec![first];
        for _ in 1..POOL_SIZE {
            let conn = Connection::open(path)?;
            configure(&conn)?;
            conns.push(conn);
        }
        Ok(SqliteStore {
            idle: Mutex::new(conns),
            available: Condvar::new(),
        })
    }

    fn checkout(&self) -> Result<Pooled<'_>> {
        let mut idle = self
            .idle
            .lock()
            .map_err(|_| Error::Internal("connection pool poisoned".into()))?;
        loop {
            if let Some(conn) = idle.pop() {
                return Ok(Pooled {
                    store: self,
                    conn: Some(conn),
                });
            }
            idle = self
                .available
                .wait(idle)
                .map_err(|_| Error::Internal("connection pool poisoned".into()))?;
        }
    }

    fn begin(&self, sql: &str) -> Result<Box<dyn Tx + '_>> {
        let pooled = self.checkout()?;
        pooled.conn().execute_batch(sql)?;
        Ok(Box::new(SqliteTx { pooled, open: true }))
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("cannot restrict {}", path.display()), e))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<()> {
    Ok(())
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::Storage(format!(
            "the database has schema version {version}, newer than this build ({SCHEMA_VERSION})"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let next = index as i64 + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {next}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(version = next, "database migrated");
    }
    Ok(())
}

impl Store for SqliteStore {
    fn read(&self) -> Result<Box<dyn Tx + '_>> {
        self.begin("BEGIN DEFERRED")
    }

    fn write(&self) -> Result<Box<dyn Tx + '_>> {
        self.begin("BEGIN IMMEDIATE")
    }
}

struct Pooled<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl Pooled<'_> {
    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if let Ok(mut idle) = self.store.idle.lock() {
                idle.push(conn);
                self.store.available.notify_one();
            }
        }
    }
}

struct SqliteTx<'a> {
    pooled: Pooled<'a>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.pooled.conn().execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "rollback failed");
            }
        }
    }
}

const USER_COLUMNS: &str = "id, username, email, display_name, is_active, is_staff, \
     is_superuser, password_hash, password_changed_at, created_at, last_login, replay_notices";

fn user_from(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get(0)?,
        username: row.get(1)?,
        email: row.get(2)?,
        display_name: row.get(3)?,
        is_active: row.get(4)?,
        is_staff: row.get(5)?,
        is_superuser: row.get(6)?,
        password_hash: row.get(7)?,
        password_changed_at: row.get(8)?,
        created_at: row.get(9)?,
        last_login: row.get(10)?,
        replay_notices: row.get(11)?,
    })
}

const DEVICE_COLUMNS: &str = "id, user_id, kind, name, confirmed, secret, algorithm, digits, \
     step, t0, tolerance, drift, last_t, counter, throttle_failures, throttle_last_failure, \
     code_salt, code_hash, code_expires_at, code_sent_at, created_at, last_used_at";

fn conversion_error(index: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, message.into())
}

fn unsigned(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    u64::try_from(value).map_err(|_| conversion_error(index, format!("negative value {value}")))
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn device_from(row: &Row<'_>) -> rusqlite::Result<Device> {
    let kind: String = row.get(2)?;
    let algorithm: String = row.get(6)?;
    let code_salt: Option<Vec<u8>> = row.get(16)?;
    let code_hash: Option<Vec<u8>> = row.get(17)?;
    let code_expires_at: Option<i64> = row.get(18)?;
    let email_code = match (code_salt, code_hash, code_expires_at) {
        (Some(salt), Some(hash), Some(expires_at)) => Some(EmailCode {
            salt,
            hash,
            expires_at,
        }),
        _ => None,
    };
    let last_failure: Option<i64> = row.get(15)?;
    Ok(Device {
        id: row.get(0)?,
        user_id: row.get(1)?,
        kind: DeviceKind::parse(&kind)
            .ok_or_else(|| conversion_error(2, format!("unknown device kind {kind}")))?,
        name: row.get(3)?,
        confirmed: row.get(4)?,
        secret: row.get(5)?,
        algorithm: algorithm
            .parse::<Algorithm>()
            .map_err(|e| conversion_error(6, e.to_string()))?,
        digits: row.get(7)?,
        step: unsigned(row, 8)?,
        t0: unsigned(row, 9)?,
        tolerance: unsigned(row, 10)?,
        drift: row.get(11)?,
        last_t: row.get(12)?,
        counter: unsigned(row, 13)?,
        throttle: Throttle {
            failures: row.get(14)?,
            last_failure: last_failure.map(|t| t.max(0) as u64),
        },
        email_code,
        code_sent_at: row.get(19)?,
        created_at: row.get(20)?,
        last_used_at: row.get(21)?,
    })
}

const SESSION_COLUMNS: &str =
    "id, user_id, device_id, verified, created_at, last_seen, password_at, ip, user_agent";

fn session_from(row: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: row.get(0)?,
        user_id: row.get(1)?,
        device_id: row.get(2)?,
        verified: row.get(3)?,
        created_at: row.get(4)?,
        last_seen: row.get(5)?,
        password_at: row.get(6)?,
        ip: row.get(7)?,
        user_agent: row.get(8)?,
    })
}

const API_KEY_COLUMNS: &str = "id, name, prefix, created_by, created_at, last_used_at, revoked_at";

fn api_key_from(row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    Ok(ApiKey {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        created_by: row.get(3)?,
        created_at: row.get(4)?,
        last_used_at: row.get(5)?,
        revoked_at: row.get(6)?,
    })
}

/// `LIKE` pattern matching `text` anywhere, with the wildcards in it escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl SqliteTx<'_> {
    fn conn(&self) -> &Connection {
        self.pooled.conn()
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn().execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn insert_user(&mut self, user: &NewUser, now: i64) -> Result<i64> {
        let inserted = self.conn().execute(
            "INSERT INTO users (username, username_key, email, display_name, is_staff, \
             is_superuser, password_hash, password_changed_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                user.username,
                user.username_key,
                user.email,
                user.display_name,
                user.is_staff,
                user.is_superuser,
                user.password_hash,
                now
            ],
        );
        match inserted {
            Ok(_) => Ok(self.conn().last_insert_rowid()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                Err(Error::Conflict("This username is taken.".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn user(&mut self, id: i64) -> Result<Option<User>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
            .query_row([id], user_from)
            .optional()?)
    }

    fn user_by_key(&mut self, username_key: &str) -> Result<Option<User>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE username_key = ?1"
            ))?
            .query_row([username_key], user_from)
            .optional()?)
    }

    fn list_users(&mut self, query: &str, offset: i64, limit: i64) -> Result<Page<User>> {
        let pattern = contains_pattern(query);
        let condition = "username LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\' \
                         OR display_name LIKE ?1 ESCAPE '\\'";
        let total: i64 = self.conn().query_row(
            &format!("SELECT COUNT(*) FROM users WHERE {condition}"),
            [&pattern],
            |r| r.get(0),
        )?;
        let items = self
            .conn()
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE {condition} \
                 ORDER BY username_key LIMIT ?2 OFFSET ?3"
            ))?
            .query_map(params![pattern, limit, offset], user_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    fn update_user(&mut self, id: i64, changes: &UserChanges) -> Result<()> {
        self.conn().execute(
            "UPDATE users SET email = COALESCE(?2, email), \
             display_name = COALESCE(?3, display_name), is_active = COALESCE(?4, is_active), \
             is_staff = COALESCE(?5, is_staff), is_superuser = COALESCE(?6, is_superuser) \
             WHERE id = ?1",
            params![
                id,
                changes.email,
                changes.display_name,
                changes.is_active,
                changes.is_staff,
                changes.is_superuser
            ],
        )?;
        Ok(())
    }

    fn set_password_hash(&mut self, id: i64, hash: &str, changed_at: Option<i64>) -> Result<()> {
        self.conn().execute(
            "UPDATE users SET password_hash = ?2, \
             password_changed_at = COALESCE(?3, password_changed_at) WHERE id = ?1",
            params![id, hash, changed_at],
        )?;
        Ok(())
    }

    fn set_last_login(&mut self, id: i64, at: i64) -> Result<()> {
        self.conn()
            .execute("UPDATE users SET last_login = ?2 WHERE id = ?1", [id, at])?;
        Ok(())
    }

    fn add_replay_notice(&mut self, id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE users SET replay_notices = replay_notices + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    fn take_replay_notices(&mut self, id: i64) -> Result<i64> {
        let count: Option<i64> = self
            .conn()
            .query_row(
                "SELECT replay_notices FROM users WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if count.unwrap_or(0) > 0 {
            self.conn()
                .execute("UPDATE users SET replay_notices = 0 WHERE id = ?1", [id])?;
        }
        Ok(count.unwrap_or(0))
    }

    fn count_users(&mut self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
    }

    fn insert_device(&mut self, d: &Device) -> Result<i64> {
        self.conn().execute(
            "INSERT INTO devices (user_id, kind, name, confirmed, secret, algorithm, digits, \
             step, t0, tolerance, drift, last_t, counter, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                d.user_id,
                d.kind.as_str(),
                d.name,
                d.confirmed,
                d.secret,
                d.algorithm.as_str(),
                d.digits,
                signed(d.step),
                signed(d.t0),
                signed(d.tolerance),
                d.drift,
                d.last_t,
                signed(d.counter),
                d.created_at
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    fn device(&mut self, id: i64) -> Result<Option<Device>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"
            ))?
            .query_row([id], device_from)
            .optional()?)
    }

    fn devices_of(&mut self, user_id: i64) -> Result<Vec<Device>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 ORDER BY id"
            ))?
            .query_map([user_id], device_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn update_device(&mut self, d: &Device) -> Result<()> {
        let (salt, hash, expires) = match &d.email_code {
            Some(c) => (Some(&c.salt), Some(&c.hash), Some(c.expires_at)),
            None => (None, None, None),
        };
        self.conn()
            .prepare_cached(
                "UPDATE devices SET name = ?2, confirmed = ?3, secret = ?4, drift = ?5, \
                 last_t = ?6, counter = ?7, throttle_failures = ?8, throttle_last_failure = ?9, \
                 code_salt = ?10, code_hash = ?11, code_expires_at = ?12, code_sent_at = ?13, \
                 last_used_at = ?14 WHERE id = ?1",
            )?
            .execute(params![
                d.id,
                d.name,
                d.confirmed,
                d.secret,
                d.drift,
                d.last_t,
                signed(d.counter),
                d.throttle.failures,
                d.throttle.last_failure.map(signed),
                salt,
                hash,
                expires,
                d.code_sent_at,
                d.last_used_at
            ])?;
        Ok(())
    }

    fn delete_device(&mut self, id: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM devices WHERE id = ?1", [id])?;
        Ok(())
    }

    fn delete_devices_of(&mut self, user_id: i64) -> Result<u64> {
        Ok(self
            .conn()
            .execute("DELETE FROM devices WHERE user_id = ?1", [user_id])? as u64)
    }

    fn insert_static_token(&mut self, device_id: i64, salt: &[u8], hash: &[u8]) -> Result<()> {
        self.conn().execute(
            "INSERT INTO static_tokens (device_id, salt, hash) VALUES (?1, ?2, ?3)",
            params![device_id, salt, hash],
        )?;
        Ok(())
    }

    fn static_tokens(&mut self, device_id: i64) -> Result<Vec<StaticToken>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT id, device_id, salt, hash FROM static_tokens WHERE device_id = ?1 \
                 ORDER BY id",
            )?
            .query_map([device_id], |r| {
                Ok(StaticToken {
                    id: r.get(0)?,
                    device_id: r.get(1)?,
                    salt: r.get(2)?,
                    hash: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_static_token(&mut self, id: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM static_tokens WHERE id = ?1", [id])?;
        Ok(())
    }

    fn delete_static_tokens(&mut self, device_id: i64) -> Result<()> {
        self.conn().execute(
            "DELETE FROM static_tokens WHERE device_id = ?1",
            [device_id],
        )?;
        Ok(())
    }

    fn insert_session(&mut self, s: &NewSession) -> Result<i64> {
        self.conn()
            .prepare_cached(
                "INSERT INTO sessions (token_hash, user_id, device_id, verified, created_at, \
                 last_seen, password_at, ip, user_agent) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                s.token_hash,
                s.user_id,
                s.device_id,
                s.verified,
                s.created_at,
                s.password_at,
                s.ip,
                s.user_agent
            ])?;
        Ok(self.conn().last_insert_rowid())
    }

    fn session_by_token(&mut self, token_hash: &[u8]) -> Result<Option<Session>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1"
            ))?
            .query_row([token_hash], session_from)
            .optional()?)
    }

    fn session(&mut self, id: i64) -> Result<Option<Session>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1"
            ))?
            .query_row([id], session_from)
            .optional()?)
    }

    fn sessions_of(&mut self, user_id: i64) -> Result<Vec<Session>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY id DESC"
            ))?
            .query_map([user_id], session_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn touch_session(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE sessions SET last_seen = ?2 WHERE id = ?1")?
            .execute([id, now])?;
        Ok(())
    }

    fn delete_session(&mut self, id: i64) -> Result<()> {
        self.conn()
            .prepare_cached("DELETE FROM sessions WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    fn delete_sessions_of(&mut self, user_id: i64, keep: Option<i64>) -> Result<u64> {
        Ok(self.conn().execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2",
            params![user_id, keep],
        )? as u64)
    }

    fn delete_stale_sessions(&mut self, idle_before: i64, created_before: i64) -> Result<u64> {
        Ok(self.conn().execute(
            "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
            [idle_before, created_before],
        )? as u64)
    }

    fn throttle(&mut self, subject: &str) -> Result<Throttle> {
        let row: Option<(u32, Option<i64>)> = self
            .conn()
            .prepare_cached("SELECT failures, last_failure FROM throttles WHERE subject = ?1")?
            .query_row([subject], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row
            .map(|(failures, last)| Throttle {
                failures,
                last_failure: last.map(|t| t.max(0) as u64),
            })
            .unwrap_or_default())
    }

    fn set_throttle(&mut self, subject: &str, throttle: &Throttle) -> Result<()> {
        if *throttle == Throttle::default() {
            self.conn()
                .prepare_cached("DELETE FROM throttles WHERE subject = ?1")?
                .execute([subject])?;
        } else {
            self.conn()
                .prepare_cached(
                    "INSERT INTO throttles (subject, failures, last_failure) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, \
                     last_failure = excluded.last_failure",
                )?
                .execute(params![
                    subject,
                    throttle.failures,
                    throttle.last_failure.map(signed)
                ])?;
        }
        Ok(())
    }

    fn record_failure(&mut self, subject: &str, at: i64) -> Result<()> {
        self.conn()
            .prepare_cached("INSERT INTO failures (subject, at) VALUES (?1, ?2)")?
            .execute(params![subject, at])?;
        Ok(())
    }

    fn failures_since(&mut self, subject: &str, since: i64) -> Result<(i64, Option<i64>)> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT COUNT(*), MIN(at) FROM failures WHERE subject = ?1 AND at > ?2",
            )?
            .query_row(params![subject, since], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    fn prune_failures(&mut self, before: i64) -> Result<()> {
        self.conn()
            .execute("DELETE FROM failures WHERE at <= ?1", [before])?;
        self.conn()
            .execute("DELETE FROM throttles WHERE last_failure <= ?1", [before])?;
        Ok(())
    }

    fn append_audit(&mut self, e: &NewAudit) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO audit (at, actor_id, actor, action, target, ip, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                e.at, e.actor_id, e.actor, e.action, e.target, e.ip, e.detail
            ])?;
        Ok(())
    }

    fn list_audit(
        &mut self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<AuditEntry>> {
        let actor = contains_pattern(filter.actor.as_deref().unwrap_or(""));
        let target = contains_pattern(filter.target.as_deref().unwrap_or(""));
        let action = format!(
            "{}%",
            filter
                .action
                .as_deref()
                .unwrap_or("")
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let condition = "actor LIKE ?1 ESCAPE '\\' AND action LIKE ?2 ESCAPE '\\' \
                         AND target LIKE ?3 ESCAPE '\\'";
        let total: i64 = self.conn().query_row(
            &format!("SELECT COUNT(*) FROM audit WHERE {condition}"),
            params![actor, action, target],
            |r| r.get(0),
        )?;
        let items = self
            .conn()
            .prepare_cached(&format!(
                "SELECT id, at, actor_id, actor, action, target, ip, detail FROM audit \
                 WHERE {condition} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
            ))?
            .query_map(params![actor, action, target, limit, offset], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_id: r.get(2)?,
                    actor: r.get(3)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    ip: r.get(6)?,
                    detail: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    fn insert_api_key(
        &mut self,
        name: &str,
        prefix: &str,
        key_hash: &[u8],
        created_by: i64,
        now: i64,
    ) -> Result<i64> {
        self.conn().execute(
            "INSERT INTO api_keys (name, prefix, key_hash, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, prefix, key_hash, created_by, now],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    fn api_key_by_hash(&mut self, key_hash: &[u8]) -> Result<Option<ApiKey>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?1 \
                 AND revoked_at IS NULL"
            ))?
            .query_row([key_hash], api_key_from)
            .optional()?)
    }

    fn list_api_keys(&mut self) -> Result<Vec<ApiKey>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id"
            ))?
            .query_map([], api_key_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn touch_api_key(&mut self, id: i64, now: i64) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")?
            .execute([id, now])?;
        Ok(())
    }

    fn revoke_api_key(&mut self, id: i64, now: i64) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            [id, now],
        )? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("k.db")).unwrap();
        (dir, store)
    }

    fn new_user(name: &str) -> NewUser {
        NewUser {
            username: name.into(),
            username_key: name.to_lowercase(),
            email: format!("{name}@example.com"),
            display_name: String::new(),
            is_staff: false,
            is_superuser: false,
            password_hash: "$argon2id$fake".into(),
        }
    }

    #[test]
    fn migrates_once_and_enables_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        drop(SqliteStore::open(&path).unwrap());
        let store = SqliteStore::open(&path).unwrap();
        let tx = store.read().unwrap();
        drop(tx);
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "database readable by others: {mode:o}");
        }
    }

    #[test]
    fn usernames_are_unique_case_insensitively() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        tx.insert_user(&new_user("Alice"), 1).unwrap();
        let err = tx.insert_user(&new_user("ALICE"), 1).unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        tx.commit().unwrap();
        let mut tx = store.read().unwrap();
        assert_eq!(tx.user_by_key("alice").unwrap().unwrap().username, "Alice");
        assert_eq!(tx.count_users().unwrap(), 1);
    }

    #[test]
    fn uncommitted_writes_roll_back() {
        let (_dir, store) = store();
        {
            let mut tx = store.write().unwrap();
            tx.insert_user(&new_user("bob"), 1).unwrap();
        }
        assert!(store.read().unwrap().user_by_key("bob").unwrap().is_none());
    }

    #[test]
    fn deleting_a_device_ends_the_sessions_it_verified() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        let uid = tx.insert_user(&new_user("carol"), 1).unwrap();
        let dev = tx
            .insert_device(&Device::new(uid, DeviceKind::Totp, "phone".into(), 1))
            .unwrap();
        let other = tx
            .insert_device(&Device::new(uid, DeviceKind::Static, "backup".into(), 1))
            .unwrap();
        tx.insert_static_token(other, b"s", b"h").unwrap();
        let session = |hash: &[u8], device_id| NewSession {
            token_hash: hash.to_vec(),
            user_id: uid,
            device_id,
            verified: true,
            created_at: 1,
            password_at: 1,
            ip: "127.0.0.1".into(),
            user_agent: String::new(),
        };
        tx.insert_session(&session(b"a", Some(dev))).unwrap();
        tx.insert_session(&session(b"b", Some(other))).unwrap();
        tx.delete_device(dev).unwrap();
        assert!(tx.session_by_token(b"a").unwrap().is_none());
        assert!(tx.session_by_token(b"b").unwrap().is_some());
        tx.delete_devices_of(uid).unwrap();
        assert!(tx.session_by_token(b"b").unwrap().is_none());
        assert!(tx.static_tokens(other).unwrap().is_empty());
        tx.commit().unwrap();
    }

    #[test]
    fn device_state_round_trips() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        let uid = tx.insert_user(&new_user("dave"), 1).unwrap();
        let mut device = Device::new(uid, DeviceKind::Email, "mail".into(), 5);
        device.id = tx.insert_device(&device).unwrap();
        device.confirmed = true;
        device.drift = -1;
        device.last_t = 99;
        device.counter = 12;
        device.throttle = Throttle {
            failures: 3,
            last_failure: Some(1000),
        };
        device.email_code = Some(EmailCode {
            salt: vec![1, 2],
            hash: vec![3, 4],
            expires_at: 2000,
        });
        device.code_sent_at = Some(1700);
        device.last_used_at = Some(1800);
        tx.update_device(&device).unwrap();
        assert_eq!(tx.device(device.id).unwrap().unwrap(), device);
        assert_eq!(tx.devices_of(uid).unwrap(), vec![device]);
    }

    #[test]
    fn audit_log_is_append_only_and_filterable() {
        let (dir, store) = store();
        let mut tx = store.write().unwrap();
        for (action, actor) in [("login.ok", "erin"), ("login.failed", "mallory")] {
            tx.append_audit(&NewAudit {
                at: 10,
                actor: actor.into(),
                action: action.into(),
                target: "erin".into(),
                ip: "::1".into(),
                ..NewAudit::default()
            })
            .unwrap();
        }
        let page = tx
            .list_audit(
                &AuditFilter {
                    action: Some("login.f".into()),
                    ..Default::default()
                },
                0,
                10,
            )
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].actor, "mallory");
        assert!(tx.list_audit(&AuditFilter::default(), 0, 10).unwrap().total == 2);
        tx.commit().unwrap();
        let conn = Connection::open(dir.path().join("k.db")).unwrap();
        assert!(conn.execute("DELETE FROM audit", []).is_err());
        assert!(conn.execute("UPDATE audit SET actor = 'x'", []).is_err());
        let count: i64 = conn
            .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
    }

    #[test]
    fn throttles_and_failures_persist() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        assert_eq!(tx.throttle("ip:1").unwrap(), Throttle::default());
        let t = Throttle {
            failures: 2,
            last_failure: Some(50),
        };
        tx.set_throttle("ip:1", &t).unwrap();
        assert_eq!(tx.throttle("ip:1").unwrap(), t);
        tx.set_throttle("ip:1", &Throttle::default()).unwrap();
        assert_eq!(tx.throttle("ip:1").unwrap(), Throttle::default());
        for at in [10, 20, 30] {
            tx.record_failure("acct:x", at).unwrap();
        }
        assert_eq!(tx.failures_since("acct:x", 15).unwrap(), (2, Some(20)));
        tx.prune_failures(20).unwrap();
        assert_eq!(tx.failures_since("acct:x", 0).unwrap(), (1, Some(30)));
    }

    #[test]
    fn api_keys_are_found_by_hash_until_revoked() {
        let (_dir, store) = store();
        let mut tx = store.write().unwrap();
        let uid = tx.insert_user(&new_user("frank"), 1).unwrap();
        let id = tx.insert_api_key("ci", "kg_ab", b"hash", uid, 3).unwrap();
        assert_eq!(tx.api_key_by_hash(b"hash").unwrap().unwrap().id, id);
        assert!(tx.revoke_api_key(id, 4).unwrap());
        assert!(!tx.revoke_api_key(id, 5).unwrap());
        assert!(tx.api_key_by_hash(b"hash").unwrap().is_none());
        assert_eq!(tx.list_api_keys().unwrap()[0].revoked_at, Some(4));
    }
}
