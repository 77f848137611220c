//! QR codes for Keygate: read every QR code in an image or screenshot, draw a text as a QR code.
//!
//! Decoding finds finder patterns at full resolution (a linear scan, fast even on 8K
//! screenshots), samples each code's modules through a perspective transform and lets `rqrr`
//! read the module grid. Several thresholding passes, dark-mode inversion and enlarged candidate
//! regions handle HiDPI-resampled, JPEG-compressed, tiny and rotated codes; see `pipeline`.
//! When that finds nothing, `rxing` (the Rust port of ZXing, QR reader only) has a second look
//! (default feature `rxing`; see `fallback`).
//!
//! # Build or buy: the own detector, rxing, or both
//!
//! The own detector (about 2,500 lines: binarize, finder, geometry, detect, pipeline, payload)
//! was measured against rxing 0.9 and the other readers on the same images in one run of
//! `scripts/bench-qr.sh` (release build, 2-core machine, median of 3 runs per image). Each cell
//! is "codes read, median milliseconds per image" from reading the file to the payloads;
//! "keygate" is the own detector alone, "+rxing" this crate as it ships, zxing-cpp is PyPI
//! `zxing-cpp` 3.1.1, and zbarimg is timed as a whole process.
//!
//! | set (codes)                  | keygate   | rxing     | +rxing    | zxing-cpp | zbarimg   |
//! |------------------------------|-----------|-----------|-----------|-----------|-----------|
//! | screens 1920x1080 (16)       | 16, 14.7  | 16, 62.3  | 16, 14.5  | 16, 26.2  | 14, 126   |
//! | screens 3840x2160 (15)       | 15, 49.3  | 15, 244   | 15, 47.5  | 15, 76.4  | 11, 468   |
//! | screens 7680x4320 (15)       | 15, 227   | 15, 1,041 | 15, 214   | 15, 337   | 11, 1,916 |
//! | test screens (30)            | 30, 24.1  | 30, 135   | 30, 24.0  | 30, 45.4  | 24, 234   |
//! | HiDPI matrix, 640x480 (64)   | 64, 2.3   | 64, 3.7   | 64, 2.3   | 64, 3.0   | 32, 22.0  |
//! | no code, 1920x1080 (0)       | 0, 10.5   | 0, 15.2   | 0, 21.5   | 0, 16.7   | 0, 127    |
//! | no code, 3840x2160 (0)       | 0, 43.1   | 0, 63.0   | 0, 93.9   | 0, 68.6   | 0, 472    |
//! | no code, 7680x4320 (0)       | 0, 223    | 0, 289    | 0, 433    | 0, 333    | 0, 1,968  |
//! | zxing corpus (138)           | 129, 1.9  | 122, 1.3  | 132, 1.9  | 126, 0.7  | 94, 7.5   |
//! | corpus, 0/90/180/270° (552)  | 511, 1.8  | 491, 0.9  | 526, 1.8  | 505, 0.8  | 368, 7.8  |
//!
//! The screens are the bench's and those of `tests/generated_corpus.rs` (all from
//! `tests/support/screens.rs`); the corpus is zxing-cpp's blackbox QR samples
//! (`../shared/qr-corpus`, scored as its README says), also turned by 90, 180 and 270 degrees.
//!
//! - **Not rxing instead.** rxing alone reads fewer codes than the own detector in the photos
//!   (122 against 129; 491 against 511 turned) and takes 4.3 to 5.6 times as long on the
//!   full-HD to 8K screenshots people scan (1.04 s against 0.23 s at 8K). It is faster only on
//!   the corpus' small photos (1.3 ms against 1.9 ms), where neither time is noticeable.
//! - **Both, rxing second.** On the own detector's misses rxing reads three corpus items
//!   (qrcode-2/30a, strongly sheared; high-res-1, a dense code on curved paper; qr-model-1, a
//!   QR Model 1 symbol, which rqrr cannot read) and 15 turned ones: 132 of 138 and 526 of 552,
//!   more than any reader measured (zxing-cpp: 126 and 505). It runs only when the own detector
//!   found nothing, so an image with a readable code takes the same time as before (0.94 to
//!   1.00 times the own detector's on every set with codes). The price is paid on images
//!   without a code, about twice the time (21.5 ms instead of 10.5 at full HD, 433 ms instead
//!   of 223 at 8K; zbarimg takes 127 ms and 1.97 s), and in a cold build: rxing with only its
//!   QR reader and its dependencies (regex, chrono, num) add about 40 s of CPU.
//! - **Ours first.** The own detector stays the first reader: it is the fastest on every
//!   screenshot size, reads every generated screenshot (as rxing and zxing-cpp do; zbarimg
//!   misses 12 to 50 % of them) and keeps the reading order of several codes in one image.
//!   The remaining misses: one more Model 1 symbol (#940, which zxing-cpp reads), two codes
//!   printed over photographs (12, 13) and three blurred phone photos (qrcode-4/30, 31, 33).
//!
//! The whole output of that run is in `crates/qr-bench/RESULTS.md`. To measure again:
//! `QR_CORPUS=/path/to/qr-corpus scripts/bench-qr.sh` (needs `pip install zxing-cpp pillow`
//! and `apt-get install zbar-tools`; a missing reader is left out). It builds `crates/qr-bench`
//! twice, without and with this crate's `rxing` feature; that package is not a default
//! workspace member, and `cargo build -p keygate-qr --no-default-features` leaves rxing out of
//! this crate altogether.

