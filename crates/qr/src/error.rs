//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a QR code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not an image in a supported format, or it is damaged or truncated.
    #[error("{} is not a readable image: {reason}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// Why it could not be decoded.
        reason: String,
    },
    /// The image is larger than the decoder accepts.
    #[error(
        "{} is {width}x{height} pixels, larger than the {max}x{max} pixels this scanner accepts",
        path.display(),
        max = crate::MAX_DIMENSION
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its width in pixels.
        width: u32,
        /// Its height in pixels.
        height: u32,
    },
    /// The image was read but contains no readable QR code.
    #[error("no QR code found in {}", path.display())]
    NoQrCode {
        /// The file.
        path: PathBuf,
    },
    /// The text does not fit in one QR code.
    #[error(
        "the text is {len} bytes long, too long for one QR code at error-correction level M \
         (at most {max} bytes)",
        max = crate::MAX_TEXT_BYTES
    )]
    TextTooLong {
        /// The text's length in bytes.
        len: usize,
    },
    /// The QR picture could not be produced.
    #[error("cannot draw the QR code: {reason}")]
    Encode {
        /// Why.
        reason: String,
    },
    /// Capturing the screen or reading the clipboard failed.
    #[error("{0}")]
    Capture(String),
    /// The screens were captured but show no readable QR code.
    #[error("no QR code found on the screen")]
    NoQrCodeOnScreen,
    /// The clipboard holds no image.
    #[error("the clipboard holds no image")]
    NoClipboardImage,
    /// The clipboard's image contains no readable QR code.
    #[error("no QR code found in the clipboard's image")]
    NoQrCodeOnClipboard,
}
