//! Management operations behind the console and the JSON API: users, devices, sessions, the
//! audit log, API keys and the verify endpoint. Each checks who may do it, then does it in one
//! transaction with its audit record.
//!
//! Roles: any active user manages their own password, devices and sessions; staff also read
//! the user list and audit log; superusers manage every user, device and API key.

use serde::Serialize;
use zeroize::Zeroizing;

use crate::auth::{self, check_token, record_refusal, Authenticated, Outbox, TokenResult};
use crate::crypto::{random_bytes, random_token, token_hash, PasswordHasher};
use crate::error::{Error, Result};
use crate::state::{Audit, Client, Core};
use crate::store::{
    ApiKey, AuditEntry, AuditFilter, Device, DeviceKind, NewUser, Page, Session, Store, Tx, User,
    UserChanges,
};
use crate::validate;

/// Users and audit records per page.
pub const PAGE_SIZE: i64 = 25;
/// Backup codes per set (django-two-factor-auth's count).
pub const BACKUP_CODES: usize = 10;

/// A new user as an administrator or the command line describes it.
pub type CreateUser = crate::api::CreateUserRequest;

/// A device as clients see it (no secret, no state).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceView {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Kind.
    pub kind: DeviceKind,
    /// Name.
    pub name: String,
    /// Usable for sign-in.
    pub confirmed: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last use.
    pub last_used_at: Option<i64>,
    /// Unused backup codes (static devices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_codes: Option<usize>,
}

/// What adding a device returns: enrolment material or backup codes, shown once.
#[derive(Debug, Serialize)]
pub struct DeviceCreated {
    /// The device.
    pub device: DeviceView,
    /// TOTP/HOTP: the otpauth URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otpauth_uri: Option<String>,
    /// TOTP/HOTP: the URI as an SVG QR code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
    /// Static: the ten codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_codes: Option<Vec<String>>,
}

fn is_staff(user: &User) -> bool {
    user.is_staff || user.is_superuser
}

