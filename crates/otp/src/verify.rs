//! Token verification with django-otp's semantics, as pure functions: the caller passes the
//! device's state and persists the returned state in the same transaction as anything else.
//!
//! - TOTP (`TOTPDevice.verify_token`): offsets `-tolerance..=tolerance` around
//!   `t = (now - t0) / step + drift`, steps at or before `last_t` are skipped (replay rejection),
//!   the first match wins, and on success `last_t` and `drift` follow the match.
//! - HOTP (`HOTPDevice.verify_token`): counters `counter..=counter + tolerance`, on success the
//!   counter moves past the match.
//! - Both are throttled ([`crate::throttle`]): a refused attempt leaves the state untouched,
//!   a failure increments the throttle, a success resets it.
//!
//! Tokens are compared as integers, as django-otp does (`int(token)`), so `"012345"` and
//! `"12345"` are the same token; whitespace is ignored; the comparison is constant-time.

use subtle::ConstantTimeEq;

use crate::code::{self, hotp_value};
use crate::throttle::{Throttle, DEFAULT_FACTOR};
use crate::{Algorithm, Result, Secret};

/// What a verification decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The token matched; the new state must be persisted.
    Accepted,
    /// The token did not match anything in the window.
    Invalid,
    /// The token is the code of a step at or before the last accepted one (ASVS 2.8.5: refuse,
    /// log, tell the user).
    Replayed,
    /// Too many recent failures: nothing was checked. Try again after this many seconds.
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
}

impl Outcome {
    /// Whether the token was accepted.
    pub fn is_accepted(self) -> bool {
        self == Outcome::Accepted
    }
}

/// An outcome and the device state to persist with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification<S> {
    /// What happened.
    pub outcome: Outcome,
    /// The state after this attempt.
    pub state: S,
}

/// The fixed parameters of a TOTP device (django-otp `TOTPDevice` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpConfig {
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: u32,
    /// Seconds per step.
    pub step: u64,
    /// Unix time of step 0.
    pub t0: u64,
    /// Steps accepted on either side of the current one.
    pub tolerance: u64,
    /// Throttle factor in seconds (0 disables throttling).
    pub throttle_factor: u64,
}

impl Default for TotpConfig {
    fn default() -> Self {
        TotpConfig {
            algorithm: Algorithm::Sha1,
            digits: 6,
            step: 30,
            t0: 0,
            tolerance: 1,
            throttle_factor: DEFAULT_FACTOR,
        }
    }
}

/// The mutable state of a TOTP device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpState {
    /// The last accepted step; `-1` before the first success.
    pub last_t: i64,
    /// Steps of clock drift learned from accepted tokens.
    pub drift: i64,
    /// Failure throttle.
    pub throttle: Throttle,
}

impl Default for TotpState {
    fn default() -> Self {
        TotpState {
            last_t: -1,
            drift: 0,
            throttle: Throttle::default(),
        }
    }
}

/// The fixed parameters of an HOTP device (django-otp `HOTPDevice` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotpConfig {
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: u32,
    /// How many counters past the current one are accepted (look-ahead).
    pub tolerance: u64,
    /// Throttle factor in seconds (0 disables throttling).
    pub throttle_factor: u64,
}

impl Default for HotpConfig {
    fn default() -> Self {
        HotpConfig {
            algorithm: Algorithm::Sha1,
            digits: 6,
            tolerance: 5,
            throttle_factor: DEFAULT_FACTOR,
        }
    }
}

/// The mutable state of an HOTP device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HotpState {
    /// The next counter expected.
    pub counter: u64,
    /// Failure throttle.
    pub throttle: Throttle,
}

