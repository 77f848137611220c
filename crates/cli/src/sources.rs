//! Where QR payloads and links come from (files, screens, the clipboard, arguments). Everything is
//! read and parsed (by `keygate_otp::import`) before anything is added, so one bad input adds
//! nothing.

use std::path::PathBuf;

use keygate_otp::import::Input;

use crate::error::CliError;

/// Decodes every QR code in each file.
pub(crate) fn from_files(files: &[PathBuf]) -> Result<Vec<Input>, CliError> {
    let mut payloads = Vec::new();
    for file in files {
        let origin = file.display().to_string();
        for text in keygate_qr::decode_file(file)? {
            payloads.push(Input::scanned(origin.clone(), text));
        }
    }
    Ok(payloads)
}

/// Decodes every QR code on every monitor.
pub(crate) fn from_screen() -> Result<Vec<Input>, CliError> {
    Ok(keygate_qr::capture::scan_screens()?
        .into_iter()
        .map(|text| Input::scanned("the screen", text))
        .collect())
}

/// Decodes every QR code in the clipboard's image.
pub(crate) fn from_clipboard() -> Result<Vec<Input>, CliError> {
    Ok(keygate_qr::capture::scan_clipboard()?
        .into_iter()
        .map(|text| Input::scanned("the clipboard", text))
        .collect())
}

/// Links given on the command line.
pub(crate) fn from_args(links: &[String]) -> Vec<Input> {
    links
        .iter()
        .enumerate()
        .map(|(i, text)| Input::link(format!("link {}", i + 1), text.as_str()))
        .collect()
}
