//! Unit tests of the vault logic with an in-memory store (the real keyring is tested in
//! `tests/keyring.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use keygate_otp::{code, Account, Algorithm, Kind, Secret};

use super::*;
use crate::{CountingStore, MemoryStore};

/// A memory store whose operations can be made to fail the way a locked keyring does, and that
/// can pretend not to enumerate.
#[derive(Default)]
struct FlakyStore {
    inner: MemoryStore,
    fail_store: AtomicBool,
    fail_load: AtomicBool,
    fail_delete: AtomicBool,
    no_listing: AtomicBool,
}

fn locked() -> Error {
    Error::KeyringLocked {
        reason: "test".into(),
    }
}

impl SecretStore for FlakyStore {
    fn store(&self, key: &str, secret: &Secret) -> Result<()> {
        if self.fail_store.load(Ordering::Relaxed) {
            return Err(locked());
        }
        self.inner.store(key, secret)
    }
    fn load(&self, key: &str) -> Result<Option<Secret>> {
        if self.fail_load.load(Ordering::Relaxed) {
            return Err(locked());
        }
        self.inner.load(key)
    }
    fn delete(&self, key: &str) -> Result<()> {
        if self.fail_delete.load(Ordering::Relaxed) {
            return Err(locked());
        }
        self.inner.delete(key)
    }
    fn list_ids(&self) -> Result<Option<Vec<String>>> {
        if self.no_listing.load(Ordering::Relaxed) {
            return Ok(None);
        }
        self.inner.list_ids()
    }
}

struct Fixture<S> {
    vault: Vault<S>,
    dir: tempfile::TempDir,
}

fn fixture() -> Fixture<Arc<CountingStore<MemoryStore>>> {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path(), Arc::new(CountingStore::new(MemoryStore::new()))).unwrap();
    Fixture { vault, dir }
}

fn flaky_fixture() -> Fixture<Arc<FlakyStore>> {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path(), Arc::new(FlakyStore::default())).unwrap();
    Fixture { vault, dir }
}

fn secret(seed: u8) -> Secret {
    Secret::from_bytes(
        (0..20)
            .map(|i| seed.wrapping_mul(31).wrapping_add(i * 7))
            .collect::<Vec<u8>>(),
    )
}

fn totp(issuer: &str, name: &str, seed: u8) -> Account {
    Account::totp(secret(seed), Some(issuer.to_string()), name).unwrap()
}

fn hotp(name: &str, seed: u8, counter: u64) -> Account {
    Account::new(
        Kind::Hotp,
        secret(seed),
        Some("Bank".into()),
        name,
        Algorithm::Sha1,
        6,
        30,
        counter,
    )
    .unwrap()
}

fn added<S: SecretStore>(vault: &Vault<S>, account: &Account) -> Entry {
    match vault.add(account).unwrap() {
        AddOutcome::Added(entry) => entry,
        other => panic!("expected a new account, got {other:?}"),
    }
}

fn journal_len<S: SecretStore>(vault: &Vault<S>) -> i64 {
    vault
        .conn
        .query_row("SELECT count(*) FROM keyring_journal", [], |r| r.get(0))
        .unwrap()
}

/// Makes journal records look old enough for doctor to act on them.
fn age_journal<S: SecretStore>(vault: &Vault<S>) {
    vault
        .conn
        .execute("UPDATE keyring_journal SET at = at - 3600", [])
        .unwrap();
}

