//! Scanned or pasted texts to accounts: `otpauth://` and `motp://` links one by one, Google
//! Authenticator exports joined across their QR codes. Every front end imports through here, so
//! all of them read the same inputs the same way.

use std::fmt;

use crate::{migration, uri, Account, Error};

/// One text to import and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it came from, for error messages: a file name, "the screen", "link 2", ...
    pub origin: String,
    /// The text: a link, or whatever a QR code held.
    pub text: String,
    /// Read from a QR code (which may hold anything) rather than given as a link.
    pub from_qr: bool,
}

impl Input {
    /// A link typed or pasted by the user.
    pub fn link(origin: impl Into<String>, text: impl Into<String>) -> Self {
        Input {
            origin: origin.into(),
            text: text.into(),
            from_qr: false,
        }
    }

    /// The payload of a QR code.
    pub fn scanned(origin: impl Into<String>, text: impl Into<String>) -> Self {
        Input {
            origin: origin.into(),
            text: text.into(),
            from_qr: true,
        }
    }
}

/// Why an import failed, and at which input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The failing input's origin; `None` when joining the batches of an export failed.
    pub origin: Option<String>,
    /// What is wrong.
    pub error: Error,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(origin) => write!(f, "{origin}: {}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for ImportError {}

fn has_scheme(text: &str, scheme: &str) -> bool {
    text.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

/// Every account in `inputs`, in order (export batches after the plain links). Fails on the first
/// bad input, so callers add nothing unless everything read.
pub fn accounts(inputs: &[Input]) -> Result<Vec<Account>, ImportError> {
    let mut accounts = Vec::new();
    let mut batches = Vec::new();
    for input in inputs {
        let at = |error| ImportError {
            origin: Some(input.origin.clone()),
            error,
        };
        let text = input.text.trim();
        if has_scheme(text, "otpauth-migration://") {
            batches.push(migration::parse(text).map_err(at)?);
        } else if input.from_qr && !has_scheme(text, "otpauth://") && !has_scheme(text, "motp://") {
            return Err(at(Error::NotAnOtpLink));
        } else {
            accounts.push(uri::parse(text).map_err(at)?);
        }
    }
    if !batches.is_empty() {
        let joined = migration::join(batches).map_err(|error| ImportError {
            origin: None,
            error,
        })?;
        accounts.extend(joined);
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_exports_mix_and_errors_point_at_the_input() {
        let link = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A";
        let export_accounts =
            vec![uri::parse("otpauth://totp/C:d?secret=GEZDGNBVGY3TQOJQ&issuer=C").unwrap()];
        let export = migration::emit(&export_accounts, 1).unwrap().remove(0);
        let inputs = [
            Input::link("link 1", link),
            Input::scanned("shot.png", export),
        ];
        let got = accounts(&inputs).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], export_accounts[0]);

        let website = [
            Input::scanned("a.png", link),
            Input::scanned("b.png", "https://example.com"),
        ];
        let err = accounts(&website).unwrap_err();
        assert_eq!(
            err,
            ImportError {
                origin: Some("b.png".into()),
                error: Error::NotAnOtpLink
            }
        );
        assert_eq!(
            err.to_string(),
            "b.png: the QR code is not an otpauth:// link"
        );
        // Typed text gets the URI parser's own explanation.
        let typed = [Input::link("link 1", "https://example.com")];
        assert!(matches!(
            accounts(&typed).unwrap_err().error,
            Error::InvalidUri(_)
        ));
    }
}
