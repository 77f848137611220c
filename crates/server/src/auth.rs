//! The two-step sign-in: password, then a code from a confirmed device (or setup of a first
//! device), with throttling, replay detection, session rotation and audit, each decision
//! recorded in one transaction.
//!
//! Throttles (subjects in the `throttles` table):
//! - `pw:<username>`: django-otp back-off on the password step, keyed by the name typed so
//!   unknown and known users behave alike; a slot is taken *before* the slow hash, so
//!   parallel guesses are refused rather than raced.
//! - `ip:<address>`: back-off per client address after `ip_free_failures` failures (NATs).
//! - per device: django-otp's own throttle, kept in the device row.
//! - `acct:<username>`: every failure (both steps) is logged; `max_failures_per_hour` in any
//!   hour locks the account's attempts until the oldest is an hour old (ASVS 2.2.1).

use keygate_otp::throttle::Throttle;
use keygate_otp::verify::{self, HotpConfig, HotpState, Outcome, TotpConfig, TotpState};
use keygate_otp::Secret;
use zeroize::Zeroizing;

use crate::api::{CodeRequest, LoginRequest};
use crate::crypto::{random_bytes, random_token, token_hash};
use crate::error::{Error, Result};
use crate::qr;
use crate::state::{Audit, Caller, Client, Core};
use crate::store::{Device, DeviceKind, NewSession, Session, Tx, User};
use crate::validate;

/// Where the client goes after the password step.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Next {
    /// Enter a code from a confirmed device.
    Otp,
    /// No confirmed device yet: set one up.
    Setup,
    /// Signed in.
    Done,
}

/// A new session: the cookie value to send (shown to nobody else) and where to go next.
#[derive(Debug)]
pub(crate) struct NewSessionToken {
    /// The cookie value.
    pub token: String,
    /// The next step.
    pub next: Next,
    /// Replayed codes refused since the user's previous sign-in (ASVS 2.8.5), to tell them.
    pub replays: i64,
}

impl NewSessionToken {
    /// What to tell the user on arrival.
    pub(crate) fn notices(&self) -> Vec<String> {
        (self.replays > 0)
            .then(|| replay_notice(self.replays))
            .into_iter()
            .collect()
    }
}

/// A signed-in request's session and user.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    /// The session.
    pub session: Session,
    /// Its user.
    pub user: User,
}

/// An authenticator enrolment: the URI (contains the secret) and its QR code.
pub(crate) use crate::api::Enrollment;

fn ts(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0)
}

fn pw_subject(key: &str) -> String {
    format!("pw:{key}")
}

fn ip_subject(ip: &str) -> String {
    format!("ip:{ip}")
}

fn account_subject(key: &str) -> String {
    format!("acct:{key}")
}

/// A throttle whose last failure is over an hour old is forgotten.
fn decayed(throttle: Throttle, now: i64) -> Throttle {
    match throttle.last_failure {
        Some(last) if ts(now).saturating_sub(last) > 3600 => Throttle::default(),
        _ => throttle,
    }
}

/// Seconds until the account may try again under the hourly cap, if it is reached.
fn hourly_cap(core: &Core, tx: &mut dyn Tx, key: &str, now: i64) -> Result<Option<u64>> {
    let (count, oldest) = tx.failures_since(&account_subject(key), now - 3600)?;
    Ok((count >= core.settings.max_failures_per_hour)
        .then(|| ts(oldest.unwrap_or(now) + 3600 - now).max(1)))
}

fn ip_retry_after(core: &Core, tx: &mut dyn Tx, ip: &str, now: i64) -> Result<Option<u64>> {
    let throttle = decayed(tx.throttle(&ip_subject(ip))?, now);
    let effective = Throttle {
        failures: throttle
            .failures
            .saturating_sub(core.settings.ip_free_failures),
        ..throttle
    };
    Ok(effective.retry_after(ts(now), core.settings.throttle_factor))
}

fn ip_failed(tx: &mut dyn Tx, ip: &str, now: i64) -> Result<()> {
    let subject = ip_subject(ip);
    let throttle = decayed(tx.throttle(&subject)?, now);
    tx.set_throttle(&subject, &throttle.failed(ts(now)))
}