fn require_staff(user: &User) -> Result<()> {
    if is_staff(user) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

fn require_superuser(user: &User) -> Result<()> {
    if user.is_superuser {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

fn may_manage(actor: &User, user_id: i64) -> Result<()> {
    if actor.id == user_id || actor.is_superuser {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

fn offset(page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(PAGE_SIZE)
}

/// Creates a user. `actor` is `None` for the command line (the first admin); otherwise it
/// must be a superuser.
pub fn create_user(
    store: &dyn Store,
    hasher: &PasswordHasher,
    actor: Option<&User>,
    request: &CreateUser,
    client: &Client,
    now: i64,
) -> Result<User> {
    if let Some(actor) = actor {
        require_superuser(actor)?;
    }
    let username = validate::username(&request.username)?;
    let email = validate::email(&request.email)?;
    let display_name = validate::display_name(&request.display_name)?;
    validate::password(&request.password, &username)?;
    let password_hash = hasher.hash(&request.password)?;
    let mut tx = store.write()?;
    let id = tx.insert_user(
        &NewUser {
            username_key: validate::username_key(&username),
            username: username.clone(),
            email,
            display_name,
            is_staff: request.is_staff || request.is_superuser,
            is_superuser: request.is_superuser,
            password_hash,
        },
        now,
    )?;
    let audit = match actor {
        Some(actor) => Audit::by(actor, client, now),
        None => Audit {
            now,
            client,
            actor_id: None,
            actor: "cli",
        },
    };
    let flags = match (request.is_superuser, request.is_staff) {
        (true, _) => "superuser",
        (false, true) => "staff",
        _ => "user",
    };
    audit.log(&mut *tx, "user.created", &username, flags)?;
    let user = tx.user(id)?.ok_or(Error::NotFound)?;
    tx.commit()?;
    Ok(user)
}

/// Users matching `query` (staff).
pub fn list_users(core: &Core, actor: &User, query: &str, page: i64) -> Result<Page<User>> {
    require_staff(actor)?;
    let query: String = query.trim().chars().take(100).collect();
    core.store
        .read()?
        .list_users(&query, offset(page), PAGE_SIZE)
}

/// One user (staff, or the user themself).
pub fn get_user(core: &Core, actor: &User, id: i64) -> Result<User> {
    if actor.id != id {
        require_staff(actor)?;
    }
    core.store.read()?.user(id)?.ok_or(Error::NotFound)
}

/// Changes a user's email, name or flags (superuser). Deactivating ends their sessions.
pub fn update_user(
    core: &Core,
    actor: &User,
    id: i64,
    mut changes: UserChanges,
    client: &Client,
    now: i64,
) -> Result<User> {
    require_superuser(actor)?;
    if actor.id == id && (changes.is_active == Some(false) || changes.is_superuser == Some(false)) {
        return Err(Error::BadRequest(
            "You cannot deactivate or demote your own account.".into(),
        ));
    }
    if let Some(email) = &changes.email {
        changes.email = Some(validate::email(email)?);
    }
    if let Some(name) = &changes.display_name {
        changes.display_name = Some(validate::display_name(name)?);
    }
    if changes.is_superuser == Some(true) {
        changes.is_staff = Some(true);
    }
    let mut tx = core.store.write()?;
    let user = tx.user(id)?.ok_or(Error::NotFound)?;
    tx.update_user(id, &changes)?;
    let audit = Audit::by(actor, client, now);
    if changes.is_active == Some(false) {
        let ended = tx.delete_sessions_of(id, None)?;
        audit.log(
            &mut *tx,
            "user.deactivated",
            &user.username,
            format!("{ended} session(s) ended"),
        )?;
    }
    let mut what = Vec::new();
    for (name, set) in [
        ("email", changes.email.is_some()),
        ("display_name", changes.display_name.is_some()),
        ("is_active", changes.is_active.is_some()),
        ("is_staff", changes.is_staff.is_some()),
        ("is_superuser", changes.is_superuser.is_some()),
    ] {
        if set {
            what.push(name);
        }
    }
    audit.log(&mut *tx, "user.changed", &user.username, what.join(","))?;
    let user = tx.user(id)?.ok_or(Error::NotFound)?;
    tx.commit()?;
    Ok(user)
}

/// Removes every device of a user and ends all their sessions (superuser, or `None` for the
/// command line). Returns the number of devices removed.
pub fn reset_2fa(
    store: &dyn Store,
    actor: Option<&User>,
    user_id: i64,
    client: &Client,
    now: i64,
) -> Result<u64> {
    if let Some(actor) = actor {
        require_superuser(actor)?;
    }
    let mut tx = store.write()?;
    let user = tx.user(user_id)?.ok_or(Error::NotFound)?;
    let removed = tx.delete_devices_of(user_id)?;
    let ended = tx.delete_sessions_of(user_id, None)?;
    let audit = match actor {
        Some(actor) => Audit::by(actor, client, now),
        None => Audit {
            now,
            client,
            actor_id: None,
            actor: "cli",
        },
    };
    audit.log(
        &mut *tx,
        "user.2fa_reset",
        &user.username,
        format!("{removed} device(s) removed, {ended} session(s) ended"),
    )?;
    tx.commit()?;
    Ok(removed)
}

/// Changes the caller's own password; optionally ends their other sessions. Returns how many
/// sessions ended.
pub fn change_password(
    core: &Core,
    auth: &Authenticated,
    current: &str,
    new: &str,
    end_other_sessions: bool,
    client: &Client,
    now: i64,
) -> Result<u64> {
    validate::password(new, &auth.user.username)?;
    if !core
        .hasher
        .verify(Some(&auth.user.password_hash), current)
        .ok
    {
        let mut tx = core.store.write()?;
        tx.record_failure(
            &format!("acct:{}", validate::username_key(&auth.user.username)),
            now,
        )?;
        Audit::by(&auth.user, client, now).log(
            &mut *tx,
            "password.change_failed",
            &auth.user.username,
            "",
        )?;
        tx.commit()?;
        return Err(Error::BadCredentials);
    }
    let hash = core.hasher.hash(new)?;
    let mut tx = core.store.write()?;
    tx.set_password_hash(auth.user.id, &hash, Some(now))?;
    let ended = if end_other_sessions {
        tx.delete_sessions_of(auth.user.id, Some(auth.session.id))?
    } else {
        0
    };
    Audit::by(&auth.user, client, now).log(
        &mut *tx,
        "password.changed",
        &auth.user.username,
        format!("{ended} other session(s) ended"),
    )?;
    tx.commit()?;
    Ok(ended)
}

fn view(tx: &mut dyn Tx, device: &Device) -> Result<DeviceView> {
    let remaining_codes = match device.kind {
        DeviceKind::Static => Some(tx.static_tokens(device.id)?.len()),
        _ => None,
    };
    Ok(DeviceView {
        id: device.id,
        user_id: device.user_id,
        kind: device.kind,
        name: device.name.clone(),
        confirmed: device.confirmed,
        created_at: device.created_at,
        last_used_at: device.last_used_at,
        remaining_codes,
    })
}

/// A user's devices (the user, or a superuser).
pub fn list_devices(core: &Core, actor: &User, user_id: i64) -> Result<Vec<DeviceView>> {
    may_manage(actor, user_id)?;
    let mut tx = core.store.read()?;
    tx.user(user_id)?.ok_or(Error::NotFound)?;
    let devices = tx.devices_of(user_id)?;
    devices.iter().map(|d| view(&mut *tx, d)).collect()
}

fn new_backup_codes(core: &Core, tx: &mut dyn Tx, device_id: i64) -> Result<Vec<String>> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    tx.delete_static_tokens(device_id)?;
    let mut codes = Vec::with_capacity(BACKUP_CODES);
    for _ in 0..BACKUP_CODES {
        // 10 letters of 5 bits: 50 bits, stored only as a salted, keyed hash (ASVS 2.6.2).
        let letters: String = random_bytes(10)
            .iter()
            .map(|b| ALPHABET[usize::from(b & 31)] as char)
            .collect();
        let salt = random_bytes(16);
        tx.insert_static_token(device_id, &salt, &core.keys.code_hash(&salt, &letters))?;
        codes.push(format!("{}-{}", &letters[..5], &letters[5..]));
    }
    Ok(codes)
}

/// Adds a device to a user (the user, or a superuser). TOTP/HOTP devices come back with
/// their enrolment material and stay unconfirmed until a correct code; backup codes are
/// confirmed at once; an email device gets a code to confirm it (in the returned outbox).
pub fn add_device(
    core: &Core,
    actor: &User,
    user_id: i64,
    kind: DeviceKind,
    name: &str,
    client: &Client,
    now: i64,
) -> Result<(DeviceCreated, Outbox)> {
    may_manage(actor, user_id)?;
    let name = validate::label(name, "device")?;
    let mut tx = core.store.write()?;
    let user = tx.user(user_id)?.ok_or(Error::NotFound)?;
    let mut outbox = Vec::new();
    let created = match kind {
        DeviceKind::Totp | DeviceKind::Hotp => {
            let enrollment = auth::create_otp_device(core, &mut *tx, &user, kind, &name, now)?;
            let device = tx.device(enrollment.device_id)?.ok_or(Error::NotFound)?;
            DeviceCreated {
                device: view(&mut *tx, &device)?,
                otpauth_uri: Some(enrollment.otpauth_uri.to_string()),
                qr_svg: Some(enrollment.qr_svg),
                backup_codes: None,
            }
        }
        DeviceKind::Static => {
            let mut device = Device::new(user.id, kind, name.clone(), now);
            device.confirmed = true;
            device.id = tx.insert_device(&device)?;
            let codes = new_backup_codes(core, &mut *tx, device.id)?;
            DeviceCreated {
                device: view(&mut *tx, &device)?,
                otpauth_uri: None,
                qr_svg: None,
                backup_codes: Some(codes),
            }
        }
        DeviceKind::Email => {
            let mut device = Device::new(user.id, kind, name.clone(), now);
            device.id = tx.insert_device(&device)?;
            outbox = auth::issue_email_codes(core, &mut *tx, &user, &[device.clone()], now)?;
            DeviceCreated {
                device: view(&mut *tx, &device)?,
                otpauth_uri: None,
                qr_svg: None,
                backup_codes: None,
            }
        }
    };
    Audit::by(actor, client, now).log(
        &mut *tx,
        "device.added",
        &user.username,
        format!(
            "{} {:?} (id {})",
            kind.as_str(),
            created.device.name,
            created.device.id
        ),
    )?;
    tx.commit()?;
    Ok((created, outbox))
}

fn managed_device(tx: &mut dyn Tx, actor: &User, device_id: i64) -> Result<(Device, User)> {
    let device = tx.device(device_id)?.ok_or(Error::NotFound)?;
    if may_manage(actor, device.user_id).is_err() {
        // Someone else's device is as good as absent.
        return Err(Error::NotFound);
    }
    let owner = tx.user(device.user_id)?.ok_or(Error::NotFound)?;
    Ok((device, owner))
}

/// Confirms a new TOTP, HOTP or email device with a code from it.
pub fn confirm_device(
    core: &Core,
    actor: &User,
    device_id: i64,
    token: &str,
    client: &Client,
    now: i64,
) -> Result<DeviceView> {
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, actor, device_id)?;
    if device.confirmed {
        return Err(Error::BadRequest(
            "This device is already confirmed.".into(),
        ));
    }
    let audit = Audit::by(actor, client, now);
    if let Some(retry_after) = auth::check_attempt_allowed(core, &mut *tx, &owner, client, now)? {
        tx.commit()?;
        return Err(Error::Throttled { retry_after });
    }
    let mut device = match check_token(core, &mut *tx, &[device], token, now)? {
        TokenResult::Accepted(device) => *device,
        refused => {
            let error = record_refusal(&mut *tx, &owner, &refused, &audit, "device.confirm", true)?;
            tx.commit()?;
            return Err(error);
        }
    };
    device.confirmed = true;
    tx.update_device(&device)?;
    audit.log(
        &mut *tx,
        "device.confirmed",
        &owner.username,
        format!(
            "{} {:?} (id {})",
            device.kind.as_str(),
            device.name,
            device.id
        ),
    )?;
    let shown = view(&mut *tx, &device)?;
    tx.commit()?;
    Ok(shown)
}

/// Sends a new confirmation code to an unconfirmed email device.
pub fn resend_device_code(core: &Core, actor: &User, device_id: i64, now: i64) -> Result<Outbox> {
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, actor, device_id)?;
    if device.kind != DeviceKind::Email || device.confirmed {
        return Err(Error::BadRequest(
            "Only an unconfirmed email device takes a new code here.".into(),
        ));
    }
    let outbox = auth::issue_email_codes(core, &mut *tx, &owner, &[device], now)?;
    tx.commit()?;
    Ok(outbox)
}

/// What removing a device did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// The device's owner.
    pub user_id: i64,
    /// The caller's own session was verified with it and has ended.
    pub own_session_ended: bool,
}

/// Removes a device; every session it verified ends in the same transaction (ASVS 2.8.6).
pub fn delete_device(
    core: &Core,
    auth: &Authenticated,
    device_id: i64,
    client: &Client,
    now: i64,
) -> Result<Removed> {
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, &auth.user, device_id)?;
    tx.delete_device(device.id)?;
    Audit::by(&auth.user, client, now).log(
        &mut *tx,
        "device.removed",
        &owner.username,
        format!(
            "{} {:?} (id {})",
            device.kind.as_str(),
            device.name,
            device.id
        ),
    )?;
    let own_session_ended = tx.session(auth.session.id)?.is_none();
    tx.commit()?;
    Ok(Removed {
        user_id: owner.id,
        own_session_ended,
    })
}

