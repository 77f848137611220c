//! Management operations behind the console and the JSON API: users, devices, sessions, the
//! audit log, API keys and the verify endpoint. Each checks who may do it, then does it in one
//! transaction with its audit record.
//!
//! Roles: any active user manages their own password, devices and sessions; staff also read
//! the user list and audit log; superusers manage every user, device and API key.
//!
//! Every operation takes the core (or, for the two the command line runs without the master
//! key, just the store and the hasher), the `Caller` (who, from where, when), and a typed request from
//! [`crate::api`]; it answers with the typed response the API sends and the console renders.

use zeroize::Zeroizing;

use crate::api;
use crate::auth::{self, check_token, record_refusal, Outbox, TokenResult};
use crate::crypto::{random_bytes, random_token, token_hash, PasswordHasher};
use crate::error::{Error, Result};
use crate::state::{Audit, Caller, Core};
use crate::store::{AuditFilter, Device, DeviceKind, NewUser, Store, Tx, User, UserChanges};
use crate::validate;

/// Users and audit records per page.
pub(crate) const PAGE_SIZE: i64 = 25;
/// Backup codes per set (django-two-factor-auth's count).
pub(crate) const BACKUP_CODES: usize = 10;

/// A new user as an administrator or the command line describes it.
pub type CreateUser = crate::api::CreateUserRequest;

