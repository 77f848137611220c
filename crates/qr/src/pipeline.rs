//! The decoding passes, cheapest first.
//!
//! 1. Local (block) threshold, scanned once for finder patterns of both polarities: clean
//!    screenshots, most photos, and dark mode (light modules on a dark background).
//! 2. Otsu's global threshold, both polarities, trying only patterns that no code read so far
//!    claims: resampled (125 %/150 % HiDPI, bilinear) and JPEG-compressed codes whose blurred
//!    module edges a block threshold breaks up.
//! 3. Candidate regions, enlarged 2x: wherever finder patterns were seen but no code was read
//!    (tiny or blurred modules), the region is cut out, enlarged and put through 1-2 again.
//! 4. Small images where nothing was read: padded with a quiet zone and enlarged.
//!
//! Finding patterns is a linear scan at full resolution (uniform stretches skipped eight
//! pixels at a time), so a 4K screenshot costs a few tens of milliseconds per pass and 2-pixel
//! modules are never lost to downscaling; the expensive work (enlarging) is spent only on
//! regions that showed finder patterns and yielded no code.

use crate::binarize::{global_threshold, local_threshold, otsu_level, BitMatrix};
use crate::detect::{decode_patterns, Decoded};
use crate::finder::{find_patterns, FinderPattern};
use image::imageops::FilterType;
use image::GrayImage;

/// At most this many finder-pattern triples are tried per pass, so a picture full of
/// pattern-like clutter cannot take unbounded time.
const MAX_TRIPLES: usize = 300;
/// At most this many regions are enlarged.
const MAX_REGIONS: usize = 16;
/// Regions are enlarged only while they stay below this many pixels (after enlarging).
const MAX_REGION_PIXELS: u64 = 16_000_000;

/// Every code in the image, in no particular order, duplicates included.
pub(crate) fn scan(img: &GrayImage) -> Vec<Decoded> {
    let mut found = Vec::new();
    let leftovers = threshold_passes(img, &mut found);
    for region in candidate_regions(&leftovers, img.width(), img.height()) {
        upscale_region(img, region, &mut found);
    }
    if found.is_empty() && img.width().max(img.height()) <= SMALL_IMAGE {
        pad_and_enlarge(img, &mut found);
    }
    found
}

/// Images up to this size (pixels on the longer side) get the padding pass.
const SMALL_IMAGE: u32 = 400;

/// 5. Small images, when nothing was read: a code cropped without its quiet zone (an icon, a
///    tight crop) gets a white and then a black border, enlarged to about 400 pixels so
///    one-pixel modules become several.
fn pad_and_enlarge(img: &GrayImage, found: &mut Vec<Decoded>) {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return;
    }
    let pad = (w.max(h) / 8).max(4);
    let factor = (SMALL_IMAGE / w.max(h)).clamp(1, 8);
    for border in [255u8, 0] {
        let mut padded = GrayImage::from_pixel(w + 2 * pad, h + 2 * pad, image::Luma([border]));
        image::imageops::replace(&mut padded, img, i64::from(pad), i64::from(pad));
        let big = if factor > 1 {
            image::imageops::resize(
                &padded,
                padded.width() * factor,
                padded.height() * factor,
                FilterType::Triangle,
            )
        } else {
            padded
        };
        let mut local = Vec::new();
        threshold_passes(&big, &mut local);
        if !local.is_empty() {
            let (scale, offset) = (f64::from(factor), f64::from(pad));
            for mut d in local {
                for c in &mut d.corners {
                    c.0 = c.0 / scale - offset;
                    c.1 = c.1 / scale - offset;
                }
                found.push(d);
            }
            return;
        }
    }
}

/// Passes 1-3 on one image; returns the finder patterns no code claimed.
fn threshold_passes(img: &GrayImage, found: &mut Vec<Decoded>) -> Vec<FinderPattern> {
    let mut seen = Vec::new();
    let bits = local_threshold(img);
    try_both_polarities(&bits, found, &mut seen);
    let bits = global_threshold(img, otsu_level(img));
    try_both_polarities(&bits, found, &mut seen);
    seen.retain(|p: &FinderPattern| !found.iter().any(|d| d.claims(p, 0.1)));
    seen
}

/// Finds finder patterns of both polarities in `bits` and reads the codes they form.
fn try_both_polarities(bits: &BitMatrix, found: &mut Vec<Decoded>, seen: &mut Vec<FinderPattern>) {
    let patterns = find_patterns(bits, 1);
    let new = decode_patterns(bits, &patterns, found, MAX_TRIPLES);
    found.extend(new);
    seen.extend(patterns);
}

/// A rectangle of the image: left, top, width, height.
type Region = (u32, u32, u32, u32);

