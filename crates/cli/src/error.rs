//! The CLI's error type: each variant prints as one plain sentence.

use thiserror::Error;

/// What can make a `keygate` command fail.
#[derive(Debug, Error)]
pub(crate) enum CliError {
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
    /// An input to import that failed (names the input).
    #[error("{0}")]
    Import(#[from] keygate_otp::import::ImportError),
    /// From the vault (keyring, database).
    #[error("{0}")]
    Vault(#[from] keygate_vault::Error),
    /// From QR decoding, encoding or capture (names the file).
    #[error("{0}")]
    Qr(#[from] keygate_qr::Error),
    /// From the admin server.
    #[error("{0}")]
    Server(#[from] keygate_server::Error),
    /// An input that failed, with where it came from.
    #[error("{origin}: {message}")]
    From {
        /// A file name, "the screen", "link 2", ...
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// Writing an output file failed.
    #[error("cannot write {path}: {source}")]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Arguments that clap cannot check on its own.
    #[error("{0}")]
    Usage(String),
}