mod binarize;
#[cfg(feature = "capture")]
pub mod capture;
mod detect;
mod encode;
mod error;
#[cfg(feature = "rxing")]
mod fallback;
mod finder;
mod geometry;
mod payload;
mod pipeline;
mod text;

pub use error::Error;

use image::{DynamicImage, GrayImage, ImageReader};
use std::io::Cursor;
use std::path::Path;

/// The largest width or height, in pixels, of an image that [`decode_file`] accepts.
pub const MAX_DIMENSION: u32 = 16384;

/// The most bytes one code holds at level M (version 40, byte mode). Here rather than in
/// `encode` so that `error`, which names it, does not depend on `encode`, which uses `error`.
const MAX_TEXT_BYTES: usize = 2331;

/// Every QR payload in an image file (PNG, JPEG, WebP, BMP, GIF first frame), in reading order.
pub fn decode_file(path: &Path) -> Result<Vec<String>, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    let img = load_image(path, &bytes)?;
    let payloads = decode_image(&img);
    if payloads.is_empty() {
        return Err(Error::NoQrCode {
            path: path.to_owned(),
        });
    }
    Ok(payloads)
}

fn load_image(path: &Path, bytes: &[u8]) -> Result<DynamicImage, Error> {
    let image_error = |reason: String| Error::Image {
        path: path.to_owned(),
        reason,
    };
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| image_error(e.to_string()))
    };
    let probe = reader()?;
    if probe.format().is_none() {
        return Err(image_error(
            "it is not a PNG, JPEG, WebP, BMP or GIF image".to_owned(),
        ));
    }
    let (width, height) = probe
        .into_dimensions()
        .map_err(|e| image_error(e.to_string()))?;
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            width,
            height,
        });
    }
    let mut decoder = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // Room for the largest accepted image at 16 bits per RGBA channel.
    limits.max_alloc = Some(u64::from(MAX_DIMENSION) * u64::from(MAX_DIMENSION) * 8);
    decoder.limits(limits);
    // A decoder bug on hostile input must become an error, not a crash.
    match std::panic::catch_unwind(move || decoder.decode()) {
        Ok(result) => result.map_err(|e| image_error(e.to_string())),
        Err(_) => Err(image_error("the image data is malformed".to_owned())),
    }
}

/// Every QR payload in a decoded image, in reading order (top to bottom, left to right).
pub fn decode_image(img: &DynamicImage) -> Vec<String> {
    match img {
        DynamicImage::ImageLuma8(gray) => decode_luma(gray),
        other => decode_luma(&other.to_luma8()),
    }
}

