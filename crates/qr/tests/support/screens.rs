//! Synthetic screenshots with QR codes, shared by the generated-corpus test and the bench's
//! corpus generator (examples/gen_corpus.rs). Deterministic: a seeded xorshift drives every
//! random choice, so a failure reproduces exactly.

#![allow(dead_code)]

use image::imageops::FilterType;
use image::{GrayImage, Luma};
use qrcode::{EcLevel, QrCode};

/// A tiny deterministic random number generator (xorshift64*).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..hi` (hi exclusive, hi > lo).
    pub(crate) fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo)) as u32
    }

    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.range(0, 100) < percent
    }
}

/// How one code is drawn.
#[derive(Clone, Debug)]
pub(crate) struct CodeSpec {
    pub(crate) payload: String,
    /// Pixels per module before scaling.
    pub(crate) module: u32,
    /// HiDPI scale factor applied with bilinear resampling (1.0 = none).
    pub(crate) scale: f32,
    /// Quarter turns clockwise (0-3).
    pub(crate) quarter_turns: u8,
    /// Extra rotation in degrees (skew), applied with bilinear resampling.
    pub(crate) skew_degrees: f32,
    /// Light modules on dark (dark mode).
    pub(crate) inverted: bool,
}

impl CodeSpec {
    pub(crate) fn plain(payload: impl Into<String>, module: u32) -> Self {
        CodeSpec {
            payload: payload.into(),
            module,
            scale: 1.0,
            quarter_turns: 0,
            skew_degrees: 0.0,
            inverted: false,
        }
    }
}

/// A screenshot to generate: canvas size, look, and codes laid out row by row.
#[derive(Clone, Debug)]
pub(crate) struct Screen {
    pub(crate) name: String,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) dark_mode: bool,
    /// JPEG quality to round-trip through (None = lossless).
    pub(crate) jpeg_quality: Option<u8>,
    /// Codes per row of the layout; the expected reading order is row by row.
    pub(crate) rows: Vec<Vec<CodeSpec>>,
    pub(crate) seed: u64,
}

impl Screen {
    /// Payloads in reading order.
    pub(crate) fn expected(&self) -> Vec<String> {
        self.rows
            .iter()
            .flat_map(|r| r.iter().map(|c| c.payload.clone()))
            .collect()
    }
}

/// A random otpauth:// link, as a real authenticator QR code would hold.
pub(crate) fn otpauth(rng: &mut Rng) -> String {
    const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const ISSUERS: &[&str] = &["Keygate", "GitHub", "ACME Corp", "Example", "Mail"];
    let secret: String = (0..32)
        .map(|_| B32[rng.range(0, 32) as usize] as char)
        .collect();
    let issuer = ISSUERS[rng.range(0, ISSUERS.len() as u32) as usize];
    let user = format!("user{}@example.com", rng.range(1, 100_000));
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&digits=6&period=30",
        issuer.replace(' ', "%20"),
        user,
        secret,
        issuer.replace(' ', "%20")
    )
}

/// The code's modules as a picture: dark 0 / light 255 (swapped when inverted), quiet zone of
/// four modules, scaled, turned and skewed as the spec says.
pub(crate) fn render_code(spec: &CodeSpec, light: u8, dark: u8) -> GrayImage {
    let code = QrCode::with_error_correction_level(spec.payload.as_bytes(), EcLevel::M)
        .expect("payload fits in a QR code");
    let (fg, bg) = if spec.inverted {
        (light, dark)
    } else {
        (dark, light)
    };
    let mut img = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(spec.module, spec.module)
        .dark_color(Luma([fg]))
        .light_color(Luma([bg]))
        .build();
    if (spec.scale - 1.0).abs() > 1e-3 {
        let w = (img.width() as f32 * spec.scale).round() as u32;
        let h = (img.height() as f32 * spec.scale).round() as u32;
        img = image::imageops::resize(&img, w, h, FilterType::Triangle);
    }
    img = match spec.quarter_turns % 4 {
        1 => image::imageops::rotate90(&img),
        2 => image::imageops::rotate180(&img),
        3 => image::imageops::rotate270(&img),
        _ => img,
    };
    if spec.skew_degrees.abs() > 1e-3 {
        img = rotate_bilinear(&img, spec.skew_degrees, bg);
    }
    img
}

