//! An authenticator account: what an otpauth URI describes and what a code is computed from.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::code::{self, MOTP_DIGITS, MOTP_PERIOD, STEAM_DIGITS, YANDEX_DIGITS};
use crate::{Algorithm, Error, Result, Secret};

/// Default TOTP period.
pub const DEFAULT_PERIOD: u64 = 30;
/// Default number of digits.
pub const DEFAULT_DIGITS: u32 = 6;

/// The kind of one-time password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Time-based, RFC 6238.
    Totp,
    /// Counter-based, RFC 4226.
    Hotp,
    /// Steam Guard: TOTP with five letters.
    Steam,
    /// Yandex Key: needs a PIN, eight letters.
    Yandex,
    /// Mobile-OTP: needs a PIN, MD5, six hex characters every 10 s.
    Motp,
}

impl Kind {
    /// The name used in URIs and output (`totp`, `hotp`, `steam`, `yaotp`, `motp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Totp => "totp",
            Kind::Hotp => "hotp",
            Kind::Steam => "steam",
            Kind::Yandex => "yaotp",
            Kind::Motp => "motp",
        }
    }

    /// Whether the code depends on the time (everything but HOTP).
    pub fn is_time_based(self) -> bool {
        self != Kind::Hotp
    }

    /// Whether a PIN is needed to compute a code.
    pub fn needs_pin(self) -> bool {
        matches!(self, Kind::Yandex | Kind::Motp)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticator account. Build it with [`Account::new`] or [`crate::uri::parse`]; both
/// return a normalized value (trimmed names, fields that do not apply to the kind at their fixed
/// values), which is what makes `parse(emit(x)) == x` hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The kind of code.
    pub kind: Kind,
    /// The shared secret.
    pub secret: Secret,
    /// Who issued it (`GitHub`); `None` when unknown.
    pub issuer: Option<String>,
    /// The account name (`alice@example.com`); may be empty.
    pub name: String,
    /// HMAC algorithm (SHA1 for Steam and mOTP, SHA256 for Yandex).
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: u32,
    /// Seconds per step for time-based kinds (30 for HOTP, where it does not apply).
    pub period: u64,
    /// The next HOTP counter (0 for other kinds).
    pub counter: u64,
}

