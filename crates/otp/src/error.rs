//! The one error type of the OTP engine.

use thiserror::Error;

/// Everything that can go wrong in the OTP engine. Messages are single plain sentences and never
/// contain secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The secret is not valid base32 (or hex, for mOTP).
    #[error("the secret is not valid {encoding}: {reason}")]
    InvalidSecret {
        /// The encoding that was expected ("base32" or "hex").
        encoding: &'static str,
        /// What is wrong with it, without quoting the secret.
        reason: String,
    },
    /// The secret decodes to nothing.
    #[error("the secret is empty")]
    EmptySecret,
    /// The secret has a length this kind of token cannot use.
    #[error("the secret has {bytes} bytes, but {kind} needs {expected}")]
    SecretLength {
        /// The token kind.
        kind: &'static str,
        /// The decoded length.
        bytes: usize,
        /// What is allowed, in words.
        expected: &'static str,
    },
    /// An unknown or unsupported hash algorithm.
    #[error("unsupported algorithm \"{0}\" (use SHA1, SHA256 or SHA512)")]
    UnsupportedAlgorithm(String),
    /// Digits outside what the kind allows.
    #[error("{digits} digits is not supported (use {min} to {max})")]
    InvalidDigits {
        /// The requested number of digits.
        digits: u32,
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// Period outside 1..=3600 seconds.
    #[error("a period of {0} seconds is not supported (use 1 to 3600)")]
    InvalidPeriod(u64),
    /// The time is before T0 or the counter would overflow.
    #[error("the time {time} is before the start time T0 {t0}")]
    TimeBeforeT0 {
        /// The requested time.
        time: u64,
        /// The configured T0.
        t0: u64,
    },
    /// Yandex and mOTP codes need the user's PIN.
    #[error("{0} codes need a PIN")]
    PinRequired(&'static str),
    /// The text is not an otpauth URI at all, or a part of it is malformed.
    #[error("invalid otpauth URI: {0}")]
    InvalidUri(String),
    /// A QR code that holds something other than an OTP link.
    #[error("the QR code is not an otpauth:// link")]
    NotAnOtpLink,
    /// The URI has no secret parameter.
    #[error("invalid otpauth URI: the secret parameter is missing")]
    MissingSecret,
    /// An HOTP URI without counter.
    #[error("invalid otpauth URI: an hotp URI needs a counter parameter")]
    MissingCounter,
    /// The Google Authenticator export could not be read.
    #[error("invalid otpauth-migration link: {0}")]
    InvalidMigration(String),
    /// Google export entry with MD5, which no app computes correctly.
    #[error("the Google Authenticator export entry \"{0}\" uses MD5, which is not supported")]
    Md5NotSupported(String),
    /// A batch of a multi-QR Google export is missing.
    #[error("the Google Authenticator export batch {batch_id} is incomplete: missing QR code(s) {missing} of {size}")]
    MissingBatch {
        /// Batch id shared by the QR codes of one export.
        batch_id: i32,
        /// The missing batch indexes, 1-based, comma separated.
        missing: String,
        /// How many QR codes the export has.
        size: i32,
    },
    /// An account the Google Authenticator export format cannot hold without changing its codes.
    #[error(
        "the account \"{account}\" cannot be put in a Google Authenticator export because {reason}"
    )]
    NotExportable {
        /// The account as `Issuer:name`, never its secret.
        account: String,
        /// Why, as the end of a sentence.
        reason: String,
    },
}

/// Result alias for the OTP engine.
pub type Result<T> = std::result::Result<T, Error>;