/// The password step. `previous` is the caller's current session cookie, ended here so a
/// session identifier never survives a privilege change.
pub(crate) fn login(
    core: &Core,
    caller: &Caller,
    request: &LoginRequest,
    previous: Option<&str>,
) -> Result<NewSessionToken> {
    let (client, now) = (&caller.client, caller.now);
    let password = request.password.as_str();
    let key: String = validate::username_key(&request.username)
        .chars()
        .take(validate::MAX_USERNAME_CHARS)
        .collect();
    let audit = Audit {
        now,
        client,
        actor_id: None,
        actor: &key,
    };

    // Take a throttle slot first: a concurrent guess sees it and is refused.
    let user = {
        let mut tx = core.store.write()?;
        let retry = [
            hourly_cap(core, &mut *tx, &key, now)?,
            ip_retry_after(core, &mut *tx, &client.ip, now)?,
        ];
        let pw = decayed(tx.throttle(&pw_subject(&key))?, now);
        let retry = retry
            .into_iter()
            .flatten()
            .chain(pw.retry_after(ts(now), core.settings.throttle_factor))
            .max();
        if let Some(retry_after) = retry {
            audit.log(&mut *tx, "login.throttled", &key, "password step")?;
            tx.commit()?;
            return Err(Error::Throttled { retry_after });
        }
        tx.set_throttle(&pw_subject(&key), &pw.failed(ts(now)))?;
        let user = tx.user_by_key(&key)?;
        tx.commit()?;
        user
    };

    let check = core
        .hasher
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), password);
    let user = user.filter(|u| check.ok && u.is_active);
    let rehash = match &user {
        Some(_) if check.needs_rehash => Some(core.hasher.hash(password)?),
        _ => None,
    };

    let mut tx = core.store.write()?;
    let Some(user) = user else {
        tx.record_failure(&account_subject(&key), now)?;
        ip_failed(&mut *tx, &client.ip, now)?;
        audit.log(&mut *tx, "login.failed", &key, "password")?;
        tx.commit()?;
        return Err(Error::BadCredentials);
    };
    tx.set_throttle(&pw_subject(&key), &Throttle::default())?;
    if let Some(hash) = rehash {
        tx.set_password_hash(user.id, &hash, None)?;
    }
    end_previous(&mut *tx, previous)?;
    let has_device = tx.devices_of(user.id)?.iter().any(|d| d.confirmed);
    let token = random_token();
    tx.insert_session(&NewSession {
        token_hash: token_hash(&token),
        user_id: user.id,
        device_id: None,
        verified: false,
        created_at: now,
        password_at: now,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    })?;
    Audit::by(&user, client, now).log(&mut *tx, "login.password.ok", &user.username, "")?;
    tx.commit()?;
    Ok(NewSessionToken {
        token,
        next: if has_device { Next::Otp } else { Next::Setup },
        replays: 0,
    })
}

fn end_previous(tx: &mut dyn Tx, previous: Option<&str>) -> Result<()> {
    if let Some(session) = previous.map(token_hash) {
        if let Some(old) = tx.session_by_token(&session)? {
            tx.delete_session(old.id)?;
        }
    }
    Ok(())
}

/// Loads the session behind a cookie, ending it if it timed out or its user was deactivated.
pub(crate) fn authenticate(core: &Core, token: &str, now: i64) -> Result<Option<Authenticated>> {
    let hash = token_hash(token);
    let (session, user) = {
        let mut tx = core.store.read()?;
        let Some(session) = tx.session_by_token(&hash)? else {
            return Ok(None);
        };
        let user = tx.user(session.user_id)?;
        (session, user)
    };
    let s = &core.settings;
    let expired = now - session.last_seen > s.idle_timeout as i64
        || now - session.created_at > s.absolute_timeout as i64
        || (!session.verified && now - session.password_at > s.second_step_window as i64);
    let user = match user {
        Some(user) if user.is_active && !expired => user,
        _ => {
            let mut tx = core.store.write()?;
            tx.delete_session(session.id)?;
            tx.commit()?;
            return Ok(None);
        }
    };
    // Recording every request would make every read a write; a minute's precision is plenty
    // for a 15-minute idle timeout.
    if now - session.last_seen >= 60 {
        let mut tx = core.store.write()?;
        tx.touch_session(session.id, now)?;
        tx.commit()?;
    }
    Ok(Some(Authenticated { session, user }))
}

