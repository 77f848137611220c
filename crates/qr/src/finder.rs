//! Finder patterns: the three nested squares in a QR code's corners.
//!
//! Any line through a finder pattern's centre crosses dark, light, dark, light, dark runs in the
//! ratio 1:1:3:1:1, whatever the rotation or scale. Scanning rows for that ratio and confirming
//! it vertically and diagonally (ZXing's method) finds codes of any size in one linear pass, so a
//! whole 8K screenshot can be searched at full resolution.

use crate::binarize::{BitMatrix, View};

/// A confirmed finder pattern centre.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FinderPattern {
    pub(crate) x: f64,
    pub(crate) y: f64,
    /// Estimated width of one module, in pixels.
    pub(crate) module: f64,
    /// How many scan lines confirmed it.
    pub(crate) count: u32,
    /// Found in the inverted polarity (light modules on dark).
    pub(crate) inverted: bool,
}

impl FinderPattern {
    fn about_equals(&self, module: f64, y: f64, x: f64) -> bool {
        if (y - self.y).abs() <= module && (x - self.x).abs() <= module {
            let diff = (module - self.module).abs();
            diff <= 1.0 || diff <= self.module
        } else {
            false
        }
    }

    fn combine(&mut self, y: f64, x: f64, module: f64) {
        let n = f64::from(self.count);
        self.x = (n * self.x + x) / (n + 1.0);
        self.y = (n * self.y + y) / (n + 1.0);
        self.module = (n * self.module + module) / (n + 1.0);
        self.count += 1;
    }
}

/// Runs in the ratio 1:1:3:1:1, within half a module each.
fn found_pattern_cross(counts: &[usize; 5]) -> bool {
    ratio_matches(counts, 2.0)
}

/// The diagonal check is a little stricter, as in ZXing.
fn found_pattern_diagonal(counts: &[usize; 5]) -> bool {
    ratio_matches(counts, 1.333)
}

fn ratio_matches(counts: &[usize; 5], divisor: f64) -> bool {
    let total: usize = counts.iter().sum();
    if total < 7 || counts.contains(&0) {
        return false;
    }
    let module = total as f64 / 7.0;
    let max_variance = module / divisor;
    (module - counts[0] as f64).abs() < max_variance
        && (module - counts[1] as f64).abs() < max_variance
        && (3.0 * module - counts[2] as f64).abs() < 3.0 * max_variance
        && (module - counts[3] as f64).abs() < max_variance
        && (module - counts[4] as f64).abs() < max_variance
}

fn center_from_end(counts: &[usize; 5], end: usize) -> f64 {
    end as f64 - counts[4] as f64 - counts[3] as f64 - counts[2] as f64 / 2.0
}

/// Finds every finder pattern in `image`, in both polarities, scanning every `row_step`-th row.
pub(crate) fn find_patterns(image: &BitMatrix, row_step: usize) -> Vec<FinderPattern> {
    let mut normal = Finder {
        image: View {
            bits: image,
            inverted: false,
        },
        centers: Vec::new(),
    };
    let mut inverted = Finder {
        image: View {
            bits: image,
            inverted: true,
        },
        centers: Vec::new(),
    };
    let row_step = row_step.max(1);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut y = row_step / 2;
    while y < image.height {
        row_runs(image.row(y), &mut runs);
        // Runs alternate in colour; a window of five starting on a dark run is a normal
        // candidate, one starting on a light run an inverted one.
        for i in 0..runs.len().saturating_sub(4) {
            let window = &runs[i..i + 5];
            let counts = [
                window[0].1,
                window[1].1,
                window[2].1,
                window[3].1,
                window[4].1,
            ];
            if !found_pattern_cross(&counts) {
                continue;
            }
            let end = window[4].0 + window[4].1;
            let dark_first = image.row(y)[window[0].0] != 0;
            let finder = if dark_first {
                &mut normal
            } else {
                &mut inverted
            };
            finder.handle_possible_center(&counts, y, end);
        }
        y += row_step;
    }
    let mut all = normal.centers;
    all.extend(inverted.centers);
    all
}

