//! Text to QR pictures (SVG and PNG), with the standard 4-module quiet zone and
//! error-correction level M, the level authenticator apps use for otpauth:// links.

use crate::Error;
use image::{ImageEncoder, Luma};
use qrcode::{EcLevel, QrCode};

/// The largest module size `encode_png` draws, which keeps the picture far below the decoder's
/// size limit.
pub(crate) const MAX_MODULE_PX: u32 = 64;

fn code_for(text: &str) -> Result<QrCode, Error> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => Error::TextTooLong { len: text.len() },
        other => Error::Encode {
            reason: other.to_string(),
        },
    })
}

pub(crate) fn encode_svg(text: &str) -> Result<String, Error> {
    let code = code_for(text)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .quiet_zone(true)
        .min_dimensions(1, 1)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

pub(crate) fn encode_png(text: &str, module_px: u32) -> Result<Vec<u8>, Error> {
    if module_px == 0 || module_px > MAX_MODULE_PX {
        return Err(Error::Encode {
            reason: format!("a module must be 1 to {MAX_MODULE_PX} pixels wide, not {module_px}"),
        });
    }
    let code = code_for(text)?;
    let img = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(module_px, module_px)
        .build();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::L8,
        )
        .map_err(|e| Error::Encode {
            reason: e.to_string(),
        })?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_TEXT_BYTES;

    #[test]
    fn png_has_a_quiet_zone_of_four_modules() {
        let png = encode_png("otpauth://totp/A?secret=JBSWY3DPEHPK3PXP", 3).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(img.width(), img.height());
        // Version 2 at level M: 25 modules plus 2 x 4 quiet modules.
        assert_eq!(img.width() % 3, 0);
        let modules = img.width() / 3;
        assert!((21 + 8..=177 + 8).contains(&modules), "{modules}");
        for i in 0..12 {
            assert_eq!(img.get_pixel(i, 20).0[0], 255, "quiet zone at x {i}");
            assert_eq!(img.get_pixel(20, i).0[0], 255, "quiet zone at y {i}");
        }
        // The finder pattern starts right after the quiet zone.
        assert_eq!(img.get_pixel(12, 12).0[0], 0);
    }

    #[test]
    fn too_long_text_is_a_clear_error() {
        let err = encode_png(&"x".repeat(3000), 2).unwrap_err();
        assert!(matches!(err, Error::TextTooLong { len: 3000 }));
        assert!(err.to_string().contains("too long"), "{err}");
        assert!(encode_svg(&"x".repeat(MAX_TEXT_BYTES)).is_ok());
        assert!(matches!(
            encode_svg(&"x".repeat(MAX_TEXT_BYTES + 1)),
            Err(Error::TextTooLong { .. })
        ));
    }

    #[test]
    fn bad_module_size_is_refused() {
        assert!(matches!(encode_png("a", 0), Err(Error::Encode { .. })));
        assert!(matches!(encode_png("a", 1000), Err(Error::Encode { .. })));
    }

    #[test]
    fn svg_is_an_svg_document() {
        let svg = encode_svg("hello").unwrap();
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("#000000") && svg.contains("#ffffff"));
    }
}