/// What checking a code against a user's devices decided.
#[derive(Debug)]
pub(crate) enum TokenResult {
    /// Accepted by this device (its new state is already stored).
    Accepted(Box<Device>),
    /// A code already used (TOTP step at or before the last accepted one).
    Replayed,
    /// The right email code, too late.
    Expired,
    /// Nothing matched.
    Invalid,
    /// Every device is in back-off.
    Throttled(u64),
}

enum DeviceOutcome {
    Accepted,
    Invalid,
    Replayed,
    Expired,
    Throttled(u64),
}

impl From<Outcome> for DeviceOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Accepted => DeviceOutcome::Accepted,
            Outcome::Invalid => DeviceOutcome::Invalid,
            Outcome::Replayed => DeviceOutcome::Replayed,
            Outcome::Throttled { retry_after } => DeviceOutcome::Throttled(retry_after),
        }
    }
}

/// Backup codes are typed with or without the dash, in any case.
pub(crate) fn normalize_backup_code(token: &str) -> String {
    token
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn device_secret(core: &Core, device: &Device) -> Result<Secret> {
    let blob = device
        .secret
        .as_deref()
        .ok_or_else(|| Error::Internal(format!("device {} has no secret", device.id)))?;
    core.keys.decrypt_secret(device.id, blob)
}

/// One device's verdict and its state afterwards (and the backup code to use up).
fn attempt(
    core: &Core,
    tx: &mut dyn Tx,
    device: &Device,
    token: &str,
    now: i64,
) -> Result<(DeviceOutcome, Device, Option<i64>)> {
    let factor = core.settings.throttle_factor;
    let mut updated = device.clone();
    let outcome = match device.kind {
        DeviceKind::Totp => {
            let config = TotpConfig {
                algorithm: device.algorithm,
                digits: device.digits,
                step: device.step,
                t0: device.t0,
                tolerance: device.tolerance,
                throttle_factor: factor,
            };
            let state = TotpState {
                last_t: device.last_t,
                drift: device.drift,
                throttle: device.throttle,
            };
            let secret = device_secret(core, device)?;
            let v = verify::verify_totp_at(&secret, &config, state, token, ts(now))?;
            updated.last_t = v.state.last_t;
            updated.drift = v.state.drift;
            updated.throttle = v.state.throttle;
            v.outcome.into()
        }
        DeviceKind::Hotp => {
            let config = HotpConfig {
                algorithm: device.algorithm,
                digits: device.digits,
                tolerance: device.tolerance,
                throttle_factor: factor,
            };
            let state = HotpState {
                counter: device.counter,
                throttle: device.throttle,
            };
            let secret = device_secret(core, device)?;
            let v = verify::verify_hotp_at(&secret, &config, state, token, ts(now))?;
            updated.counter = v.state.counter;
            updated.throttle = v.state.throttle;
            v.outcome.into()
        }
        DeviceKind::Static => {
            if let Some(retry) = device.throttle.retry_after(ts(now), factor) {
                return Ok((DeviceOutcome::Throttled(retry), updated, None));
            }
            let code = normalize_backup_code(token);
            let mut matched = None;
            // Every stored code is checked, so the time does not tell which one matched.
            for stored in tx.static_tokens(device.id)? {
                if core.keys.code_matches(&stored.salt, &code, &stored.hash) && matched.is_none() {
                    matched = Some(stored.id);
                }
            }
            if matched.is_some() {
                updated.throttle = Throttle::default();
                return Ok((DeviceOutcome::Accepted, updated, matched));
            }
            updated.throttle = device.throttle.failed(ts(now));
            DeviceOutcome::Invalid
        }
        DeviceKind::Email => {
            if let Some(retry) = device.throttle.retry_after(ts(now), factor) {
                return Ok((DeviceOutcome::Throttled(retry), updated, None));
            }
            let code: String = token.chars().filter(|c| !c.is_whitespace()).collect();
            let matched = device
                .email_code
                .as_ref()
                .filter(|c| core.keys.code_matches(&c.salt, &code, &c.hash));
            match matched {
                Some(c) if now < c.expires_at => {
                    updated.throttle = Throttle::default();
                    updated.email_code = None;
                    DeviceOutcome::Accepted
                }
                Some(_) => {
                    updated.throttle = device.throttle.failed(ts(now));
                    updated.email_code = None;
                    DeviceOutcome::Expired
                }
                None => {
                    updated.throttle = device.throttle.failed(ts(now));
                    DeviceOutcome::Invalid
                }
            }
        }
    };
    Ok((outcome, updated, None))
}

/// Checks `token` against `devices`, storing the new device states: on success only the
/// accepting device changes (a code for one device is no failure of the others).
pub(crate) fn check_token(
    core: &Core,
    tx: &mut dyn Tx,
    devices: &[Device],
    token: &str,
    now: i64,
) -> Result<TokenResult> {
    // No code is longer than this; a megabyte of digits is just invalid.
    let token = if token.len() > 64 { "" } else { token };
    let mut results = Vec::with_capacity(devices.len());
    for device in devices {
        results.push(attempt(core, tx, device, token, now)?);
    }
    if let Some(index) = results
        .iter()
        .position(|(o, _, _)| matches!(o, DeviceOutcome::Accepted))
    {
        let (_, mut device, used_code) = results.swap_remove(index);
        device.last_used_at = Some(now);
        tx.update_device(&device)?;
        if let Some(id) = used_code {
            tx.delete_static_token(id)?;
        }
        return Ok(TokenResult::Accepted(Box::new(device)));
    }
    let mut replayed = false;
    let mut expired = false;
    let mut throttled: Option<u64> = None;
    let mut checked = false;
    for (outcome, device, _) in &results {
        tx.update_device(device)?;
        match outcome {
            DeviceOutcome::Replayed => replayed = true,
            DeviceOutcome::Expired => expired = true,
            DeviceOutcome::Throttled(r) => {
                throttled = Some(throttled.map_or(*r, |t: u64| t.min(*r)));
                continue;
            }
            _ => {}
        }
        checked = true;
    }
    Ok(if expired {
        TokenResult::Expired
    } else if replayed {
        TokenResult::Replayed
    } else if let (Some(retry), false) = (throttled, checked) {
        TokenResult::Throttled(retry)
    } else {
        TokenResult::Invalid
    })
}

/// Records a refused code: the hourly failure log, the address throttle, the audit log, and
/// for a replay the notice shown at the next sign-in (ASVS 2.8.5).
pub(crate) fn record_refusal(
    tx: &mut dyn Tx,
    user: &User,
    result: &TokenResult,
    audit: &Audit<'_>,
    what: &str,
    throttle_address: bool,
) -> Result<Error> {
    let key = validate::username_key(&user.username);
    let (action, error) = match result {
        TokenResult::Throttled(retry) => {
            audit.log(tx, &format!("{what}.throttled"), &user.username, "")?;
            return Ok(Error::Throttled {
                retry_after: *retry,
            });
        }
        TokenResult::Replayed => {
            tx.add_replay_notice(user.id)?;
            ("replayed", Error::InvalidCode)
        }
        TokenResult::Expired => ("expired", Error::ExpiredCode),
        TokenResult::Invalid | TokenResult::Accepted(_) => ("failed", Error::InvalidCode),
    };
    tx.record_failure(&account_subject(&key), audit.now)?;
    if throttle_address {
        ip_failed(tx, &audit.client.ip, audit.now)?;
    }
    audit.log(tx, &format!("{what}.{action}"), &user.username, "")?;
    Ok(error)
}

/// Refuses when the account's hourly cap or the client's address throttle is reached.
pub(crate) fn check_attempt_allowed(
    core: &Core,
    tx: &mut dyn Tx,
    user: &User,
    client: &Client,
    now: i64,
) -> Result<Option<u64>> {
    let key = validate::username_key(&user.username);
    Ok([
        hourly_cap(core, tx, &key, now)?,
        ip_retry_after(core, tx, &client.ip, now)?,
    ]
    .into_iter()
    .flatten()
    .max())
}

/// The message telling a user that codes of theirs were replayed.
pub(crate) fn replay_notice(count: i64) -> String {
    format!(
        "A one-time code of yours was used again {count} time(s) since your last sign-in and \
         was refused. If that was not you, someone may have seen your codes: change your \
         password and review your devices."
    )
}

/// Which second-step operation is running.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SecondStep {
    /// A code from any confirmed device.
    Login,
    /// The code of the device being set up.
    SetupConfirm,
}