/// Rotates by `degrees` around the centre with bilinear sampling, growing the canvas to fit.
fn rotate_bilinear(img: &GrayImage, degrees: f32, fill: u8) -> GrayImage {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (w, h) = (img.width() as f32, img.height() as f32);
    let nw = (w * cos.abs() + h * sin.abs()).ceil() as u32;
    let nh = (w * sin.abs() + h * cos.abs()).ceil() as u32;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ncx, ncy) = (nw as f32 / 2.0, nh as f32 / 2.0);
    GrayImage::from_fn(nw, nh, |x, y| {
        let dx = x as f32 + 0.5 - ncx;
        let dy = y as f32 + 0.5 - ncy;
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let px = |xx: f32, yy: f32| -> f32 {
            if xx < 0.0 || yy < 0.0 || xx >= w || yy >= h {
                f32::from(fill)
            } else {
                f32::from(img.get_pixel(xx as u32, yy as u32).0[0])
            }
        };
        let v = px(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + px(x0 + 1.0, y0) * fx * (1.0 - fy)
            + px(x0, y0 + 1.0) * (1.0 - fx) * fy
            + px(x0 + 1.0, y0 + 1.0) * fx * fy;
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

/// Draws the screen: background, UI-like clutter (panels, buttons, lines of "text"), noise,
/// then the codes in their layout cells, then the optional JPEG round trip.
pub(crate) fn render(screen: &Screen) -> GrayImage {
    let mut rng = Rng::new(screen.seed);
    let (w, h) = (screen.width, screen.height);
    let (bg, panel, ink) = if screen.dark_mode {
        (30u8, 45u8, 200u8)
    } else {
        (242u8, 225u8, 40u8)
    };
    let mut img = GrayImage::from_pixel(w, h, Luma([bg]));
    // Panels and buttons.
    for _ in 0..(w * h / 200_000).max(4) {
        let rw = rng.range(40, (w / 3).max(41));
        let rh = rng.range(20, (h / 4).max(21));
        let x = rng.range(0, w.saturating_sub(rw).max(1));
        let y = rng.range(0, h.saturating_sub(rh).max(1));
        let shade = if rng.chance(20) { ink } else { panel };
        fill(&mut img, x, y, rw, rh, shade);
    }
    // Lines of text: runs of word-like dark bars, 6-14 px tall.
    let text_lines = (h / 40).max(4);
    for _ in 0..text_lines {
        let th = rng.range(6, 15);
        let mut x = rng.range(0, w / 2);
        let y = rng.range(0, h.saturating_sub(th).max(1));
        let end = (x + rng.range(100, (w / 2).max(101))).min(w);
        while x < end {
            let word = rng.range(8, 60);
            // A word is a few letters: thin dark bars of varying widths.
            let mut lx = x;
            while lx < (x + word).min(end) {
                let lw = rng.range(1, 4);
                fill(&mut img, lx, y, lw.min(end - lx), th, ink);
                lx += lw + rng.range(1, 4);
            }
            x += word + rng.range(5, 12);
        }
    }
    // Codes, each in its own cell of a row-major grid so the reading order is known.
    let rows = screen.rows.len() as u32;
    for (r, row) in screen.rows.iter().enumerate() {
        let cols = row.len() as u32;
        for (c, spec) in row.iter().enumerate() {
            let code = render_code(spec, 255, if screen.dark_mode { 20 } else { 0 });
            let cell_w = w / cols;
            let cell_h = h / rows;
            assert!(
                code.width() <= cell_w && code.height() <= cell_h,
                "{}: a {}x{} code does not fit its {}x{} cell",
                screen.name,
                code.width(),
                code.height(),
                cell_w,
                cell_h
            );
            // Codes sit near the vertical middle of their cell (within a quarter of their
            // height), so codes in one row overlap vertically and rows stay distinct.
            let slack_x = cell_w - code.width();
            let middle = (cell_h - code.height()) / 2;
            let jitter = (code.height() / 4).min(middle);
            let x = c as u32 * cell_w + rng.range(0, slack_x.max(1));
            let y = r as u32 * cell_h + middle - jitter + rng.range(0, 2 * jitter + 1);
            image::imageops::replace(&mut img, &code, i64::from(x), i64::from(y));
        }
    }
    // Sensor/compression-like noise.
    for p in img.pixels_mut() {
        if rng.chance(30) {
            let n = rng.range(0, 13) as i32 - 6;
            p.0[0] = (i32::from(p.0[0]) + n).clamp(0, 255) as u8;
        }
    }
    if let Some(q) = screen.jpeg_quality {
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, q)
            .encode_image(&img)
            .expect("JPEG encoding");
        img = image::load_from_memory(&buf)
            .expect("JPEG decoding")
            .to_luma8();
    }
    img
}

fn fill(img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32, v: u8) {
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            img.put_pixel(xx, yy, Luma([v]));
        }
    }
}