/// Replaces all backup codes of a static device with ten new ones, shown once.
pub fn regenerate_backup_codes(
    core: &Core,
    actor: &User,
    device_id: i64,
    client: &Client,
    now: i64,
) -> Result<Vec<String>> {
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, actor, device_id)?;
    if device.kind != DeviceKind::Static {
        return Err(Error::BadRequest(
            "Only backup-code devices regenerate.".into(),
        ));
    }
    let codes = new_backup_codes(core, &mut *tx, device.id)?;
    Audit::by(actor, client, now).log(
        &mut *tx,
        "device.codes_regenerated",
        &owner.username,
        format!("id {}", device.id),
    )?;
    tx.commit()?;
    Ok(codes)
}

/// A user's sessions (the user, or a superuser).
pub fn list_sessions(core: &Core, actor: &User, user_id: i64) -> Result<Vec<Session>> {
    may_manage(actor, user_id)?;
    core.store.read()?.sessions_of(user_id)
}

/// Ends a session (one's own, or anyone's for a superuser); returns its owner's id.
pub fn revoke_session(
    core: &Core,
    actor: &User,
    session_id: i64,
    client: &Client,
    now: i64,
) -> Result<i64> {
    let mut tx = core.store.write()?;
    let session = tx.session(session_id)?.ok_or(Error::NotFound)?;
    if may_manage(actor, session.user_id).is_err() {
        return Err(Error::NotFound);
    }
    let owner = tx.user(session.user_id)?.ok_or(Error::NotFound)?;
    tx.delete_session(session.id)?;
    Audit::by(actor, client, now).log(
        &mut *tx,
        "session.revoked",
        &owner.username,
        format!("session {}", session.id),
    )?;
    tx.commit()?;
    Ok(owner.id)
}