/// Groups the unclaimed finder patterns into rectangles that could hold a whole code.
fn candidate_regions(patterns: &[FinderPattern], width: u32, height: u32) -> Vec<Region> {
    let mut patterns: Vec<FinderPattern> = patterns.to_vec();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.count));
    // Merge patterns seen by several passes.
    let mut unique: Vec<FinderPattern> = Vec::new();
    for p in patterns {
        if !unique
            .iter()
            .any(|u| (u.x - p.x).abs() < u.module * 2.0 && (u.y - p.y).abs() < u.module * 2.0)
        {
            unique.push(p);
        }
    }
    // Group patterns that could belong to one code: similar module size, close enough.
    let n = unique.len();
    let mut group: Vec<usize> = (0..n).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&unique[i], &unique[j]);
            let ratio = a.module.max(b.module) / a.module.min(b.module);
            let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
            if a.inverted == b.inverted && ratio < 2.0 && d < a.module.max(b.module) * 120.0 {
                let (ra, rb) = (root(&mut group, i), root(&mut group, j));
                group[ra] = rb;
            }
        }
    }
    let mut regions: Vec<(f64, f64, f64, f64)> = Vec::new();
    for r in 0..n {
        let members: Vec<&FinderPattern> = (0..n)
            .filter(|&i| root(&mut group, i) == r)
            .map(|i| &unique[i])
            .collect();
        if members.is_empty() {
            continue;
        }
        let module = members.iter().map(|p| p.module).fold(0.0, f64::max);
        let (l, t, rr, b) = members.iter().fold(
            (f64::MAX, f64::MAX, f64::MIN, f64::MIN),
            |(l, t, r, b), p| (l.min(p.x), t.min(p.y), r.max(p.x), b.max(p.y)),
        );
        // The code extends from its finder patterns by about their spacing (the side not
        // seen); a lone pattern could be any corner of a small code.
        let span = (rr - l).max(b - t);
        let reach = if members.len() > 1 {
            span + module * 6.0
        } else {
            module * 30.0
        };
        regions.push((l - reach, t - reach, rr + reach, b + reach));
    }
    regions
        .into_iter()
        .filter_map(|(l, t, r, b)| {
            let l = l.max(0.0) as u32;
            let t = t.max(0.0) as u32;
            let r = (r.min(f64::from(width))) as u32;
            let b = (b.min(f64::from(height))) as u32;
            (r > l + 20 && b > t + 20).then_some((l, t, r - l, b - t))
        })
        .filter(|&(_, _, w, h)| u64::from(w) * u64::from(h) * 4 <= MAX_REGION_PIXELS)
        .take(MAX_REGIONS)
        .collect()
}

fn upscale_region(img: &GrayImage, (left, top, w, h): Region, found: &mut Vec<Decoded>) {
    let crop = image::imageops::crop_imm(img, left, top, w, h).to_image();
    let big = image::imageops::resize(&crop, w * 2, h * 2, FilterType::Triangle);
    let mut local: Vec<Decoded> = Vec::new();
    threshold_passes(&big, &mut local);
    for mut d in local {
        for c in &mut d.corners {
            c.0 = c.0 / 2.0 + f64::from(left);
            c.1 = c.1 / 2.0 + f64::from(top);
        }
        found.push(d);
    }
}

/// Drops a code read twice at the same place (by two passes), keeping identical codes that
/// appear at different places.
pub(crate) fn dedup(found: Vec<Decoded>) -> Vec<Decoded> {
    let mut out: Vec<Decoded> = Vec::new();
    for d in found {
        let (cx, cy) = d.center();
        let same = out.iter().any(|o| {
            let (ox, oy) = o.center();
            o.payload == d.payload
                && ((ox - cx).powi(2) + (oy - cy).powi(2)).sqrt() < o.size().max(d.size()) / 2.0
        });
        if !same {
            out.push(d);
        }
    }
    out
}

/// Reading order: rows of codes top to bottom, each row left to right. A code joins the row of
/// the topmost code not yet placed when its centre lies within that code's (or its own) half
/// size vertically, so codes side by side read left to right even if one sits a little lower.
pub(crate) fn reading_order(mut found: Vec<Decoded>) -> Vec<Decoded> {
    found.sort_by(|a, b| a.center().1.total_cmp(&b.center().1));
    let mut rows: Vec<Vec<Decoded>> = Vec::new();
    for d in found {
        let (_, cy) = d.center();
        match rows.last_mut() {
            Some(row) if (cy - row[0].center().1).abs() < row[0].size().max(d.size()) / 2.0 => {
                row.push(d)
            }
            _ => rows.push(vec![d]),
        }
    }
    rows.into_iter()
        .flat_map(|mut row| {
            row.sort_by(|a, b| a.center().0.total_cmp(&b.center().0));
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(payload: &str, x: f64, y: f64, size: f64) -> Decoded {
        Decoded {
            payload: payload.as_bytes().to_vec(),
            corners: [(x, y), (x + size, y), (x + size, y + size), (x, y + size)],
            dimension: 25,
        }
    }

    fn payloads(v: &[Decoded]) -> Vec<&str> {
        v.iter()
            .map(|d| std::str::from_utf8(&d.payload).unwrap())
            .collect()
    }

    #[test]
    fn reading_order_is_rows_then_columns() {
        let found = vec![
            at("c", 10.0, 300.0, 100.0),
            at("b", 400.0, 20.0, 100.0),
            at("a", 10.0, 40.0, 100.0), // a bit lower than b, same row
        ];
        assert_eq!(payloads(&reading_order(found)), ["a", "b", "c"]);
    }

    #[test]
    fn dedup_keeps_copies_at_other_places() {
        let found = vec![
            at("x", 10.0, 10.0, 100.0),
            at("x", 12.0, 11.0, 98.0),
            at("x", 500.0, 10.0, 100.0),
            at("y", 10.0, 10.0, 100.0),
        ];
        assert_eq!(payloads(&dedup(found)), ["x", "x", "y"]);
    }

    #[test]
    fn blank_image_has_no_code() {
        let img = GrayImage::from_pixel(300, 200, image::Luma([255]));
        assert!(scan(&img).is_empty());
        let img = GrayImage::from_pixel(1, 1, image::Luma([0]));
        assert!(scan(&img).is_empty());
    }
}