/// Saves in the format the screen calls for (JPEG screens were already compressed in
/// `render`; they are stored as PNG so the loss happens exactly once).
pub(crate) fn save_png(img: &GrayImage, path: &std::path::Path) {
    img.save(path).expect("writing the screenshot");
}

/// A 10-account Google Authenticator export in one QR code (dense: version 15 or so).
pub(crate) fn migration_export(rng: &mut Rng) -> String {
    use keygate_otp::{Account, Algorithm, Kind, Secret};
    let accounts: Vec<Account> = (0..10)
        .map(|i| {
            let secret: Vec<u8> = (0..20).map(|_| rng.range(0, 256) as u8).collect();
            Account::new(
                Kind::Totp,
                Secret::from_bytes(secret),
                Some(format!("Issuer{i}")),
                format!("staff{i}@example.com"),
                Algorithm::Sha1,
                6,
                30,
                0,
            )
            .expect("valid account")
        })
        .collect();
    let links = keygate_otp::migration::emit_with_limit(&accounts, 1, 10).expect("export");
    assert_eq!(links.len(), 1);
    links.into_iter().next().unwrap()
}

/// The screens of the generated-corpus tests (also in the bench, as its "tests" set).
pub(crate) fn standard_screens() -> Vec<Screen> {
    let mut rng = Rng::new(7);
    let url = |rng: &mut Rng| otpauth(rng);
    let dense = migration_export(&mut rng);
    let spec = |p: String, module: u32, scale: f32, turns: u8, skew: f32, inv: bool| CodeSpec {
        payload: p,
        module,
        scale,
        quarter_turns: turns,
        skew_degrees: skew,
        inverted: inv,
    };
    vec![
        Screen {
            name: "fhd-plain-and-small".into(),
            width: 1920,
            height: 1080,
            dark_mode: false,
            jpeg_quality: None,
            rows: vec![
                vec![
                    spec(url(&mut rng), 4, 1.0, 0, 0.0, false),
                    spec(url(&mut rng), 2, 1.0, 0, 0.0, false),
                ],
                vec![
                    spec(url(&mut rng), 3, 1.0, 1, 0.0, false),
                    spec(url(&mut rng), 2, 1.0, 2, 0.0, false),
                    spec(url(&mut rng), 3, 1.0, 3, 0.0, false),
                ],
            ],
            seed: 1,
        },
        Screen {
            name: "fhd-hidpi-125-150".into(),
            width: 1920,
            height: 1080,
            dark_mode: false,
            jpeg_quality: None,
            rows: vec![
                vec![
                    spec(url(&mut rng), 2, 1.25, 0, 0.0, false),
                    spec(url(&mut rng), 2, 1.5, 0, 0.0, false),
                    spec(url(&mut rng), 3, 1.25, 1, 0.0, false),
                ],
                vec![
                    spec(url(&mut rng), 4, 1.5, 0, 0.0, false),
                    spec(url(&mut rng), 3, 1.5, 2, 0.0, false),
                ],
            ],
            seed: 2,
        },
        Screen {
            name: "qhd-dark-mode".into(),
            width: 2560,
            height: 1440,
            dark_mode: true,
            jpeg_quality: None,
            rows: vec![
                vec![
                    spec(url(&mut rng), 3, 1.0, 0, 0.0, true),
                    spec(url(&mut rng), 2, 1.25, 2, 0.0, true),
                ],
                vec![spec(url(&mut rng), 4, 1.5, 1, 0.0, true)],
            ],
            seed: 3,
        },
        Screen {
            name: "qhd-jpeg-75".into(),
            width: 2560,
            height: 1440,
            dark_mode: false,
            jpeg_quality: Some(75),
            rows: vec![
                vec![
                    spec(url(&mut rng), 3, 1.0, 0, 0.0, false),
                    spec(url(&mut rng), 3, 1.25, 0, 0.0, false),
                    spec(url(&mut rng), 4, 1.5, 3, 0.0, false),
                ],
                vec![
                    spec(url(&mut rng), 2, 1.5, 0, 0.0, false),
                    spec(url(&mut rng), 3, 1.0, 0, 4.0, false),
                ],
            ],
            seed: 4,
        },
        Screen {
            name: "4k-skewed-and-dense".into(),
            width: 3840,
            height: 2160,
            dark_mode: false,
            jpeg_quality: None,
            rows: vec![
                vec![
                    spec(url(&mut rng), 3, 1.0, 0, 3.0, false),
                    spec(url(&mut rng), 4, 1.25, 0, -5.0, false),
                    spec(dense.clone(), 3, 1.0, 0, 0.0, false),
                ],
                vec![
                    spec(url(&mut rng), 2, 1.0, 3, 2.0, false),
                    spec(dense.clone(), 4, 1.25, 1, 0.0, false),
                    spec(url(&mut rng), 6, 1.5, 2, 0.0, false),
                ],
            ],
            seed: 5,
        },
        Screen {
            name: "4k-jpeg-dark".into(),
            width: 3840,
            height: 2160,
            dark_mode: true,
            jpeg_quality: Some(75),
            rows: vec![vec![
                spec(url(&mut rng), 3, 1.25, 0, 0.0, true),
                spec(dense.clone(), 3, 1.5, 0, 0.0, true),
            ]],
            seed: 6,
        },
        Screen {
            name: "8k-hidpi".into(),
            width: 7680,
            height: 4320,
            dark_mode: false,
            jpeg_quality: None,
            rows: vec![
                vec![
                    spec(url(&mut rng), 4, 1.25, 0, 0.0, false),
                    spec(url(&mut rng), 2, 1.0, 0, 0.0, false),
                ],
                vec![
                    spec(dense.clone(), 6, 1.5, 0, 0.0, false),
                    spec(url(&mut rng), 8, 1.0, 1, 3.0, false),
                ],
            ],
            seed: 8,
        },
    ]
}

