//! The vault against a real Secret Service (gnome-keyring on a private D-Bus session).
//!
//! Ignored by default (`cargo test` needs no keyring); run them with
//! `scripts/with-keyring.sh cargo test -p keygate-vault -- --include-ignored`, as
//! `scripts/test.sh` does. Without a session bus they fail saying so; they refuse to run on a
//! bus that with-keyring.sh did not set up, so a real keyring is never filled.
//!
//! Some checks need a fresh process (the keyring library sets its store up once per process,
//! and a "kill" must be real): they re-run this test binary with `KEYGATE_TEST_CHILD=<role>`,
//! which makes the ignored test `child_process` act out that role.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use keygate_otp::{code, Account, Algorithm, Kind, Secret};
use keygate_vault::{
    AccountId, AddOutcome, CountingStore, Entry, Error, KeyringStore, SecretStore, Vault,
    DATABASE_FILE, KEYRING_SERVICE,
};

const CHILD_ROLE: &str = "KEYGATE_TEST_CHILD";
/// Test-harness arguments that run only the `child_process` helper.
const CHILD_ARGS: [&str; 5] = [
    "child_process",
    "--exact",
    "--ignored",
    "--nocapture",
    "--test-threads=1",
];
/// The instant the codes are compared at (any fixed time does).
const TIME: u64 = 1_700_000_000;

// --- set-up -------------------------------------------------------------------------------

/// Panics with what to do when the keyring tests cannot run here.
fn require_keyring() {
    init_logs();
    let problem = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        Some("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")
    } else if std::env::var("KEYGATE_TEST_KEYRING").as_deref() != Ok("1") {
        Some("this session bus was not set up by scripts/with-keyring.sh (KEYGATE_TEST_KEYRING is unset), and the tests must not touch your real keyring")
    } else {
        None
    };
    if let Some(problem) = problem {
        panic!(
            "{problem}: run the tests under scripts/with-keyring.sh, e.g. \
             `scripts/with-keyring.sh cargo test -p keygate-vault -- --include-ignored`"
        );
    }
}

/// Everything logged by this process (our crate, zbus, keyring-core), to search for secrets.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogSink;

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| LogSink)
            .with_ansi(false)
            .finish()
            .try_init()
            .expect("no other log subscriber");
    });
}

fn logs() -> Vec<u8> {
    LOGS.lock().unwrap().clone()
}

fn random_secret() -> Secret {
    // 160 random bits, as services issue them; a fresh UUID's bytes are random enough here.
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(&uuid::Uuid::new_v4().as_bytes()[..4]);
    Secret::from_bytes(bytes)
}

fn totp(issuer: &str, name: &str, secret: &Secret) -> Account {
    Account::totp(secret.clone(), Some(issuer.into()), name).unwrap()
}

fn keyring_vault(dir: &Path) -> Vault<KeyringStore> {
    Vault::open(
        dir,
        KeyringStore::new().expect("the test keyring is reachable"),
    )
    .unwrap()
}

fn added<S: SecretStore>(vault: &Vault<S>, account: &Account) -> Entry {
    match vault.add(account).unwrap() {
        AddOutcome::Added(entry) => entry,
        other => panic!("expected a new account, got {other:?}"),
    }
}

/// `secret-tool lookup service keygate username KEY`: the entry's text, `None` when absent.
fn secret_tool_lookup(key: &str) -> Option<String> {
    let output = Command::new("secret-tool")
        .args(["lookup", "service", KEYRING_SERVICE, "username", key])
        .output()
        .expect("secret-tool is installed (apt-get install libsecret-tools)");
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The SQLite database and its WAL, as bytes.
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{DATABASE_FILE}{suffix}"));
        bytes.extend(std::fs::read(path).unwrap_or_default());
    }
    bytes
}

