//! An unlocked vault: every secret read once and held in memory until dropped.

use std::collections::HashMap;

use keygate_otp::{Account, Kind};

use crate::store::SecretStore;
use crate::{AccountId, Entry, Error, Result, Vault};

/// What unlocking found for one account.
#[derive(Debug)]
pub(crate) enum Slot {
    /// The secret was read.
    Ready(Account),
    /// No keyring entry.
    Missing,
    /// The entry or the row could not be turned into an account (the reason, no secret).
    Unreadable(String),
}

/// The code to show for one account at one instant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Code {
    /// The account.
    pub id: AccountId,
    /// The code, `None` when it cannot be shown without an action (HOTP: advance the counter;
    /// Yandex/mOTP: a PIN) or without a secret (see [`Unlocked::problem`]).
    pub code: Option<String>,
    /// Seconds until a time-based code changes.
    pub seconds_left: Option<u64>,
}

/// The vault's accounts with their secrets, read in one pass by [`Vault::unlock`]. Computing
/// codes never touches the keyring. Secrets are wiped when this is dropped (or [`lock`]ed).
///
/// [`lock`]: Unlocked::lock
#[derive(Debug)]
pub struct Unlocked {
    entries: Vec<Entry>,
    slots: Vec<Slot>,
    index: HashMap<AccountId, usize>,
}

impl Unlocked {
    pub(crate) fn new(entries: Vec<Entry>, slots: Vec<Slot>) -> Self {
        let index = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        Unlocked {
            entries,
            slots,
            index,
        }
    }

    /// The accounts' metadata as of the unlock, in list order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many accounts were unlocked (including those whose secret is unavailable).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the vault has no account.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn slot(&self, id: &AccountId) -> Result<&Slot> {
        self.index
            .get(id)
            .map(|&i| &self.slots[i])
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The account with its secret (e.g. to export it as a QR code).
    pub fn account(&self, id: &AccountId) -> Result<&Account> {
        match self.slot(id)? {
            Slot::Ready(account) => Ok(account),
            Slot::Missing => Err(Error::SecretMissing(*id)),
            Slot::Unreadable(reason) => Err(Error::DamagedRow {
                id: id.to_string(),
                reason: reason.clone(),
            }),
        }
    }

    /// Why an account has no usable secret, `None` when it has one.
    pub fn problem(&self, id: &AccountId) -> Option<String> {
        self.account(id).err().map(|err| err.to_string())
    }

    /// The code of a time-based account at `time` (Unix seconds). HOTP codes come only from
    /// [`Unlocked::hotp_next`], which advances the counter.
    pub fn code_at(&self, id: &AccountId, time: u64) -> Result<String> {
        let account = self.account(id)?;
        if account.kind == Kind::Hotp {
            return Err(Error::HotpOnDemand(*id));
        }
        Ok(account.code_at(time)?)
    }

    /// The code of a Yandex or mOTP account, which needs the user's PIN.
    pub fn code_with_pin_at(&self, id: &AccountId, time: u64, pin: &str) -> Result<String> {
        let account = self.account(id)?;
        if account.kind == Kind::Hotp {
            return Err(Error::HotpOnDemand(*id));
        }
        Ok(account.code_with_pin_at(time, pin)?)
    }

    /// The code now.
    pub fn code_now(&self, id: &AccountId) -> Result<String> {
        self.code_at(id, keygate_otp::unix_now())
    }

    /// Every account's code at `time`, in list order: one refresh of a list view.
    pub fn codes_at(&self, time: u64) -> Vec<Code> {
        self.entries
            .iter()
            .zip(&self.slots)
            .map(|(entry, slot)| {
                let code = match slot {
                    Slot::Ready(account) if account.kind.is_time_based() => {
                        account.code_at(time).ok()
                    }
                    _ => None,
                };
                Code {
                    id: entry.id,
                    code,
                    seconds_left: entry.kind.is_time_based().then(|| {
                        let period = entry.period.max(1);
                        period - time % period
                    }),
                }
            })
            .collect()
    }

    /// Advances the HOTP counter of `id` in `vault` (committed first), then returns the code for
    /// the counter it had, using the secret held here: no keyring call.
    pub fn hotp_next<S: SecretStore>(
        &mut self,
        vault: &Vault<S>,
        id: &AccountId,
    ) -> Result<String> {
        let &index = self
            .index
            .get(id)
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        if self.entries[index].kind != Kind::Hotp {
            return Err(Error::NotHotp(*id));
        }
        // Fail before advancing when there is no secret to compute the code with.
        self.account(id)?;
        let counter = vault.advance_hotp(id)?;
        let Slot::Ready(account) = &mut self.slots[index] else {
            return Err(Error::SecretMissing(*id));
        };
        account.counter = counter;
        let code = account.code_at(0)?;
        account.counter = counter + 1;
        self.entries[index].counter = counter + 1;
        Ok(code)
    }

    /// Forgets every secret now (they are wiped as they are dropped).
    pub fn lock(self) {}
}
