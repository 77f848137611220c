//! Where QR payloads and links come from (files, screens, the clipboard) and how they become
//! accounts. Everything is read and parsed before anything is added, so one bad input adds
//! nothing.

use std::path::PathBuf;

use keygate_otp::{import, Account};

use crate::error::CliError;

/// Text found in one place, with the place for error messages.
pub struct Payload {
    /// Where it came from: a file name, "the screen", "the clipboard" or "argument N".
    pub origin: String,
    /// The decoded text.
    pub text: String,
    /// Whether it was read from a QR code (anything may be in one) or typed as a link.
    pub from_qr: bool,
}

/// Decodes every QR code in each file.
pub fn from_files(files: &[PathBuf]) -> Result<Vec<Payload>, CliError> {
    let mut payloads = Vec::new();
    for file in files {
        for text in keygate_qr::decode_file(file)? {
            payloads.push(Payload {
                origin: file.display().to_string(),
                text,
                from_qr: true,
            });
        }
    }
    Ok(payloads)
}

/// Decodes every QR code on every monitor.
pub fn from_screen() -> Result<Vec<Payload>, CliError> {
    Ok(keygate_qr::capture::scan_screens()?
        .into_iter()
        .map(|text| Payload {
            origin: "the screen".into(),
            text,
            from_qr: true,
        })
        .collect())
}

/// Decodes every QR code in the clipboard's image.
pub fn from_clipboard() -> Result<Vec<Payload>, CliError> {
    Ok(keygate_qr::capture::scan_clipboard()?
        .into_iter()
        .map(|text| Payload {
            origin: "the clipboard".into(),
            text,
            from_qr: true,
        })
        .collect())
}

/// Links given on the command line.
pub fn from_args(links: &[String]) -> Vec<Payload> {
    links
        .iter()
        .enumerate()
        .map(|(i, text)| Payload {
            origin: format!("link {}", i + 1),
            text: text.trim().to_string(),
            from_qr: false,
        })
        .collect()
}

/// Parses otpauth:// and motp:// links and joins the batches of Google exports; an error names
/// the input it came from.
pub fn accounts(payloads: &[Payload]) -> Result<Vec<Account>, CliError> {
    let inputs: Vec<import::Input> = payloads
        .iter()
        .map(|p| import::Input {
            text: &p.text,
            from_qr: p.from_qr,
        })
        .collect();
    import::accounts(&inputs).map_err(|failed| match failed.index {
        Some(index) => CliError::From {
            origin: payloads[index].origin.clone(),
            message: failed.error.to_string(),
        },
        None => CliError::Otp(failed.error),
    })
}
