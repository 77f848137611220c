//! An account typed in by hand: the Add dialog's fields as text, checked field by field with
//! the OTP engine's own rules.

use keygate_otp::account::{DEFAULT_DIGITS, DEFAULT_PERIOD};
use keygate_otp::{Account, Algorithm, Kind, Secret};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// An account typed in by hand, as the Add dialog's fields hold it (text, as typed). Blank
/// fields take the usual defaults: TOTP, SHA1, 6 digits, 30 s, counter 0.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ManualEntry {
    /// Who issued it.
    pub issuer: String,
    /// The account name.
    pub name: String,
    /// The base32 secret (wiped when the entry is dropped; never in `Debug` or errors).
    pub secret: ManualSecret,
    /// `totp`, `hotp` or `steam`.
    pub kind: String,
    /// `SHA1`, `SHA256` or `SHA512`.
    pub algorithm: String,
    /// Code length.
    pub digits: String,
    /// Seconds per code (TOTP).
    pub period: String,
    /// The next counter (HOTP).
    pub counter: String,
}

/// The secret typed into the Add dialog: wiped on drop, never printed.
#[derive(Default, Deserialize)]
#[serde(transparent)]
pub struct ManualSecret(
    /// The secret as typed.
    pub String,
);

impl Drop for ManualSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What is wrong with one field of a [`ManualEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// The field: `issuer`, `name`, `secret`, `kind`, `algorithm`, `digits`, `period`, `counter`.
    pub field: &'static str,
    /// A sentence for the user (never the secret).
    pub message: String,
}

fn field_error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A whole number from a text field; blank means `default`.
fn number<T: std::str::FromStr>(
    text: &str,
    default: T,
    field: &'static str,
    what: &str,
) -> Result<T, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(default);
    }
    text.parse()
        .map_err(|_| field_error(field, format!("{what} must be a whole number")))
}

/// Which field an OTP engine error is about.
fn field_of(error: &keygate_otp::Error) -> &'static str {
    use keygate_otp::Error as E;
    match error {
        E::InvalidDigits { .. } => "digits",
        E::InvalidPeriod(_) => "period",
        E::UnsupportedAlgorithm(_) => "algorithm",
        _ => "secret",
    }
}

impl ManualEntry {
    /// Every problem with the entry, one per field, checked with the OTP engine's own parsing
    /// and [`Account::new`]; empty when the account can be added.
    pub fn problems(&self) -> Vec<FieldError> {
        match self.account() {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }

    /// The account the entry describes, or every problem with it.
    pub fn account(&self) -> Result<Account, Vec<FieldError>> {
        let mut problems = Vec::new();
        let issuer = self.issuer.trim();
        let name = self.name.trim();
        if issuer.is_empty() && name.is_empty() {
            problems.push(field_error(
                "issuer",
                "give an issuer, an account name or both",
            ));
        }
        let kind = match self.kind.trim().to_ascii_lowercase().as_str() {
            "" | "totp" => Some(Kind::Totp),
            "hotp" => Some(Kind::Hotp),
            "steam" => Some(Kind::Steam),
            _ => {
                problems.push(field_error("kind", "choose TOTP, HOTP or Steam"));
                None
            }
        };
        let secret = Secret::from_base32(&self.secret.0)
            .map_err(|e| problems.push(field_error("secret", e.to_string())))
            .ok();
        let fixed = kind == Some(Kind::Steam);
        let algorithm = match self.algorithm.trim() {
            _ if fixed => Some(Algorithm::Sha1),
            "" => Some(Algorithm::Sha1),
            text => text
                .parse::<Algorithm>()
                .map_err(|e| problems.push(field_error("algorithm", e.to_string())))
                .ok(),
        };
        let mut whole = |text: &str, default, field, what, applies: bool| {
            if !applies {
                return Some(default);
            }
            number(text, default, field, what)
                .map_err(|e| problems.push(e))
                .ok()
        };
        let digits = whole(
            &self.digits,
            u64::from(DEFAULT_DIGITS),
            "digits",
            "the number of digits",
            !fixed,
        );
        let period = whole(
            &self.period,
            DEFAULT_PERIOD,
            "period",
            "the period",
            kind == Some(Kind::Totp),
        );
        let counter = whole(
            &self.counter,
            0,
            "counter",
            "the counter",
            kind == Some(Kind::Hotp),
        );
        // The engine's own range checks, so a wrong field shows while others are still wrong.
        if let Some(digits) = digits.filter(|_| !fixed) {
            let digits = u32::try_from(digits).unwrap_or(u32::MAX);
            if let Err(e) = keygate_otp::code::check_digits(digits) {
                problems.push(field_error("digits", e.to_string()));
            }
        }
        if let Some(period) = period.filter(|_| kind == Some(Kind::Totp)) {
            if let Err(e) = keygate_otp::code::check_period(period) {
                problems.push(field_error("period", e.to_string()));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(kind), Some(secret), Some(algorithm), Some(digits), Some(period), Some(counter)) =
            (kind, secret, algorithm, digits, period, counter)
        else {
            return Err(problems);
        };
        // Out-of-range digit counts are the engine's to reject, with its own message.
        let digits = u32::try_from(digits).unwrap_or(u32::MAX);
        let issuer = (!issuer.is_empty()).then(|| issuer.to_string());
        match Account::new(
            kind, secret, issuer, name, algorithm, digits, period, counter,
        ) {
            Ok(account) if problems.is_empty() => Ok(account),
            Ok(_) => Err(problems),
            Err(e) => {
                problems.push(field_error(field_of(&e), e.to_string()));
                Err(problems)
            }
        }
    }
}
