//! Prepares a database for `bench/bench.sh`: N users (one Argon2id hash shared, so preparing
//! does not take an hour), each with a confirmed HOTP device, a superuser and an API key, and
//! the HOTP codes each user will present, one line per user: `username code0 code1 ...`.
//!
//! ```text
//! bench_prep --db PATH --key-file PATH --users 10000 --codes 50 --out DIR
//! ```
//! Writes DIR/codes.txt and DIR/api_key, and prints the password on stdout.

use std::io::Write;
use std::path::PathBuf;

use keygate_otp::{code, Algorithm, Secret};
use keygate_server::crypto::{random_bytes, random_token, token_hash, Keys, PasswordHasher};
use keygate_server::store::{Device, DeviceKind, NewUser, SqliteStore, Store};
use keygate_server::{load_master_key, KeySource};

const PASSWORD: &str = "bench password 0123456789";

fn arg(args: &[String], name: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| panic!("{name} is required"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let db = PathBuf::from(arg(&args, "--db"));
    let key_file = PathBuf::from(arg(&args, "--key-file"));
    let users: usize = arg(&args, "--users").parse()?;
    let codes: u64 = arg(&args, "--codes").parse()?;
    let out = PathBuf::from(arg(&args, "--out"));

    let (master, _) = load_master_key(&KeySource::File(key_file), &out)?;
    let keys = Keys::new(&master);
    let store = SqliteStore::open(&db)?;
    let hash = PasswordHasher::owasp().hash(PASSWORD)?;
    let mut lines = std::io::BufWriter::new(std::fs::File::create(out.join("codes.txt"))?);
    let mut tx = store.write()?;
    let new_user = |name: String, superuser: bool| NewUser {
        username_key: name.to_lowercase(),
        email: format!("{name}@example.com"),
        username: name,
        display_name: String::new(),
        is_staff: superuser,
        is_superuser: superuser,
        password_hash: hash.clone(),
    };
    let admin = tx.insert_user(&new_user("benchadmin".into(), true), 0)?;
    let api_key = format!("kg_{}", random_token());
    tx.insert_api_key("bench", &api_key[..10], &token_hash(&api_key), admin, 0)?;
    for n in 0..users {
        let name = format!("bench{n:05}");
        let id = tx.insert_user(&new_user(name.clone(), false), 0)?;
        let secret = Secret::from_bytes(random_bytes(20));
        let mut device = Device::new(id, DeviceKind::Hotp, "token".into(), 0);
        device.confirmed = true;
        device.id = tx.insert_device(&device)?;
        device.secret = Some(keys.encrypt_secret(device.id, &secret)?);
        tx.update_device(&device)?;
        write!(lines, "{name}")?;
        for counter in 0..codes {
            write!(
                lines,
                " {}",
                code::hotp(&secret, counter, Algorithm::Sha1, 6)?
            )?;
        }
        writeln!(lines)?;
    }
    tx.commit()?;
    lines.flush()?;
    std::fs::write(out.join("api_key"), &api_key)?;
    println!("{PASSWORD}");
    Ok(())
}
