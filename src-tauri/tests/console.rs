//! The Console commands' functions against a real embedded server (HTTPS on 127.0.0.1, a real
//! SQLite file, its master key in the real Secret Service) and a real vault. Run under
//! scripts/with-keyring.sh: `../scripts/with-keyring.sh cargo test` (from src-tauri/).

use std::path::Path;

use keygate_desktop::app::Desktop;
use keygate_desktop::console::{self, Console};
use keygate_desktop::error::DesktopError;
use keygate_otp::unix_now;
use keygate_vault::KeyringStore;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";

fn keyring_ready() -> bool {
    let ready = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        && std::env::var("KEYGATE_TEST_KEYRING").as_deref() == Ok("1");
    if !ready && std::env::var("KEYGATE_SKIP_KEYRING").as_deref() != Ok("1") {
        panic!("run under ../scripts/with-keyring.sh (or KEYGATE_SKIP_KEYRING=1)");
    }
    ready
}

fn desktop(dir: &Path) -> Desktop<KeyringStore> {
    let mut desktop = Desktop::open(dir, KeyringStore::new().unwrap()).unwrap();
    desktop.unlock().unwrap();
    desktop
}

async fn embedded(dir: &Path, app: &Desktop<KeyringStore>) -> Console {
    let secret = app
        .vault()
        .app_secret(console::EMBEDDED_KEY_NAME, console::EMBEDDED_KEY_LEN)
        .unwrap();
    let mut console = Console::default();
    let status = console
        .start_embedded(dir, console::master_key_from(&secret).unwrap())
        .await
        .unwrap();
    assert!(status.connected && status.embedded, "{status:?}");
    assert!(status
        .url
        .as_deref()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
    console
}

fn server_code(err: &DesktopError) -> &str {
    match err {
        DesktopError::Server { code, .. } => code,
        other => panic!("expected a server refusal, got {other:?}"),
    }
}

/// The current code of an otpauth link, computed by the OTP engine.
fn code_of(uri: &str) -> String {
    keygate_otp::uri::parse(uri)
        .unwrap()
        .code_at(unix_now())
        .unwrap()
}

/// First admin, sign-in with enrolment through the app's own authenticator, then the
/// management calls an admin makes: users, devices (TOTP confirmed by a code, backup codes),
/// sessions, audit; and a second sign-in with a backup code.
#[tokio::test(flavor = "multi_thread")]
async fn an_admin_signs_in_with_2fa_and_manages_users_and_devices() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let mut console = embedded(dir.path(), &app).await;

    // Nothing works before sign-in; the app offers to create the first admin.
    let status = console.status().await.unwrap();
    assert!(status.needs_first_admin && status.user.is_none());
    let refused = console
        .call("GET", "/api/v1/users", None)
        .await
        .unwrap_err();
    assert_eq!(server_code(&refused), "unauthenticated");
    let short = console
        .create_first_admin("root", "root@example.com", Zeroizing::new("short".into()))
        .await
        .unwrap_err();
    assert!(short.to_string().contains("password"), "{short}");
    console
        .create_first_admin("root", "root@example.com", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    assert!(!console.status().await.unwrap().needs_first_admin);
    let again = console
        .create_first_admin("eve", "eve@example.com", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already has users"), "{again}");

    // Wrong password: the server's one generic answer.
    let wrong = console
        .login("root", Zeroizing::new("not the password".into()))
        .await
        .unwrap_err();
    assert_eq!(server_code(&wrong), "invalid_credentials");
    // The per-user back-off: the next attempt waits 1 s (Argon2 is optimised here, so the
    // wrong attempt alone no longer takes that long).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Password, then enrolment: the otpauth link goes into the app's authenticator, whose code
    // confirms it.
    let next = console
        .login("root", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    assert_eq!(next, "setup");
    let setup = console.begin_setup().await.unwrap();
    let uri = setup["otpauth_uri"].as_str().unwrap().to_string();
    assert!(
        setup["qr_svg"].as_str().unwrap().starts_with("<svg")
            || setup["qr_svg"].as_str().unwrap().contains("<svg")
    );
    // What console_setup_add adds: the link the server sent, kept on the Rust side.
    assert_eq!(console.enrolment_link(), Some(uri.as_str()));
    assert!(app.add_links(console.enrolment_link().unwrap()).unwrap()[0].added);
    let (user, issuer) = console.signing_in().unwrap();
    let own = console::own_code(&app.list_now().unwrap(), &user, issuer.as_deref())
        .expect("the authenticator holds the admin's code");
    assert_eq!(own, code_of(&uri));
    let bad = console.confirm_setup("000000").await;
    if own != "000000" {
        assert_eq!(server_code(&bad.unwrap_err()), "invalid_code");
        // django-otp's throttle: the next attempt waits 1 s after one failure.
        let throttled = console.confirm_setup(&own).await.unwrap_err();
        assert_eq!(server_code(&throttled), "throttled");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(console.confirm_setup(&own).await.unwrap(), "done");
    let status = console.status().await.unwrap();
    assert_eq!(status.user.as_ref().unwrap()["username"], "root");

    // Users: create, search, deactivate.
    let alice = console
        .call(
            "POST",
            "/api/v1/users",
            Some(json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD})),
        )
        .await
        .unwrap();
    let alice_id = alice["id"].as_i64().unwrap();
    let found = console
        .call("GET", "/api/v1/users?query=ali", None)
        .await
        .unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["username"], "alice");

    // A TOTP device for alice: unconfirmed until a code from it is entered.
    let device = console
        .call(
            "POST",
            &format!("/api/v1/users/{alice_id}/devices"),
            Some(json!({"kind": "totp", "name": "phone"})),
        )
        .await
        .unwrap();
    let device_id = device["id"].as_i64().unwrap();
    let device_uri = device["otpauth_uri"].as_str().unwrap();
    assert!(device["qr_svg"].as_str().unwrap().contains("<svg"));
    let listed = console
        .call("GET", &format!("/api/v1/users/{alice_id}/devices"), None)
        .await
        .unwrap();
    assert_eq!(listed[0]["confirmed"], false, "{listed}");
    console
        .call(
            "POST",
            &format!("/api/v1/devices/{device_id}/confirm"),
            Some(json!({"token": code_of(device_uri)})),
        )
        .await
        .unwrap();
    let listed = console
        .call("GET", &format!("/api/v1/users/{alice_id}/devices"), None)
        .await
        .unwrap();
    assert_eq!(listed[0]["confirmed"], true, "{listed}");

    // Backup codes for root: shown once, ten of them.
    let root_id = status.user.as_ref().unwrap()["id"].as_i64().unwrap();
    let backup = console
        .call(
            "POST",
            &format!("/api/v1/users/{root_id}/devices"),
            Some(json!({"kind": "static", "name": "backup codes"})),
        )
        .await
        .unwrap();
    let codes: Vec<String> = backup["backup_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);

    // Deactivate alice; reset her 2FA.
    let patched = console
        .call(
            "PATCH",
            &format!("/api/v1/users/{alice_id}"),
            Some(json!({"is_active": false})),
        )
        .await
        .unwrap();
    assert_eq!(patched["is_active"], false);
    let reset = console
        .call("POST", &format!("/api/v1/users/{alice_id}/reset-2fa"), None)
        .await
        .unwrap();
    assert_eq!(reset["devices_removed"], 1);

    // Sessions and audit.
    let sessions = console
        .call("GET", &format!("/api/v1/users/{root_id}/sessions"), None)
        .await
        .unwrap();
    assert!(sessions
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["current"] == true));
    let audit = console
        .call("GET", "/api/v1/audit?action=user.created", None)
        .await
        .unwrap();
    let targets: Vec<&Value> = audit["entries"].as_array().unwrap().iter().collect();
    assert_eq!(targets.len(), 2, "{audit}");

    // Sign out; the next sign-in asks for a code, and a backup code passes.
    console.logout().await.unwrap();
    assert!(console.status().await.unwrap().user.is_none());
    assert_eq!(
        console
            .login("root", Zeroizing::new(PASSWORD.into()))
            .await
            .unwrap(),
        "otp"
    );
    assert_eq!(
        server_code(&console.verify_code("12345678").await.unwrap_err()),
        "invalid_code"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(console.verify_code(&codes[0]).await.unwrap(), "done");
    assert!(console.status().await.unwrap().user.is_some());

    // The auth endpoints are not reachable through the generic call.
    assert!(console
        .call("POST", "/api/v1/auth/logout", None)
        .await
        .is_err());
    console.disconnect().await;
    assert!(matches!(
        console.call("GET", "/api/v1/users", None).await,
        Err(DesktopError::NotConnected)
    ));
}

/// The certificate rules: a pinned fingerprint must match; the system trust store refuses a
/// self-signed certificate; plain HTTP is refused before any connection.
#[tokio::test(flavor = "multi_thread")]
async fn remote_connections_verify_the_certificate() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let app = desktop(dir.path());
    let mut server = embedded(dir.path(), &app).await;
    let status = server.status().await.unwrap();
    let url = status.url.unwrap();
    let fingerprint = status.fingerprint.unwrap();

    let mut remote = Console::default();
    let pinned = remote.connect(&url, Some(&fingerprint)).await.unwrap();
    assert!(pinned.connected && !pinned.embedded && pinned.user.is_none());

    let mut wrong = fingerprint.clone();
    wrong.replace_range(
        0..2,
        if fingerprint.starts_with("00") {
            "11"
        } else {
            "00"
        },
    );
    let refused = Console::default()
        .connect(&url, Some(&wrong))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("does not match the pinned"),
        "{refused}"
    );

    let untrusted = Console::default().connect(&url, None).await.unwrap_err();
    assert!(
        untrusted.to_string().contains("cannot reach the server"),
        "{untrusted}"
    );
    let plain = Console::default()
        .connect(&url.replace("https", "http"), None)
        .await
        .unwrap_err();
    assert!(plain.to_string().contains("HTTPS"), "{plain}");
    let garbage = Console::default()
        .connect(&url, Some("AB:CD"))
        .await
        .unwrap_err();
    assert!(garbage.to_string().contains("64 hexadecimal"), "{garbage}");

    // Once the embedded server is stopped nobody can connect to it.
    server.disconnect().await;
    let gone = Console::default()
        .connect(&url, Some(&fingerprint))
        .await
        .unwrap_err();
    assert!(gone.to_string().contains("cannot reach"), "{gone}");
    drop(remote);
}

