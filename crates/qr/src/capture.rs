//! Pixels from the screen and the clipboard, for "scan the screen" and "paste an image"
//! (feature `capture`: it pulls in the platform capture stacks, which servers do not need).

use image::{DynamicImage, RgbaImage};

use crate::{decode_image, Error};

/// Captures every monitor, one image each.
pub fn capture_screens() -> Result<Vec<RgbaImage>, Error> {
    let monitors = xcap::Monitor::all()
        .map_err(|e| Error::Capture(format!("cannot list the screens: {e}")))?;
    if monitors.is_empty() {
        return Err(Error::Capture(
            "no screen to capture (is a display available?)".into(),
        ));
    }
    monitors
        .iter()
        .map(|m| {
            m.capture_image()
                .map_err(|e| Error::Capture(format!("cannot capture a screen: {e}")))
        })
        .collect()
}

/// Every QR payload on every monitor, monitor by monitor in reading order.
pub fn scan_screens() -> Result<Vec<String>, Error> {
    let mut payloads = Vec::new();
    for shot in capture_screens()? {
        payloads.extend(decode_image(&DynamicImage::ImageRgba8(shot)));
    }
    if payloads.is_empty() {
        return Err(Error::NoQrCodeOnScreen);
    }
    Ok(payloads)
}

/// The image on the clipboard.
pub fn clipboard_image() -> Result<RgbaImage, Error> {
    let mut clipboard = arboard::Clipboard::new()
        .map_err(|e| Error::Capture(format!("cannot open the clipboard: {e}")))?;
    let data = clipboard.get_image().map_err(|e| match e {
        arboard::Error::ContentNotAvailable => Error::NoClipboardImage,
        other => Error::Capture(format!("cannot read the clipboard: {other}")),
    })?;
    RgbaImage::from_raw(
        data.width as u32,
        data.height as u32,
        data.bytes.into_owned(),
    )
    .ok_or_else(|| Error::Capture("the clipboard image has an inconsistent size".into()))
}

/// Every QR payload in the clipboard's image.
pub fn scan_clipboard() -> Result<Vec<String>, Error> {
    let payloads = decode_image(&DynamicImage::ImageRgba8(clipboard_image()?));
    if payloads.is_empty() {
        return Err(Error::NoQrCodeOnClipboard);
    }
    Ok(payloads)
}
