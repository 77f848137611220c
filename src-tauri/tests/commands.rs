//! The Tauri commands' functions ([`Desktop`]) against a real vault on the real Secret Service.
//! Run under scripts/with-keyring.sh:
//! `../scripts/with-keyring.sh cargo test` (from src-tauri/).

use std::path::Path;

use keygate_desktop::app::{AccountView, Desktop};
use keygate_vault::KeyringStore;

/// RFC 6238's SHA1 test secret ("12345678901234567890").
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Panics with what to do unless this runs on the throwaway keyring of scripts/with-keyring.sh
/// (never on a real keyring); KEYGATE_SKIP_KEYRING=1 skips instead.
fn keyring_ready() -> bool {
    let problem = if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        Some("there is no D-Bus session bus")
    } else if std::env::var("KEYGATE_TEST_KEYRING").as_deref() != Ok("1") {
        Some("this session bus was not set up by scripts/with-keyring.sh")
    } else {
        None
    };
    match problem {
        None => true,
        Some(_) if std::env::var("KEYGATE_SKIP_KEYRING").as_deref() == Ok("1") => false,
        Some(problem) => panic!(
            "{problem}: run `../scripts/with-keyring.sh cargo test` (or KEYGATE_SKIP_KEYRING=1)"
        ),
    }
}

fn desktop(dir: &Path) -> Desktop<KeyringStore> {
    let mut desktop = Desktop::open(dir, KeyringStore::new().unwrap()).unwrap();
    desktop.unlock().unwrap();
    desktop
}

fn only(views: &[AccountView]) -> &AccountView {
    assert_eq!(views.len(), 1, "{views:?}");
    &views[0]
}

#[test]
fn a_link_adds_an_account_whose_codes_match_rfc_6238() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let link = format!("otpauth://totp/ACME:alice?secret={RFC_SECRET}&issuer=ACME&digits=8");
    let added = app.add_links(&link).unwrap();
    assert_eq!(added.len(), 1);
    assert!(added[0].added);
    assert_eq!(added[0].label, "ACME (alice)");

    // RFC 6238 appendix B, SHA1.
    let at_59 = app.list_at(59).unwrap();
    let row = only(&at_59);
    assert_eq!(row.code.as_deref(), Some("94287082"));
    assert_eq!(row.seconds_left, Some(1));
    assert_eq!(row.issuer.as_deref(), Some("ACME"));
    assert_eq!(row.name, "alice");
    assert_eq!(
        only(&app.list_at(1111111109).unwrap()).code.as_deref(),
        Some("07081804")
    );
    assert_eq!(app.code_now(&row.id).unwrap().len(), 8);

    // The same link again is a duplicate, not a second account.
    let again = app.add_links(&link).unwrap();
    assert!(!again[0].added && again[0].error.is_none());
    assert_eq!(app.list_at(59).unwrap().len(), 1);

    // A fresh instance (a restart) finds the secret in the keyring.
    drop(app);
    let reopened = desktop(dir.path());
    assert_eq!(
        only(&reopened.list_at(59).unwrap()).code.as_deref(),
        Some("94287082")
    );
}

#[test]
fn locked_means_no_codes_until_unlocked_again() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    app.add_links(&format!("otpauth://totp/L:bob?secret={RFC_SECRET}"))
        .unwrap();
    let id = only(&app.list_now().unwrap()).id.clone();
    app.lock();
    assert!(!app.is_unlocked());
    let err = app.list_now().unwrap_err().to_string();
    assert!(err.contains("locked"), "{err}");
    assert!(app
        .code_now(&id)
        .unwrap_err()
        .to_string()
        .contains("locked"));
    assert!(app
        .hotp_next(&id)
        .unwrap_err()
        .to_string()
        .contains("locked"));
    app.unlock().unwrap();
    assert_eq!(
        only(&app.list_at(59).unwrap()).code.as_deref(),
        Some("287082")
    );
}

#[test]
fn bad_links_say_what_is_wrong_and_add_nothing() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let good = format!("otpauth://totp/G:ok?secret={RFC_SECRET}");
    let err = app
        .add_links(&format!("{good} otpauth://totp/Bad:x?secret=not*base32"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("link 2:"), "{err}");
    assert!(err.contains("base32"), "{err}");
    assert!(!err.contains("not*base32"), "the secret leaked into: {err}");
    assert!(
        app.list_now().unwrap().is_empty(),
        "one bad link adds nothing"
    );

    let err = app.add_links("   ").unwrap_err().to_string();
    assert!(err.contains("paste an otpauth"), "{err}");
    let err = app
        .add_links("https://example.com")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("link 1:"), "{err}");
    let err = app
        .add_links("otpauth-migration://offline?data=%%%")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("link 1:"), "{err}");
    assert!(app.list_now().unwrap().is_empty());
}