fn pre_auth_user(core: &Core, tx: &mut dyn Tx, session: &Session, now: i64) -> Result<User> {
    if session.verified {
        return Err(Error::BadRequest(
            "This session is already signed in.".into(),
        ));
    }
    if now - session.password_at > core.settings.second_step_window as i64 {
        tx.delete_session(session.id)?;
        return Err(Error::LoginExpired);
    }
    tx.user(session.user_id)?
        .filter(|u| u.is_active)
        .ok_or(Error::Unauthenticated)
}

/// A write transaction and the pre-auth session's user. An expired login's session deletion is
/// committed before the error returns, so every step-2 action ends an expired login the same way.
fn begin_second_step<'a>(
    core: &'a Core,
    session: &Session,
    now: i64,
) -> Result<(Box<dyn Tx + 'a>, User)> {
    let mut tx = core.store.write()?;
    match pre_auth_user(core, &mut *tx, session, now) {
        Ok(user) => Ok((tx, user)),
        Err(Error::LoginExpired) => {
            tx.commit()?;
            Err(Error::LoginExpired)
        }
        Err(other) => Err(other),
    }
}

fn second_step(
    core: &Core,
    caller: &Caller,
    token: &str,
    step: SecondStep,
) -> Result<NewSessionToken> {
    let (session, client, now) = (caller.session()?, &caller.client, caller.now);
    let (mut tx, user) = begin_second_step(core, session, now)?;
    let audit = Audit::by(&user, client, now);
    if let Some(retry_after) = check_attempt_allowed(core, &mut *tx, &user, client, now)? {
        audit.log(&mut *tx, "login.otp.throttled", &user.username, "")?;
        tx.commit()?;
        return Err(Error::Throttled { retry_after });
    }
    let all = tx.devices_of(user.id)?;
    let devices: Vec<Device> = match step {
        SecondStep::Login => all.into_iter().filter(|d| d.confirmed).collect(),
        SecondStep::SetupConfirm => {
            if all.iter().any(|d| d.confirmed) {
                return Err(Error::Forbidden);
            }
            all.into_iter()
                .rev()
                .find(|d| d.kind == DeviceKind::Totp)
                .into_iter()
                .collect()
        }
    };
    if devices.is_empty() {
        return Err(Error::BadRequest(match step {
            SecondStep::Login => "No device is set up; set one up first.".into(),
            SecondStep::SetupConfirm => "Start the setup first.".into(),
        }));
    }
    let mut device = match check_token(core, &mut *tx, &devices, token, now)? {
        TokenResult::Accepted(device) => *device,
        refused => {
            let error = record_refusal(&mut *tx, &user, &refused, &audit, "login.otp", true)?;
            tx.commit()?;
            return Err(error);
        }
    };
    if step == SecondStep::SetupConfirm {
        device.confirmed = true;
        tx.update_device(&device)?;
        audit.log(
            &mut *tx,
            "device.confirmed",
            &user.username,
            format!("{} {:?}", device.kind.as_str(), device.name),
        )?;
    }
    tx.delete_session(session.id)?;
    let token = random_token();
    tx.insert_session(&NewSession {
        token_hash: token_hash(&token),
        user_id: user.id,
        device_id: Some(device.id),
        verified: true,
        created_at: now,
        password_at: session.password_at,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    })?;
    tx.set_last_login(user.id, now)?;
    let replays = tx.take_replay_notices(user.id)?;
    audit.log(
        &mut *tx,
        "login.otp.ok",
        &user.username,
        format!("{} {:?}", device.kind.as_str(), device.name),
    )?;
    tx.commit()?;
    Ok(NewSessionToken {
        token,
        next: Next::Done,
        replays,
    })
}