/// The audit log, filtered (staff).
pub fn list_audit(
    core: &Core,
    actor: &User,
    filter: &AuditFilter,
    page: i64,
) -> Result<Page<AuditEntry>> {
    require_staff(actor)?;
    core.store
        .read()?
        .list_audit(filter, offset(page), PAGE_SIZE)
}

/// Creates an API key (superuser); the key is returned once and stored hashed.
pub fn create_api_key(
    core: &Core,
    actor: &User,
    name: &str,
    client: &Client,
    now: i64,
) -> Result<(ApiKey, Zeroizing<String>)> {
    require_superuser(actor)?;
    let name = validate::label(name, "API key")?;
    let key = Zeroizing::new(format!("kg_{}", random_token()));
    let prefix: String = key.chars().take(10).collect();
    let mut tx = core.store.write()?;
    let id = tx.insert_api_key(&name, &prefix, &token_hash(&key), actor.id, now)?;
    Audit::by(actor, client, now).log(&mut *tx, "api_key.created", &name, format!("id {id}"))?;
    let created = tx
        .list_api_keys()?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or(Error::NotFound)?;
    tx.commit()?;
    Ok((created, key))
}

/// All API keys (superuser).
pub fn list_api_keys(core: &Core, actor: &User) -> Result<Vec<ApiKey>> {
    require_superuser(actor)?;
    core.store.read()?.list_api_keys()
}

