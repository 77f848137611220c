//! A second reader for images in which the own detector found nothing: rxing, the Rust port of
//! ZXing (QR reader only, "try harder", inverted codes too). It reads sheared and curved photos
//! and QR Model 1 symbols that the own detector misses; see the crate documentation for the
//! numbers behind this choice. It runs only on a miss, so codes the own detector reads cost no
//! more than before.

use crate::detect::Decoded;
use image::GrayImage;
use rxing::common::HybridBinarizer;
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource};
use std::collections::HashSet;

/// Every code rxing reads in the image, placed by its result points (finder and alignment
/// centres) so that the caller can put them in reading order.
pub(crate) fn scan(img: &GrayImage) -> Vec<Decoded> {
    let (width, height) = img.dimensions();
    if width == 0 || height == 0 {
        return Vec::new();
    }
    // A bug in the second reader must cost the second opinion, not the caller's process.
    let results = std::panic::catch_unwind(|| {
        let hints = DecodeHints {
            PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
            TryHarder: Some(true),
            AlsoInverted: Some(true),
            ..DecodeHints::default()
        };
        let source = Luma8LuminanceSource::new(img.as_raw().clone(), width, height).ok()?;
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let mut reader =
            GenericMultipleBarcodeReader::new(rxing::MultiUseMultiFormatReader::default());
        // "Not found" and every other decoding error mean the same here: nothing to add.
        reader.decode_multiple_with_hints(&mut bitmap, &hints).ok()
    });
    let Ok(Some(results)) = results else {
        return Vec::new();
    };
    results
        .iter()
        .filter(|r| *r.getBarcodeFormat() == BarcodeFormat::QR_CODE)
        .filter_map(|r| {
            let points = r.getPoints();
            if points.is_empty() {
                return None;
            }
            let xs = points.iter().map(|p| f64::from(p.x));
            let ys = points.iter().map(|p| f64::from(p.y));
            let (x0, x1) = (
                xs.clone().fold(f64::MAX, f64::min),
                xs.fold(f64::MIN, f64::max),
            );
            let (y0, y1) = (
                ys.clone().fold(f64::MAX, f64::min),
                ys.fold(f64::MIN, f64::max),
            );
            Some(Decoded {
                payload: r.getText().as_bytes().to_vec(),
                corners: [(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
                // Only the position matters for ordering; rxing does not report the size.
                dimension: 21,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_code_and_nothing_in_blank_or_degenerate_images() {
        let text = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP";
        let code = qrcode::QrCode::new(text).unwrap();
        let img = code
            .render::<image::Luma<u8>>()
            .module_dimensions(3, 3)
            .build();
        let found = scan(&img);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].payload, text.as_bytes());
        for (w, h) in [(0, 0), (1, 1), (0, 9), (5, 400), (64, 64)] {
            assert!(scan(&GrayImage::new(w, h)).is_empty(), "{w}x{h}");
        }
    }
}
