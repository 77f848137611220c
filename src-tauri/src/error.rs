//! The desktop app's one error type. The webview receives it as `{kind, message, …}`: a stable
//! snake_case `kind` per variant for the UI to act on, the sentence to show, and the details a
//! variant carries (seconds to wait, the server's code and status, the wrong fields).

use serde::Serialize;

use crate::manual::FieldError;

/// Everything a command can fail with. Messages are sentences for the user, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// A command that needs secrets ran while the vault is locked.
    #[error("the vault is locked: unlock it first")]
    Locked,
    /// Too many wrong app passwords: the next attempt must wait this many seconds.
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
    /// Fields of a manually entered account are wrong: one problem per field, never empty.
    #[error("{}", first_message(.0))]
    Fields(Vec<FieldError>),
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
        /// Seconds before the server accepts another attempt (its `Retry-After`), if it said.
        retry_after: Option<u64>,
    },
}

fn first_message(problems: &[FieldError]) -> &str {
    problems
        .first()
        .map_or("the entry is not valid", |p| p.message.as_str())
}

impl DesktopError {
    /// The stable name of the variant the UI acts on (`locked`, `throttled`, `server`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            DesktopError::Locked => "locked",
            DesktopError::Throttled(_) => "throttled",
            DesktopError::Vault(_) => "vault",
            DesktopError::Qr(_) => "qr",
            DesktopError::Import(_) => "import",
            DesktopError::Otp(_) => "otp",
            DesktopError::Nothing(_) => "nothing",
            DesktopError::BadId => "bad_id",
            DesktopError::Fields(_) => "fields",
            DesktopError::Clipboard(_) => "clipboard",
            DesktopError::NotConnected => "not_connected",
            DesktopError::Console(_) => "console",
            DesktopError::Server { .. } => "server",
        }
    }

    /// Seconds to wait before trying again, when the app or the server said so.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            DesktopError::Throttled(seconds) => Some(*seconds),
            DesktopError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The shape the webview receives; absent details are left out.
#[derive(Serialize)]
struct ForWebview<'a> {
    kind: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [FieldError]>,
}

impl Serialize for DesktopError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (code, status) = match self {
            DesktopError::Server { code, status, .. } => (Some(code.as_str()), Some(*status)),
            _ => (None, None),
        };
        ForWebview {
            kind: self.kind(),
            message: self.to_string(),
            retry_after: self.retry_after(),
            code,
            status,
            fields: match self {
                DesktopError::Fields(problems) => Some(problems),
                _ => None,
            },
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn wire(error: &DesktopError) -> serde_json::Value {
        serde_json::to_value(error).unwrap()
    }

    #[test]
    fn errors_cross_as_kind_and_message_with_their_details() {
        assert_eq!(
            wire(&DesktopError::Locked),
            json!({"kind": "locked", "message": "the vault is locked: unlock it first"})
        );
        assert_eq!(
            wire(&DesktopError::Throttled(4)),
            json!({
                "kind": "throttled",
                "message": "too many wrong app passwords: try again in 4 s",
                "retry_after": 4,
            })
        );
        let refused = DesktopError::Server {
            status: 429,
            code: "throttled".into(),
            message: "Too many attempts; try again in 2 seconds.".into(),
            retry_after: Some(2),
        };
        assert_eq!(
            wire(&refused),
            json!({
                "kind": "server",
                "message": "Too many attempts; try again in 2 seconds.",
                "retry_after": 2,
                "code": "throttled",
                "status": 429,
            })
        );
        let fields = DesktopError::Fields(vec![
            FieldError {
                field: "secret",
                message: "the secret is empty".into(),
            },
            FieldError {
                field: "digits",
                message: "the number of digits must be a whole number".into(),
            },
        ]);
        assert_eq!(
            wire(&fields),
            json!({
                "kind": "fields",
                "message": "the secret is empty",
                "fields": [
                    {"field": "secret", "message": "the secret is empty"},
                    {"field": "digits", "message": "the number of digits must be a whole number"},
                ],
            })
        );
        assert_eq!(
            wire(&DesktopError::Fields(Vec::new()))["message"],
            "the entry is not valid"
        );
        assert_eq!(wire(&DesktopError::NotConnected)["kind"], "not_connected");
        assert_eq!(wire(&DesktopError::BadId)["kind"], "bad_id");
    }
}
