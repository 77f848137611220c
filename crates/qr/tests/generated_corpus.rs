//! Screenshots generated with `qrcode` + `image` (see support/screens.rs): full HD to 8K
//! canvases with UI clutter and noise, codes scaled by HiDPI factors with bilinear resampling,
//! JPEG-compressed, in dark mode, turned and skewed, several per image, 2-pixel modules and a
//! dense 10-account Google Authenticator export. Every code must come back with its exact
//! payload, in reading order, through the public file API.

#[path = "support/screens.rs"]
mod screens;

use keygate_qr::{decode_file, decode_image, encode_png, encode_svg, Error};
use screens::{render, standard_screens, Rng, Screen};
use std::path::PathBuf;

/// A fresh directory for this test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keygate-qr-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn check_screen(screen: &Screen, dir: &std::path::Path) {
    let img = render(screen);
    assert_eq!((img.width(), img.height()), (screen.width, screen.height));
    let path = dir.join(format!("{}.png", screen.name));
    img.save(&path).unwrap();
    let decoded = decode_file(&path).unwrap_or_else(|e| panic!("{}: {e}", screen.name));
    assert_eq!(
        decoded,
        screen.expected(),
        "{} ({}x{}): wrong payloads or order",
        screen.name,
        screen.width,
        screen.height
    );
}

#[test]
fn full_hd_screens() {
    let dir = temp_dir("fhd");
    for s in standard_screens().iter().filter(|s| s.width == 1920) {
        check_screen(s, &dir);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn qhd_screens() {
    let dir = temp_dir("qhd");
    for s in standard_screens().iter().filter(|s| s.width == 2560) {
        check_screen(s, &dir);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn uhd_4k_screens() {
    let dir = temp_dir("4k");
    for s in standard_screens().iter().filter(|s| s.width == 3840) {
        check_screen(s, &dir);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn uhd_8k_screen() {
    let dir = temp_dir("8k");
    for s in standard_screens().iter().filter(|s| s.width == 7680) {
        check_screen(s, &dir);
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Many small random variations on one theme: every HiDPI factor, turn and polarity with
/// 2- and 3-pixel modules, each on its own small screen.
#[test]
fn hidpi_resampling_matrix() {
    let screens = screens::hidpi_matrix();
    let mut failures = Vec::new();
    for screen in &screens {
        let got = decode_image(&image::DynamicImage::ImageLuma8(render(screen)));
        if got != screen.expected() {
            failures.push(format!("{} (jpeg {:?})", screen.name, screen.jpeg_quality));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} not decoded: {failures:?}",
        failures.len(),
        screens.len()
    );
}

#[test]
fn image_without_code_is_no_qr_code_error() {
    let dir = temp_dir("noqr");
    let screen = Screen {
        name: "no-code".into(),
        width: 800,
        height: 600,
        dark_mode: false,
        jpeg_quality: None,
        rows: vec![],
        seed: 11,
    };
    let path = dir.join("empty-screen.png");
    render(&screen).save(&path).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(matches!(err, Error::NoQrCode { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("no QR code found in {}", path.display())
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn truncated_png_and_text_file_are_image_errors() {
    let dir = temp_dir("bad");
    let png = encode_png("otpauth://totp/A?secret=JBSWY3DPEHPK3PXP", 4).unwrap();
    let cut = dir.join("cut.png");
    std::fs::write(&cut, &png[..png.len() * 2 / 3]).unwrap();
    let err = decode_file(&cut).unwrap_err();
    assert!(matches!(err, Error::Image { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&cut.display().to_string()),
        "{err}"
    );

    let txt = dir.join("notes.txt");
    std::fs::write(&txt, "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP\n").unwrap();
    let err = decode_file(&txt).unwrap_err();
    assert!(matches!(err, Error::Image { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&txt.display().to_string()),
        "{err}"
    );

    let missing = dir.join("missing.png");
    let err = decode_file(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.png"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn encode_png_round_trips_through_a_file() {
    let dir = temp_dir("roundtrip");
    let mut rng = Rng::new(5);
    for module_px in [1u32, 2, 5] {
        let text = screens::otpauth(&mut rng);
        let path = dir.join(format!("code-{module_px}.png"));
        std::fs::write(&path, encode_png(&text, module_px).unwrap()).unwrap();
        assert_eq!(decode_file(&path).unwrap(), [text]);
    }
    let dense = screens::migration_export(&mut rng);
    let path = dir.join("dense.png");
    std::fs::write(&path, encode_png(&dense, 2).unwrap()).unwrap();
    assert_eq!(decode_file(&path).unwrap(), [dense]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_supported_format_is_read() {
    use image::codecs::gif::GifEncoder;
    use image::{DynamicImage, Frame, ImageFormat, RgbaImage};
    let dir = temp_dir("formats");
    let text = "otpauth://totp/Keygate:carol?secret=JBSWY3DPEHPK3PXP&issuer=Keygate";
    let code = image::load_from_memory(&encode_png(text, 4).unwrap()).unwrap();
    // A screenshot-like colour canvas with the code in it.
    let mut canvas = RgbaImage::from_pixel(400, 300, image::Rgba([30, 90, 160, 255]));
    image::imageops::overlay(&mut canvas, &code.to_rgba8(), 60, 40);
    let canvas = DynamicImage::ImageRgba8(canvas);
    for (name, format) in [
        ("shot.png", ImageFormat::Png),
        ("shot.jpg", ImageFormat::Jpeg),
        ("shot.webp", ImageFormat::WebP),
        ("shot.bmp", ImageFormat::Bmp),
    ] {
        let path = dir.join(name);
        let img = if format == ImageFormat::Jpeg {
            DynamicImage::ImageRgb8(canvas.to_rgb8())
        } else {
            canvas.clone()
        };
        img.save_with_format(&path, format).unwrap();
        assert_eq!(decode_file(&path).unwrap(), [text], "{name}");
    }
    // An animated GIF: the first frame holds the code, the second does not.
    let path = dir.join("shot.gif");
    {
        let file = std::fs::File::create(&path).unwrap();
        let mut gif = GifEncoder::new(file);
        let blank = RgbaImage::from_pixel(400, 300, image::Rgba([255, 255, 255, 255]));
        gif.encode_frames([Frame::new(canvas.to_rgba8()), Frame::new(blank)])
            .unwrap();
    }
    assert_eq!(decode_file(&path).unwrap(), [text], "shot.gif");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn encode_svg_draws_the_same_modules() {
    let text = "otpauth://totp/Keygate:bob?secret=JBSWY3DPEHPK3PXP&issuer=Keygate";
    let svg = encode_svg(text).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    // The SVG's size is the PNG's at one pixel per module: same code, same quiet zone.
    let png = image::load_from_memory(&encode_png(text, 1).unwrap()).unwrap();
    let width = format!("width=\"{}\"", png.width());
    assert!(svg.contains(&width), "{width} not in {svg}");
    assert!(svg.contains("<path") || svg.contains("<rect"));
}