/// Splits a row into runs of equal pixels: (start, length). Uniform stretches, most of a
/// screenshot, are skipped eight pixels at a time.
fn row_runs(row: &[u8], runs: &mut Vec<(usize, usize)>) {
    runs.clear();
    let w = row.len();
    let mut x = 0;
    while x < w {
        let c = row[x];
        let start = x;
        x += 1;
        let pattern = u64::from_ne_bytes([c; 8]);
        while x + 8 <= w && u64::from_ne_bytes(row[x..x + 8].try_into().unwrap()) == pattern {
            x += 8;
        }
        while x < w && row[x] == c {
            x += 1;
        }
        runs.push((start, x - start));
    }
}

struct Finder<'a> {
    image: View<'a>,
    centers: Vec<FinderPattern>,
}

impl Finder<'_> {
    fn handle_possible_center(&mut self, counts: &[usize; 5], y: usize, end_x: usize) -> bool {
        let total: usize = counts.iter().sum();
        let cx = center_from_end(counts, end_x);
        let Some(cy) = self.cross_check_vertical(y, cx as usize, counts[2], total) else {
            return false;
        };
        let Some(cx) = self.cross_check_horizontal(cx as usize, cy as usize, counts[2], total)
        else {
            return false;
        };
        if !self.cross_check_diagonal(cy as usize, cx as usize) {
            return false;
        }
        let module = total as f64 / 7.0;
        if let Some(c) = self
            .centers
            .iter_mut()
            .find(|c| c.about_equals(module, cy, cx))
        {
            c.combine(cy, cx, module);
        } else {
            self.centers.push(FinderPattern {
                x: cx,
                y: cy,
                module,
                count: 1,
                inverted: self.image.inverted,
            });
        }
        true
    }

    /// Walks up and down from (x, y) and returns the vertical centre if the column also shows
    /// the 1:1:3:1:1 pattern with about the same total size.
    fn cross_check_vertical(
        &self,
        start_y: usize,
        x: usize,
        max_count: usize,
        original_total: usize,
    ) -> Option<f64> {
        let img = self.image;
        let max_y = img.height();
        let mut c = [0usize; 5];
        let mut y = start_y as i64;
        let xi = x as i64;
        while y >= 0 && img.get_signed(xi, y) {
            c[2] += 1;
            y -= 1;
        }
        if y < 0 {
            return None;
        }
        while y >= 0 && !img.get_signed(xi, y) && c[1] <= max_count {
            c[1] += 1;
            y -= 1;
        }
        if y < 0 || c[1] > max_count {
            return None;
        }
        while y >= 0 && img.get_signed(xi, y) && c[0] <= max_count {
            c[0] += 1;
            y -= 1;
        }
        if c[0] > max_count {
            return None;
        }
        let mut y = start_y + 1;
        while y < max_y && img.get(x, y) {
            c[2] += 1;
            y += 1;
        }
        if y == max_y {
            return None;
        }
        while y < max_y && !img.get(x, y) && c[3] < max_count {
            c[3] += 1;
            y += 1;
        }
        if y == max_y || c[3] >= max_count {
            return None;
        }
        while y < max_y && img.get(x, y) && c[4] < max_count {
            c[4] += 1;
            y += 1;
        }
        if c[4] >= max_count {
            return None;
        }
        let total: usize = c.iter().sum();
        if 5 * total.abs_diff(original_total) >= 2 * original_total {
            return None;
        }
        found_pattern_cross(&c).then(|| center_from_end(&c, y))
    }

    fn cross_check_horizontal(
        &self,
        start_x: usize,
        y: usize,
        max_count: usize,
        original_total: usize,
    ) -> Option<f64> {
        let img = self.image;
        let max_x = img.width();
        let mut c = [0usize; 5];
        let yi = y as i64;
        let mut x = start_x as i64;
        while x >= 0 && img.get_signed(x, yi) {
            c[2] += 1;
            x -= 1;
        }
        if x < 0 {
            return None;
        }
        while x >= 0 && !img.get_signed(x, yi) && c[1] <= max_count {
            c[1] += 1;
            x -= 1;
        }
        if x < 0 || c[1] > max_count {
            return None;
        }
        while x >= 0 && img.get_signed(x, yi) && c[0] <= max_count {
            c[0] += 1;
            x -= 1;
        }
        if c[0] > max_count {
            return None;
        }
        let mut x = start_x + 1;
        while x < max_x && img.get(x, y) {
            c[2] += 1;
            x += 1;
        }
        if x == max_x {
            return None;
        }
        while x < max_x && !img.get(x, y) && c[3] < max_count {
            c[3] += 1;
            x += 1;
        }
        if x == max_x || c[3] >= max_count {
            return None;
        }
        while x < max_x && img.get(x, y) && c[4] < max_count {
            c[4] += 1;
            x += 1;
        }
        if c[4] >= max_count {
            return None;
        }
        let total: usize = c.iter().sum();
        if 5 * total.abs_diff(original_total) >= original_total {
            return None;
        }
        found_pattern_cross(&c).then(|| center_from_end(&c, x))
    }

    /// The pattern must also hold along the top-left to bottom-right diagonal; this rejects
    /// text and stripes that happen to match in both axes.
    fn cross_check_diagonal(&self, cy: usize, cx: usize) -> bool {
        let img = self.image;
        let (cx, cy) = (cx as i64, cy as i64);
        let mut c = [0usize; 5];
        let mut i = 0i64;
        while img.get_signed(cx - i, cy - i) {
            c[2] += 1;
            i += 1;
            if cx - i < 0 || cy - i < 0 {
                return false;
            }
        }
        while cx - i >= 0 && cy - i >= 0 && !img.get_signed(cx - i, cy - i) {
            c[1] += 1;
            i += 1;
        }
        if c[1] == 0 || cx - i < 0 || cy - i < 0 {
            return false;
        }
        while cx - i >= 0 && cy - i >= 0 && img.get_signed(cx - i, cy - i) {
            c[0] += 1;
            i += 1;
        }
        if c[0] == 0 {
            return false;
        }
        let (w, h) = (img.width() as i64, img.height() as i64);
        let mut i = 1i64;
        while cx + i < w && cy + i < h && img.get_signed(cx + i, cy + i) {
            c[2] += 1;
            i += 1;
        }
        while cx + i < w && cy + i < h && !img.get_signed(cx + i, cy + i) {
            c[3] += 1;
            i += 1;
        }
        if c[3] == 0 {
            return false;
        }
        while cx + i < w && cy + i < h && img.get_signed(cx + i, cy + i) {
            c[4] += 1;
            i += 1;
        }
        if c[4] == 0 {
            return false;
        }
        found_pattern_diagonal(&c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw_finder(m: &mut BitMatrix, left: usize, top: usize, module: usize) {
        for y in 0..7 * module {
            for x in 0..7 * module {
                let (mx, my) = (x / module, y / module);
                let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
                let core = (2..=4).contains(&mx) && (2..=4).contains(&my);
                m.set(left + x, top + y, ring || core);
            }
        }
    }

    #[test]
    fn finds_patterns_of_several_sizes() {
        let mut m = BitMatrix::new(300, 200);
        draw_finder(&mut m, 20, 20, 2);
        draw_finder(&mut m, 150, 40, 5);
        let mut found = find_patterns(&m, 1);
        found.sort_by(|a, b| a.x.total_cmp(&b.x));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!((found[0].x - 27.0).abs() < 1.0 && (found[0].y - 27.0).abs() < 1.0);
        assert!((found[0].module - 2.0).abs() < 0.5);
        assert!((found[1].x - 167.5).abs() < 1.0 && (found[1].y - 57.5).abs() < 1.0);
        assert!((found[1].module - 5.0).abs() < 0.5);
    }

    #[test]
    fn finds_inverted_patterns() {
        let mut m = BitMatrix::new(120, 120);
        draw_finder(&mut m, 30, 30, 4);
        m.invert();
        let found = find_patterns(&m, 1);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].inverted);
        assert!((found[0].x - 44.0).abs() < 1.0 && (found[0].y - 44.0).abs() < 1.0);
    }

    #[test]
    fn row_runs_split_a_row() {
        let mut runs = Vec::new();
        let row = [1u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        row_runs(&row, &mut runs);
        assert_eq!(runs, [(0, 2), (2, 11), (13, 1), (14, 1)]);
    }

    #[test]
    fn ignores_stripes() {
        let mut m = BitMatrix::new(100, 100);
        for y in 0..100 {
            for x in 0..100 {
                m.set(x, y, (x / 3) % 2 == 0);
            }
        }
        assert!(find_patterns(&m, 1).is_empty());
    }
}
