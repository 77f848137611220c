//! `keygate list` with 1,000 accounts: unlocking reads the keyring once per account (one pass);
//! refreshing every code afterwards makes no keyring call. Prints the keyring calls counted.
//!
//! Against the real Secret Service:
//!   scripts/with-keyring.sh cargo bench -p keygate-vault --bench list
//! Outside with-keyring.sh it says so and measures with the in-memory store instead. Under
//! `cargo test --benches` (criterion's test mode) it uses 20 accounts to stay quick.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use keygate_otp::{unix_now, Account, Secret};
use keygate_vault::{CountingStore, KeyringStore, MemoryStore, SecretStore, Vault};

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let accounts = if full { 1_000 } else { 20 };
    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1));
    if std::env::var("KEYGATE_TEST_KEYRING").as_deref() == Ok("1") {
        let store = KeyringStore::new().unwrap_or_else(|err| panic!("{err}"));
        run(
            &mut criterion,
            "Secret Service (gnome-keyring)",
            store,
            accounts,
        );
    } else {
        println!(
            "no throwaway keyring (run under scripts/with-keyring.sh for the real Secret Service); \
             measuring with the in-memory store"
        );
        run(
            &mut criterion,
            "in-memory store",
            MemoryStore::new(),
            accounts,
        );
    }
    criterion.final_summary();
}

fn run<S: SecretStore>(criterion: &mut Criterion, backend: &str, store: S, accounts: usize) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path(), CountingStore::new(store)).unwrap();

    let started = Instant::now();
    for i in 0..accounts {
        let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
        bytes.extend_from_slice(&(i as u32).to_be_bytes());
        let issuer = format!("Service {}", i % 37);
        let account =
            Account::totp(Secret::from_bytes(bytes), Some(issuer), format!("user{i}")).unwrap();
        assert!(vault.add(&account).unwrap().is_added());
    }
    let add_time = started.elapsed();
    let add_calls = vault.store().counts();

    vault.store().reset();
    let started = Instant::now();
    let unlocked = vault.unlock().unwrap();
    let first_unlock = started.elapsed();
    let unlock_calls = vault.store().counts();

    vault.store().reset();
    let now = unix_now();
    let refreshes = 100u64;
    for step in 0..refreshes {
        let codes = unlocked.codes_at(now + step);
        assert!(codes.iter().all(|c| c.code.is_some()));
    }
    let refresh_calls = vault.store().counts();

    let mut group = criterion.benchmark_group(format!("list {accounts} accounts"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if accounts > 100 { 30 } else { 2 }));
    group.bench_function("unlock (one keyring pass)", |b| {
        b.iter(|| black_box(vault.unlock().unwrap()))
    });
    group.finish();
    let mut group = criterion.benchmark_group(format!("list {accounts} accounts"));
    let mut time = now;
    group.bench_function("refresh all codes (after unlock)", |b| {
        b.iter(|| {
            time += 1;
            black_box(unlocked.codes_at(time))
        })
    });
    group.bench_function("list metadata (SQLite)", |b| {
        b.iter(|| black_box(vault.list().unwrap()))
    });
    group.finish();

    println!();
    println!("backend: {backend}, {accounts} accounts");
    println!(
        "add {accounts} accounts: {:.2?} ({:.2?} each), keyring calls: {} store",
        add_time,
        add_time / accounts as u32,
        add_calls.store
    );
    println!(
        "unlock: first {:.2?}, keyring calls: {} ({} loads, one per account)",
        first_unlock,
        unlock_calls.total(),
        unlock_calls.load
    );
    println!(
        "refresh all codes x{refreshes}: keyring calls: {}",
        refresh_calls.total()
    );
    assert_eq!(unlock_calls.total(), accounts as u64, "unlock is one pass");
    assert_eq!(
        refresh_calls.total(),
        0,
        "refreshing never touches the keyring"
    );

    // Leave the keyring as it was (the bench may run against a longer-lived test keyring).
    let started = Instant::now();
    for entry in vault.list().unwrap() {
        vault.remove(&entry.id).unwrap();
    }
    println!(
        "removed the {accounts} accounts again in {:.2?}",
        started.elapsed()
    );
}
