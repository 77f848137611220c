//! Grey pixels to black/white modules.
//!
//! Screenshots, JPEGs and photos need different thresholds, so the decoder tries more than one:
//! a local (block) threshold that follows uneven lighting, and Otsu's global threshold that keeps
//! blurred, resampled edges in one piece.

use image::GrayImage;

/// A black/white image: `true` (stored as 1) means a dark module pixel.
#[derive(Clone)]
pub(crate) struct BitMatrix {
    pub(crate) width: usize,
    pub(crate) height: usize,
    bits: Vec<u8>,
}

impl BitMatrix {
    /// An all-white matrix.
    #[cfg(test)]
    pub(crate) fn new(width: usize, height: usize) -> Self {
        BitMatrix {
            width,
            height,
            bits: vec![0; width * height],
        }
    }

    /// Whether the pixel at (x, y) is dark; callers keep x and y inside the matrix.
    #[inline]
    pub(crate) fn get(&self, x: usize, y: usize) -> bool {
        self.bits[y * self.width + x] != 0
    }

    /// One row, one byte per pixel (1 dark, 0 light).
    #[inline]
    pub(crate) fn row(&self, y: usize) -> &[u8] {
        &self.bits[y * self.width..(y + 1) * self.width]
    }

    /// Sets one pixel.
    #[cfg(test)]
    pub(crate) fn set(&mut self, x: usize, y: usize, dark: bool) {
        self.bits[y * self.width + x] = u8::from(dark);
    }

    /// Swaps dark and light.
    #[cfg(test)]
    pub(crate) fn invert(&mut self) {
        for b in &mut self.bits {
            *b ^= 1;
        }
    }
}

/// A [`BitMatrix`] seen in one polarity: with `inverted`, light pixels count as dark, so
/// light-on-dark codes are found by the same code paths without copying the matrix. Outside
/// the matrix everything is light (quiet zone) in either polarity.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) bits: &'a BitMatrix,
    pub(crate) inverted: bool,
}

impl View<'_> {
    #[inline]
    pub(crate) fn width(&self) -> usize {
        self.bits.width
    }

    #[inline]
    pub(crate) fn height(&self) -> usize {
        self.bits.height
    }

    /// Whether (x, y) is dark in this polarity; callers keep x and y inside the matrix.
    #[inline]
    pub(crate) fn get(&self, x: usize, y: usize) -> bool {
        self.bits.get(x, y) != self.inverted
    }

    /// Like [`View::get`], light outside the matrix.
    #[inline]
    pub(crate) fn get_signed(&self, x: i64, y: i64) -> bool {
        x >= 0
            && y >= 0
            && (x as usize) < self.bits.width
            && (y as usize) < self.bits.height
            && self.get(x as usize, y as usize)
    }
}

const BLOCK: usize = 8;
const MIN_DYNAMIC_RANGE: u32 = 24;

/// Local threshold: the mean of 8x8 blocks, smoothed over a 5x5 block neighbourhood, with flat
/// blocks (no edge inside) taking their neighbours' level so blank areas stay white. This is the
/// "hybrid" binariser of ZXing, which copes with gradients, glare and JPEG noise.
pub(crate) fn local_threshold(img: &GrayImage) -> BitMatrix {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w < BLOCK * 5 || h < BLOCK * 5 {
        return global_threshold(img, otsu_level(img));
    }
    let px = img.as_raw();
    // Whole blocks only; the right and bottom remainders use the last block's threshold.
    let sub_w = w / BLOCK;
    let sub_h = h / BLOCK;
    let mut sums = vec![0u32; sub_w];
    let mut mins = vec![255u8; sub_w];
    let mut maxs = vec![0u8; sub_w];
    let mut black_points = vec![0u32; sub_w * sub_h];
    for by in 0..sub_h {
        sums.fill(0);
        mins.fill(255);
        maxs.fill(0);
        for yy in 0..BLOCK {
            let y = by * BLOCK + yy;
            let row = &px[y * w..y * w + sub_w * BLOCK];
            for ((chunk, sum), (min, max)) in row
                .chunks_exact(BLOCK)
                .zip(sums.iter_mut())
                .zip(mins.iter_mut().zip(maxs.iter_mut()))
            {
                let chunk: &[u8; BLOCK] = chunk.try_into().unwrap();
                *sum += chunk.iter().map(|&p| u32::from(p)).sum::<u32>();
                *min = chunk.iter().fold(*min, |a, &p| a.min(p));
                *max = chunk.iter().fold(*max, |a, &p| a.max(p));
            }
        }
        for bx in 0..sub_w {
            let (min, max) = (u32::from(mins[bx]), u32::from(maxs[bx]));
            let mut average = sums[bx] / (BLOCK * BLOCK) as u32;
            if max - min <= MIN_DYNAMIC_RANGE {
                // A flat block: most likely background, so put the threshold below it.
                average = min / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (black_points[(by - 1) * sub_w + bx]
                        + 2 * black_points[by * sub_w + bx - 1]
                        + black_points[(by - 1) * sub_w + bx - 1])
                        / 4;
                    if min < neighbours {
                        average = neighbours;
                    }
                }
            }
            black_points[by * sub_w + bx] = average;
        }
    }
    // Box-filter the black points over 5x5 blocks (clamped at the borders).
    let mut thresholds = vec![0u8; sub_w * sub_h];
    for by in 0..sub_h {
        let top = by.clamp(2, sub_h - 3);
        for bx in 0..sub_w {
            let left = bx.clamp(2, sub_w - 3);
            let mut sum = 0;
            for ny in top - 2..=top + 2 {
                let r = &black_points[ny * sub_w + left - 2..=ny * sub_w + left + 2];
                sum += r.iter().sum::<u32>();
            }
            thresholds[by * sub_w + bx] = (sum / 25) as u8;
        }
    }
    let mut bits = vec![0u8; w * h];
    for y in 0..h {
        let by = (y / BLOCK).min(sub_h - 1);
        let trow = &thresholds[by * sub_w..(by + 1) * sub_w];
        let src = &px[y * w..(y + 1) * w];
        let dst = &mut bits[y * w..(y + 1) * w];
        let whole = sub_w * BLOCK;
        for ((s, d), &t) in src[..whole]
            .chunks_exact(BLOCK)
            .zip(dst[..whole].chunks_exact_mut(BLOCK))
            .zip(trow)
        {
            for (sp, dp) in s.iter().zip(d.iter_mut()) {
                *dp = u8::from(*sp <= t);
            }
        }
        let t = trow[sub_w - 1];
        for (sp, dp) in src[whole..].iter().zip(dst[whole..].iter_mut()) {
            *dp = u8::from(*sp <= t);
        }
    }
    BitMatrix {
        width: w,
        height: h,
        bits,
    }
}

