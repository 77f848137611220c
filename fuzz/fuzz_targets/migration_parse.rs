//! Any input fed to the Google Authenticator export parser must give a batch or an error, never
//! a panic; a batch that can be exported again must come back unchanged.
//!
//! Random text almost never survives base64 and protobuf decoding, so an input that does not
//! start with a printable ASCII character (a protobuf payload starts with a field tag such as
//! 0x0a) is taken as the protobuf bytes and wrapped into a link; any other input is the link
//! text as typed.

#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate_otp::migration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let link = match data.first() {
        Some(0x21..=0x7e) => match std::str::from_utf8(data) {
            Ok(text) => text.to_string(),
            Err(_) => return,
        },
        _ => format!(
            "otpauth-migration://offline?data={}",
            URL_SAFE_NO_PAD.encode(data)
        ),
    };
    let Ok(batch) = migration::parse(&link) else {
        return;
    };
    // Steam entries (a TOTP with issuer "Steam") are valid on the way in but cannot be exported
    // again; everything that can must round-trip.
    if let Ok(links) = migration::emit(&batch.accounts, batch.batch_id) {
        let batches: Vec<_> = links
            .iter()
            .map(|link| migration::parse(link).expect("an emitted link parses"))
            .collect();
        assert_eq!(
            migration::join(batches).expect("emitted batches are complete"),
            batch.accounts
        );
    }
});