#[test]
fn add_stores_the_secret_in_the_store_and_metadata_in_sqlite() {
    let f = fixture();
    let github = added(&f.vault, &totp("GitHub", "alice", 1));
    let gitlab = added(&f.vault, &totp(" GitLab ", " bob ", 2));
    assert_eq!(github.label(), "GitHub (alice)");
    assert_eq!(
        (gitlab.issuer.as_deref(), gitlab.name.as_str()),
        (Some("GitLab"), "bob")
    );
    assert_eq!((github.position, gitlab.position), (0, 1));
    assert_eq!(
        (github.kind, github.digits, github.period),
        (Kind::Totp, 6, 30)
    );
    assert!(github.created > 1_600_000_000 && github.created == github.updated);
    let counts = f.vault.store().counts();
    assert_eq!((counts.store, counts.load, counts.delete), (2, 0, 0));
    let stored = f
        .vault
        .store()
        .load(&f.vault.secret_key(&github.id))
        .unwrap();
    assert_eq!(stored, Some(secret(1)));
    assert_eq!(f.vault.list().unwrap(), vec![github.clone(), gitlab]);
    assert_eq!(f.vault.get(&github.id).unwrap(), github);
    assert_eq!(journal_len(&f.vault), 0);
    assert!(matches!(
        f.vault.get(&AccountId::random()),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn duplicates_are_reported_not_added() {
    let f = fixture();
    let first = added(&f.vault, &totp("GitHub", "alice", 1));
    // Same issuer, name (ignoring ASCII case) and secret: a duplicate, no keyring write.
    let again = f.vault.add(&totp("github", "ALICE", 1)).unwrap();
    assert_eq!(again, AddOutcome::Duplicate(first.clone()));
    assert!(!again.is_added());
    assert_eq!(f.vault.store().counts().store, 1);
    // A different secret, name or issuer is another account.
    assert!(f.vault.add(&totp("GitHub", "alice", 2)).unwrap().is_added());
    assert!(f.vault.add(&totp("GitHub", "bob", 1)).unwrap().is_added());
    assert!(f.vault.add(&totp("Gitea", "alice", 1)).unwrap().is_added());
    // No issuer and an empty issuer are the same.
    let anonymous = Account::totp(secret(9), None, "x").unwrap();
    assert!(f.vault.add(&anonymous).unwrap().is_added());
    let mut blank = anonymous.clone();
    blank.issuer = Some("  ".into());
    assert!(!f.vault.add(&blank).unwrap().is_added());
    assert_eq!(f.vault.list().unwrap().len(), 5);
    // Still detected after reopening (the fingerprint key persists).
    let store = f.vault.store().clone();
    drop(f.vault);
    let vault = Vault::open(f.dir.path(), store).unwrap();
    assert_eq!(
        vault.add(&totp("GitHub", "alice", 1)).unwrap(),
        AddOutcome::Duplicate(first)
    );
}

#[test]
fn add_many_adds_in_order_and_reports_duplicates() {
    let f = fixture();
    let accounts = [totp("A", "1", 1), totp("B", "2", 2), totp("A", "1", 1)];
    let results = f.vault.add_many(&accounts);
    let outcomes: Vec<bool> = results
        .iter()
        .map(|r| r.as_ref().unwrap().is_added())
        .collect();
    assert_eq!(outcomes, [true, true, false]);
    let names: Vec<String> = f.vault.list().unwrap().iter().map(|e| e.label()).collect();
    assert_eq!(names, ["A (1)", "B (2)"]);
}

#[test]
fn add_many_stops_trying_after_the_keyring_fails() {
    let f = flaky_fixture();
    f.vault.store().fail_store.store(true, Ordering::Relaxed);
    let results = f.vault.add_many(&[totp("A", "1", 1), totp("B", "2", 2)]);
    assert!(matches!(results[0], Err(Error::KeyringLocked { .. })));
    assert!(matches!(results[1], Err(Error::NotAttempted)));
    assert!(f.vault.list().unwrap().is_empty());
}

#[test]
fn a_failed_row_commit_deletes_the_keyring_entry_again() {
    let f = fixture();
    let kept = added(&f.vault, &totp("Kept", "k", 7));
    f.vault
        .conn
        .execute_batch(
            "CREATE TRIGGER fail_insert BEFORE INSERT ON accounts
             BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;",
        )
        .unwrap();
    let err = f.vault.add(&totp("GitHub", "alice", 1)).unwrap_err();
    assert!(err.to_string().contains("simulated disk failure"), "{err}");
    let counts = f.vault.store().counts();
    assert_eq!(
        (counts.store, counts.delete),
        (2, 1),
        "written, then cleaned up"
    );
    let keys = f.vault.store().list_ids().unwrap().unwrap();
    assert_eq!(keys, vec![f.vault.secret_key(&kept.id)], "no orphan left");
    assert_eq!(journal_len(&f.vault), 0);
    assert_eq!(f.vault.list().unwrap(), vec![kept]);
}

#[test]
fn a_failed_keyring_write_adds_nothing() {
    let f = flaky_fixture();
    f.vault.store().fail_store.store(true, Ordering::Relaxed);
    let err = f.vault.add(&totp("GitHub", "alice", 1)).unwrap_err();
    assert!(err.to_string().contains("the keyring is locked"), "{err}");
    assert!(f.vault.list().unwrap().is_empty());
    assert_eq!(journal_len(&f.vault), 0);
}

#[test]
fn a_crash_between_keyring_write_and_row_commit_is_repaired_by_doctor() {
    // Row commit fails and so does the cleanup (as if the process died in between): the
    // journal keeps the key, and doctor finds the orphan even without listing the keyring.
    let f = flaky_fixture();
    f.vault
        .conn
        .execute_batch(
            "CREATE TRIGGER fail_insert BEFORE INSERT ON accounts
             BEGIN SELECT RAISE(ABORT, 'simulated crash'); END;",
        )
        .unwrap();
    f.vault.store().fail_delete.store(true, Ordering::Relaxed);
    f.vault.add(&totp("GitHub", "alice", 1)).unwrap_err();
    f.vault
        .conn
        .execute_batch("DROP TRIGGER fail_insert")
        .unwrap();
    f.vault.store().fail_delete.store(false, Ordering::Relaxed);
    f.vault.store().no_listing.store(true, Ordering::Relaxed);
    assert_eq!(f.vault.store().inner.len(), 1);
    assert_eq!(journal_len(&f.vault), 1);

    // Fresh journal records may belong to an add still running elsewhere: left alone.
    let report = f.vault.doctor(true).unwrap();
    assert_eq!(report.in_progress.len(), 1);
    assert!(report.orphan_entries.is_empty());
    assert_eq!(f.vault.store().inner.len(), 1);

    age_journal(&f.vault);
    let report = f.vault.doctor(false).unwrap();
    assert!(!report.enumerated);
    assert_eq!(report.orphan_entries.len(), 1);
    assert!(!report.is_healthy());
    assert_eq!(f.vault.store().inner.len(), 1, "no repair without --repair");
    let report = f.vault.doctor(true).unwrap();
    assert_eq!(report.removed_orphans, report.orphan_entries);
    assert!(report.is_healthy(), "{report}");
    assert!(f.vault.store().inner.is_empty());
    assert_eq!(journal_len(&f.vault), 0);
}

#[test]
fn find_by_id_prefix_label_or_substring() {
    let f = fixture();
    let alice = added(&f.vault, &totp("GitHub", "alice@example.com", 1));
    let bob = added(&f.vault, &totp("GitHub", "bob@example.com", 2));
    let gitlab = added(&f.vault, &totp("GitLab", "alice@example.com", 3));
    let id = alice.id.to_string();
    assert_eq!(f.vault.find(&id).unwrap().id, alice.id);
    assert_eq!(f.vault.find(&id[..8].to_uppercase()).unwrap().id, alice.id);
    assert_eq!(f.vault.find("github:BOB@example.com").unwrap().id, bob.id);
    assert_eq!(f.vault.find("gitlab").unwrap().id, gitlab.id);
    assert_eq!(f.vault.find("  bob@ ").unwrap().id, bob.id);
    let err = f.vault.find("github").unwrap_err();
    match &err {
        Error::Ambiguous { candidates, .. } => {
            assert_eq!(candidates.len(), 2);
            assert!(candidates[0].contains(&alice.id.short()));
            assert!(candidates[0].contains("GitHub (alice@example.com)"));
        }
        other => panic!("expected an ambiguity, got {other:?}"),
    }
    assert!(err.to_string().contains("matches 2 accounts"), "{err}");
    assert!(matches!(
        f.vault.find("alice"),
        Err(Error::Ambiguous { .. })
    ));
    assert!(matches!(f.vault.find("nobody"), Err(Error::NotFound(_))));
    assert!(matches!(f.vault.find("  "), Err(Error::EmptyQuery)));
}

#[test]
fn remove_deletes_row_then_keyring_entry() {
    let f = fixture();
    let entry = added(&f.vault, &totp("GitHub", "alice", 1));
    let key = f.vault.secret_key(&entry.id);
    assert_eq!(f.vault.remove(&entry.id).unwrap(), entry);
    assert!(f.vault.list().unwrap().is_empty());
    assert_eq!(f.vault.store().load(&key).unwrap(), None);
    assert_eq!(journal_len(&f.vault), 0);
    assert!(matches!(f.vault.remove(&entry.id), Err(Error::NotFound(_))));
    // The same account can be added again afterwards.
    assert!(f.vault.add(&totp("GitHub", "alice", 1)).unwrap().is_added());
}

#[test]
fn remove_with_a_locked_keyring_leaves_a_journaled_orphan_for_doctor() {
    let f = flaky_fixture();
    let entry = added(&f.vault, &totp("GitHub", "alice", 1));
    f.vault.store().fail_delete.store(true, Ordering::Relaxed);
    let err = f.vault.remove(&entry.id).unwrap_err();
    assert!(matches!(err, Error::CleanupPending { .. }));
    assert!(err.to_string().contains("keygate doctor --repair"), "{err}");
    assert!(f.vault.list().unwrap().is_empty());
    f.vault.store().fail_delete.store(false, Ordering::Relaxed);
    age_journal(&f.vault);
    let report = f.vault.doctor(true).unwrap();
    assert_eq!(report.removed_orphans, vec![entry.id]);
    assert!(f.vault.store().inner.is_empty());
    assert_eq!(journal_len(&f.vault), 0);
}

#[test]
fn rename_note_tags_favourite() {
    let f = fixture();
    let entry = added(&f.vault, &totp("GitHub", "alice", 1));
    let renamed = f
        .vault
        .rename(&entry.id, Some(" Codeberg "), " al ")
        .unwrap();
    assert_eq!(renamed.label(), "Codeberg (al)");
    assert_eq!(
        f.vault.rename(&entry.id, Some(""), "al").unwrap().issuer,
        None
    );
    let noted = f
        .vault
        .set_note(&entry.id, Some("  recovery codes in the safe "))
        .unwrap();
    assert_eq!(noted.note.as_deref(), Some("recovery codes in the safe"));
    assert_eq!(f.vault.set_note(&entry.id, Some(" ")).unwrap().note, None);
    let tagged = f
        .vault
        .set_tags(&entry.id, &["work", " ops ", "work", ""])
        .unwrap();
    assert_eq!(tagged.tags, ["ops", "work"]);
    assert_eq!(f.vault.list().unwrap()[0].tags, ["ops", "work"]);
    assert!(f.vault.set_favourite(&entry.id, true).unwrap().favourite);
    assert!(f
        .vault
        .set_tags::<&str>(&entry.id, &[])
        .unwrap()
        .tags
        .is_empty());
    let missing = AccountId::random();
    assert!(matches!(
        f.vault.rename(&missing, None, "x"),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        f.vault.set_tags(&missing, &["x"]),
        Err(Error::NotFound(_))
    ));
    // Removing cascades to the tags.
    f.vault.set_tags(&entry.id, &["x"]).unwrap();
    f.vault.remove(&entry.id).unwrap();
    let tags: i64 = f
        .vault
        .conn
        .query_row("SELECT count(*) FROM account_tags", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tags, 0);
}

#[test]
fn rename_into_a_duplicate_is_refused() {
    let f = fixture();
    let alice = added(&f.vault, &totp("GitHub", "alice", 1));
    let other = added(&f.vault, &totp("GitHub", "old-alice", 1));
    let err = f
        .vault
        .rename(&other.id, Some("GitHub"), "Alice")
        .unwrap_err();
    assert!(
        matches!(err, Error::WouldDuplicate(id) if id == alice.id),
        "{err}"
    );
    assert_eq!(f.vault.get(&other.id).unwrap().name, "old-alice");
}

#[test]
fn move_to_reorders_densely() {
    let f = fixture();
    let ids: Vec<AccountId> = (0..4)
        .map(|i| added(&f.vault, &totp("I", &format!("n{i}"), i)).id)
        .collect();
    let order = |vault: &Vault<_>| -> Vec<(AccountId, u32)> {
        vault
            .list()
            .unwrap()
            .iter()
            .map(|e| (e.id, e.position))
            .collect()
    };
    f.vault.move_to(&ids[3], 0).unwrap();
    assert_eq!(
        order(&f.vault),
        [(ids[3], 0), (ids[0], 1), (ids[1], 2), (ids[2], 3)]
    );
    f.vault.move_to(&ids[3], 99).unwrap();
    assert_eq!(
        order(&f.vault),
        [(ids[0], 0), (ids[1], 1), (ids[2], 2), (ids[3], 3)]
    );
    f.vault.move_to(&ids[0], 2).unwrap();
    assert_eq!(
        order(&f.vault),
        [(ids[1], 0), (ids[2], 1), (ids[0], 2), (ids[3], 3)]
    );
    // New accounts go last.
    let new = added(&f.vault, &totp("I", "new", 9));
    assert_eq!(new.position, 4);
    assert!(matches!(
        f.vault.move_to(&AccountId::random(), 0),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn unlock_reads_each_secret_once_and_refreshes_without_the_store() {
    let f = fixture();
    let accounts: Vec<Account> = (0..50)
        .map(|i| totp("Svc", &format!("user{i}"), i))
        .collect();
    for account in &accounts {
        added(&f.vault, account);
    }
    let steam = added(
        &f.vault,
        &Account::totp(secret(200), Some("Steam".into()), "gamer").unwrap(),
    );
    let counter = added(&f.vault, &hotp("hotp", 201, 5));
    f.vault.store().reset();

    let unlocked = f.vault.unlock().unwrap();
    assert_eq!(f.vault.store().counts().load, 52);
    assert_eq!(f.vault.store().counts().total(), 52, "one pass, loads only");
    assert_eq!(unlocked.len(), 52);
    f.vault.store().reset();
    for time in [59u64, 1_111_111_109, 2_000_000_000] {
        let codes = unlocked.codes_at(time);
        assert_eq!(codes.len(), 52);
        for (code, account) in codes.iter().zip(&accounts) {
            assert_eq!(
                code.code.as_deref(),
                Some(account.code_at(time).unwrap().as_str())
            );
            assert_eq!(code.seconds_left, Some(30 - time % 30));
        }
        assert_eq!(
            codes[50].code.as_deref(),
            Some(code::steam(&secret(200), time).as_str())
        );
        assert_eq!(unlocked.code_at(&steam.id, time).unwrap().len(), 5);
        assert_eq!(
            (codes[51].code.as_ref(), codes[51].seconds_left),
            (None, None)
        );
    }
    assert_eq!(
        f.vault.store().counts().total(),
        0,
        "refreshing never touches the store"
    );
    assert!(matches!(
        unlocked.code_at(&counter.id, 0),
        Err(Error::HotpOnDemand(_))
    ));
    assert!(matches!(
        unlocked.code_at(&AccountId::random(), 0),
        Err(Error::NotFound(_))
    ));
    unlocked.lock();
}

#[test]
fn unlock_marks_missing_secrets_and_fails_on_a_locked_keyring() {
    let f = flaky_fixture();
    let good = added(&f.vault, &totp("A", "a", 1));
    let lost = added(&f.vault, &totp("B", "b", 2));
    f.vault
        .store()
        .inner
        .delete(&f.vault.secret_key(&lost.id))
        .unwrap();
    let unlocked = f.vault.unlock().unwrap();
    assert!(unlocked.code_at(&good.id, 0).is_ok());
    assert!(unlocked.problem(&good.id).is_none());
    assert!(matches!(
        unlocked.code_at(&lost.id, 0),
        Err(Error::SecretMissing(_))
    ));
    assert!(unlocked
        .problem(&lost.id)
        .unwrap()
        .contains("keygate doctor"));
    assert_eq!(unlocked.codes_at(0)[1].code, None);

    f.vault.store().fail_load.store(true, Ordering::Relaxed);
    let err = f.vault.unlock().unwrap_err();
    assert!(err.to_string().contains("unlock it"), "{err}");
}

#[test]
fn hotp_next_commits_the_counter_before_returning_the_code() {
    let f = fixture();
    let entry = added(&f.vault, &hotp("alice", 3, 5));
    let first = f.vault.hotp_next(&entry.id).unwrap();
    assert_eq!(
        first,
        code::hotp(&secret(3), 5, Algorithm::Sha1, 6).unwrap()
    );
    assert_eq!(f.vault.get(&entry.id).unwrap().counter, 6);
    let second = f.vault.hotp_next(&entry.id).unwrap();
    assert_eq!(
        second,
        code::hotp(&secret(3), 6, Algorithm::Sha1, 6).unwrap()
    );
    // Committed: another connection sees it.
    let store = f.vault.store().clone();
    let reopened = Vault::open(f.dir.path(), store).unwrap();
    assert_eq!(reopened.get(&entry.id).unwrap().counter, 7);

    let totp_entry = added(&f.vault, &totp("T", "t", 4));
    assert!(matches!(
        f.vault.hotp_next(&totp_entry.id),
        Err(Error::NotHotp(_))
    ));
}

#[test]
fn hotp_next_does_not_use_up_a_counter_when_the_keyring_is_locked() {
    let f = flaky_fixture();
    let entry = added(&f.vault, &hotp("alice", 3, 5));
    f.vault.store().fail_load.store(true, Ordering::Relaxed);
    assert!(matches!(
        f.vault.hotp_next(&entry.id),
        Err(Error::KeyringLocked { .. })
    ));
    assert_eq!(f.vault.get(&entry.id).unwrap().counter, 5);
}

#[test]
fn unlocked_hotp_next_uses_memory_and_commits() {
    let f = fixture();
    let entry = added(&f.vault, &hotp("alice", 3, 0));
    let mut unlocked = f.vault.unlock().unwrap();
    f.vault.store().reset();
    let codes: Vec<String> = (0..3)
        .map(|_| unlocked.hotp_next(&f.vault, &entry.id).unwrap())
        .collect();
    let expected: Vec<String> = (0..3)
        .map(|c| code::hotp(&secret(3), c, Algorithm::Sha1, 6).unwrap())
        .collect();
    assert_eq!(codes, expected);
    assert_eq!(f.vault.store().counts().total(), 0);
    assert_eq!(f.vault.get(&entry.id).unwrap().counter, 3);
    assert_eq!(unlocked.entries()[0].counter, 3);
    // A counter advanced elsewhere (another process) is respected.
    f.vault.hotp_next(&entry.id).unwrap();
    assert_eq!(
        unlocked.hotp_next(&f.vault, &entry.id).unwrap(),
        code::hotp(&secret(3), 4, Algorithm::Sha1, 6).unwrap()
    );
}

#[test]
fn doctor_reports_and_repairs_orphans_but_keeps_lost_rows() {
    let f = fixture();
    let kept = added(&f.vault, &totp("A", "a", 1));
    let lost = added(&f.vault, &totp("B", "b", 2));
    assert!(f.vault.doctor(false).unwrap().is_healthy());
    let store = f.vault.store();
    store.delete(&f.vault.secret_key(&lost.id)).unwrap();
    let orphan = AccountId::random();
    store
        .store(&f.vault.secret_key(&orphan), &secret(3))
        .unwrap();
    let other_vault = format!("{}/{}", Uuid::new_v4(), AccountId::random());
    store.store(&other_vault, &secret(4)).unwrap();
    store.store("hand-made", &secret(5)).unwrap();

    let report = f.vault.doctor(false).unwrap();
    assert_eq!(report.accounts, 2);
    assert!(report.enumerated);
    assert_eq!(report.lost_secrets, vec![lost.clone()]);
    assert_eq!(report.orphan_entries, vec![orphan]);
    assert!(report.removed_orphans.is_empty());
    assert_eq!(report.other_vault_entries, 1);
    assert_eq!(report.unrecognised_entries, ["hand-made"]);
    assert_eq!(report.problems_left(), 2);
    let text = report.to_string();
    assert!(
        text.contains(&format!("secret lost: {}", lost.id)),
        "{text}"
    );
    assert!(text.contains("repair deletes it"), "{text}");

    let report = f.vault.doctor(true).unwrap();
    assert_eq!(report.removed_orphans, vec![orphan]);
    assert_eq!(
        report.problems_left(),
        1,
        "the lost secret is reported, not fixed"
    );
    assert_eq!(store.load(&f.vault.secret_key(&orphan)).unwrap(), None);
    assert!(
        store.load(&other_vault).unwrap().is_some(),
        "other vaults untouched"
    );
    assert!(store.load("hand-made").unwrap().is_some());
    assert!(store.load(&f.vault.secret_key(&kept.id)).unwrap().is_some());
    assert_eq!(
        f.vault.list().unwrap().len(),
        2,
        "rows are never deleted by repair"
    );
}

#[test]
fn sqlite_files_hold_no_secret() {
    let f = fixture();
    let secrets: Vec<Secret> = (0..5).map(|i| secret(100 + i)).collect();
    for (i, s) in secrets.iter().enumerate() {
        added(
            &f.vault,
            &Account::totp(s.clone(), Some("Svc".into()), format!("u{i}")).unwrap(),
        );
    }
    let mut bytes = Vec::new();
    for name in ["vault.sqlite3", "vault.sqlite3-wal"] {
        bytes.extend(std::fs::read(f.dir.path().join(name)).unwrap_or_default());
    }
    assert!(bytes.len() > 4096);
    for s in &secrets {
        let raw = s.expose();
        assert!(!bytes.windows(raw.len()).any(|w| w == raw));
        let text = s.to_base32();
        assert!(!bytes.windows(text.len()).any(|w| w == text.as_bytes()));
    }
}

#[test]
fn values_sqlite_cannot_hold_are_refused() {
    let f = fixture();
    let huge = hotp("x", 1, u64::MAX);
    let err = f.vault.add(&huge).unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooLarge {
                field: "counter",
                ..
            }
        ),
        "{err}"
    );
    assert!(f.vault.list().unwrap().is_empty());
    assert_eq!(f.vault.store().counts().store, 0);
}

#[test]
fn damaged_rows_are_reported_not_panicked_on() {
    let f = fixture();
    let entry = added(&f.vault, &totp("A", "a", 1));
    f.vault
        .conn
        .execute("PRAGMA ignore_check_constraints = ON", [])
        .unwrap();
    f.vault
        .conn
        .execute(
            "UPDATE accounts SET algorithm = 'MD4' WHERE id = ?1",
            [entry.id.to_string()],
        )
        .unwrap();
    let err = f.vault.list().unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
}

#[test]
fn long_ambiguities_are_cut_short() {
    let f = fixture();
    for i in 0..12 {
        added(&f.vault, &totp("Many", &format!("n{i}"), i));
    }
    let err = f.vault.find("many").unwrap_err();
    match &err {
        Error::Ambiguous {
            count, candidates, ..
        } => {
            assert_eq!(*count, 12);
            assert_eq!(candidates.len(), MAX_CANDIDATES + 1);
            assert_eq!(candidates.last().unwrap(), "and 2 more");
        }
        other => panic!("expected an ambiguity, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("\"many\" matches 12 accounts: "),
        "{err}"
    );
}

#[test]
fn app_secrets_are_created_once_and_known_to_doctor() {
    let f = fixture();
    added(&f.vault, &totp("A", "a", 1));
    let first = f.vault.app_secret("embedded-server", 32).unwrap();
    assert_eq!(first.expose().len(), 32);
    let again = f.vault.app_secret("embedded-server", 32).unwrap();
    assert_eq!(first.expose(), again.expose());
    let other = f.vault.app_secret("other", 32).unwrap();
    assert_ne!(first.expose(), other.expose());
    assert!(matches!(
        f.vault.app_secret("../x", 32),
        Err(Error::InvalidAppSecretName(_))
    ));
    // Another vault's application secret is that vault's, not an unknown entry.
    let foreign = format!("{}/app.embedded-server", Uuid::new_v4());
    f.vault.store().store(&foreign, &secret(9)).unwrap();

    let report = f.vault.doctor(true).unwrap();
    assert!(report.is_healthy(), "{report}");
    assert_eq!(report.app_secrets, 2);
    assert_eq!(report.other_vault_entries, 1);
    assert!(report.unrecognised_entries.is_empty());
    assert!(report.orphan_entries.is_empty());
    // Repair left the application secret alone.
    let kept = f.vault.app_secret("embedded-server", 32).unwrap();
    assert_eq!(first.expose(), kept.expose());
}