/// Every QR payload in a greyscale image, in reading order (top to bottom, left to right).
pub fn decode_luma(img: &GrayImage) -> Vec<String> {
    let found = pipeline::reading_order(pipeline::dedup(pipeline::scan(img)));
    #[cfg(feature = "rxing")]
    let found = if found.is_empty() {
        pipeline::reading_order(fallback::scan(img))
    } else {
        found
    };
    found
        .iter()
        .map(|d| text::payload_to_string(&d.payload))
        .collect()
}

/// The text as an SVG document of its QR code (error-correction level M, 4-module quiet zone).
pub fn encode_svg(text: &str) -> Result<String, Error> {
    encode::encode_svg(text)
}

/// The text as a greyscale PNG of its QR code, `module_px` pixels per module (1 to 64), with
/// error-correction level M and a 4-module quiet zone.
pub fn encode_png(text: &str, module_px: u32) -> Result<Vec<u8>, Error> {
    encode::encode_png(text, module_px)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip() {
        let text = "otpauth://totp/Keygate:alice?secret=JBSWY3DPEHPK3PXP&issuer=Keygate";
        let png = encode_png(text, 4).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(decode_image(&img), [text]);
    }

    #[test]
    fn degenerate_and_noisy_images_give_nothing_without_panicking() {
        for (w, h) in [(0, 0), (1, 1), (0, 7), (3, 500), (500, 3), (39, 41)] {
            assert!(decode_luma(&GrayImage::new(w, h)).is_empty(), "{w}x{h}");
        }
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let noise = GrayImage::from_fn(640, 480, |_, _| image::Luma([next() as u8]));
        assert!(decode_luma(&noise).is_empty());
        let blocks = GrayImage::from_fn(640, 480, |x, y| {
            image::Luma([if (x / 3 + y / 3) % 2 == 0 { 0 } else { 255 }])
        });
        assert!(decode_luma(&blocks).is_empty());
        // Finder-like squares everywhere, none forming a code: bounded work, no result.
        let fake = GrayImage::from_fn(700, 700, |x, y| {
            let (mx, my) = ((x % 35) / 5, (y % 35) / 5);
            let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
            let core = (2..=4).contains(&mx) && (2..=4).contains(&my);
            image::Luma([if ring || core { 0 } else { 255 }])
        });
        assert!(decode_luma(&fake).is_empty());
    }

    #[test]
    fn tight_crop_without_quiet_zone_is_read() {
        let text = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP";
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).unwrap();
        for (module, dark_mode) in [(1, false), (2, false), (2, true)] {
            let (dark, light) = if dark_mode { (255u8, 0u8) } else { (0, 255) };
            let img = code
                .render::<image::Luma<u8>>()
                .quiet_zone(false)
                .module_dimensions(module, module)
                .dark_color(image::Luma([dark]))
                .light_color(image::Luma([light]))
                .build();
            assert_eq!(
                decode_luma(&img),
                [text],
                "module {module}, dark mode {dark_mode}"
            );
        }
    }

    #[test]
    fn truncated_and_non_image_bytes_are_image_errors() {
        let png = encode_png("hello", 4).unwrap();
        let path = Path::new("cut.png");
        let err = load_image(path, &png[..png.len() / 2]).unwrap_err();
        assert!(matches!(err, Error::Image { .. }), "{err:?}");
        assert!(err.to_string().contains("cut.png"), "{err}");
        let err = load_image(Path::new("notes.txt"), b"just some text\n").unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert!(err.to_string().contains("not a PNG"), "{err}");
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        // A valid PNG header claiming 20000x20000 pixels, with no pixel data behind it.
        let mut png = Vec::new();
        png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&20000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        // The PNG decoder reads up to the first data chunk before it reports the size.
        let idat = b"IDAT\x78\x9c\x00\x00";
        png.extend_from_slice(&4u32.to_be_bytes());
        png.extend_from_slice(idat);
        png.extend_from_slice(&crc32(idat).to_be_bytes());
        let err = load_image(Path::new("huge.png"), &png).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    width: 20000,
                    height: 20000,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("huge.png"), "{err}");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