/// The code step: any confirmed device's code rotates the session into a verified one.
pub(crate) fn verify_otp(
    core: &Core,
    caller: &Caller,
    request: &CodeRequest,
) -> Result<NewSessionToken> {
    second_step(core, caller, &request.token, SecondStep::Login)
}

/// Setup for a user without a confirmed device: a new TOTP secret (replacing an earlier,
/// unconfirmed one).
pub(crate) fn setup_begin(core: &Core, caller: &Caller) -> Result<Enrollment> {
    let (session, now) = (caller.session()?, caller.now);
    let (mut tx, user) = begin_second_step(core, session, now)?;
    let devices = tx.devices_of(user.id)?;
    if devices.iter().any(|d| d.confirmed) {
        return Err(Error::Forbidden);
    }
    for old in devices.iter().filter(|d| d.kind == DeviceKind::Totp) {
        tx.delete_device(old.id)?;
    }
    let enrollment = create_otp_device(
        core,
        &mut *tx,
        &user,
        DeviceKind::Totp,
        "Authenticator app",
        now,
    )?;
    Audit::by(&user, &caller.client, now).log(
        &mut *tx,
        "device.setup.started",
        &user.username,
        "totp",
    )?;
    tx.commit()?;
    Ok(enrollment)
}

/// The setup device to show: the pending one again (so a mistyped code does not force a new
/// scan), or a new one when there is none.
pub(crate) fn setup_enrollment(core: &Core, caller: &Caller) -> Result<Enrollment> {
    let session = caller.session()?;
    let pending = {
        let mut tx = core.store.read()?;
        let user = tx.user(session.user_id)?.ok_or(Error::Unauthenticated)?;
        let devices = tx.devices_of(user.id)?;
        if devices.iter().any(|d| d.confirmed) {
            return Err(Error::Forbidden);
        }
        devices
            .into_iter()
            .rev()
            .find(|d| d.kind == DeviceKind::Totp)
            .map(|d| (d, user))
    };
    match pending {
        Some((device, user)) if !session.verified => {
            let secret = device_secret(core, &device)?;
            let otpauth_uri =
                qr::otpauth_uri(&device, &secret, &core.settings.issuer, &user.username)?;
            let qr_svg = qr::svg(&otpauth_uri)?;
            Ok(Enrollment {
                device_id: device.id,
                otpauth_uri,
                qr_svg,
            })
        }
        _ => setup_begin(core, caller),
    }
}