/// The embedded server's master key lives in the keyring: a restart with the same vault reads
/// the device secrets it encrypted before.
#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_server_keeps_its_key_across_restarts() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let mut console = embedded(dir.path(), &app).await;
    console
        .create_first_admin("root", "root@example.com", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    console
        .login("root", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    let setup = console.begin_setup().await.unwrap();
    let uri = setup["otpauth_uri"].as_str().unwrap().to_string();
    app.add_links(&uri).unwrap();
    console.confirm_setup(&code_of(&uri)).await.unwrap();
    let root_id = console.status().await.unwrap().user.unwrap()["id"]
        .as_i64()
        .unwrap();
    let backup = console
        .call(
            "POST",
            &format!("/api/v1/users/{root_id}/devices"),
            Some(json!({"kind": "static", "name": "backup codes"})),
        )
        .await
        .unwrap();
    let backup_code = backup["backup_codes"][0].as_str().unwrap().to_string();
    console.disconnect().await;

    // Same data directory, same vault, same key: backup codes are MACed with a key derived
    // from it, so one made before the restart only passes if the key is the same.
    let first = app
        .vault()
        .app_secret(console::EMBEDDED_KEY_NAME, console::EMBEDDED_KEY_LEN)
        .unwrap();
    let mut console = embedded(dir.path(), &app).await;
    let again = app
        .vault()
        .app_secret(console::EMBEDDED_KEY_NAME, console::EMBEDDED_KEY_LEN)
        .unwrap();
    assert_eq!(first.expose(), again.expose());
    assert!(!console.status().await.unwrap().needs_first_admin);
    assert_eq!(
        console
            .login("root", Zeroizing::new(PASSWORD.into()))
            .await
            .unwrap(),
        "otp"
    );
    assert_eq!(console.verify_code(&backup_code).await.unwrap(), "done");
    assert!(app.vault().doctor(false).unwrap().is_healthy());
    console.disconnect().await;
}
