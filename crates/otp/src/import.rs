//! Scanned or pasted texts to accounts: `otpauth://` and `motp://` links one by one, Google
//! Authenticator exports joined across their QR codes. Every front end imports through here, so
//! all of them read the same inputs the same way.

use crate::{migration, uri, Account, Error};

/// One text to import.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The text: a link, or whatever a QR code held.
    pub text: &'a str,
    /// Read from a QR code (which may hold anything) rather than given as a link.
    pub from_qr: bool,
}

/// Why an import failed, and at which input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The input that failed; `None` when joining the batches of an export failed.
    pub index: Option<usize>,
    /// What is wrong.
    pub error: Error,
}

fn has_scheme(text: &str, scheme: &str) -> bool {
    text.get(..scheme.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
}

/// Every account in `inputs`, in order (export batches after the plain links). Fails on the first
/// bad input, so callers add nothing unless everything read.
pub fn accounts(inputs: &[Input]) -> Result<Vec<Account>, ImportError> {
    let mut accounts = Vec::new();
    let mut batches = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let at = |error| ImportError {
            index: Some(index),
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
        let joined =
            migration::join(batches).map_err(|error| ImportError { index: None, error })?;
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
            Input {
                text: link,
                from_qr: false,
            },
            Input {
                text: &export,
                from_qr: true,
            },
        ];
        let got = accounts(&inputs).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], export_accounts[0]);

        let website = [
            Input {
                text: link,
                from_qr: true,
            },
            Input {
                text: "https://example.com",
                from_qr: true,
            },
        ];
        assert_eq!(
            accounts(&website).unwrap_err(),
            ImportError {
                index: Some(1),
                error: Error::NotAnOtpLink
            }
        );
        // Typed text gets the URI parser's own explanation.
        let typed = [Input {
            text: "https://example.com",
            from_qr: false,
        }];
        assert!(matches!(
            accounts(&typed).unwrap_err().error,
            Error::InvalidUri(_)
        ));
    }
}