/// Confirms the setup device with a code; the session becomes verified.
pub(crate) fn setup_confirm(
    core: &Core,
    caller: &Caller,
    request: &CodeRequest,
) -> Result<NewSessionToken> {
    second_step(core, caller, &request.token, SecondStep::SetupConfirm)
}

/// Inserts an unconfirmed TOTP/HOTP device with a fresh 160-bit secret (django-otp's default).
pub(crate) fn create_otp_device(
    core: &Core,
    tx: &mut dyn Tx,
    user: &User,
    kind: DeviceKind,
    name: &str,
    now: i64,
) -> Result<Enrollment> {
    let secret = Secret::from_bytes(random_bytes(20));
    let mut device = Device::new(user.id, kind, name.to_string(), now);
    device.id = tx.insert_device(&device)?;
    device.secret = Some(core.keys.encrypt_secret(device.id, &secret)?);
    tx.update_device(&device)?;
    let otpauth_uri = qr::otpauth_uri(&device, &secret, &core.settings.issuer, &user.username)?;
    let qr_svg = qr::svg(&otpauth_uri)?;
    Ok(Enrollment {
        device_id: device.id,
        otpauth_uri,
        qr_svg,
    })
}

/// Email codes to send: (address, code).
pub(crate) type Outbox = Vec<(String, Zeroizing<String>)>;

/// Puts a fresh code on each of the given email devices of `user` (respecting the resend
/// cooldown) and returns what to send. Only hashes are stored.
pub(crate) fn issue_email_codes(
    core: &Core,
    tx: &mut dyn Tx,
    user: &User,
    devices: &[Device],
    now: i64,
) -> Result<Outbox> {
    let mut outbox = Vec::new();
    for device in devices.iter().filter(|d| d.kind == DeviceKind::Email) {
        if let Some(sent) = device.code_sent_at {
            let wait = sent + core.settings.email_resend_cooldown as i64 - now;
            if wait > 0 {
                return Err(Error::Throttled {
                    retry_after: wait as u64,
                });
            }
        }
        let code = Zeroizing::new(crate::crypto::random_digits(6));
        let salt = random_bytes(16);
        let mut updated = device.clone();
        updated.email_code = Some(crate::store::EmailCode {
            hash: core.keys.code_hash(&salt, &code).to_vec(),
            salt,
            expires_at: now + core.settings.email_code_validity as i64,
        });
        updated.code_sent_at = Some(now);
        tx.update_device(&updated)?;
        outbox.push((user.email.clone(), code));
    }
    Ok(outbox)
}

/// At the code step: sends a code to each confirmed email device of the session's user.
pub(crate) fn request_email_code(core: &Core, caller: &Caller) -> Result<Outbox> {
    core.require_email()?;
    let (session, client, now) = (caller.session()?, &caller.client, caller.now);
    let (mut tx, user) = begin_second_step(core, session, now)?;
    let devices: Vec<Device> = tx
        .devices_of(user.id)?
        .into_iter()
        .filter(|d| d.confirmed && d.kind == DeviceKind::Email)
        .collect();
    if devices.is_empty() {
        return Err(Error::BadRequest("No email device is set up.".into()));
    }
    let outbox = issue_email_codes(core, &mut *tx, &user, &devices, now)?;
    Audit::by(&user, client, now).log(&mut *tx, "login.email_code.sent", &user.username, "")?;
    tx.commit()?;
    Ok(outbox)
}

