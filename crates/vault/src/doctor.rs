//! The consistency report of [`crate::Vault::doctor`].

use std::fmt;

use crate::{AccountId, Entry};

/// What [`crate::Vault::doctor`] found (and, with repair, fixed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Account rows checked.
    pub accounts: usize,
    /// Rows whose keyring entry is missing: the secret is lost; add the account again or
    /// remove it. Never deleted by repair.
    pub lost_secrets: Vec<Entry>,
    /// Rows whose keyring entry exists but cannot be read as a secret, with the reason.
    pub unreadable_secrets: Vec<(Entry, String)>,
    /// Keyring entries of this vault without a row.
    pub orphan_entries: Vec<AccountId>,
    /// Orphan entries deleted by repair.
    pub removed_orphans: Vec<AccountId>,
    /// Entries whose add or remove started less than a minute ago, possibly still running in
    /// another process: left alone.
    pub in_progress: Vec<AccountId>,
    /// Whether the keyring could list its entries (otherwise only the journal finds orphans).
    pub enumerated: bool,
    /// Keygate entries that belong to other vaults (other data directories): left alone.
    pub other_vault_entries: usize,
    /// This vault's application secrets (e.g. the embedded server's key): not orphans.
    pub app_secrets: usize,
    /// Entries under the Keygate service whose name Keygate did not write: left alone.
    pub unrecognised_entries: Vec<String>,
}

impl Report {
    /// Problems still present: lost or unreadable secrets, orphans not (yet) removed.
    pub fn problems_left(&self) -> usize {
        self.lost_secrets.len() + self.unreadable_secrets.len() + self.orphan_entries.len()
            - self.removed_orphans.len()
    }

    /// Whether rows and keyring agree (after any repair).
    pub fn is_healthy(&self) -> bool {
        self.problems_left() == 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} account(s) checked", self.accounts)?;
        for entry in &self.lost_secrets {
            writeln!(
                f,
                "secret lost: {} {} has no keyring entry (add it again, or remove it)",
                entry.id,
                entry.label()
            )?;
        }
        for (entry, reason) in &self.unreadable_secrets {
            writeln!(
                f,
                "secret unreadable: {} {}: {reason}",
                entry.id,
                entry.label()
            )?;
        }
        for id in &self.orphan_entries {
            if self.removed_orphans.contains(id) {
                writeln!(f, "orphan keyring entry {id}: deleted")?;
            } else {
                writeln!(
                    f,
                    "orphan keyring entry {id}: no account uses it (repair deletes it)"
                )?;
            }
        }
        for id in &self.in_progress {
            writeln!(
                f,
                "keyring entry {id}: being added or removed right now, left alone"
            )?;
        }
        if !self.enumerated {
            writeln!(
                f,
                "this keyring cannot list its entries: orphans were looked for in the journal only"
            )?;
        }
        if self.other_vault_entries > 0 {
            writeln!(
                f,
                "{} keyring entr(ies) belong to other Keygate data directories, left alone",
                self.other_vault_entries
            )?;
        }
        for key in &self.unrecognised_entries {
            writeln!(
                f,
                "unrecognised keyring entry {key:?} under service keygate, left alone"
            )?;
        }
        if self.is_healthy() {
            write!(f, "the vault is consistent")
        } else {
            write!(f, "{} problem(s) left", self.problems_left())
        }
    }
}
