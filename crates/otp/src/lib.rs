//! Keygate's OTP engine: pure code, no I/O.
//!
//! - [`code`]: HOTP, TOTP, Steam, Yandex and mOTP codes at a given counter or instant.
//! - [`Account`]: an authenticator account, parsed from and emitted to [`uri`]s.
//! - [`verify`]: django-otp's token verification (tolerance, drift, replay rejection).
//! - [`throttle`]: django-otp's exponential back-off after failures.
//! - [`migration`]: Google Authenticator's `otpauth-migration://` export.

pub mod account;
pub mod algorithm;
pub mod code;
pub mod error;
pub mod import;
pub mod migration;
pub mod secret;
pub mod throttle;
pub mod uri;
pub mod verify;

pub use account::{unix_now, Account, Kind};
pub use algorithm::Algorithm;
pub use error::{Error, Result};
pub use secret::Secret;