/// Every pixel at or below `level` is dark.
pub(crate) fn global_threshold(img: &GrayImage, level: u8) -> BitMatrix {
    let (w, h) = (img.width() as usize, img.height() as usize);
    BitMatrix {
        width: w,
        height: h,
        bits: img.as_raw().iter().map(|&p| u8::from(p <= level)).collect(),
    }
}

/// Otsu's threshold: the grey level that best splits the histogram into two classes.
pub(crate) fn otsu_level(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &p in img.as_raw() {
        hist[p as usize] += 1;
    }
    otsu_from_histogram(&hist)
}

fn otsu_from_histogram(hist: &[u64; 256]) -> u8 {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 127;
    }
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut weight_bg, mut sum_bg) = (0f64, 0f64);
    let (mut best, mut best_var) = (127u8, -1f64);
    for (level, &count) in hist.iter().enumerate() {
        weight_bg += count as f64;
        if weight_bg == 0.0 {
            continue;
        }
        let weight_fg = total as f64 - weight_bg;
        if weight_fg == 0.0 {
            break;
        }
        sum_bg += level as f64 * count as f64;
        let mean_bg = sum_bg / weight_bg;
        let mean_fg = (sum_all - sum_bg) / weight_fg;
        let between = weight_bg * weight_fg * (mean_bg - mean_fg) * (mean_bg - mean_fg);
        if between > best_var {
            best_var = between;
            best = level as u8;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn otsu_splits_two_levels() {
        let img = GrayImage::from_fn(64, 64, |x, _| Luma([if x < 32 { 40 } else { 200 }]));
        let level = otsu_level(&img);
        assert!((40..200).contains(&level), "level {level}");
        let bits = global_threshold(&img, level);
        assert!(bits.get(0, 0));
        assert!(!bits.get(63, 63));
    }

    #[test]
    fn local_threshold_follows_a_gradient() {
        // Dark squares on a background that brightens from left to right: a single global level
        // cannot separate them everywhere, the local one must.
        let img = GrayImage::from_fn(200, 80, |x, y| {
            let background = 60 + (x * 190 / 200) as u8;
            let square = (x / 4) % 2 == 0 && (30..50).contains(&y);
            Luma([if square { background / 3 } else { background }])
        });
        let bits = local_threshold(&img);
        for x in (2..198).step_by(4) {
            assert_eq!(bits.get(x, 40), (x / 4) % 2 == 0, "x {x}");
            assert!(!bits.get(x, 5), "background at x {x} must be light");
        }
    }

    #[test]
    fn invert_swaps_colours() {
        let mut m = BitMatrix::new(3, 1);
        m.set(1, 0, true);
        m.invert();
        assert!(m.get(0, 0) && !m.get(1, 0) && m.get(2, 0));
        let inverted = View {
            bits: &m,
            inverted: true,
        };
        assert!(inverted.get(1, 0) && !inverted.get(0, 0));
        // Outside the matrix is quiet zone, light in either polarity.
        assert!(!inverted.get_signed(-1, 0) && !inverted.get_signed(3, 0));
    }
}
