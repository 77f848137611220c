//! Any text fed to the otpauth URI parser must give an account or an error, never a panic, and
//! an account must survive being emitted and parsed again unchanged.

#![no_main]

use keygate_otp::uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(account) = uri::parse(text) {
        let emitted = uri::emit(&account);
        assert_eq!(uri::parse(&emitted), Ok(account), "emitted: {emitted}");
    }
});
