//! Input rules for user-supplied fields. Messages are safe to show and never echo a password.

use crate::error::{Error, Result};

/// Shortest password accepted (ASVS 2.1.1).
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (ASVS 2.1.2 allows 64 and refuses more than 128).
pub(crate) const MAX_PASSWORD_CHARS: usize = 128;
/// Longest username (as Django's).
pub(crate) const MAX_USERNAME_CHARS: usize = 150;

/// The lookup key of a username: trimmed and lower-cased, so `Alice` and `alice` are one user.
pub(crate) fn username_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// A username: 1 to 150 letters, digits and `@.+-_` (Django's rule).
pub(crate) fn username(name: &str) -> Result<String> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > MAX_USERNAME_CHARS {
        return Err(Error::BadRequest(format!(
            "A username has 1 to {MAX_USERNAME_CHARS} characters."
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || "@.+-_".contains(c))
    {
        return Err(Error::BadRequest(
            "A username may contain only letters, digits and @ . + - _".into(),
        ));
    }
    Ok(name.to_string())
}

/// An email address: one `@`, something on both sides, a dot in the domain, no spaces.
pub(crate) fn email(address: &str) -> Result<String> {
    let address = address.trim();
    let valid = address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        && address.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(address.to_string())
    } else {
        Err(Error::BadRequest("Enter a valid email address.".into()))
    }
}

/// A new password: 12 to 128 characters, and not the username.
pub(crate) fn password(password: &str, username: &str) -> Result<()> {
    let count = password.chars().count();
    if count < MIN_PASSWORD_CHARS {
        return Err(Error::BadRequest(format!(
            "A password needs at least {MIN_PASSWORD_CHARS} characters."
        )));
    }
    if count > MAX_PASSWORD_CHARS {
        return Err(Error::BadRequest(format!(
            "A password has at most {MAX_PASSWORD_CHARS} characters."
        )));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(Error::BadRequest(
            "The password must not be the username.".into(),
        ));
    }
    Ok(())
}

/// A device or API key name: 1 to 64 printable characters.
pub(crate) fn label(name: &str, what: &str) -> Result<String> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > 64 || name.chars().any(char::is_control) {
        return Err(Error::BadRequest(format!(
            "A {what} name has 1 to 64 printable characters."
        )));
    }
    Ok(name.to_string())
}

/// A display name: up to 150 printable characters.
pub(crate) fn display_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.chars().count() > 150 || name.chars().any(char::is_control) {
        return Err(Error::BadRequest(
            "A display name has at most 150 printable characters.".into(),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("  Alice.B ").unwrap(), "Alice.B");
        assert_eq!(username_key(" Ålice "), "ålice");
        assert!(username("").is_err());
        assert!(username("a b").is_err());
        assert!(username("a<script>").is_err());
        assert!(username(&"x".repeat(151)).is_err());
    }

    #[test]
    fn emails() {
        assert!(email("a@example.com").is_ok());
        for bad in [
            "", "a", "a@b", "@b.c", "a@@b.c", "a b@c.d", "a@.com", "a@b.com.",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(password("short", "u").is_err());
        assert!(password(&"x".repeat(129), "u").is_err());
        assert!(password("averyLongusername", "AveryLongUsername").is_err());
        let err = password("hunter2", "u").unwrap_err().to_string();
        assert!(!err.contains("hunter2"));
        assert!(password("correct horse battery", "u").is_ok());
    }
}
