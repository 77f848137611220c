//! Account metadata as listed from the database (never the secret).

use keygate_otp::{Algorithm, Kind};

use crate::AccountId;

/// An account's metadata: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// The account's id.
    pub id: AccountId,
    /// Who issued it, `None` when unknown.
    pub issuer: Option<String>,
    /// The account name (may be empty).
    pub name: String,
    /// The kind of code.
    pub kind: Kind,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: u32,
    /// Seconds per code for time-based kinds.
    pub period: u64,
    /// The next HOTP counter (0 for other kinds).
    pub counter: u64,
    /// Place in the list, 0 first.
    pub position: u32,
    /// When the account was added (Unix seconds).
    pub created: u64,
    /// When its metadata last changed (Unix seconds).
    pub updated: u64,
    /// A free-text note.
    pub note: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Pinned to the top by the user.
    pub favourite: bool,
}

impl Entry {
    /// How the account is shown to people: `Issuer (name)`, or the name alone.
    pub fn label(&self) -> String {
        match (&self.issuer, self.name.is_empty()) {
            (Some(issuer), false) => format!("{issuer} ({})", self.name),
            (Some(issuer), true) => issuer.clone(),
            (None, _) => self.name.clone(),
        }
    }
}

/// What [`crate::Vault::add`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// The account was added.
    Added(Entry),
    /// An account with the same issuer, name and secret already exists; nothing was written.
    Duplicate(Entry),
}

impl AddOutcome {
    /// The added or already existing account.
    pub fn entry(&self) -> &Entry {
        match self {
            AddOutcome::Added(entry) | AddOutcome::Duplicate(entry) => entry,
        }
    }

    /// Whether the account was new.
    pub fn is_added(&self) -> bool {
        matches!(self, AddOutcome::Added(_))
    }
}

/// The kind as stored in the database.
pub(crate) fn kind_from_str(text: &str) -> Option<Kind> {
    [
        Kind::Totp,
        Kind::Hotp,
        Kind::Steam,
        Kind::Yandex,
        Kind::Motp,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [
            Kind::Totp,
            Kind::Hotp,
            Kind::Steam,
            Kind::Yandex,
            Kind::Motp,
        ] {
            assert_eq!(kind_from_str(kind.as_str()), Some(kind));
        }
        assert_eq!(kind_from_str("TOTP"), None);
    }
}
