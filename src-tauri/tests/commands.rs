//! The Tauri commands' functions ([`Desktop`]) against a real vault: on the in-memory secret
//! store by default, and on the real Secret Service in each test's ignored `keyring` variant
//! (`scripts/with-keyring.sh cargo test -p keygate-desktop -- --include-ignored`; the clipboard
//! test also needs an X display: scripts/test.sh runs them all).

#[macro_use]
mod common;

use std::path::Path;

use common::{Secrets, TestStore};
use keygate_desktop::app::{AccountView, Desktop, Settings};
use keygate_desktop::error::DesktopError;
use keygate_desktop::manual::{ManualEntry, ManualSecret};
use keygate_otp::{Account, Algorithm, Kind, Secret};
use keygate_vault::SecretStore;

/// RFC 6238's SHA1 test secret ("12345678901234567890").
const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The app as it starts on `dir` with `secrets`, unlocked.
fn desktop(dir: &Path, secrets: &Secrets) -> Desktop<TestStore> {
    let mut desktop = Desktop::open(dir, secrets.open()).unwrap();
    desktop.unlock().unwrap();
    desktop
}

fn only(views: &[AccountView]) -> &AccountView {
    assert_eq!(views.len(), 1, "{views:?}");
    &views[0]
}

fn a_link_adds_an_account_whose_codes_match_rfc_6238(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
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
    let reopened = desktop(dir.path(), &secrets);
    assert_eq!(
        only(&reopened.list_at(59).unwrap()).code.as_deref(),
        Some("94287082")
    );
}

