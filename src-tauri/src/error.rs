//! The desktop app's one error type; the UI receives its message as a string.

/// Everything a command can fail with. Messages are sentences for the user, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// A command that needs secrets ran while the vault is locked.
    #[error("the vault is locked: unlock it first")]
    Locked,
    /// Too many wrong app passwords: the next attempt must wait.
    #[error("too many wrong app passwords: try again in {0} s")]
    Throttled(u64),
    /// The vault (SQLite or the OS keyring) failed.
    #[error(transparent)]
    Vault(#[from] keygate_vault::Error),
    /// Reading a QR code (file, screen, clipboard) failed.
    #[error(transparent)]
    Qr(#[from] keygate_qr::Error),
    /// A link or QR payload could not be parsed (the error names it).
    #[error(transparent)]
    Import(#[from] keygate_otp::import::ImportError),
    /// The OTP engine refused something.
    #[error(transparent)]
    Otp(#[from] keygate_otp::Error),
    /// The input held nothing to add.
    #[error("{0}")]
    Nothing(String),
    /// An account id from the UI is not a valid id.
    #[error("unknown account id")]
    BadId,
    /// A field of a manually entered account is wrong.
    #[error(transparent)]
    Field(#[from] crate::app::FieldError),
    /// The system clipboard failed.
    #[error("the clipboard is unavailable: {0}")]
    Clipboard(String),
    /// A console action needs a server: start the embedded one or connect to one.
    #[error("connect to a server first")]
    NotConnected,
    /// The console could not do something on this side (URL, certificate, network).
    #[error("{0}")]
    Console(String),
    /// The server refused a request; its message is the generic one it shows every client.
    #[error("{message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's machine code (`invalid_code`, `throttled`, ...).
        code: String,
        /// The server's sentence.
        message: String,
    },
}

impl serde::Serialize for DesktopError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}