fn require_staff(user: &User) -> Result<()> {
    if user.is_staff || user.is_superuser {
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

/// The page number asked for, from 1.
fn page_number(page: Option<i64>) -> i64 {
    page.unwrap_or(1).max(1)
}

/// Creates a user: by a superuser, or by the command line (no user: the first admin).
pub(crate) fn create_user(
    store: &dyn Store,
    hasher: &PasswordHasher,
    caller: &Caller,
    request: &api::CreateUserRequest,
) -> Result<User> {
    if let Some(auth) = &caller.auth {
        require_superuser(&auth.user)?;
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
        caller.now,
    )?;
    let flags = match (request.is_superuser, request.is_staff) {
        (true, _) => "superuser",
        (false, true) => "staff",
        _ => "user",
    };
    caller
        .audit()
        .log(&mut *tx, "user.created", &username, flags)?;
    let user = tx.user(id)?.ok_or(Error::NotFound)?;
    tx.commit()?;
    Ok(user)
}

/// Users matching the query, one page (staff).
pub(crate) fn list_users(
    core: &Core,
    caller: &Caller,
    query: &api::UserQuery,
) -> Result<api::UserPage> {
    require_staff(caller.user()?)?;
    let page = page_number(query.page);
    let text: String = query.query.trim().chars().take(100).collect();
    let users = core
        .store
        .read()?
        .list_users(&text, offset(page), PAGE_SIZE)?;
    Ok(api::UserPage {
        users: users.items.into_iter().map(api::User::from).collect(),
        total: users.total,
        page,
        per_page: PAGE_SIZE,
    })
}

/// One user (staff, or the user themself).
pub(crate) fn get_user(core: &Core, caller: &Caller, id: i64) -> Result<api::User> {
    let actor = caller.user()?;
    if actor.id != id {
        require_staff(actor)?;
    }
    Ok(core.store.read()?.user(id)?.ok_or(Error::NotFound)?.into())
}

/// Changes a user's email, name or flags (superuser). Deactivating ends their sessions.
pub(crate) fn update_user(
    core: &Core,
    caller: &Caller,
    id: i64,
    request: api::UpdateUserRequest,
) -> Result<api::User> {
    let actor = caller.user()?;
    require_superuser(actor)?;
    let mut changes = UserChanges {
        email: request.email,
        display_name: request.display_name,
        is_active: request.is_active,
        is_staff: request.is_staff,
        is_superuser: request.is_superuser,
    };
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
    let audit = caller.audit();
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
    Ok(user.into())
}

/// Removes every device of a user and ends all their sessions: by a superuser, or by the
/// command line.
pub(crate) fn reset_2fa(
    store: &dyn Store,
    caller: &Caller,
    user_id: i64,
) -> Result<api::TwoFactorReset> {
    if let Some(auth) = &caller.auth {
        require_superuser(&auth.user)?;
    }
    let mut tx = store.write()?;
    let user = tx.user(user_id)?.ok_or(Error::NotFound)?;
    let removed = tx.delete_devices_of(user_id)?;
    let ended = tx.delete_sessions_of(user_id, None)?;
    caller.audit().log(
        &mut *tx,
        "user.2fa_reset",
        &user.username,
        format!("{removed} device(s) removed, {ended} session(s) ended"),
    )?;
    tx.commit()?;
    Ok(api::TwoFactorReset {
        devices_removed: removed,
    })
}

/// Who is signed in, with which session, and their devices.
pub(crate) fn me(core: &Core, caller: &Caller) -> Result<api::Me> {
    let user = caller.user()?;
    Ok(api::Me {
        user: user.into(),
        session: caller.session()?.clone().into(),
        devices: list_devices(core, caller, user.id)?,
    })
}

/// Changes the caller's own password; optionally ends their other sessions.
pub(crate) fn change_password(
    core: &Core,
    caller: &Caller,
    request: &api::ChangePasswordRequest,
) -> Result<api::PasswordChanged> {
    let (user, session) = (caller.user()?, caller.session()?);
    let now = caller.now;
    validate::password(&request.new_password, &user.username)?;
    if !core
        .hasher
        .verify(Some(&user.password_hash), &request.current_password)
        .ok
    {
        let mut tx = core.store.write()?;
        tx.record_failure(
            &format!("acct:{}", validate::username_key(&user.username)),
            now,
        )?;
        caller
            .audit()
            .log(&mut *tx, "password.change_failed", &user.username, "")?;
        tx.commit()?;
        return Err(Error::BadCredentials);
    }
    let hash = core.hasher.hash(&request.new_password)?;
    let mut tx = core.store.write()?;
    tx.set_password_hash(user.id, &hash, Some(now))?;
    let ended = if request.end_other_sessions {
        tx.delete_sessions_of(user.id, Some(session.id))?
    } else {
        0
    };
    caller.audit().log(
        &mut *tx,
        "password.changed",
        &user.username,
        format!("{ended} other session(s) ended"),
    )?;
    tx.commit()?;
    Ok(api::PasswordChanged {
        sessions_ended: ended,
    })
}

fn view(tx: &mut dyn Tx, device: &Device) -> Result<api::Device> {
    let remaining_codes = match device.kind {
        DeviceKind::Static => Some(tx.static_tokens(device.id)?.len() as u64),
        _ => None,
    };
    Ok(api::Device {
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
pub(crate) fn list_devices(core: &Core, caller: &Caller, user_id: i64) -> Result<Vec<api::Device>> {
    may_manage(caller.user()?, user_id)?;
    let mut tx = core.store.read()?;
    tx.user(user_id)?.ok_or(Error::NotFound)?;
    let devices = tx.devices_of(user_id)?;
    devices.iter().map(|d| view(&mut *tx, d)).collect()
}

fn new_backup_codes(
    core: &Core,
    tx: &mut dyn Tx,
    device_id: i64,
) -> Result<Vec<Zeroizing<String>>> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    tx.delete_static_tokens(device_id)?;
    let mut codes = Vec::with_capacity(BACKUP_CODES);
    for _ in 0..BACKUP_CODES {
        // 10 letters of 5 bits: 50 bits, stored only as a salted, keyed hash (ASVS 2.6.2).
        let letters: Zeroizing<String> = Zeroizing::new(
            random_bytes(10)
                .iter()
                .map(|b| ALPHABET[usize::from(b & 31)] as char)
                .collect(),
        );
        let salt = random_bytes(16);
        tx.insert_static_token(device_id, &salt, &core.keys.code_hash(&salt, &letters))?;
        codes.push(Zeroizing::new(format!(
            "{}-{}",
            &letters[..5],
            &letters[5..]
        )));
    }
    Ok(codes)
}

/// Adds a device to a user (the user, or a superuser). TOTP/HOTP devices come back with
/// their enrolment material and stay unconfirmed until a correct code; backup codes are
/// confirmed at once; an email device (only when the server sends email) gets a code to
/// confirm it, in the returned outbox.
pub(crate) fn add_device(
    core: &Core,
    caller: &Caller,
    user_id: i64,
    request: &api::AddDeviceRequest,
) -> Result<(api::DeviceCreated, Outbox)> {
    let kind = request.kind;
    if kind == DeviceKind::Email {
        core.require_email()?;
    }
    let now = caller.now;
    may_manage(caller.user()?, user_id)?;
    let name = validate::label(&request.name, "device")?;
    let mut tx = core.store.write()?;
    let user = tx.user(user_id)?.ok_or(Error::NotFound)?;
    let mut outbox = Vec::new();
    let mut otpauth_uri = None;
    let mut qr_svg = None;
    let mut backup_codes = None;
    let device = match kind {
        DeviceKind::Totp | DeviceKind::Hotp => {
            let enrollment = auth::create_otp_device(core, &mut *tx, &user, kind, &name, now)?;
            otpauth_uri = Some(enrollment.otpauth_uri);
            qr_svg = Some(enrollment.qr_svg);
            tx.device(enrollment.device_id)?.ok_or(Error::NotFound)?
        }
        DeviceKind::Static => {
            let mut device = Device::new(user.id, kind, name.clone(), now);
            device.confirmed = true;
            device.id = tx.insert_device(&device)?;
            backup_codes = Some(new_backup_codes(core, &mut *tx, device.id)?);
            device
        }
        DeviceKind::Email => {
            let mut device = Device::new(user.id, kind, name.clone(), now);
            device.id = tx.insert_device(&device)?;
            outbox = auth::issue_email_codes(core, &mut *tx, &user, &[device.clone()], now)?;
            device
        }
    };
    let device = view(&mut *tx, &device)?;
    caller.audit().log(
        &mut *tx,
        "device.added",
        &user.username,
        format!("{} {:?} (id {})", kind.as_str(), device.name, device.id),
    )?;
    tx.commit()?;
    let created = api::DeviceCreated {
        id: device.id,
        device,
        otpauth_uri,
        qr_svg,
        backup_codes,
    };
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
pub(crate) fn confirm_device(
    core: &Core,
    caller: &Caller,
    device_id: i64,
    request: &api::CodeRequest,
) -> Result<api::Device> {
    let (client, now) = (&caller.client, caller.now);
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, caller.user()?, device_id)?;
    if device.confirmed {
        return Err(Error::BadRequest(
            "This device is already confirmed.".into(),
        ));
    }
    let audit = caller.audit();
    if let Some(retry_after) = auth::check_attempt_allowed(core, &mut *tx, &owner, client, now)? {
        tx.commit()?;
        return Err(Error::Throttled { retry_after });
    }
    let mut device = match check_token(core, &mut *tx, &[device], &request.token, now)? {
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

/// Issues a new confirmation code for an unconfirmed email device (only when the server
/// sends email).
pub(crate) fn resend_device_code(core: &Core, caller: &Caller, device_id: i64) -> Result<Outbox> {
    core.require_email()?;
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, caller.user()?, device_id)?;
    if device.kind != DeviceKind::Email || device.confirmed {
        return Err(Error::BadRequest(
            "Only an unconfirmed email device takes a new code here.".into(),
        ));
    }
    let outbox = auth::issue_email_codes(core, &mut *tx, &owner, &[device], caller.now)?;
    tx.commit()?;
    Ok(outbox)
}

/// What removing a device did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    /// The device's owner.
    pub(crate) user_id: i64,
    /// The caller's own session was verified with it and has ended.
    pub(crate) own_session_ended: bool,
}

/// Removes a device; every session it verified ends in the same transaction (ASVS 2.8.6).
pub(crate) fn delete_device(core: &Core, caller: &Caller, device_id: i64) -> Result<Removed> {
    let session = caller.session()?;
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, caller.user()?, device_id)?;
    tx.delete_device(device.id)?;
    caller.audit().log(
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
    let own_session_ended = tx.session(session.id)?.is_none();
    tx.commit()?;
    Ok(Removed {
        user_id: owner.id,
        own_session_ended,
    })
}

/// Replaces all backup codes of a static device with ten new ones, shown once; also returns
/// the device's owner.
pub(crate) fn regenerate_backup_codes(
    core: &Core,
    caller: &Caller,
    device_id: i64,
) -> Result<(api::BackupCodes, i64)> {
    let mut tx = core.store.write()?;
    let (device, owner) = managed_device(&mut *tx, caller.user()?, device_id)?;
    if device.kind != DeviceKind::Static {
        return Err(Error::BadRequest(
            "Only backup-code devices regenerate.".into(),
        ));
    }
    let backup_codes = new_backup_codes(core, &mut *tx, device.id)?;
    caller.audit().log(
        &mut *tx,
        "device.codes_regenerated",
        &owner.username,
        format!("id {}", device.id),
    )?;
    tx.commit()?;
    Ok((api::BackupCodes { backup_codes }, owner.id))
}

/// A user's sessions (the user, or a superuser), the caller's own marked as current.
pub(crate) fn list_sessions(
    core: &Core,
    caller: &Caller,
    user_id: i64,
) -> Result<Vec<api::SessionEntry>> {
    may_manage(caller.user()?, user_id)?;
    let current = caller.session()?.id;
    Ok(core
        .store
        .read()?
        .sessions_of(user_id)?
        .into_iter()
        .map(|s| api::SessionEntry {
            current: s.id == current,
            session: s.into(),
        })
        .collect())
}

/// Ends a session (one's own, or anyone's for a superuser); returns its owner's id.
pub(crate) fn revoke_session(core: &Core, caller: &Caller, session_id: i64) -> Result<i64> {
    let mut tx = core.store.write()?;
    let session = tx.session(session_id)?.ok_or(Error::NotFound)?;
    if may_manage(caller.user()?, session.user_id).is_err() {
        return Err(Error::NotFound);
    }
    let owner = tx.user(session.user_id)?.ok_or(Error::NotFound)?;
    tx.delete_session(session.id)?;
    caller.audit().log(
        &mut *tx,
        "session.revoked",
        &owner.username,
        format!("session {}", session.id),
    )?;
    tx.commit()?;
    Ok(owner.id)
}

/// The audit filter of a query: blank fields match everything.
pub(crate) fn audit_filter(query: &api::AuditQuery) -> AuditFilter {
    let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    AuditFilter {
        actor: given(&query.actor),
        action: given(&query.action),
        target: given(&query.target),
    }
}

/// The audit log, filtered, one page (staff).
pub(crate) fn list_audit(
    core: &Core,
    caller: &Caller,
    query: &api::AuditQuery,
) -> Result<api::AuditPage> {
    require_staff(caller.user()?)?;
    let page = page_number(query.page);
    let entries = core
        .store
        .read()?
        .list_audit(&audit_filter(query), offset(page), PAGE_SIZE)?;
    Ok(api::AuditPage {
        entries: entries
            .items
            .into_iter()
            .map(api::AuditEntry::from)
            .collect(),
        total: entries.total,
        page,
        per_page: PAGE_SIZE,
    })
}

/// Creates an API key (superuser); the key is returned once and stored hashed.
pub(crate) fn create_api_key(
    core: &Core,
    caller: &Caller,
    request: &api::CreateApiKeyRequest,
) -> Result<api::ApiKeyCreated> {
    let actor = caller.user()?;
    require_superuser(actor)?;
    let name = validate::label(&request.name, "API key")?;
    let key = Zeroizing::new(format!("kg_{}", random_token()));
    let prefix: String = key.chars().take(10).collect();
    let mut tx = core.store.write()?;
    let id = tx.insert_api_key(&name, &prefix, &token_hash(&key), actor.id, caller.now)?;
    caller
        .audit()
        .log(&mut *tx, "api_key.created", &name, format!("id {id}"))?;
    let created = tx
        .list_api_keys()?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or(Error::NotFound)?;
    tx.commit()?;
    Ok(api::ApiKeyCreated {
        key,
        api_key: created.into(),
    })
}

/// All API keys (superuser).
pub(crate) fn list_api_keys(core: &Core, caller: &Caller) -> Result<Vec<api::ApiKey>> {
    require_superuser(caller.user()?)?;
    Ok(core
        .store
        .read()?
        .list_api_keys()?
        .into_iter()
        .map(api::ApiKey::from)
        .collect())
}

/// Revokes an API key (superuser).
pub(crate) fn revoke_api_key(core: &Core, caller: &Caller, id: i64) -> Result<()> {
    require_superuser(caller.user()?)?;
    let mut tx = core.store.write()?;
    if !tx.revoke_api_key(id, caller.now)? {
        return Err(Error::NotFound);
    }
    caller
        .audit()
        .log(&mut *tx, "api_key.revoked", &format!("id {id}"), "")?;
    tx.commit()
}

/// `POST /api/v1/verify`: checks a user's code for another application, with the same
/// throttling, replay rules and audit as the sign-in (but no per-address throttle: all of an
/// application's users share its address).
pub(crate) fn verify_with_api_key(
    core: &Core,
    caller: &Caller,
    api_key: &str,
    request: &api::VerifyRequest,
) -> Result<api::Verdict> {
    let now = caller.now;
    let mut tx = core.store.write()?;
    let key = tx
        .api_key_by_hash(&token_hash(api_key))?
        .ok_or(Error::Unauthenticated)?;
    tx.touch_api_key(key.id, now)?;
    let name = format!("api-key:{}", key.name);
    let audit = Audit {
        now,
        client: &caller.client,
        actor_id: None,
        actor: &name,
    };
    let username_key: String = validate::username_key(&request.username)
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
        return Ok(api::Verdict { ok: false });
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
    let result = check_token(core, &mut *tx, &devices, &request.token, now)?;
    let outcome = match result {
        TokenResult::Accepted(device) => {
            audit.log(
                &mut *tx,
                "verify.ok",
                &user.username,
                format!("{} {:?}", device.kind.as_str(), device.name),
            )?;
            Ok(api::Verdict { ok: true })
        }
        refused => match record_refusal(&mut *tx, &user, &refused, &audit, "verify", false)? {
            Error::Throttled { retry_after } => Err(Error::Throttled { retry_after }),
            _ => Ok(api::Verdict { ok: false }),
        },
    };
    tx.commit()?;
    outcome
}