/// Revokes an API key (superuser).
pub fn revoke_api_key(core: &Core, actor: &User, id: i64, client: &Client, now: i64) -> Result<()> {
    require_superuser(actor)?;
    let mut tx = core.store.write()?;
    if !tx.revoke_api_key(id, now)? {
        return Err(Error::NotFound);
    }
    Audit::by(actor, client, now).log(&mut *tx, "api_key.revoked", &format!("id {id}"), "")?;
    tx.commit()
}

/// `POST /api/v1/verify`: checks a user's code for another application, with the same
/// throttling, replay rules and audit as the sign-in (but no per-address throttle: all of an
/// application's users share its address).
pub fn verify_with_api_key(
    core: &Core,
    api_key: &str,
    username: &str,
    token: &str,
    client: &Client,
    now: i64,
) -> Result<bool> {
    let mut tx = core.store.write()?;
    let key = tx
        .api_key_by_hash(&token_hash(api_key))?
        .ok_or(Error::Unauthenticated)?;
    tx.touch_api_key(key.id, now)?;
    let caller = format!("api-key:{}", key.name);
    let audit = Audit {
        now,
        client,
        actor_id: None,
        actor: &caller,
    };
    let username_key: String = validate::username_key(username)
        .chars()
        .take(validate::MAX_USERNAME_CHARS)
        .collect();
    let user = tx.user_by_key(&username_key)?.filter(|u| u.is_active);
    let Some(user) = user else {
        tx.record_failure(&format!("acct:{username_key}"), now)?;
        audit.log(
            &mut *tx,
            "verify.failed",
            &username_key,
            "unknown or inactive user",
        )?;
        tx.commit()?;
        return Ok(false);
    };
    let (count, oldest) = tx.failures_since(&format!("acct:{username_key}"), now - 3600)?;
    if count >= core.settings.max_failures_per_hour {
        audit.log(&mut *tx, "verify.throttled", &user.username, "hourly cap")?;
        tx.commit()?;
        return Err(Error::Throttled {
            retry_after: (oldest.unwrap_or(now) + 3600 - now).max(1) as u64,
        });
    }
    let devices: Vec<Device> = tx
        .devices_of(user.id)?
        .into_iter()
        .filter(|d| d.confirmed)
        .collect();
    let result = check_token(core, &mut *tx, &devices, token, now)?;
    let outcome = match result {
        TokenResult::Accepted(device) => {
            audit.log(
                &mut *tx,
                "verify.ok",
                &user.username,
                format!("{} {:?}", device.kind.as_str(), device.name),
            )?;
            Ok(true)
        }
        refused => match record_refusal(&mut *tx, &user, &refused, &audit, "verify", false)? {
            Error::Throttled { retry_after } => Err(Error::Throttled { retry_after }),
            _ => Ok(false),
        },
    };
    tx.commit()?;
    outcome
}
