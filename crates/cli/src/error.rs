//! The CLI's error type: each variant prints as one plain sentence.

use thiserror::Error;

/// What can make a `keygate` command fail.
#[derive(Debug, Error)]
pub enum CliError {
    /// From the OTP engine (already a plain sentence).
    #[error("{0}")]
    Otp(#[from] keygate_otp::Error),
    /// Reading standard input or writing output failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// Arguments that clap cannot check on its own.
    #[error("{0}")]
    Usage(String),
}