/// The bench's screenshots: five per size (full HD, 4K, 8K), each with two to four codes of
/// random module size (2-6 px), HiDPI scale, turn and skew; one in five in dark mode and one in
/// five JPEG-compressed, like screenshots people actually scan.
pub(crate) fn bench_screens() -> Vec<Screen> {
    let mut rng = Rng::new(2024);
    let mut out = Vec::new();
    for (w, h, label) in [(1920, 1080, "fhd"), (3840, 2160, "4k"), (7680, 4320, "8k")] {
        for i in 0..5u32 {
            let dark = i == 3;
            let count = rng.range(2, 5);
            let specs: Vec<CodeSpec> = (0..count)
                .map(|_| {
                    let scales = [1.0f32, 1.25, 1.5];
                    CodeSpec {
                        payload: otpauth(&mut rng),
                        module: rng.range(2, 7),
                        scale: scales[rng.range(0, 3) as usize],
                        quarter_turns: rng.range(0, 4) as u8,
                        skew_degrees: if rng.chance(30) {
                            rng.range(0, 9) as f32 - 4.0
                        } else {
                            0.0
                        },
                        inverted: dark,
                    }
                })
                .collect();
            let split = specs.len().div_ceil(2);
            out.push(Screen {
                name: format!("{label}-{i}"),
                width: w,
                height: h,
                dark_mode: dark,
                jpeg_quality: (i == 4).then_some(75),
                rows: vec![specs[..split].to_vec(), specs[split..].to_vec()],
                seed: rng.next_u64(),
            });
        }
    }
    out
}

/// 64 small screens (640x480), one code each: every HiDPI factor (1, 1.25, 1.5, 1.75), quarter
/// turn and polarity with 2- and 3-pixel modules, half of them JPEG-compressed at random.
pub(crate) fn hidpi_matrix() -> Vec<Screen> {
    let mut rng = Rng::new(99);
    let mut out = Vec::new();
    for module in [2u32, 3] {
        for scale in [1.0f32, 1.25, 1.5, 1.75] {
            for turns in 0..4u8 {
                for inverted in [false, true] {
                    let spec = CodeSpec {
                        payload: otpauth(&mut rng),
                        module,
                        scale,
                        quarter_turns: turns,
                        skew_degrees: 0.0,
                        inverted,
                    };
                    out.push(Screen {
                        name: format!("m{module}-s{scale}-t{turns}-i{inverted}"),
                        width: 640,
                        height: 480,
                        dark_mode: inverted,
                        jpeg_quality: if rng.chance(50) { Some(75) } else { None },
                        rows: vec![vec![spec]],
                        seed: rng.next_u64(),
                    });
                }
            }
        }
    }
    out
}

/// Screens with UI clutter and no code at full HD, 4K and 8K, light and dark: the worst case for
/// time (every pass runs and finds nothing) and a check for false positives.
pub(crate) fn empty_screens() -> Vec<Screen> {
    let mut out = Vec::new();
    for (w, h, label) in [(1920, 1080, "fhd"), (3840, 2160, "4k"), (7680, 4320, "8k")] {
        for dark_mode in [false, true] {
            out.push(Screen {
                name: format!("{label}-{}", if dark_mode { "dark" } else { "light" }),
                width: w,
                height: h,
                dark_mode,
                jpeg_quality: None,
                rows: vec![],
                seed: u64::from(w) + u64::from(dark_mode),
            });
        }
    }
    out
}
