//! The Console commands' functions against a real embedded server (HTTPS on 127.0.0.1, a real
//! SQLite file) and a real vault holding its master key: on the in-memory secret store by
//! default, and on the real Secret Service in each test's ignored `keyring` variant
//! (`scripts/with-keyring.sh cargo test -p keygate-desktop -- --include-ignored`, as
//! scripts/test.sh runs it).

#[macro_use]
mod common;

use std::path::Path;

use common::{Secrets, TestStore};
use keygate_desktop::app::Desktop;
use keygate_desktop::console::{self, Console};
use keygate_desktop::error::DesktopError;
use keygate_otp::unix_now;
use keygate_server::api::{AuditQuery, CreateUserRequest, DeviceKind, Next};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";

fn desktop(dir: &Path, secrets: &Secrets) -> Desktop<TestStore> {
    let mut desktop = Desktop::open(dir, secrets.open()).unwrap();
    desktop.unlock().unwrap();
    desktop
}

async fn embedded(dir: &Path, app: &Desktop<TestStore>) -> Console {
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
async fn an_admin_signs_in_with_2fa_and_manages_users_and_devices(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    let mut console = embedded(dir.path(), &app).await;

    // Nothing works before sign-in; the app offers to create the first admin.
    let status = console.status().await.unwrap();
    assert!(status.needs_first_admin && status.user.is_none());
    let refused = console.list_users("", 1).await.unwrap_err();
    assert_eq!(server_code(&refused), "unauthenticated");
    assert_eq!((refused.kind(), refused.retry_after()), ("server", None));
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
    assert_eq!(next, Next::Setup);
    let setup = console.begin_setup().await.unwrap();
    assert!(setup.qr_svg.contains("<svg"), "{}", setup.qr_svg);
    // What console_setup_add adds: the link the server sent, kept on the Rust side.
    let uri = console.enrolment_link().unwrap().to_string();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
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
        // The server's Retry-After reaches the UI.
        assert_eq!(throttled.retry_after(), Some(1));
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    assert_eq!(console.confirm_setup(&own).await.unwrap(), Next::Done);
    let status = console.status().await.unwrap();
    assert_eq!(status.user.as_ref().unwrap().username, "root");

    // Users: create, search, deactivate.
    let alice = console
        .create_user(&CreateUserRequest {
            username: "alice".into(),
            email: "alice@example.com".into(),
            password: Zeroizing::new(PASSWORD.into()),
            display_name: String::new(),
            is_staff: false,
            is_superuser: false,
        })
        .await
        .unwrap();
    assert_eq!((alice.username.as_str(), alice.is_active), ("alice", true));
    let found = console.list_users("ali", 1).await.unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.users, std::slice::from_ref(&alice));
    assert_eq!(console.list_users("", 1).await.unwrap().total, 2);

    // A TOTP device for alice: unconfirmed until a code from it is entered.
    let added = console
        .add_device(alice.id, DeviceKind::Totp, "phone")
        .await
        .unwrap();
    let device_uri = added
        .otpauth_uri
        .as_deref()
        .expect("a TOTP device has a link")
        .to_string();
    assert!(added.qr_svg.as_deref().unwrap().contains("<svg"));
    assert_eq!(added.backup_codes, None);
    let device = added.device;
    assert_eq!((device.kind, device.confirmed), (DeviceKind::Totp, false));
    let listed = console.list_devices(alice.id).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&device));
    let wrong = console.confirm_device(device.id, "000000").await;
    if code_of(&device_uri) != "000000" {
        assert_eq!(server_code(&wrong.unwrap_err()), "invalid_code");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let confirmed = console
        .confirm_device(device.id, &code_of(&device_uri))
        .await
        .unwrap();
    assert!(confirmed.confirmed);
    let listed = console.list_devices(alice.id).await.unwrap();
    assert!(listed[0].confirmed, "{listed:?}");

    // Backup codes for root: shown once, ten of them; new ones replace them.
    let root_id = status.user.as_ref().unwrap().id;
    let backup = console
        .add_device(root_id, DeviceKind::Static, "backup codes")
        .await
        .unwrap();
    assert!(backup.otpauth_uri.is_none() && backup.qr_svg.is_none());
    assert_eq!(backup.id, backup.device.id);
    let old_codes = backup.backup_codes.unwrap();
    assert_eq!(old_codes.len(), 10);
    let codes = console
        .regenerate_codes(backup.device.id)
        .await
        .unwrap()
        .backup_codes;
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| !old_codes.contains(c)));

    // Deactivate alice; reset her 2FA.
    let patched = console.set_user_active(alice.id, false).await.unwrap();
    assert!(!patched.is_active);
    assert_eq!(
        console.reset_2fa(alice.id).await.unwrap().devices_removed,
        1
    );
    assert!(console.list_devices(alice.id).await.unwrap().is_empty());

    // A device that is gone: the server's not_found, as the UI receives it.
    let gone = console.delete_device(device.id).await.unwrap_err();
    assert_eq!((server_code(&gone), gone.kind()), ("not_found", "server"));

    // Sessions and audit.
    let sessions = console.list_sessions(root_id).await.unwrap();
    assert!(
        sessions.iter().any(|s| s.current && s.session.verified),
        "{sessions:?}"
    );
    let audit = console
        .audit(&AuditQuery {
            action: Some("user.created".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.entries.len(), 2, "{audit:?}");
    assert!(audit.entries.iter().all(|e| e.action == "user.created"));
    assert!(
        audit.entries.iter().any(|e| e.target.contains("alice")),
        "{audit:?}"
    );

    // Sign out; the next sign-in asks for a code, and a backup code passes.
    console.logout().await.unwrap();
    assert!(console.status().await.unwrap().user.is_none());
    assert_eq!(
        console
            .login("root", Zeroizing::new(PASSWORD.into()))
            .await
            .unwrap(),
        Next::Otp
    );
    assert_eq!(
        server_code(&console.verify_code("12345678").await.unwrap_err()),
        "invalid_code"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(console.verify_code(&codes[0]).await.unwrap(), Next::Done);
    assert!(console.status().await.unwrap().user.is_some());

    // Revoking the own session signs out.
    let current = console
        .list_sessions(root_id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.current)
        .unwrap();
    console.revoke_session(current.session.id).await.unwrap();
    assert!(console.status().await.unwrap().user.is_none());

    console.disconnect().await;
    assert!(matches!(
        console.list_users("", 1).await,
        Err(DesktopError::NotConnected)
    ));
}

/// The certificate rules: a pinned fingerprint must match; the system trust store refuses a
/// self-signed certificate; plain HTTP is refused before any connection.
async fn remote_connections_verify_the_certificate(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let app = desktop(dir.path(), &secrets);
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
async fn the_embedded_server_keeps_its_key_across_restarts(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    let mut console = embedded(dir.path(), &app).await;
    console
        .create_first_admin("root", "root@example.com", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    console
        .login("root", Zeroizing::new(PASSWORD.into()))
        .await
        .unwrap();
    console.begin_setup().await.unwrap();
    let uri = console.enrolment_link().unwrap().to_string();
    app.add_links(&uri).unwrap();
    console.confirm_setup(&code_of(&uri)).await.unwrap();
    let root_id = console.status().await.unwrap().user.unwrap().id;
    let backup = console
        .add_device(root_id, DeviceKind::Static, "backup codes")
        .await
        .unwrap();
    let backup_code = backup.backup_codes.unwrap()[0].to_string();
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
        Next::Otp
    );
    assert_eq!(console.verify_code(&backup_code).await.unwrap(), Next::Done);
    assert!(app.vault().doctor(false).unwrap().is_healthy());
    console.disconnect().await;
}

on_both_stores_async!(
    an_admin_signs_in_with_2fa_and_manages_users_and_devices,
    remote_connections_verify_the_certificate,
    the_embedded_server_keeps_its_key_across_restarts,
);