fn locked_means_no_codes_until_unlocked_again(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    app.add_links(&format!("otpauth://totp/L:bob?secret={RFC_SECRET}"))
        .unwrap();
    let id = only(&app.list_now().unwrap()).id.clone();
    app.lock();
    assert!(!app.is_unlocked());
    let err = app.list_now().unwrap_err();
    assert_eq!(
        err.kind(),
        "locked",
        "the UI shows the locked view on this kind"
    );
    assert!(err.to_string().contains("locked"), "{err}");
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

fn bad_links_say_what_is_wrong_and_add_nothing(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
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

fn an_image_file_adds_its_qr_codes_and_one_without_says_so(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
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

fn a_qr_code_that_is_not_an_otpauth_link_is_refused(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
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

fn edit_and_delete_change_the_list(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    app.add_links(&format!(
        "otpauth://totp/Old:dave?secret={RFC_SECRET}&issuer=Old otpauth://totp/Keep:erin?secret=JBSWY3DPEHPK3PXP&issuer=Keep"
    ))
    .unwrap();
    let list = app.list_now().unwrap();
    assert_eq!(list.len(), 2);
    let dave = list.iter().find(|a| a.name == "dave").unwrap().id.clone();

    assert_eq!(list[0].note, None);
    app.edit(&dave, " New ", "david", " backup codes in the safe ")
        .unwrap();
    let list = app.list_at(59).unwrap();
    let renamed = list.iter().find(|a| a.id == dave).unwrap();
    assert_eq!(renamed.issuer.as_deref(), Some("New"));
    assert_eq!(renamed.name, "david");
    assert_eq!(renamed.note.as_deref(), Some("backup codes in the safe"));
    assert_eq!(renamed.code.as_deref(), Some("287082"), "the secret stays");
    let erin = list.iter().find(|a| a.name == "erin").unwrap();
    assert_eq!(
        (erin.issuer.as_deref(), erin.note.as_deref()),
        (Some("Keep"), None)
    );

    // Kept across a restart; an empty issuer or note clears it.
    drop(app);
    let mut app = desktop(dir.path(), &secrets);
    let list = app.list_now().unwrap();
    let reopened = list.iter().find(|a| a.id == dave).unwrap();
    assert_eq!(reopened.note.as_deref(), Some("backup codes in the safe"));
    app.edit(&dave, "", "david", "  ").unwrap();
    let list = app.list_now().unwrap();
    let cleared = list.iter().find(|a| a.id == dave).unwrap();
    assert_eq!(
        (cleared.issuer.as_deref(), cleared.note.as_deref()),
        (None, None)
    );
    assert_eq!(
        app.edit("not-an-id", "x", "y", "z")
            .unwrap_err()
            .to_string(),
        "unknown account id"
    );

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
    assert_eq!(desktop(dir.path(), &secrets).list_now().unwrap().len(), 1);
}

fn hotp_next_advances_and_persists_the_counter(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
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
    let mut app = desktop(dir.path(), &secrets);
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

/// The code of `secret` (SHA1, 6 digits, 30 s) at `time`, by the OTP engine itself.
fn engine_code(secret: &str, time: u64) -> String {
    Account::totp(Secret::from_base32(secret).unwrap(), None, "x")
        .unwrap()
        .code_at(time)
        .unwrap()
}

fn the_next_code_shows_in_the_last_five_seconds_only(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    app.add_links(&format!(
        "otpauth://totp/N:nina?secret={RFC_SECRET}&issuer=N otpauth://hotp/H:hal?secret={RFC_SECRET}&counter=0 otpauth://totp/P:pat?secret=JBSWY3DPEHPK3PXP&issuer=P&period=60"
    ))
    .unwrap();
    let row =
        |views: Vec<AccountView>, name: &str| views.into_iter().find(|a| a.name == name).unwrap();

    // A 30 s window ends at `boundary` (a 60 s one 30 s later). 6 s left: no next code yet.
    let boundary = 1_000_000_050;
    let nina = row(app.list_at(boundary - 6).unwrap(), "nina");
    assert_eq!(nina.seconds_left, Some(6));
    assert_eq!(nina.next_code, None);
    // 5 s left down to 1 s: the code of the next window.
    for left in (1..=5).rev() {
        let time = boundary - left;
        let nina = row(app.list_at(time).unwrap(), "nina");
        assert_eq!(nina.seconds_left, Some(left));
        assert_eq!(
            nina.code.as_deref(),
            Some(engine_code(RFC_SECRET, time).as_str())
        );
        assert_eq!(
            nina.next_code.as_deref(),
            Some(engine_code(RFC_SECRET, boundary).as_str()),
            "{left} s left"
        );
        assert_ne!(nina.next_code, nina.code);
    }
    // A new window: the next code became the code.
    let nina = row(app.list_at(boundary).unwrap(), "nina");
    assert_eq!(nina.seconds_left, Some(30));
    assert_eq!(
        nina.code.as_deref(),
        Some(engine_code(RFC_SECRET, boundary).as_str())
    );
    assert_eq!(nina.next_code, None);

    // A 60 s account follows its own period; HOTP never has one.
    let pat = row(app.list_at(boundary - 5).unwrap(), "pat");
    assert_eq!((pat.seconds_left, pat.next_code), (Some(35), None));
    let time = boundary + 25; // 5 s before the 60 s window ends.
    let pat = row(app.list_at(time).unwrap(), "pat");
    assert_eq!(pat.seconds_left, Some(5));
    let engine = Account::new(
        Kind::Totp,
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        None,
        "x",
        Algorithm::Sha1,
        6,
        60,
        0,
    )
    .unwrap();
    assert_eq!(pat.next_code, Some(engine.code_at(time + 5).unwrap()));
    let hal = row(app.list_at(time).unwrap(), "hal");
    assert_eq!((hal.code, hal.next_code), (None, None));
}

fn favourites_and_moves_change_the_vault_order_and_persist(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    app.add_links(&format!(
        "otpauth://totp/A:a?secret={RFC_SECRET}&issuer=A otpauth://totp/B:b?secret={RFC_SECRET}&issuer=B otpauth://totp/C:c?secret={RFC_SECRET}&issuer=C otpauth://totp/D:d?secret={RFC_SECRET}&issuer=D"
    ))
    .unwrap();
    let names = |app: &Desktop<TestStore>| -> Vec<String> {
        app.list_now()
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect()
    };
    let id_of = |app: &Desktop<TestStore>, name: &str| {
        app.list_now()
            .unwrap()
            .into_iter()
            .find(|a| a.name == name)
            .unwrap()
            .id
    };
    assert_eq!(
        names(&app),
        ["a", "b", "c", "d"],
        "the order they were added"
    );

    // Last to first, then one down (Alt+Down), then past the end means last.
    app.move_account(&id_of(&app, "d"), 0).unwrap();
    assert_eq!(names(&app), ["d", "a", "b", "c"]);
    app.move_account(&id_of(&app, "a"), 2).unwrap();
    assert_eq!(names(&app), ["d", "b", "a", "c"]);
    app.move_account(&id_of(&app, "d"), 99).unwrap();
    assert_eq!(names(&app), ["b", "a", "c", "d"]);

    // Favourites are flagged; the vault order stays (the window lists favourites first).
    let c = id_of(&app, "c");
    assert!(app.set_favourite(&c, true).unwrap().favourite);
    let list = app.list_now().unwrap();
    let favourites: Vec<&str> = list
        .iter()
        .filter(|a| a.favourite)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(favourites, ["c"]);
    assert_eq!(names(&app), ["b", "a", "c", "d"]);
    assert_eq!(
        list.iter().find(|a| a.name == "c").unwrap().code,
        list.iter().find(|a| a.name == "a").unwrap().code,
        "still unlocked with codes after the change"
    );

    // Both survive a restart.
    drop(app);
    let mut app = desktop(dir.path(), &secrets);
    assert_eq!(names(&app), ["b", "a", "c", "d"]);
    assert!(app.list_now().unwrap()[2].favourite);
    app.set_favourite(&c, false).unwrap();
    assert!(app.list_now().unwrap().iter().all(|a| !a.favourite));

    assert_eq!(
        app.move_account("nope", 0).unwrap_err().to_string(),
        "unknown account id"
    );
    let gone = keygate_vault::AccountId::random().to_string();
    assert!(app.move_account(&gone, 0).is_err());
    assert!(app.set_favourite(&gone, true).is_err());
    assert_eq!(names(&app), ["b", "a", "c", "d"]);
}

/// Draws the SVG of `keygate_qr::encode_svg` (one `M x yhWvH...` sub-path per dark run, one
/// unit per module) as pixels, `scale` per module.
fn rasterise_svg(svg: &str, scale: u32) -> image::GrayImage {
    let number_after = |text: &str, key: &str| -> u32 {
        let start = text.find(key).unwrap() + key.len();
        let digits: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().unwrap()
    };
    let size = number_after(svg, "width=\"");
    let mut img = image::GrayImage::from_pixel(size * scale, size * scale, image::Luma([255]));
    let path = &svg[svg.find(" d=\"").unwrap() + 4..];
    let path = &path[..path.find('"').unwrap()];
    let mut dark = 0;
    for run in path.split('M').filter(|r| !r.is_empty()) {
        // "x yhWvHHxVy"
        let (x, rest) = run.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (w, rest) = rest.split_once('v').unwrap();
        let (h, _) = rest.split_once('H').unwrap();
        let [x, y, w, h] = [x, y, w, h].map(|n| n.parse::<u32>().unwrap());
        for py in y * scale..(y + h) * scale {
            for px in x * scale..(x + w) * scale {
                img.put_pixel(px, py, image::Luma([0]));
            }
        }
        dark += 1;
    }
    assert!(dark > 50, "too few dark modules: {dark}");
    img
}

fn an_accounts_qr_code_holds_its_link_and_needs_the_vault_unlocked(secrets: Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    app.add_links(&format!(
        "otpauth://totp/ACME%20Corp:alice%40example.com?secret={RFC_SECRET}&issuer=ACME%20Corp&digits=8&algorithm=SHA256&period=60"
    ))
    .unwrap();
    let row = only(&app.list_now().unwrap()).clone();
    let svg = app.account_qr(&row.id).unwrap();
    assert!(svg.starts_with("<?xml") && svg.trim_end().ends_with("</svg>"));

    // Read back from the picture: the same account, whose codes match.
    let decoded =
        keygate_qr::decode_image(&image::DynamicImage::ImageLuma8(rasterise_svg(&svg, 6)));
    assert_eq!(decoded.len(), 1, "one QR code");
    let account = keygate_otp::uri::parse(&decoded[0]).unwrap();
    assert_eq!(account.issuer.as_deref(), Some("ACME Corp"));
    assert_eq!(account.name, "alice@example.com");
    assert_eq!(
        (
            account.kind,
            account.algorithm,
            account.digits,
            account.period
        ),
        (Kind::Totp, Algorithm::Sha256, 8, 60)
    );
    assert_eq!(account.secret, Secret::from_base32(RFC_SECRET).unwrap());
    for time in [59, 1_111_111_109, 2_000_000_000] {
        assert_eq!(
            Some(account.code_at(time).unwrap()),
            only(&app.list_at(time).unwrap()).code
        );
    }

    // Locked: no QR code (the secret is not in memory).
    app.lock();
    let err = app.account_qr(&row.id).unwrap_err().to_string();
    assert!(err.contains("locked"), "{err}");
    app.unlock().unwrap();
    assert!(app.account_qr("not-an-id").is_err());
    let gone = keygate_vault::AccountId::random().to_string();
    assert!(app.account_qr(&gone).is_err());
}

fn entry(issuer: &str, name: &str, secret: &str) -> ManualEntry {
    ManualEntry {
        issuer: issuer.into(),
        name: name.into(),
        secret: ManualSecret(secret.into()),
        ..ManualEntry::default()
    }
}

fn fields(entry: &ManualEntry) -> Vec<(&'static str, String)> {
    entry
        .problems()
        .into_iter()
        .map(|p| (p.field, p.message))
        .collect()
}

fn manual_entry_names_the_wrong_field_and_adds_a_good_account(secrets: Secrets) {
    // Validation as you type: each problem is attached to its field, the secret never quoted.
    let bad = entry("ACME", "alice", "JBSW*Y3DP");
    let problems = fields(&bad);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "secret");
    assert_eq!(
        problems[0].1,
        "the secret is not valid base32: character 5 is not a base32 letter (A-Z, 2-7)"
    );
    assert_eq!(
        fields(&entry("ACME", "alice", " ")),
        [("secret", "the secret is empty".to_string())]
    );
    assert_eq!(fields(&entry("", " ", RFC_SECRET))[0].0, "issuer");

    let mut wrong = entry("ACME", "alice", RFC_SECRET);
    wrong.digits = "12".into();
    wrong.period = "0".into();
    wrong.algorithm = "MD5".into();
    let problems = fields(&wrong);
    assert_eq!(problems.len(), 3, "one per wrong field: {problems:?}");
    assert_eq!(problems[0].0, "algorithm");
    assert!(problems[0].1.contains("MD5"), "{problems:?}");
    assert_eq!(
        problems[1],
        ("digits", "12 digits is not supported (use 6 to 10)".into())
    );
    assert_eq!(problems[2].0, "period");
    // Shown even while another field (here the secret) is still wrong.
    wrong.secret = ManualSecret("JBSW*".into());
    let named: Vec<&str> = fields(&wrong).iter().map(|p| p.0).collect();
    assert_eq!(named, ["secret", "algorithm", "digits", "period"]);
    wrong.secret = ManualSecret(RFC_SECRET.into());
    wrong.algorithm = "SHA512".into();
    wrong.digits = "8".into();
    assert_eq!(
        fields(&wrong),
        [(
            "period",
            "a period of 0 seconds is not supported (use 1 to 3600)".to_string()
        )]
    );
    wrong.period = "thirty".into();
    assert_eq!(
        fields(&wrong)[0],
        ("period", "the period must be a whole number".into())
    );
    wrong.kind = "yandex".into();
    assert!(fields(&wrong).iter().any(|(f, _)| *f == "kind"));
    // Fields a kind does not use are not checked: Steam fixes digits, period and algorithm.
    wrong.kind = "steam".into();
    wrong.digits = "x".into();
    assert_eq!(fields(&wrong), []);

    // A good entry is added, and its codes are the engine's for the same secret.
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);
    let err = app.add_manual(&bad).unwrap_err();
    assert!(
        matches!(&err, DesktopError::Fields(problems) if problems.len() == 1 && problems[0].field == "secret"),
        "{err:?}"
    );
    let err = err.to_string();
    assert!(
        err.contains("base32") && !err.contains("JBSW*Y3DP"),
        "{err}"
    );
    assert!(app.list_now().unwrap().is_empty());

    let mut good = entry(" ACME ", "alice@example.com", "jbsw y3dp ehpk 3pxp");
    good.digits = "8".into();
    good.algorithm = "SHA256".into();
    good.period = "60".into();
    assert_eq!(fields(&good), []);
    let added = app.add_manual(&good).unwrap();
    assert_eq!((added.len(), added[0].added), (1, true));
    assert_eq!(added[0].label, "ACME (alice@example.com)");
    let engine = Account::new(
        Kind::Totp,
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        Some("ACME".into()),
        "alice@example.com",
        Algorithm::Sha256,
        8,
        60,
        0,
    )
    .unwrap();
    for time in [59, 1_234_567_890, 2_000_000_000] {
        let row = only(&app.list_at(time).unwrap()).clone();
        assert_eq!(row.code, Some(engine.code_at(time).unwrap()));
        assert_eq!((row.digits, row.period), (8, 60));
    }
    // The same again is reported as present, not added twice.
    let again = app.add_manual(&good).unwrap();
    assert!(!again[0].added && again[0].error.is_none());

    // HOTP with a counter, Steam.
    let mut hotp = entry("VPN", "", RFC_SECRET);
    hotp.kind = "hotp".into();
    hotp.counter = "1".into();
    app.add_manual(&hotp).unwrap();
    let vpn = app
        .list_now()
        .unwrap()
        .into_iter()
        .find(|a| a.issuer.as_deref() == Some("VPN"))
        .unwrap();
    assert_eq!(
        app.hotp_next(&vpn.id).unwrap(),
        "287082",
        "RFC 4226 counter 1"
    );
    let mut steam = entry("Steam", "gamer", RFC_SECRET);
    steam.kind = "steam".into();
    app.add_manual(&steam).unwrap();
    let gamer = app
        .list_at(59)
        .unwrap()
        .into_iter()
        .find(|a| a.name == "gamer")
        .unwrap();
    assert_eq!((gamer.kind.as_str(), gamer.digits), ("steam", 5));
    assert_eq!(gamer.code.unwrap().len(), 5);
    assert_eq!(app.list_now().unwrap().len(), 3);
}

#[test]
fn the_idle_lock_defaults_to_five_minutes_and_zero_disables_it() {
    let secs = |value| Settings::from_idle_lock_value(value).map(|s| s.idle_lock_secs);
    assert_eq!(secs(None), Ok(300));
    assert_eq!(secs(Some("")), Ok(300));
    assert_eq!(secs(Some(" 60 ")), Ok(60));
    assert_eq!(secs(Some("0")), Ok(0));
    let err = secs(Some("5m")).unwrap_err();
    assert!(
        err.contains("KEYGATE_IDLE_LOCK_SECS") && err.contains("5m"),
        "{err}"
    );
    assert!(secs(Some("-1")).is_err());
}

/// Panics with what to do unless an X display is available.
fn need_display() {
    if std::env::var_os("DISPLAY").is_none() {
        panic!(
            "there is no X display: this test needs one and xclip, e.g. `scripts/with-keyring.sh \
             xvfb-run -a cargo test -p keygate-desktop -- --ignored` (scripts/test.sh does)"
        );
    }
}

/// Puts `bytes` on the clipboard as `mime` with xclip, which keeps serving it in the background.
fn xclip_put(dir: &Path, mime: &str, bytes: &[u8]) {
    let file = dir.join("clip");
    std::fs::write(&file, bytes).unwrap();
    let status = std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-t", mime, "-i"])
        .arg(&file)
        .status()
        .expect("xclip (apt-get install xclip)");
    assert!(status.success());
}

/// Retries `f` for up to 5 s: xclip takes the selection asynchronously.
fn eventually<T>(mut f: impl FnMut() -> Result<T, String>) -> Result<T, String> {
    let mut last = Err(String::new());
    for _ in 0..50 {
        last = f();
        if last.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    last
}

#[test]
#[ignore = "needs an X display with xclip and a Secret Service: run under scripts/with-keyring.sh xvfb-run with --include-ignored (scripts/test.sh does)"]
fn a_clipboard_image_adds_its_qr_code_and_no_image_says_so() {
    let secrets = Secrets::keyring();
    need_display();
    let dir = tempfile::tempdir().unwrap();
    let mut app = desktop(dir.path(), &secrets);

    // Nothing on the clipboard.
    let err = app.add_clipboard().unwrap_err().to_string();
    assert_eq!(err, "the clipboard holds no image");

    // Text, not an image: through arboard (which serves only the targets it has, as desktop
    // apps do, while `text_owner` lives) and through xclip (which answers any target).
    let secret_link = format!("otpauth://totp/T:t?secret={RFC_SECRET}");
    let mut text_owner =
        eventually(|| arboard::Clipboard::new().map_err(|e| e.to_string())).unwrap();
    text_owner.set_text(secret_link.clone()).unwrap();
    let is_text = |e: &str| e.starts_with("the clipboard holds text, not an image");
    let err = eventually(|| match app.add_clipboard() {
        Err(e) if is_text(&e.to_string()) => Ok(e.to_string()),
        other => Err(format!("{other:?}")),
    })
    .unwrap();
    assert!(
        !err.contains(RFC_SECRET),
        "the clipboard's text leaked: {err}"
    );
    drop(text_owner);
    xclip_put(dir.path(), "UTF8_STRING", secret_link.as_bytes());
    eventually(|| match app.add_clipboard() {
        Err(e) if is_text(&e.to_string()) => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .unwrap();

    // An image without a QR code.
    xclip_put(dir.path(), "image/png", &image_png_white());
    let err = eventually(|| match app.add_clipboard() {
        Err(e) if e.to_string().contains("no QR code") => Ok(e.to_string()),
        other => Err(format!("{other:?}")),
    })
    .unwrap();
    assert_eq!(err, "no QR code found in the clipboard's image");
    assert!(app.list_now().unwrap().is_empty());

    // A QR code of an otpauth link.
    let link = format!("otpauth://totp/Clip:ivy?secret={RFC_SECRET}&issuer=Clip");
    xclip_put(
        dir.path(),
        "image/png",
        &keygate_qr::encode_png(&link, 6).unwrap(),
    );
    let added = eventually(|| app.add_clipboard().map_err(|e| e.to_string())).unwrap();
    assert_eq!(added.len(), 1);
    assert!(added[0].added, "{added:?}");
    assert_eq!(added[0].label, "Clip (ivy)");
    assert_eq!(
        only(&app.list_at(59).unwrap()).code.as_deref(),
        Some("287082")
    );
}

/// The code at 59 s of the only account.
fn code_at_59<S: SecretStore>(app: &Desktop<S>) -> Option<String> {
    only(&app.list_at(59).unwrap()).code.clone()
}

/// The test's store, recording which keys are read (to show a refused unlock reads no secret).
#[derive(Clone)]
struct Recording {
    inner: std::sync::Arc<TestStore>,
    loaded: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Recording {
    fn new(secrets: &Secrets) -> Self {
        Recording {
            inner: std::sync::Arc::new(secrets.open()),
            loaded: Default::default(),
        }
    }

    /// The keys read since the last call.
    fn take_loaded(&self) -> Vec<String> {
        std::mem::take(&mut *self.loaded.lock().unwrap())
    }
}

impl SecretStore for Recording {
    fn store(&self, key: &str, secret: &Secret) -> keygate_vault::Result<()> {
        self.inner.store(key, secret)
    }
    fn load(&self, key: &str) -> keygate_vault::Result<Option<Secret>> {
        self.loaded.lock().unwrap().push(key.to_string());
        self.inner.load(key)
    }
    fn delete(&self, key: &str) -> keygate_vault::Result<()> {
        self.inner.delete(key)
    }
    fn list_ids(&self) -> keygate_vault::Result<Option<Vec<String>>> {
        self.inner.list_ids()
    }
}

fn an_app_password_gates_unlocking_and_is_throttled(secrets: Secrets) {
    const PASSWORD: &str = "correct horse battery";
    let dir = tempfile::tempdir().unwrap();
    let store = Recording::new(&secrets);
    let mut app = Desktop::open(dir.path(), store.clone()).unwrap();
    app.unlock().unwrap();
    app.add_links(&format!("otpauth://totp/L:bob?secret={RFC_SECRET}"))
        .unwrap();
    assert_eq!(code_at_59(&app).as_deref(), Some("287082"));
    assert!(!app.has_app_password().unwrap());

    // Only while unlocked, and at least 8 characters.
    app.lock();
    let err = app.set_app_password(None, Some(PASSWORD)).unwrap_err();
    assert!(err.to_string().contains("locked"), "{err}");
    app.unlock().unwrap();
    let err = app.set_app_password(None, Some("1234567")).unwrap_err();
    assert!(err.to_string().contains("at least 8 characters"), "{err}");
    assert!(!app.has_app_password().unwrap());
    app.set_app_password(None, Some(PASSWORD)).unwrap();
    assert!(app.has_app_password().unwrap());
    assert!(app.is_unlocked(), "setting it does not lock");

    // Locked: no password, or a wrong one, is refused and reads no account secret.
    app.lock();
    store.take_loaded();
    let t = 1_800_000_000;
    let err = app.unlock_with_at(None, t).unwrap_err().to_string();
    assert!(err.contains("app password"), "{err}");
    assert!(app.unlock().is_err(), "plain unlock() is refused too");
    let err = app
        .unlock_with_at(Some("wrong horse battery"), t)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "wrong app password");
    assert!(!app.is_unlocked());
    assert!(app.list_now().unwrap_err().to_string().contains("locked"));
    let loaded = store.take_loaded();
    assert!(
        !loaded.is_empty() && loaded.iter().all(|k| k.ends_with("/app.password")),
        "{loaded:?}"
    );

    // After a wrong one, even the right one waits: 1 s, then 2, 4 … at most 60 s.
    assert_eq!(app.app_password_retry_after(t), Some(1));
    let err = app.unlock_with_at(Some(PASSWORD), t).unwrap_err();
    assert_eq!((err.kind(), err.retry_after()), ("throttled", Some(1)));
    assert_eq!(
        err.to_string(),
        "too many wrong app passwords: try again in 1 s"
    );
    assert!(!app.is_unlocked());
    assert!(
        store.take_loaded().is_empty(),
        "a throttled attempt reads nothing"
    );
    let mut now = t + 1;
    let mut delays = Vec::new();
    for _ in 0..8 {
        assert_eq!(app.app_password_retry_after(now), None);
        assert!(app.unlock_with_at(Some("still wrong"), now).is_err());
        let delay = app.app_password_retry_after(now).unwrap();
        assert_eq!(app.app_password_retry_after(now + delay - 1), Some(1));
        assert!(matches!(
            app.unlock_with_at(Some(PASSWORD), now + delay - 1),
            Err(DesktopError::Throttled(1))
        ));
        delays.push(delay);
        now += delay;
    }
    assert_eq!(delays, [2, 4, 8, 16, 32, 60, 60, 60]);

    // The right one, once allowed, unlocks with the same codes and clears the count.
    app.unlock_with_at(Some(PASSWORD), now).unwrap();
    assert!(app.is_unlocked());
    assert_eq!(code_at_59(&app).as_deref(), Some("287082"));
    assert_eq!(app.app_password_retry_after(now), None);

    // Another instance on the same data directory (a restart) needs it too.
    let mut second = Desktop::open(dir.path(), Recording::new(&secrets)).unwrap();
    assert!(second.has_app_password().unwrap());
    assert!(second.unlock().is_err());
    assert!(!second.is_unlocked());
    second.unlock_with(Some(PASSWORD)).unwrap();
    assert_eq!(code_at_59(&second).as_deref(), Some("287082"));

    // Changing needs the current one (a wrong one counts towards the wait).
    let err = app
        .set_app_password_at(None, Some("another password"), now)
        .unwrap_err();
    assert!(err.to_string().contains("app password"), "{err}");
    let err = app
        .set_app_password_at(Some("not it"), Some("another password"), now)
        .unwrap_err();
    assert_eq!(err.to_string(), "wrong app password");
    assert_eq!(app.app_password_retry_after(now), Some(1));
    app.set_app_password_at(Some(PASSWORD), Some("another password"), now + 1)
        .unwrap();
    app.lock();
    assert!(app.unlock_with_at(Some(PASSWORD), now + 1).is_err());
    app.unlock_with_at(Some("another password"), now + 3)
        .unwrap();

    // Removed: unlocking needs no password again, here and in the other instance.
    app.set_app_password_at(Some("another password"), None, now + 3)
        .unwrap();
    assert!(!app.has_app_password().unwrap());
    app.lock();
    app.unlock().unwrap();
    assert_eq!(code_at_59(&app).as_deref(), Some("287082"));
    second.lock();
    second.unlock().unwrap();
    assert_eq!(code_at_59(&second).as_deref(), Some("287082"));
}

on_both_stores!(
    a_link_adds_an_account_whose_codes_match_rfc_6238,
    locked_means_no_codes_until_unlocked_again,
    bad_links_say_what_is_wrong_and_add_nothing,
    an_image_file_adds_its_qr_codes_and_one_without_says_so,
    a_qr_code_that_is_not_an_otpauth_link_is_refused,
    edit_and_delete_change_the_list,
    hotp_next_advances_and_persists_the_counter,
    the_next_code_shows_in_the_last_five_seconds_only,
    favourites_and_moves_change_the_vault_order_and_persist,
    an_accounts_qr_code_holds_its_link_and_needs_the_vault_unlocked,
    manual_entry_names_the_wrong_field_and_adds_a_good_account,
    an_app_password_gates_unlocking_and_is_throttled,
);
