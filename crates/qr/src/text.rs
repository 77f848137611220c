//! Payload bytes to text.
//!
//! rqrr hands back the raw bytes of byte-mode segments and Shift_JIS for kanji-mode ones, and
//! drops ECI markers, so the character set has to be guessed the way ZXing does: UTF-8 when the
//! bytes are valid UTF-8, Shift_JIS when they read as Japanese, ISO-8859-1 (the QR default)
//! otherwise. otpauth:// links are ASCII, so they are unaffected.

use encoding_rs::SHIFT_JIS;

/// The payload as text.
pub(crate) fn payload_to_string(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    if looks_like_shift_jis(bytes) {
        let (text, _, had_errors) = SHIFT_JIS.decode(bytes);
        if !had_errors {
            return text.into_owned();
        }
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// ZXing's heuristic: Shift_JIS if the bytes are valid Shift_JIS and contain runs of
/// double-byte characters or katakana that Latin-1 text would not.
fn looks_like_shift_jis(bytes: &[u8]) -> bool {
    let mut i = 0;
    let (mut double_run, mut max_double_run) = (0, 0);
    let (mut kana_run, mut max_kana_run, mut kana_chars) = (0, 0, 0);
    let mut latin_high_other = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0xa0..=0xdf).contains(&b) {
            kana_chars += 1;
            kana_run += 1;
            max_kana_run = max_kana_run.max(kana_run);
            double_run = 0;
            i += 1;
        } else if (0x81..=0x9f).contains(&b) || (0xe0..=0xef).contains(&b) {
            let Some(&next) = bytes.get(i + 1) else {
                return false;
            };
            if !(0x40..=0xfc).contains(&next) || next == 0x7f {
                return false;
            }
            double_run += 1;
            max_double_run = max_double_run.max(double_run);
            kana_run = 0;
            i += 2;
        } else if b >= 0x80 {
            return false;
        } else {
            double_run = 0;
            kana_run = 0;
            i += 1;
        }
        if b > 0x7f && !(0xa0..=0xff).contains(&b) {
            latin_high_other += 1;
        }
    }
    max_kana_run >= 3
        || max_double_run >= 3
        || (max_kana_run == 2 && kana_chars == 2)
        || latin_high_other * 10 >= bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stays_utf8() {
        assert_eq!(
            payload_to_string("otpauth://totp/é".as_bytes()),
            "otpauth://totp/é"
        );
    }

    #[test]
    fn shift_jis_is_recognised() {
        let (bytes, _, _) = SHIFT_JIS.encode("こんにちは世界");
        assert_eq!(payload_to_string(&bytes), "こんにちは世界");
    }

    #[test]
    fn other_bytes_are_latin1() {
        assert_eq!(payload_to_string(&[b'c', b'a', b'f', 0xe9]), "café");
        assert_eq!(payload_to_string(&[0xff, 0xfe]), "ÿþ");
    }
}
