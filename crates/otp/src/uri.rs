//! The Key Uri Format (`otpauth://TYPE/LABEL?secret=…`) and `motp://`, parsed the way real
//! exporters write it and emitted the way every app reads it.

use std::borrow::Cow;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::account::{DEFAULT_DIGITS, DEFAULT_PERIOD};
use crate::{Account, Algorithm, Error, Kind, Result, Secret};

/// Everything but RFC 3986 unreserved characters and `@` is escaped (so `:` in a name can
/// never be taken for the issuer separator, and `+` never for a space).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Longest fragment of user input quoted back in an error message.
const QUOTE_LIMIT: usize = 24;

fn quote(text: &str) -> String {
    let mut quoted: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        quoted.push('…');
    }
    quoted
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidUri(message.into())
}

/// `+` means a space in labels and values (form encoding, as several exporters write it);
/// a literal plus must be `%2B`.
fn decode(part: &str, what: &str) -> Result<String> {
    let spaced: Cow<str> = if part.contains('+') {
        Cow::Owned(part.replace('+', " "))
    } else {
        Cow::Borrowed(part)
    };
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| {
            invalid(format!(
                "the {what} is not valid UTF-8 once percent-decoded"
            ))
        })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Query parameters, names lower-cased; the first occurrence of a name wins.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: &str) -> Result<Self> {
        let mut params: Vec<(String, String)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key, "parameter name")?.trim().to_ascii_lowercase();
            if params.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let value = decode(value, &format!("{key} parameter"))?;
            params.push((key, value));
        }
        Ok(Params(params))
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A number, tolerating spaces and quotes around it (`digits=" 6 "`).
    fn number(&self, key: &str) -> Result<Option<u64>> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let text = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        text.parse::<u64>().map(Some).map_err(|_| {
            invalid(format!(
                "{key} must be a whole number, not \"{}\"",
                quote(raw)
            ))
        })
    }
}

/// Parses an `otpauth://` or `motp://` URI into a normalized [`Account`].
pub fn parse(text: &str) -> Result<Account> {
    let text = text.trim();
    let (kind_text, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "otpauth://") {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let kind = rest[..end].to_ascii_lowercase();
        let rest = rest[end..].strip_prefix('/').unwrap_or(&rest[end..]);
        (kind, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(text, "motp://") {
        ("motp-scheme".to_string(), rest)
    } else if strip_prefix_ignore_case(text, "otpauth-migration://").is_some() {
        return Err(invalid(
            "this is a Google Authenticator export (otpauth-migration://); read it as a migration link",
        ));
    } else {
        return Err(invalid("it does not start with otpauth://"));
    };
    // Split at the first '?' only: an unencoded '#' in the label is part of the name, not a
    // fragment, because exporters do write `john#doe`.
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
    let params = Params::parse(query)?;
    let label = decode(label, "label")?;

    let mut kind = match kind_text.as_str() {
        "totp" => Kind::Totp,
        "hotp" => Kind::Hotp,
        "steam" => Kind::Steam,
        "yaotp" | "yandex" => Kind::Yandex,
        "motp" | "motp-scheme" => Kind::Motp,
        "" => return Err(invalid("the type (totp or hotp) is missing")),
        other => {
            return Err(invalid(format!(
                "unknown type \"{}\" (expected totp, hotp, steam, yaotp or motp)",
                quote(other)
            )))
        }
    };
    if kind == Kind::Totp
        && params
            .get("encoder")
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("steam"))
    {
        kind = Kind::Steam;
    }

    let secret_text = params.get("secret").ok_or(Error::MissingSecret)?;
    let secret = if kind_text == "motp-scheme" {
        Secret::from_hex(secret_text)?
    } else {
        Secret::from_base32(secret_text)?
    };

    let issuer_param = params
        .get("issuer")
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let label = label.trim();
    let (issuer, name) = match issuer_param {
        // Parameter wins. A matching label prefix is dropped; a different one (Microsoft 365 puts
        // the tenant there) stays in the name as context.
        Some(param) => {
            match strip_prefix_ignore_case(label, param).and_then(|r| r.strip_prefix(':')) {
                Some(rest) => (Some(param.to_string()), rest.to_string()),
                None => (Some(param.to_string()), label.to_string()),
            }
        }
        None => match label.split_once(':') {
            Some((prefix, rest)) => (Some(prefix.to_string()), rest.to_string()),
            None => (None, label.to_string()),
        },
    };

    let algorithm = match params.get("algorithm") {
        Some(a) if !a.trim().is_empty() => a.parse::<Algorithm>()?,
        _ => Algorithm::Sha1,
    };
    let digits = params
        .number("digits")?
        .unwrap_or(u64::from(DEFAULT_DIGITS));
    let digits = u32::try_from(digits).unwrap_or(u32::MAX);
    let period = params.number("period")?.unwrap_or(DEFAULT_PERIOD);
    let counter = match (kind, params.number("counter")?) {
        (Kind::Hotp, None) => return Err(Error::MissingCounter),
        (_, counter) => counter.unwrap_or(0),
    };
    Account::new(
        kind, secret, issuer, name, algorithm, digits, period, counter,
    )
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Emits the canonical URI of `account`: label `Issuer:name` with the `issuer` parameter equal
/// to the prefix, every parameter the kind uses, the secret in canonical base32 (hex for mOTP).
/// The result contains the secret: treat it as one.
pub fn emit(account: &Account) -> String {
    let label = match (&account.issuer, account.name.contains(':')) {
        (Some(issuer), _) => format!("{}:{}", encode(issuer), encode(&account.name)),
        // A bare name with a colon gets an empty prefix so the colon is not read as a separator.
        (None, true) => format!(":{}", encode(&account.name)),
        (None, false) => encode(&account.name),
    };
    let mut uri = match account.kind {
        Kind::Motp => format!("motp://{label}?secret={}", account.secret.to_hex().as_str()),
        kind => format!(
            "otpauth://{kind}/{label}?secret={}",
            account.secret.to_base32().as_str()
        ),
    };
    if let Some(issuer) = &account.issuer {
        uri.push_str("&issuer=");
        uri.push_str(&encode(issuer));
    }
    match account.kind {
        Kind::Totp => uri.push_str(&format!(
            "&algorithm={}&digits={}&period={}",
            account.algorithm, account.digits, account.period
        )),
        Kind::Hotp => uri.push_str(&format!(
            "&algorithm={}&digits={}&counter={}",
            account.algorithm, account.digits, account.counter
        )),
        Kind::Steam | Kind::Yandex | Kind::Motp => {}
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_google_example() {
        let a =
            parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
                .unwrap();
        assert_eq!(a.kind, Kind::Totp);
        assert_eq!(a.issuer.as_deref(), Some("Example"));
        assert_eq!(a.name, "alice@google.com");
        assert_eq!((a.algorithm, a.digits, a.period), (Algorithm::Sha1, 6, 30));
        assert_eq!(emit(&a), "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30");
    }

    #[test]
    fn hotp_needs_counter() {
        let err = parse("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP").unwrap_err();
        assert_eq!(err, Error::MissingCounter);
        assert!(err.to_string().contains("counter"));
    }

    #[test]
    fn errors_never_quote_the_secret() {
        let err = parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1").unwrap_err();
        assert!(!err.to_string().contains("JBSWY3"), "{err}");
    }
}