/// The token as django-otp's `int(token)` reads it: digits only (spaces allowed between groups).
fn token_value(token: &str) -> Option<u64> {
    let digits: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn matches(secret: &Secret, algorithm: Algorithm, digits: u32, counter: u64, token: u64) -> bool {
    let expected = u64::from(hotp_value(secret, counter, algorithm)) % 10u64.pow(digits);
    expected.ct_eq(&token).into()
}

/// Verifies a TOTP token at `now` (Unix seconds).
pub fn verify_totp_at(
    secret: &Secret,
    config: &TotpConfig,
    state: TotpState,
    token: &str,
    now: u64,
) -> Result<Verification<TotpState>> {
    code::check_digits(config.digits)?;
    code::check_period(config.step)?;
    if let Some(retry_after) = state.throttle.retry_after(now, config.throttle_factor) {
        return Ok(Verification {
            outcome: Outcome::Throttled { retry_after },
            state,
        });
    }
    let failed = |outcome| Verification {
        outcome,
        state: TotpState {
            throttle: state.throttle.failed(now),
            ..state
        },
    };
    let Some(token) = token_value(token) else {
        return Ok(failed(Outcome::Invalid));
    };
    let base = (i128::from(now) - i128::from(config.t0)).div_euclid(i128::from(config.step));
    let tolerance = i128::from(config.tolerance.min(1 << 20));
    let mut accepted: Option<(i64, i64)> = None;
    let mut replayed = false;
    // Every offset is computed (no early exit) so the time taken does not depend on which matched.
    for offset in -tolerance..=tolerance {
        let drift = i128::from(state.drift) + offset;
        let t = base + drift;
        let (Ok(t), Ok(drift)) = (i64::try_from(t), i64::try_from(drift)) else {
            continue;
        };
        if t < 0 {
            continue;
        }
        let hit = matches(secret, config.algorithm, config.digits, t as u64, token);
        if t <= state.last_t {
            replayed |= hit;
        } else if hit && accepted.is_none() {
            accepted = Some((t, drift));
        }
    }
    Ok(match accepted {
        Some((last_t, drift)) => Verification {
            outcome: Outcome::Accepted,
            state: TotpState {
                last_t,
                drift,
                throttle: state.throttle.succeeded(),
            },
        },
        None if replayed => failed(Outcome::Replayed),
        None => failed(Outcome::Invalid),
    })
}

/// Verifies an HOTP token; `now` only drives the throttle.
pub fn verify_hotp_at(
    secret: &Secret,
    config: &HotpConfig,
    state: HotpState,
    token: &str,
    now: u64,
) -> Result<Verification<HotpState>> {
    code::check_digits(config.digits)?;
    if let Some(retry_after) = state.throttle.retry_after(now, config.throttle_factor) {
        return Ok(Verification {
            outcome: Outcome::Throttled { retry_after },
            state,
        });
    }
    let mut accepted = None;
    if let Some(token) = token_value(token) {
        let last = state.counter.saturating_add(config.tolerance.min(1 << 20));
        for counter in state.counter..=last {
            if matches(secret, config.algorithm, config.digits, counter, token)
                && accepted.is_none()
            {
                accepted = Some(counter);
            }
        }
    }
    Ok(match accepted {
        Some(counter) => Verification {
            outcome: Outcome::Accepted,
            state: HotpState {
                counter: counter.saturating_add(1),
                throttle: state.throttle.succeeded(),
            },
        },
        None => Verification {
            outcome: Outcome::Invalid,
            state: HotpState {
                throttle: state.throttle.failed(now),
                ..state
            },
        },
    })
}

/// [`verify_totp_at`] at the current time.
pub fn verify_totp_now(
    secret: &Secret,
    config: &TotpConfig,
    state: TotpState,
    token: &str,
) -> Result<Verification<TotpState>> {
    verify_totp_at(secret, config, state, token, crate::unix_now())
}

/// [`verify_hotp_at`] at the current time.
pub fn verify_hotp_now(
    secret: &Secret,
    config: &HotpConfig,
    state: HotpState,
    token: &str,
) -> Result<Verification<HotpState>> {
    verify_hotp_at(secret, config, state, token, crate::unix_now())
}