/// Runs this test binary again as `role`, with `env`.
fn run_child(role: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(CHILD_ARGS).env(CHILD_ROLE, role);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// The `KEYGATE: key value` lines a child printed.
fn child_report(output: &Output) -> HashMap<String, String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // The harness prints "test child_process ... " before the first line.
        .filter_map(|line| line.split_once("KEYGATE: ").map(|(_, rest)| rest))
        .filter_map(|line| line.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn with_keyring_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring.sh")
}

// --- the roles child processes play --------------------------------------------------------

#[test]
#[ignore = "a helper: other tests run it in a child process with KEYGATE_TEST_CHILD set"]
fn child_process() {
    // Not a test of its own: `--include-ignored` runs it in the parent too, with no role.
    let Ok(role) = std::env::var(CHILD_ROLE) else {
        return;
    };
    // The data directory comes through KEYGATE_DATA_DIR, as for the keygate command.
    let dir = keygate_vault::resolve_data_dir(None).unwrap();
    match role.as_str() {
        "codes" => {
            let vault = keyring_vault(&dir);
            let unlocked = vault.unlock().unwrap();
            for code in unlocked.codes_at(TIME) {
                println!("KEYGATE: {} {}", code.id, code.code.unwrap_or_default());
            }
        }
        "hotp-then-die" => {
            let vault = keyring_vault(&dir);
            let id: AccountId = std::env::var("KEYGATE_TEST_ID").unwrap().parse().unwrap();
            let code = vault.hotp_next(&id).unwrap();
            println!("KEYGATE: code {code}");
            std::io::stdout().flush().unwrap();
            // Killed right after the code is shown: nothing may be lost.
            std::process::abort();
        }
        "no-bus" => {
            let err = KeyringStore::new().unwrap_err();
            println!("KEYGATE: error {err}");
        }
        "locked-setup" => {
            let vault = keyring_vault(&dir);
            let account = Account::new(
                Kind::Hotp,
                random_secret(),
                Some("Bank".into()),
                "locked",
                Algorithm::Sha1,
                6,
                30,
                3,
            )
            .unwrap();
            let id = added(&vault, &account).id;
            println!("KEYGATE: id {id}");
        }
        "locked" => {
            let vault = keyring_vault(&dir);
            let before = vault.list().unwrap();
            let entry = &before[0];
            let report = |name: &str, err: Error| {
                assert!(
                    matches!(err, Error::KeyringLocked { .. }),
                    "{name}: expected a locked-keyring error, got {err:?}"
                );
                println!("KEYGATE: {name} {err}");
            };
            report("unlock", vault.unlock().unwrap_err());
            report("load", vault.load_account(&entry.id).unwrap_err());
            report("hotp", vault.hotp_next(&entry.id).unwrap_err());
            let new = totp("New", "n", &random_secret());
            report("add", vault.add(&new).unwrap_err());
            // Nothing changed: no row added, the counter not used up.
            let after = vault.list().unwrap();
            println!("KEYGATE: rows {}", after.len());
            println!("KEYGATE: counter {}", after[0].counter);
        }
        other => panic!("unknown child role {other}"),
    }
}

// --- tests ---------------------------------------------------------------------------------

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn codes_survive_a_reopen_in_another_process() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let secrets: Vec<Secret> = (0..3).map(|_| random_secret()).collect();
    let accounts = vec![
        totp("GitHub", "alice@example.com", &secrets[0]),
        Account::new(
            Kind::Totp,
            secrets[1].clone(),
            Some("AWS".into()),
            "root",
            Algorithm::Sha256,
            8,
            60,
            0,
        )
        .unwrap(),
        totp("Steam", "gamer", &secrets[2]),
    ];
    let ids: Vec<AccountId> = {
        let vault = keyring_vault(dir.path());
        accounts.iter().map(|a| added(&vault, a).id).collect()
    };
    let dir_text = dir.path().to_str().unwrap();
    let output = run_child("codes", &[("KEYGATE_DATA_DIR", dir_text)]);
    assert!(output.status.success(), "{}", describe(&output));
    let codes = child_report(&output);
    assert_eq!(codes.len(), 3, "{}", describe(&output));
    for (id, account) in ids.iter().zip(&accounts) {
        let expected = account.code_at(TIME).unwrap();
        assert_eq!(codes[&id.to_string()], expected, "{}", account.name);
    }
    assert_eq!(
        codes[&ids[2].to_string()].len(),
        5,
        "Steam codes are 5 letters"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn sqlite_and_logs_hold_no_secret() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = keyring_vault(dir.path());
    let secrets: Vec<Secret> = (0..5).map(|_| random_secret()).collect();
    let mut ids = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        ids.push(added(&vault, &totp("Svc", &format!("user{i}"), secret)).id);
    }
    let unlocked = vault.unlock().unwrap();
    assert_eq!(unlocked.codes_at(TIME).len(), 5);
    vault.remove(&ids[4]).unwrap();

    let bytes = database_bytes(dir.path());
    assert!(bytes.len() > 8192, "the database and its WAL were read");
    let logs = logs();
    let log_text = String::from_utf8_lossy(&logs);
    assert!(log_text.contains("added an account"), "logs were captured");
    for (secret, id) in secrets.iter().zip(&ids) {
        let base32 = secret.to_base32();
        let lower = base32.to_lowercase();
        let hex = secret.to_hex();
        for needle in [
            secret.expose(),
            base32.as_bytes(),
            lower.as_bytes(),
            hex.as_bytes(),
        ] {
            assert!(!contains(&bytes, needle), "a secret is in the SQLite files");
            assert!(!contains(&logs, needle), "a secret is in the logs");
        }
        // ...while the keyring does hold it, as base32 text.
        if *id != ids[4] {
            let stored = secret_tool_lookup(&vault.secret_key(id)).unwrap();
            assert_eq!(stored, *base32);
        }
    }
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn duplicates_are_reported_not_added_twice() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = keyring_vault(dir.path());
    let secret = random_secret();
    let first = added(&vault, &totp("GitHub", "alice", &secret));
    match vault.add(&totp("GitHub", "alice", &secret)).unwrap() {
        AddOutcome::Duplicate(existing) => assert_eq!(existing.id, first.id),
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert!(vault
        .add(&totp("GitHub", "alice", &random_secret()))
        .unwrap()
        .is_added());
    assert_eq!(vault.list().unwrap().len(), 2);
    let mine = vault
        .store()
        .list_ids()
        .unwrap()
        .expect("the Secret Service can be searched")
        .into_iter()
        .filter(|key| key.starts_with(&vault.secret_key(&first.id)[..36]))
        .count();
    assert_eq!(mine, 2, "one keyring entry per account");
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn remove_deletes_the_keyring_entry() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = keyring_vault(dir.path());
    let secret = random_secret();
    let entry = added(&vault, &totp("GitHub", "alice", &secret));
    let key = vault.secret_key(&entry.id);
    assert_eq!(
        secret_tool_lookup(&key).as_deref(),
        Some(secret.to_base32().as_str())
    );
    assert_eq!(vault.load_account(&entry.id).unwrap().secret, secret);
    vault.remove(&entry.id).unwrap();
    assert_eq!(secret_tool_lookup(&key), None);
    assert_eq!(vault.store().load(&key).unwrap(), None);
    assert!(vault.list().unwrap().is_empty());
    assert!(vault.doctor(false).unwrap().is_healthy());
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn the_app_password_is_an_argon2id_hash_in_the_keyring() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = keyring_vault(dir.path());
    let entry = added(&vault, &totp("GitHub", "alice", &random_secret()));
    let vault_id = vault
        .secret_key(&entry.id)
        .split_once('/')
        .unwrap()
        .0
        .to_string();
    let key = format!("{vault_id}/app.password");
    assert!(!vault.has_app_password().unwrap());
    vault.set_app_password(None, Some("correct horse")).unwrap();

    // In the keyring (base32 of the PHC string), not in SQLite; doctor knows it as the vault's.
    let stored = secret_tool_lookup(&key).expect("the hash is in the keyring");
    let phc = String::from_utf8(Secret::from_base32(&stored).unwrap().expose().to_vec()).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(!contains(&database_bytes(dir.path()), b"correct horse"));
    assert!(!contains(&database_bytes(dir.path()), b"argon2"));
    let report = vault.doctor(false).unwrap();
    assert!(report.is_healthy());
    assert_eq!(report.app_secrets, 1);

    // The same data directory opened again (another process would do the same) needs it too.
    let again = keyring_vault(dir.path());
    assert!(again.has_app_password().unwrap());
    assert!(again.check_app_password("correct horse").unwrap());
    assert!(matches!(
        again.verify_app_password(Some("wrong horse")),
        Err(Error::WrongAppPassword)
    ));
    again.set_app_password(Some("correct horse"), None).unwrap();
    assert_eq!(secret_tool_lookup(&key), None);
    assert!(!vault.has_app_password().unwrap());
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn doctor_reports_and_repairs_orphans() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = keyring_vault(dir.path());
    let kept = added(&vault, &totp("Kept", "k", &random_secret()));
    let lost = added(&vault, &totp("Lost", "l", &random_secret()));
    // Another vault (another data directory) shares the keyring: its entries are not orphans.
    let other_dir = tempfile::tempdir().unwrap();
    let other = keyring_vault(other_dir.path());
    let neighbour = added(&other, &totp("Neighbour", "n", &random_secret()));
    assert!(vault.doctor(false).unwrap().is_healthy());

    // By hand, with the real tools: an entry with no row, and a row whose entry is gone.
    let orphan = AccountId::random();
    let orphan_key = vault.secret_key(&orphan);
    let mut store = Command::new("secret-tool")
        .args([
            "store",
            "--label=orphan",
            "service",
            KEYRING_SERVICE,
            "username",
            &orphan_key,
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    store
        .stdin
        .take()
        .unwrap()
        .write_all(random_secret().to_base32().as_bytes())
        .unwrap();
    assert!(store.wait().unwrap().success());
    let cleared = Command::new("secret-tool")
        .args([
            "clear",
            "service",
            KEYRING_SERVICE,
            "username",
            &vault.secret_key(&lost.id),
        ])
        .status()
        .unwrap();
    assert!(cleared.success());

    let report = vault.doctor(false).unwrap();
    assert!(report.enumerated, "the Secret Service can be searched");
    assert_eq!(report.orphan_entries, vec![orphan]);
    assert_eq!(
        report.lost_secrets.iter().map(|e| e.id).collect::<Vec<_>>(),
        [lost.id]
    );
    assert!(report.other_vault_entries >= 1, "{report}");
    assert!(
        secret_tool_lookup(&orphan_key).is_some(),
        "no repair without asking"
    );

    let report = vault.doctor(true).unwrap();
    assert_eq!(report.removed_orphans, vec![orphan]);
    assert_eq!(report.problems_left(), 1, "{report}");
    assert!(report.to_string().contains("secret lost"), "{report}");
    assert_eq!(secret_tool_lookup(&orphan_key), None);
    assert!(vault.load_account(&kept.id).is_ok());
    assert!(
        other.load_account(&neighbour.id).is_ok(),
        "other vaults untouched"
    );
    assert_eq!(
        vault.list().unwrap().len(),
        2,
        "lost rows are reported, not deleted"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn failed_row_commit_leaves_no_orphan() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(
        dir.path(),
        Arc::new(CountingStore::new(KeyringStore::new().unwrap())),
    )
    .unwrap();
    let kept = added(&vault, &totp("Kept", "k", &random_secret()));
    // Another connection makes every row insert fail, as a full disk would.
    let sql = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    sql.execute_batch(
        "CREATE TRIGGER fail BEFORE INSERT ON accounts
         BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
    )
    .unwrap();
    vault.store().reset();
    let err = vault
        .add(&totp("GitHub", "alice", &random_secret()))
        .unwrap_err();
    assert!(err.to_string().contains("simulated failure"), "{err}");
    let counts = vault.store().counts();
    assert_eq!(
        (counts.store, counts.delete),
        (1, 1),
        "written to the keyring, then deleted"
    );
    let prefix = &vault.secret_key(&kept.id)[..37];
    let mine: Vec<String> = vault
        .store()
        .list_ids()
        .unwrap()
        .unwrap()
        .into_iter()
        .filter(|key| key.starts_with(prefix))
        .collect();
    assert_eq!(
        mine,
        vec![vault.secret_key(&kept.id)],
        "no orphan in the keyring"
    );
    sql.execute_batch("DROP TRIGGER fail").unwrap();
    let report = vault.doctor(false).unwrap();
    assert!(
        report.is_healthy() && report.in_progress.is_empty(),
        "{report}"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn hotp_counter_is_committed_before_the_code_is_shown() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let secret = random_secret();
    let account = Account::new(
        Kind::Hotp,
        secret.clone(),
        Some("Bank".into()),
        "alice",
        Algorithm::Sha1,
        6,
        30,
        41,
    )
    .unwrap();
    let id = added(&keyring_vault(dir.path()), &account).id;
    let dir_text = dir.path().to_str().unwrap();
    let id_text = id.to_string();
    let output = run_child(
        "hotp-then-die",
        &[
            ("KEYGATE_DATA_DIR", dir_text),
            ("KEYGATE_TEST_ID", &id_text),
        ],
    );
    assert!(
        !output.status.success(),
        "the child aborts after showing the code"
    );
    let shown = child_report(&output)
        .remove("code")
        .expect("a code was shown");
    assert_eq!(shown, code::hotp(&secret, 41, Algorithm::Sha1, 6).unwrap());
    let vault = keyring_vault(dir.path());
    assert_eq!(
        vault.get(&id).unwrap().counter,
        42,
        "the counter survived the kill"
    );
    assert_eq!(
        vault.hotp_next(&id).unwrap(),
        code::hotp(&secret, 42, Algorithm::Sha1, 6).unwrap(),
        "the next code is a new one"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn unlock_reads_the_keyring_once_and_refreshes_without_it() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path(), CountingStore::new(KeyringStore::new().unwrap())).unwrap();
    let secrets: Vec<Secret> = (0..20).map(|_| random_secret()).collect();
    for (i, secret) in secrets.iter().enumerate() {
        added(&vault, &totp("Svc", &format!("u{i}"), secret));
    }
    vault.store().reset();
    let unlocked = vault.unlock().unwrap();
    assert_eq!(vault.store().counts().load, 20);
    assert_eq!(vault.store().counts().total(), 20);
    for step in 0..10 {
        let codes = unlocked.codes_at(TIME + step * 30);
        for (code, secret) in codes.iter().zip(&secrets) {
            let expected = code::totp(secret, TIME + step * 30, 30, 0, Algorithm::Sha1, 6).unwrap();
            assert_eq!(code.code.as_deref(), Some(expected.as_str()));
        }
    }
    assert_eq!(
        vault.store().counts().total(),
        20,
        "refreshes made no keyring call"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn a_locked_keyring_is_a_clear_error() {
    require_keyring();
    // A nested throwaway keyring of its own, so locking it does not disturb the other tests.
    // DISPLAY is removed so the unlock prompt fails at once instead of opening a window.
    let dir = tempfile::tempdir().unwrap();
    let script = with_keyring_script();
    let dir_text = dir.path().to_str().unwrap();
    let lock = "dbus-send --session --dest=org.freedesktop.secrets --type=method_call \
                --print-reply /org/freedesktop/secrets org.freedesktop.Secret.Service.Lock \
                array:objpath:/org/freedesktop/secrets/aliases/default >/dev/null";
    let shell = format!(
        "KEYGATE_TEST_CHILD=locked-setup \"$@\" && {lock} && KEYGATE_TEST_CHILD=locked exec \"$@\""
    );
    let prefix = ["timeout", "300", script.to_str().unwrap()];
    let output = {
        let exe = std::env::current_exe().unwrap();
        Command::new(prefix[0])
            .args(&prefix[1..])
            .args(["sh", "-c", &shell, "sh"])
            .arg(exe)
            .args(CHILD_ARGS)
            .env("KEYGATE_DATA_DIR", dir_text)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap()
    };
    assert!(output.status.success(), "{}", describe(&output));
    let report = child_report(&output);
    for operation in ["unlock", "load", "hotp", "add"] {
        let message = report
            .get(operation)
            .unwrap_or_else(|| panic!("no {operation} result\n{}", describe(&output)));
        assert!(
            message.starts_with("the keyring is locked") && message.contains("unlock it"),
            "{operation}: {message}"
        );
    }
    assert_eq!(report["rows"], "1", "the failed add left no row");
    assert_eq!(
        report["counter"], "3",
        "the failed HOTP code used no counter"
    );
}

#[test]
#[ignore = "needs a Secret Service: run under scripts/with-keyring.sh with --include-ignored (scripts/test.sh does)"]
fn a_missing_secret_service_is_a_clear_error() {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let output = run_child(
        "no-bus",
        &[
            ("KEYGATE_DATA_DIR", dir.path().to_str().unwrap()),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/keygate-test-bus",
            ),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let message = child_report(&output).remove("error").expect("an error");
    assert!(
        message.starts_with("the Secret Service is not available")
            && message.contains("start gnome-keyring or KWallet and unlock it"),
        "{message}"
    );
}