#[test]
fn an_image_file_adds_its_qr_codes_and_one_without_says_so() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let link = format!("otpauth://totp/Img:carol?secret={RFC_SECRET}&issuer=Img");
    let png = dir.path().join("qr.png");
    std::fs::write(&png, keygate_qr::encode_png(&link, 8).unwrap()).unwrap();
    let added = app.add_image(&png).unwrap();
    assert_eq!(added.len(), 1);
    assert!(added[0].added);
    assert_eq!(added[0].label, "Img (carol)");
    assert_eq!(
        only(&app.list_at(59).unwrap()).code.as_deref(),
        Some("287082")
    );

    let blank = dir.path().join("blank.png");
    let white = image_png_white();
    std::fs::write(&blank, white).unwrap();
    let err = app.add_image(&blank).unwrap_err().to_string();
    assert!(err.contains("no QR code"), "{err}");

    let err = app
        .add_image(&dir.path().join("missing.png"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.png"), "{err}");

    let text = dir.path().join("notes.png");
    std::fs::write(&text, b"not an image").unwrap();
    let err = app.add_image(&text).unwrap_err().to_string();
    assert!(err.contains("not a readable image"), "{err}");
    assert_eq!(app.list_now().unwrap().len(), 1);
}

/// A 64x64 white PNG: a QR code of a non-otpauth text would also do, but blank is the common case.
fn image_png_white() -> Vec<u8> {
    // The QR crate's encoder is the only image writer at hand: encode, then blank the pixels.
    let png = keygate_qr::encode_png("x", 4).unwrap();
    let mut img = image::load_from_memory(&png).unwrap().to_rgba8();
    for p in img.pixels_mut() {
        *p = image::Rgba([255, 255, 255, 255]);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn a_qr_code_that_is_not_an_otpauth_link_is_refused() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    let png = dir.path().join("web.png");
    std::fs::write(
        &png,
        keygate_qr::encode_png("https://example.com", 8).unwrap(),
    )
    .unwrap();
    let err = app.add_image(&png).unwrap_err().to_string();
    assert!(err.contains("not an otpauth:// link"), "{err}");
    assert!(app.list_now().unwrap().is_empty());
}

#[test]
fn rename_and_delete_change_the_list() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    app.add_links(&format!(
        "otpauth://totp/Old:dave?secret={RFC_SECRET}&issuer=Old otpauth://totp/Keep:erin?secret=JBSWY3DPEHPK3PXP&issuer=Keep"
    ))
    .unwrap();
    let list = app.list_now().unwrap();
    assert_eq!(list.len(), 2);
    let dave = list.iter().find(|a| a.name == "dave").unwrap().id.clone();

    app.rename(&dave, " New ", "david").unwrap();
    let list = app.list_at(59).unwrap();
    let renamed = list.iter().find(|a| a.id == dave).unwrap();
    assert_eq!(renamed.issuer.as_deref(), Some("New"));
    assert_eq!(renamed.name, "david");
    assert_eq!(renamed.code.as_deref(), Some("287082"), "the secret stays");
    app.rename(&dave, "", "david").unwrap();
    let list = app.list_now().unwrap();
    assert_eq!(list.iter().find(|a| a.id == dave).unwrap().issuer, None);

    app.delete(&dave).unwrap();
    let list = app.list_now().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "erin");
    let err = app.delete(&dave).unwrap_err().to_string();
    assert!(!err.is_empty());
    assert_eq!(
        app.delete("not-an-id").unwrap_err().to_string(),
        "unknown account id"
    );

    // Deleted means gone from the keyring too: a restart still lists one account.
    drop(app);
    assert_eq!(desktop(dir.path()).list_now().unwrap().len(), 1);
}

#[test]
fn hotp_next_advances_and_persists_the_counter() {
    if !keyring_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path());
    app.add_links(&format!(
        "otpauth://hotp/H:frank?secret={RFC_SECRET}&counter=0"
    ))
    .unwrap();
    let row = only(&app.list_now().unwrap()).clone();
    assert_eq!(row.kind, "hotp");
    assert_eq!(row.code, None, "HOTP codes are shown on demand only");
    // RFC 4226 appendix D.
    assert_eq!(app.hotp_next(&row.id).unwrap(), "755224");
    assert_eq!(app.hotp_next(&row.id).unwrap(), "287082");
    drop(app);
    let mut app = desktop(dir.path());
    assert_eq!(
        app.hotp_next(&row.id).unwrap(),
        "359152",
        "counter persisted"
    );

    app.add_links(&format!("otpauth://totp/T:gina?secret={RFC_SECRET}"))
        .unwrap();
    let totp = app
        .list_now()
        .unwrap()
        .into_iter()
        .find(|a| a.name == "gina")
        .unwrap();
    assert!(app.hotp_next(&totp.id).is_err(), "TOTP has no next code");
}
