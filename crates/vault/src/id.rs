//! Account ids: random UUIDs, shown in full or by a unique prefix.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::Error;

/// An account's id: a random (v4) UUID, written lower-case with hyphens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Uuid);

impl AccountId {
    /// A new random id.
    pub fn random() -> Self {
        AccountId(Uuid::new_v4())
    }

    /// The first 8 characters, enough to tell accounts apart in a listing.
    pub fn short(&self) -> String {
        self.to_string()[..8].to_string()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for AccountId {
    type Err = Error;

    /// Parses a full UUID (any case, with or without hyphens).
    fn from_str(text: &str) -> Result<Self, Error> {
        Uuid::parse_str(text.trim())
            .map(AccountId)
            .map_err(|_| Error::InvalidId(text.chars().take(64).collect()))
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let id = AccountId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_lowercase());
        assert_eq!(text.parse::<AccountId>().unwrap(), id);
        assert_eq!(text.to_uppercase().parse::<AccountId>().unwrap(), id);
        assert_eq!(id.short(), text[..8]);
        assert_ne!(AccountId::random(), id);
        let err = "not-a-uuid".parse::<AccountId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"not-a-uuid\" is not an account id (expected a UUID)"
        );
    }
}