/// Ends a session (logout).
/// Ends the caller's session (logout); without one there is nothing to end.
pub(crate) fn logout(core: &Core, caller: &Caller) -> Result<()> {
    let Some(auth) = &caller.auth else {
        return Ok(());
    };
    let mut tx = core.store.write()?;
    tx.delete_session(auth.session.id)?;
    caller
        .audit()
        .log(&mut *tx, "logout", &auth.user.username, "")?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use argon2::Params;

    use super::*;
    use crate::config::Settings;
    use crate::crypto::{Keys, MasterKey, PasswordHasher};
    use crate::manage::{self, CreateUser};
    use crate::state::Caller;
    use crate::store::SqliteStore;

    const PASSWORD: &str = "a long enough password";
    const T0: i64 = 1_700_000_000;

    fn core(dir: &tempfile::TempDir, params: Params) -> Core {
        Core {
            store: Arc::new(SqliteStore::open(&dir.path().join("k.db")).unwrap()),
            keys: Keys::new(&MasterKey::generate()),
            hasher: PasswordHasher::with_params(params),
            settings: Settings::default(),
            mailer: None,
        }
    }

    fn fast() -> Params {
        Params::new(256, 1, 1, None).unwrap()
    }

    fn user(core: &Core, name: &str) -> User {
        manage::create_user(
            &*core.store,
            &core.hasher,
            &Caller {
                auth: None,
                client: Client::local(),
                now: T0,
            },
            &CreateUser {
                username: name.into(),
                email: format!("{name}@example.com"),
                password: Zeroizing::new(PASSWORD.into()),
                display_name: String::new(),
                is_staff: false,
                is_superuser: false,
            },
        )
        .unwrap()
    }

    /// Password and setup at `at`; returns the verified cookie and the TOTP URI.
    /// A caller from `client` at `now`, without a session.
    fn anon(client: &Client, now: i64) -> Caller {
        Caller {
            auth: None,
            client: client.clone(),
            now,
        }
    }

    /// The caller holding the session of `token`, at `now`.
    fn holding(core: &Core, token: &str, client: &Client, now: i64) -> Caller {
        Caller {
            auth: authenticate(core, token, now).unwrap(),
            client: client.clone(),
            now,
        }
    }

    fn password(
        client: &Client,
        at: i64,
        core: &Core,
        name: &str,
        pw: &str,
    ) -> Result<NewSessionToken> {
        let request = LoginRequest {
            username: name.into(),
            password: Zeroizing::new(pw.into()),
        };
        login(core, &anon(client, at), &request, None)
    }

    fn code(token: &str) -> CodeRequest {
        CodeRequest {
            token: Zeroizing::new(token.into()),
        }
    }

    fn enrolled(core: &Core, name: &str, at: i64) -> (String, String) {
        let client = Client::local();
        let pre = password(&client, at, core, name, PASSWORD).unwrap();
        let caller = holding(core, &pre.token, &client, at);
        let enrollment = setup_begin(core, &caller).unwrap();
        let account = keygate_otp::uri::parse(&enrollment.otpauth_uri).unwrap();
        let otp = account.code_at(at as u64).unwrap();
        let done = setup_confirm(core, &caller, &code(&otp)).unwrap();
        (done.token, enrollment.otpauth_uri.to_string())
    }

    #[test]
    fn sessions_end_after_idle_and_absolute_timeouts() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, fast());
        user(&core, "ann");
        let (token, _) = enrolled(&core, "ann", T0);
        // Active every 14 minutes: alive until the 8-hour mark.
        let mut t = T0;
        while t + 14 * 60 < T0 + 8 * 3600 {
            t += 14 * 60;
            assert!(
                authenticate(&core, &token, t).unwrap().is_some(),
                "at {}",
                t - T0
            );
        }
        assert!(authenticate(&core, &token, T0 + 8 * 3600 + 1)
            .unwrap()
            .is_none());
        // And the row is gone: even an earlier clock does not revive it.
        assert!(authenticate(&core, &token, T0 + 60).unwrap().is_none());

        user(&core, "amy");
        let (token, _) = enrolled(&core, "amy", T0 + 30);
        assert!(authenticate(&core, &token, T0 + 30 + 15 * 60)
            .unwrap()
            .is_some());
        assert!(authenticate(&core, &token, T0 + 30 + 30 * 60 + 1)
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_second_step_must_follow_within_ten_minutes() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, fast());
        user(&core, "bea");
        let (_, uri) = enrolled(&core, "bea", T0);
        let client = Client::local();
        let pre = password(&client, T0 + 100, &core, "bea", PASSWORD).unwrap();
        assert_eq!(pre.next, Next::Otp);
        let mut caller = holding(&core, &pre.token, &client, T0 + 100);
        let late = T0 + 100 + 601;
        caller.now = late;
        let otp = keygate_otp::uri::parse(&uri)
            .unwrap()
            .code_at(late as u64)
            .unwrap();
        let err = verify_otp(&core, &caller, &code(&otp)).unwrap_err();
        assert!(matches!(err, Error::LoginExpired), "{err:?}");
        assert!(authenticate(&core, &pre.token, T0 + 101).unwrap().is_none());
    }

    #[test]
    fn a_pre_auth_session_cannot_set_up_over_a_confirmed_device() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, fast());
        user(&core, "cid");
        enrolled(&core, "cid", T0);
        let client = Client::local();
        let pre = password(&client, T0 + 5, &core, "cid", PASSWORD).unwrap();
        let caller = holding(&core, &pre.token, &client, T0 + 5);
        // An attacker with only the password cannot enrol their own authenticator.
        assert!(matches!(setup_begin(&core, &caller), Err(Error::Forbidden)));
        assert!(matches!(
            setup_confirm(&core, &caller, &code("123456")),
            Err(Error::Forbidden)
        ));
    }

    #[test]
    fn at_most_the_hourly_cap_of_failures_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, fast());
        user(&core, "dan");
        let mut tx = core.store.write().unwrap();
        for i in 0..100 {
            tx.record_failure("acct:dan", T0 + i).unwrap();
        }
        tx.commit().unwrap();
        let client = Client::new("10.0.0.1", "");
        let at = T0 + 200;
        match password(&client, at, &core, "dan", PASSWORD) {
            Err(Error::Throttled { retry_after }) => assert_eq!(retry_after, 3600 - 200),
            other => panic!("{other:?}"),
        }
        // The oldest failure ages out an hour later, and the right password works again.
        assert!(password(&client, T0 + 3601, &core, "dan", PASSWORD).is_ok());
    }

    #[test]
    fn passwords_are_rehashed_when_the_parameters_change() {
        let dir = tempfile::tempdir().unwrap();
        let weak = core(&dir, fast());
        let before = user(&weak, "eve").password_hash;
        assert!(before.contains("m=256"));
        drop(weak);
        let strong = core(&dir, Params::new(512, 1, 1, None).unwrap());
        password(&Client::local(), T0, &strong, "eve", PASSWORD).unwrap();
        let after = strong
            .store
            .read()
            .unwrap()
            .user_by_key("eve")
            .unwrap()
            .unwrap()
            .password_hash;
        assert!(after.contains("m=512"), "{after}");
        // A wrong password never triggers a rehash.
        assert!(password(&Client::local(), T0 + 10, &strong, "eve", "wrong password!").is_err());
    }

    #[test]
    fn a_failed_password_reserves_the_throttle_before_hashing() {
        let dir = tempfile::tempdir().unwrap();
        let core = core(&dir, fast());
        user(&core, "fay");
        let client = Client::local();
        assert!(matches!(
            password(&client, T0, &core, "fay", "wrong password!"),
            Err(Error::BadCredentials)
        ));
        // Same second: throttled, even with the right password.
        assert!(matches!(
            password(&client, T0, &core, "fay", PASSWORD),
            Err(Error::Throttled { retry_after: 1 })
        ));
        assert!(password(&client, T0 + 1, &core, "fay", PASSWORD).is_ok());
        let log = core
            .store
            .read()
            .unwrap()
            .list_audit(&Default::default(), 0, 10)
            .unwrap();
        let actions: Vec<_> = log.items.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "login.password.ok",
                "login.throttled",
                "login.failed",
                "user.created"
            ]
        );
    }
}