impl Account {
    /// A normalized, validated account. Fields that a kind fixes (Steam's digits, mOTP's period,
    /// the counter of a TOTP) are set to their fixed values.
    // One argument per field of the Key Uri Format; a builder would only add ceremony here.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: Kind,
        secret: Secret,
        issuer: Option<String>,
        name: impl Into<String>,
        algorithm: Algorithm,
        digits: u32,
        period: u64,
        counter: u64,
    ) -> Result<Self> {
        let mut account = Account {
            kind,
            secret,
            issuer,
            name: name.into(),
            algorithm,
            digits,
            period,
            counter,
        };
        account.normalize()?;
        Ok(account)
    }

    /// A TOTP account with the defaults (SHA1, 6 digits, 30 s).
    pub fn totp(secret: Secret, issuer: Option<String>, name: impl Into<String>) -> Result<Self> {
        Self::new(
            Kind::Totp,
            secret,
            issuer,
            name,
            Algorithm::Sha1,
            DEFAULT_DIGITS,
            DEFAULT_PERIOD,
            0,
        )
    }

    fn normalize(&mut self) -> Result<()> {
        self.name = self.name.trim().to_string();
        self.issuer = self
            .issuer
            .take()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty());
        if self.secret.expose().is_empty() {
            return Err(Error::EmptySecret);
        }
        // Steam issues its codes as plain `otpauth://totp` with issuer Steam; they are only
        // usable as Steam Guard codes (as Aegis treats them).
        if self.kind == Kind::Totp
            && self
                .issuer
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case("steam"))
        {
            self.kind = Kind::Steam;
        }
        match self.kind {
            Kind::Totp => {
                code::check_digits(self.digits)?;
                code::check_period(self.period)?;
                self.counter = 0;
            }
            Kind::Hotp => {
                code::check_digits(self.digits)?;
                self.period = DEFAULT_PERIOD;
            }
            Kind::Steam => {
                self.algorithm = Algorithm::Sha1;
                self.digits = STEAM_DIGITS;
                self.period = DEFAULT_PERIOD;
                self.counter = 0;
            }
            Kind::Yandex => {
                code::yandex_key(&self.secret)?;
                self.algorithm = Algorithm::Sha256;
                self.digits = YANDEX_DIGITS;
                self.period = DEFAULT_PERIOD;
                self.counter = 0;
            }
            Kind::Motp => {
                self.algorithm = Algorithm::Sha1;
                self.digits = MOTP_DIGITS;
                self.period = MOTP_PERIOD;
                self.counter = 0;
            }
        }
        Ok(())
    }

    /// The code at `time` (Unix seconds). HOTP uses the stored counter and ignores the time;
    /// Yandex and mOTP need [`Account::code_with_pin_at`].
    pub fn code_at(&self, time: u64) -> Result<String> {
        match self.kind {
            Kind::Totp => code::totp(
                &self.secret,
                time,
                self.period,
                0,
                self.algorithm,
                self.digits,
            ),
            Kind::Hotp => code::hotp(&self.secret, self.counter, self.algorithm, self.digits),
            Kind::Steam => Ok(code::steam(&self.secret, time)),
            Kind::Yandex => Err(Error::PinRequired("Yandex")),
            Kind::Motp => Err(Error::PinRequired("mOTP")),
        }
    }

    /// The code at `time` for kinds that take a PIN (the PIN is ignored by the others).
    pub fn code_with_pin_at(&self, time: u64, pin: &str) -> Result<String> {
        match self.kind {
            Kind::Yandex => code::yandex(&self.secret, pin, time),
            Kind::Motp => Ok(code::motp(&self.secret, pin, time)),
            _ => self.code_at(time),
        }
    }

    /// The code now.
    pub fn code_now(&self) -> Result<String> {
        self.code_at(unix_now())
    }

    /// Seconds until the code changes (time-based kinds), `None` for HOTP.
    pub fn seconds_left(&self, time: u64) -> Option<u64> {
        self.kind
            .is_time_based()
            .then(|| self.period - time % self.period)
    }

    /// How the account is shown to people: `Issuer (name)`, the issuer, or the name.
    pub fn label(&self) -> String {
        match (&self.issuer, self.name.as_str()) {
            (Some(issuer), "") => issuer.clone(),
            (Some(issuer), name) => format!("{issuer} ({name})"),
            (None, name) => name.to_string(),
        }
    }

    /// Whether the secret is shorter than 128 bits.
    pub fn weak_secret(&self) -> bool {
        self.secret.is_weak()
    }
}

/// The current Unix time in seconds (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_fixed_fields() {
        let secret = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let steam = Account::new(
            Kind::Steam,
            secret.clone(),
            Some(" Steam ".into()),
            " me ",
            Algorithm::Sha512,
            8,
            60,
            5,
        )
        .unwrap();
        assert_eq!(
            (steam.digits, steam.period, steam.counter, steam.algorithm),
            (5, 30, 0, Algorithm::Sha1)
        );
        assert_eq!(steam.issuer.as_deref(), Some("Steam"));
        assert_eq!(steam.name, "me");
        let totp = Account::new(
            Kind::Totp,
            secret.clone(),
            Some("  ".into()),
            "x",
            Algorithm::Sha1,
            6,
            30,
            9,
        )
        .unwrap();
        assert_eq!((totp.issuer, totp.counter), (None, 0));
        assert!(Account::new(
            Kind::Totp,
            secret.clone(),
            None,
            "x",
            Algorithm::Sha1,
            12,
            30,
            0
        )
        .is_err());
        assert!(Account::new(Kind::Totp, secret, None, "x", Algorithm::Sha1, 6, 0, 0).is_err());
    }

    #[test]
    fn pin_kinds_refuse_code_without_pin() {
        let secret = Secret::from_hex("e3152afee62599c8").unwrap();
        let motp = Account::new(Kind::Motp, secret, None, "x", Algorithm::Sha1, 6, 10, 0).unwrap();
        assert_eq!(motp.code_at(0).unwrap_err(), Error::PinRequired("mOTP"));
        assert_eq!(motp.code_with_pin_at(123456789, "1234").unwrap(), "4ebfb2");
        assert_eq!(motp.seconds_left(123456789), Some(1));
    }
}
