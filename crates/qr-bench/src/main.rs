//! `keygate-qr-bench DECODER RUNS`: decodes each image file named on standard input (one path
//! a line) `RUNS` times with one decoder and prints one JSON line per file:
//! `{"path": ..., "payloads": [...], "seconds": median}`.
//!
//! Decoders: `keygate` (`keygate_qr::decode_file`: the own detector alone when this binary is
//! built plain, with rxing on its misses when built with `--features fallback`) and `rxing`
//! (ZXing's multi-code reader, QR only, "try harder" and inverted codes on). Each run is timed
//! in-process from reading the file to the payloads, with the same image loader for all, so
//! the times compare decoders, not process start-up. An rxing panic counts as "nothing found"
//! and is reported on standard error.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

fn rxing_decode(img: &image::GrayImage) -> Result<Vec<String>, String> {
    use rxing::common::HybridBinarizer;
    use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
    use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource};
    let (w, h) = img.dimensions();
    let source =
        Luma8LuminanceSource::new(img.as_raw().clone(), w, h).map_err(|e| e.to_string())?;
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(true),
        AlsoInverted: Some(true),
        ..DecodeHints::default()
    };
    let mut reader = GenericMultipleBarcodeReader::new(rxing::MultiUseMultiFormatReader::default());
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.decode_multiple_with_hints(
            &mut BinaryBitmap::new(HybridBinarizer::new(source)),
            &hints,
        )
    }));
    match run {
        Ok(Ok(results)) => Ok(results.iter().map(|r| r.getText().to_owned()).collect()),
        // "Not found" and every other decoding error mean the same here: no payload.
        Ok(Err(_)) => Ok(Vec::new()),
        Err(_) => Err("rxing panicked".to_owned()),
    }
}

fn decode(decoder: &str, path: &Path) -> Result<Vec<String>, String> {
    match decoder {
        "keygate" => Ok(keygate_qr::decode_file(path).unwrap_or_default()),
        "rxing" => image::open(path)
            .ok()
            .map_or(Ok(Vec::new()), |img| rxing_decode(&img.into_luma8())),
        other => Err(format!("unknown decoder {other}")),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(decoder), Some(runs)) = (
        args.first(),
        args.get(1).and_then(|r| r.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: keygate-qr-bench keygate|rxing RUNS < paths");
        std::process::exit(2);
    };
    let runs = runs.max(1);
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let path = Path::new(line.trim_end());
        let mut times = Vec::with_capacity(runs);
        let mut payloads = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            let result = decode(decoder, path);
            times.push(start.elapsed().as_secs_f64());
            payloads = match result {
                Ok(p) => p,
                Err(e) if e.starts_with("unknown") => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
                Err(e) => {
                    eprintln!("{}: {e}", path.display());
                    Vec::new()
                }
            };
        }
        times.sort_by(f64::total_cmp);
        let line = serde_json::json!({
            "path": path,
            "payloads": payloads,
            "seconds": times[times.len() / 2],
        });
        println!("{line}");
    }
}
