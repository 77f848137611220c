//! From three finder patterns to a decoded payload.
//!
//! The three centres give the code's orientation, module size and dimension; the alignment
//! pattern near the fourth corner (versions 2 and up) corrects for perspective; a projective
//! transform then samples one pixel per module and [`crate::payload`] reads the resulting grid.

use crate::binarize::{BitMatrix, View};
use crate::finder::FinderPattern;
use crate::geometry::{alignment_centres, finder_outline, PointPair, Transform};
use crate::payload::read_grid;

/// A decoded code: its payload bytes and where it lies in the image that was searched.
#[derive(Clone, Debug)]
pub(crate) struct Decoded {
    pub(crate) payload: Vec<u8>,
    /// Corners in image coordinates: top-left, top-right, bottom-right, bottom-left (of the
    /// code as read, whatever its rotation in the image).
    pub(crate) corners: [(f64, f64); 4],
    /// Modules per side.
    pub(crate) dimension: usize,
}

impl Decoded {
    /// The code's centre.
    pub(crate) fn center(&self) -> (f64, f64) {
        let (sx, sy) = self
            .corners
            .iter()
            .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x, ay + y));
        (sx / 4.0, sy / 4.0)
    }

    /// The longest side, a rough size for "same place" tests.
    pub(crate) fn size(&self) -> f64 {
        (0..4)
            .map(|i| dist(self.corners[i], self.corners[(i + 1) % 4]))
            .fold(0.0, f64::max)
    }

    /// Whether a finder pattern belongs to this code: inside it and of a similar scale. A
    /// much smaller pattern inside is a code drawn within this one and stays a candidate.
    pub(crate) fn claims(&self, p: &FinderPattern, margin: f64) -> bool {
        p.module > self.module() * 0.5 && self.contains(p.x, p.y, margin)
    }

    /// The average module size in pixels.
    pub(crate) fn module(&self) -> f64 {
        self.size() / self.dimension as f64
    }

    /// Whether the point lies inside the code's quadrilateral (grown by `margin` of its size).
    pub(crate) fn contains(&self, x: f64, y: f64, margin: f64) -> bool {
        let (cx, cy) = self.center();
        let grow = 1.0 + margin;
        let corners: Vec<(f64, f64)> = self
            .corners
            .iter()
            .map(|&(px, py)| (cx + (px - cx) * grow, cy + (py - cy) * grow))
            .collect();
        let mut sign = 0.0f64;
        for i in 0..4 {
            let (ax, ay) = corners[i];
            let (bx, by) = corners[(i + 1) % 4];
            let cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
            if cross.abs() < 1e-9 {
                continue;
            }
            if sign == 0.0 {
                sign = cross.signum();
            } else if cross.signum() != sign {
                return false;
            }
        }
        true
    }
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Puts three finder patterns in the order bottom-left, top-left, top-right: top-left is the
/// one opposite the longest side, and the cross product fixes which of the others is which.
fn order(p: [FinderPattern; 3]) -> [FinderPattern; 3] {
    let d01 = dist((p[0].x, p[0].y), (p[1].x, p[1].y));
    let d12 = dist((p[1].x, p[1].y), (p[2].x, p[2].y));
    let d02 = dist((p[0].x, p[0].y), (p[2].x, p[2].y));
    let (mut a, b, mut c) = if d12 >= d01 && d12 >= d02 {
        (p[1], p[0], p[2])
    } else if d02 >= d12 && d02 >= d01 {
        (p[0], p[1], p[2])
    } else {
        (p[0], p[2], p[1])
    };
    let cross = (c.x - b.x) * (a.y - b.y) - (c.y - b.y) * (a.x - b.x);
    if cross < 0.0 {
        std::mem::swap(&mut a, &mut c);
    }
    [a, b, c]
}

/// How far three patterns (bottom-left, top-left, top-right) are from the corners of a square
/// code seen straight on (0 = perfect), or `None` when they cannot be one code at all. Shear
/// and perspective only raise the score: such triples are tried later, not ruled out.
fn triple_score(p: &[FinderPattern; 3]) -> Option<f64> {
    let [bl, tl, tr] = *p;
    let modules = [bl.module, tl.module, tr.module];
    let max_m = modules.iter().cloned().fold(0.0, f64::max);
    let min_m = modules.iter().cloned().fold(f64::INFINITY, f64::min);
    if max_m > min_m * 2.5 {
        return None;
    }
    let a = dist((tl.x, tl.y), (bl.x, bl.y));
    let b = dist((tl.x, tl.y), (tr.x, tr.y));
    let c = dist((tr.x, tr.y), (bl.x, bl.y));
    let mean_module = (bl.module + tl.module + tr.module) / 3.0;
    let span = (a + b) / 2.0 / mean_module;
    if !(10.0..=200.0).contains(&span) {
        return None;
    }
    // The sine of the angle at the top-left corner: near zero for three patterns in a line.
    let sine = ((tr.x - tl.x) * (bl.y - tl.y) - (tr.y - tl.y) * (bl.x - tl.x)).abs() / (a * b);
    let legs = (a - b).abs() / a.min(b);
    let hyp = (a * a + b * b).sqrt();
    let right_angle = (c - hyp).abs() / c.min(hyp);
    if sine < 0.3 || legs > 1.5 || right_angle > 0.9 {
        return None;
    }
    let module_spread = max_m / min_m - 1.0;
    Some(legs + right_angle * 2.0 + module_spread * 0.5)
}

/// The three ways to pick the top-left pattern of a triple, each ordered bottom-left,
/// top-left, top-right; the geometric choice (opposite the longest side) comes first. Under
/// strong shear the top-left corner's angle is acute and the longest side lies elsewhere.
fn orderings(p: [FinderPattern; 3]) -> [[FinderPattern; 3]; 3] {
    let first = order(p);
    let with_tl = |tl: FinderPattern, a: FinderPattern, c: FinderPattern| {
        let cross = (c.x - tl.x) * (a.y - tl.y) - (c.y - tl.y) * (a.x - tl.x);
        if cross < 0.0 {
            [c, tl, a]
        } else {
            [a, tl, c]
        }
    };
    let [bl, tl, tr] = first;
    [first, with_tl(bl, tl, tr), with_tl(tr, bl, tl)]
}

/// At most this many finder patterns (the most often confirmed) are combined into triples.
const MAX_PATTERNS: usize = 150;
/// At most this many pairs are completed with a presumed third pattern.
const MAX_PAIRS: usize = 40;

/// Tries triples of `patterns` as codes, best-shaped first, then pairs whose third pattern is
/// missing (covered by a logo, glare or damage), and returns the codes read. A pattern belongs
/// to at most one code, and patterns claimed by `known` codes are skipped.
pub(crate) fn decode_patterns(
    bits: &BitMatrix,
    patterns: &[FinderPattern],
    known: &[Decoded],
    max_attempts: usize,
) -> Vec<Decoded> {
    let mut patterns: Vec<FinderPattern> = patterns
        .iter()
        .filter(|p| !known.iter().any(|k| k.claims(p, 0.05)))
        .cloned()
        .collect();
    patterns.sort_by_key(|p| std::cmp::Reverse(p.count));
    patterns.truncate(MAX_PATTERNS);
    let n = patterns.len();
    let mut triples: Vec<(f64, [usize; 3], usize)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if patterns[i].inverted != patterns[j].inverted {
                continue;
            }
            for k in j + 1..n {
                if patterns[i].inverted != patterns[k].inverted {
                    continue;
                }
                let weak = [i, j, k].iter().filter(|&&x| patterns[x].count < 2).count();
                let options = orderings([patterns[i], patterns[j], patterns[k]]);
                for (o, ordered) in options.iter().enumerate() {
                    if let Some(score) = triple_score(ordered) {
                        triples.push((score + weak as f64 * 0.15, [i, j, k], o));
                    }
                }
            }
        }
    }
    triples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut used = vec![false; n];
    let mut found = Vec::new();
    let claim = |decoded: Decoded, used: &mut Vec<bool>, found: &mut Vec<Decoded>| {
        // Other patterns inside this code (stray matches in its data) must not pair up again.
        for (u, p) in patterns.iter().enumerate() {
            if decoded.claims(p, 0.0) {
                used[u] = true;
            }
        }
        found.push(decoded);
    };
    for (_, [i, j, k], o) in triples.into_iter().take(max_attempts) {
        if used[i] || used[j] || used[k] {
            continue;
        }
        let ordered = orderings([patterns[i], patterns[j], patterns[k]])[o];
        let view = View {
            bits,
            inverted: patterns[i].inverted,
        };
        if let Some(decoded) = decode_triple(view, &ordered) {
            used[i] = true;
            used[j] = true;
            used[k] = true;
            claim(decoded, &mut used, &mut found);
        }
    }
    // Pairs: the third pattern is presumed at a right angle, on either side of either
    // pattern, or across the diagonal.
    let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&patterns[i], &patterns[j]);
            let ratio = a.module.max(b.module) / a.module.min(b.module);
            let span = dist((a.x, a.y), (b.x, b.y)) / ((a.module + b.module) / 2.0);
            if a.inverted == b.inverted && ratio < 1.6 && (10.0..=180.0).contains(&span) {
                pairs.push((a.count + b.count, i, j));
            }
        }
    }
    pairs.sort_by_key(|p| std::cmp::Reverse(p.0));
    for (_, i, j) in pairs.into_iter().take(MAX_PAIRS) {
        if used[i] || used[j] {
            continue;
        }
        let (a, b) = (patterns[i], patterns[j]);
        let view = View {
            bits,
            inverted: a.inverted,
        };
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mx, my) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
        let guesses = [
            (a.x - dy, a.y + dx),
            (a.x + dy, a.y - dx),
            (b.x - dy, b.y + dx),
            (b.x + dy, b.y - dx),
            (mx - dy / 2.0, my + dx / 2.0),
            (mx + dy / 2.0, my - dx / 2.0),
        ];
        for (gx, gy) in guesses {
            if gx < 0.0 || gy < 0.0 || gx >= bits.width as f64 || gy >= bits.height as f64 {
                continue;
            }
            let presumed = FinderPattern {
                x: gx,
                y: gy,
                module: (a.module + b.module) / 2.0,
                count: 0,
                inverted: a.inverted,
            };
            if let Some(decoded) = decode_triple(view, &order([a, b, presumed])) {
                used[i] = true;
                used[j] = true;
                claim(decoded, &mut used, &mut found);
                break;
            }
        }
    }
    found
}

/// Reads the code whose finder patterns are `p` (bottom-left, top-left, top-right).
pub(crate) fn decode_triple(image: View, p: &[FinderPattern; 3]) -> Option<Decoded> {
    let [bl, tl, tr] = *p;
    let module = module_size(image, &tl, &tr, &bl);
    if !module.is_finite() || module < 1.0 {
        return None;
    }
    let base = dimension(&tl, &tr, &bl, module);
    if let Some(found) = decode_with_outlines(image, p, module, base) {
        return Some(found);
    }
    let mut dims = vec![base, base + 4, base - 4];
    if base % 4 == 3 {
        dims = vec![base - 2, base + 2, base + 6, base - 6];
    }
    for dim in dims {
        if !(21..=177).contains(&dim) || dim % 4 != 1 {
            continue;
        }
        if timing_score(image, &make_transform(&tl, &tr, &bl, None, dim), dim) < MIN_TIMING {
            continue;
        }
        let mut attempts: Vec<Option<(f64, f64)>> = Vec::new();
        if dim > 21 {
            attempts.push(find_alignment(image, &tl, &tr, &bl, module, dim));
        }
        attempts.push(None);
        attempts.dedup_by(|a, b| a.is_none() && b.is_none());
        for align in attempts {
            let transform = make_transform(&tl, &tr, &bl, align, dim);
            if let Some(found) = sample_and_read(image, &transform, dim) {
                return Some(found);
            }
        }
    }
    None
}

fn sample_and_read(image: View, transform: &Transform, dim: usize) -> Option<Decoded> {
    let payload = read_grid(dim, sample(image, transform, dim)?)?;
    let d = dim as f64;
    let corners = [
        transform.map(0.0, 0.0),
        transform.map(d, 0.0),
        transform.map(d, d),
        transform.map(0.0, d),
    ];
    Some(Decoded {
        payload,
        corners,
        dimension: dim,
    })
}

/// Reads the code through a homography fitted to the finder patterns' traced outlines (and
/// the alignment patterns found where it predicts them), trying the dimensions whose fit is
/// most consistent first.
fn decode_with_outlines(
    image: View,
    p: &[FinderPattern; 3],
    module: f64,
    base_dim: usize,
) -> Option<Decoded> {
    let [bl, tl, tr] = *p;
    let unit = |a: &FinderPattern, b: &FinderPattern| {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let n = (dx * dx + dy * dy).sqrt();
        (dx / n, dy / n)
    };
    let (u, v) = (unit(&tl, &tr), unit(&tl, &bl));
    let corners: Vec<Option<[(f64, f64); 4]>> = [tl, tr, bl]
        .iter()
        .map(|f| {
            finder_outline(image, (f.x, f.y), f.module.max(module * 0.5), u, v)
                .and_then(|o| o.corners())
        })
        .collect();
    if corners.iter().filter(|c| c.is_some()).count() < 2 {
        return None;
    }
    let pairs_for = |dim: usize| {
        let far = dim as f64 - 7.0;
        let bases = [(0.0, 0.0), (far, 0.0), (0.0, far)];
        let mut pairs = Vec::with_capacity(15);
        for ((f, c), (bx, by)) in [tl, tr, bl].iter().zip(&corners).zip(bases) {
            // A presumed pattern's centre is a guess; only its traced outline is evidence.
            if f.count > 0 {
                pairs.push(((bx + 3.5, by + 3.5), (f.x, f.y)));
            }
            if let Some(c) = c {
                let offsets = [(0.0, 0.0), (7.0, 0.0), (7.0, 7.0), (0.0, 7.0)];
                for (corner, (ox, oy)) in c.iter().zip(offsets) {
                    pairs.push(((bx + ox, by + oy), *corner));
                }
            }
        }
        pairs
    };
    // Under strong perspective the module size varies over the code and `base_dim` can be far
    // off; a traced finder's own homography (its corners are modules 0 and 7) extrapolated to
    // the other finder centres gives a perspective-correct estimate.
    let mut dims: Vec<usize> = Vec::new();
    let push_dim = |d: f64, dims: &mut Vec<usize>| {
        if d.is_finite() && (17.0..=181.0).contains(&d) {
            let d = ((d - 1.0) / 4.0).round() as usize * 4 + 1;
            for c in [d, d + 4, d.saturating_sub(4)] {
                if (21..=177).contains(&c) && !dims.contains(&c) {
                    dims.push(c);
                }
            }
        }
    };
    push_dim(base_dim as f64, &mut dims);
    if let Some(c) = corners[0] {
        let local = [(0.0, 0.0), (7.0, 0.0), (7.0, 7.0), (0.0, 7.0)];
        let to_modules = Transform::quad_to_quad(c, local);
        let (x, _) = to_modules.map(tr.x, tr.y);
        let (_, y) = to_modules.map(bl.x, bl.y);
        push_dim((x + y) / 2.0 + 3.5, &mut dims);
    }
    for delta in [8i64, -8] {
        let d = base_dim as i64 + delta;
        if d > 0 {
            push_dim(d as f64, &mut dims);
        }
    }
    let mut candidates: Vec<(f64, usize, Transform)> = Vec::new();
    for dim in dims {
        let pairs = pairs_for(dim);
        if let Some(t) = Transform::fit(&pairs) {
            let err = residual(&t, &pairs) / module;
            candidates.push((err, dim, t));
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (err, dim, t) in candidates.into_iter().take(3) {
        if err > 1.0 {
            break;
        }
        if timing_score(image, &t, dim) < MIN_TIMING {
            continue;
        }
        let version = (dim - 17) / 4;
        if version >= 2 {
            let mut pairs = pairs_for(dim);
            let before = pairs.len();
            for (ax, ay) in alignment_centres(version) {
                let (px, py) = t.map(ax, ay);
                let (qx, qy) = t.map(ax + 1.0, ay);
                let local = ((qx - px).powi(2) + (qy - py).powi(2)).sqrt();
                if !local.is_finite() || local < 1.0 {
                    continue;
                }
                if let Some((fx, fy)) = alignment_in_region(image, local, px, py, 2.5) {
                    if ((fx - px).powi(2) + (fy - py).powi(2)).sqrt() < local * 1.5 {
                        pairs.push(((ax, ay), (fx, fy)));
                    }
                }
            }
            if pairs.len() > before {
                if let Some(refined) = Transform::fit(&pairs) {
                    if let Some(found) = sample_and_read(image, &refined, dim) {
                        return Some(found);
                    }
                }
            }
        }
        if let Some(found) = sample_and_read(image, &t, dim) {
            return Some(found);
        }
    }
    None
}

/// Fraction of timing-pattern modules (row 6 and column 6 between the finder patterns, which
/// alternate dark and light in every code) that the transform samples correctly. About 0.5
/// for three patterns that are not one code, near 1 for a real code; a cheap test before
/// sampling the whole grid and searching for alignment patterns.
fn timing_score(image: View, t: &Transform, dim: usize) -> f64 {
    let mut good = 0;
    let mut total = 0;
    for i in 8..dim.saturating_sub(8) {
        let expect_dark = i % 2 == 0;
        for (mx, my) in [(i as f64 + 0.5, 6.5), (6.5, i as f64 + 0.5)] {
            let (x, y) = t.map(mx, my);
            if !x.is_finite() || !y.is_finite() {
                return 0.0;
            }
            total += 1;
            if image.get_signed(x.floor() as i64, y.floor() as i64) == expect_dark {
                good += 1;
            }
        }
    }
    if total == 0 {
        return 1.0;
    }
    f64::from(good) / f64::from(total)
}

/// Codes whose timing patterns sample worse than this are not tried further.
const MIN_TIMING: f64 = 0.7;

/// Root-mean-square distance, in pixels, between mapped and observed points.
fn residual(t: &Transform, pairs: &[PointPair]) -> f64 {
    let sum: f64 = pairs
        .iter()
        .map(|&(f, o)| {
            let (x, y) = t.map(f.0, f.1);
            (x - o.0).powi(2) + (y - o.1).powi(2)
        })
        .sum();
    (sum / pairs.len() as f64).sqrt()
}

fn make_transform(
    tl: &FinderPattern,
    tr: &FinderPattern,
    bl: &FinderPattern,
    align: Option<(f64, f64)>,
    dim: usize,
) -> Transform {
    let d = dim as f64 - 3.5;
    let (br, source_br) = match align {
        Some(a) => (a, d - 3.0),
        None => ((tr.x - tl.x + bl.x, tr.y - tl.y + bl.y), d),
    };
    Transform::quad_to_quad(
        [(3.5, 3.5), (d, 3.5), (source_br, source_br), (3.5, d)],
        [(tl.x, tl.y), (tr.x, tr.y), br, (bl.x, bl.y)],
    )
}

/// One pixel at each module centre; `None` if the grid runs off the image.
fn sample(image: View, t: &Transform, dim: usize) -> Option<Vec<bool>> {
    let (w, h) = (image.width() as f64, image.height() as f64);
    let mut bits = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            let (px, py) = t.map(x as f64 + 0.5, y as f64 + 0.5);
            if !px.is_finite() || !py.is_finite() || px < -1.0 || py < -1.0 || px > w || py > h {
                return None;
            }
            let px = (px.max(0.0) as usize).min(image.width() - 1);
            let py = (py.max(0.0) as usize).min(image.height() - 1);
            bits.push(image.get(px, py));
        }
    }
    Some(bits)
}

fn dimension(tl: &FinderPattern, tr: &FinderPattern, bl: &FinderPattern, module: f64) -> usize {
    let tltr = (dist((tl.x, tl.y), (tr.x, tr.y)) / module).round() as usize;
    let tlbl = (dist((tl.x, tl.y), (bl.x, bl.y)) / module).round() as usize;
    let dim = (tltr + tlbl) / 2 + 7;
    match dim & 3 {
        0 => dim + 1,
        2 => dim - 1,
        _ => dim,
    }
}

/// Module size measured along the lines between finder centres (more precise than the
/// finder's own estimate on skewed codes).
fn module_size(image: View, tl: &FinderPattern, tr: &FinderPattern, bl: &FinderPattern) -> f64 {
    let one_way = |a: &FinderPattern, b: &FinderPattern| {
        let e1 = run_both_ways(image, a.x, a.y, b.x, b.y);
        let e2 = run_both_ways(image, b.x, b.y, a.x, a.y);
        match (e1.is_nan(), e2.is_nan()) {
            (true, true) => f64::NAN,
            (true, false) => e2 / 7.0,
            (false, true) => e1 / 7.0,
            (false, false) => (e1 + e2) / 14.0,
        }
    };
    let a = one_way(tl, tr);
    let b = one_way(tl, bl);
    let est = match (a.is_nan(), b.is_nan()) {
        (true, true) => f64::NAN,
        (true, false) => b,
        (false, true) => a,
        (false, false) => (a + b) / 2.0,
    };
    // Fall back to the finder's estimate when the runs are broken (blur, damage).
    let finder = (tl.module + tr.module + bl.module) / 3.0;
    if est.is_nan() || est < finder * 0.6 || est > finder * 1.6 {
        finder
    } else {
        est
    }
}

fn run_both_ways(image: View, fx: f64, fy: f64, tx: f64, ty: f64) -> f64 {
    let (fx, fy, tx, ty) = (fx as i64, fy as i64, tx as i64, ty as i64);
    let (w, h) = (image.width() as i64, image.height() as i64);
    let mut result = run_length(image, fx, fy, tx, ty);
    let mut scale = 1.0;
    let mut ox = fx - (tx - fx);
    if ox < 0 {
        scale = fx as f64 / (fx - ox) as f64;
        ox = 0;
    } else if ox >= w {
        scale = (w - 1 - fx) as f64 / (ox - fx) as f64;
        ox = w - 1;
    }
    let mut oy = (fy as f64 - (ty - fy) as f64 * scale) as i64;
    scale = 1.0;
    if oy < 0 {
        scale = fy as f64 / (fy - oy) as f64;
        oy = 0;
    } else if oy >= h {
        scale = (h - 1 - fy) as f64 / (oy - fy) as f64;
        oy = h - 1;
    }
    ox = (fx as f64 + (ox - fx) as f64 * scale) as i64;
    result += run_length(image, fx, fy, ox, oy);
    result - 1.0
}

/// Length of the dark-light-dark run from (fx, fy) towards (tx, ty) (Bresenham walk).
fn run_length(image: View, fx: i64, fy: i64, tx: i64, ty: i64) -> f64 {
    let steep = (ty - fy).abs() > (tx - fx).abs();
    let (fx, fy, tx, ty) = if steep {
        (fy, fx, ty, tx)
    } else {
        (fx, fy, tx, ty)
    };
    let dx = (tx - fx).abs();
    let dy = (ty - fy).abs();
    let mut error = -dx / 2;
    let xstep = if fx < tx { 1 } else { -1 };
    let ystep = if fy < ty { 1 } else { -1 };
    let mut state = 0;
    let x_limit = tx + xstep;
    let mut x = fx;
    let mut y = fy;
    let d = |x: i64, y: i64| (((x - fx).pow(2) + (y - fy).pow(2)) as f64).sqrt();
    while x != x_limit {
        let (rx, ry) = if steep { (y, x) } else { (x, y) };
        if (state == 1) == image.get_signed(rx, ry) {
            if state == 2 {
                return d(x, y);
            }
            state += 1;
        }
        error += dy;
        if error > 0 {
            if y == ty {
                break;
            }
            y += ystep;
            error -= dx;
        }
        x += xstep;
    }
    if state == 2 {
        return d(tx + xstep, ty);
    }
    f64::NAN
}

/// The alignment pattern nearest the bottom-right corner, searched in growing windows around
/// where an undistorted code would put it.
fn find_alignment(
    image: View,
    tl: &FinderPattern,
    tr: &FinderPattern,
    bl: &FinderPattern,
    module: f64,
    dim: usize,
) -> Option<(f64, f64)> {
    let between = dim as f64 - 7.0;
    let correction = 1.0 - 3.0 / between;
    let br_x = tr.x - tl.x + bl.x;
    let br_y = tr.y - tl.y + bl.y;
    let est_x = tl.x + correction * (br_x - tl.x);
    let est_y = tl.y + correction * (br_y - tl.y);
    for allowance in [4.0, 8.0, 16.0] {
        if let Some(p) = alignment_in_region(image, module, est_x, est_y, allowance) {
            return Some(p);
        }
    }
    None
}

fn alignment_in_region(
    image: View,
    module: f64,
    est_x: f64,
    est_y: f64,
    allowance: f64,
) -> Option<(f64, f64)> {
    let allow = allowance * module;
    let left = (est_x - allow).max(0.0) as i64;
    let right = (est_x + allow).min(image.width() as f64 - 1.0) as i64;
    let top = (est_y - allow).max(0.0) as i64;
    let bottom = (est_y + allow).min(image.height() as f64 - 1.0) as i64;
    if ((right - left) as f64) < module * 3.0 || ((bottom - top) as f64) < module * 3.0 {
        return None;
    }
    let height = bottom - top;
    let middle = top + height / 2;
    let mut candidates: Vec<(f64, f64, f64, u32)> = Vec::new();
    let found_cross = |c: &[usize; 3]| {
        let max_var = module / 2.0;
        c.iter().all(|&v| (module - v as f64).abs() < max_var)
    };
    let handle = |c: &[usize; 3], y: i64, end: i64, candidates: &mut Vec<(f64, f64, f64, u32)>| {
        let total: usize = c.iter().sum();
        let cx = end as f64 - c[2] as f64 - c[1] as f64 / 2.0;
        let cy = alignment_vertical(image, y, cx as i64, 2 * c[1], total, module)?;
        let m = total as f64 / 3.0;
        for cand in candidates.iter_mut() {
            if (cy - cand.1).abs() <= m && (cx - cand.0).abs() <= m {
                let diff = (m - cand.2).abs();
                if diff <= 1.0 || diff <= cand.2 {
                    let n = f64::from(cand.3);
                    return Some(((n * cand.0 + cx) / (n + 1.0), (n * cand.1 + cy) / (n + 1.0)));
                }
            }
        }
        candidates.push((cx, cy, m, 1));
        None
    };
    for gen in 0..height {
        let offset = (gen + 1) / 2;
        let y = if gen & 1 == 0 {
            middle + offset
        } else {
            middle - offset
        };
        if y < 0 || y >= image.height() as i64 {
            continue;
        }
        let mut c = [0usize; 3];
        let mut x = left;
        while x < right && !image.get_signed(x, y) {
            x += 1;
        }
        let mut state = 0usize;
        while x < right {
            if image.get_signed(x, y) {
                if state == 1 {
                    c[1] += 1;
                } else if state == 2 {
                    if found_cross(&c) {
                        if let Some(p) = handle(&c, y, x, &mut candidates) {
                            return Some(p);
                        }
                    }
                    c = [c[2], 1, 0];
                    state = 1;
                } else {
                    state += 1;
                    c[state] += 1;
                }
            } else {
                if state == 1 {
                    state += 1;
                }
                c[state] += 1;
            }
            x += 1;
        }
        if found_cross(&c) {
            if let Some(p) = handle(&c, y, right, &mut candidates) {
                return Some(p);
            }
        }
    }
    candidates.first().map(|c| (c.0, c.1))
}

fn alignment_vertical(
    image: View,
    start_y: i64,
    x: i64,
    max_count: usize,
    original_total: usize,
    module: f64,
) -> Option<f64> {
    let max_y = image.height() as i64;
    let mut c = [0usize; 3];
    let mut y = start_y;
    while y >= 0 && image.get_signed(x, y) && c[1] <= max_count {
        c[1] += 1;
        y -= 1;
    }
    if y < 0 || c[1] > max_count {
        return None;
    }
    while y >= 0 && !image.get_signed(x, y) && c[0] <= max_count {
        c[0] += 1;
        y -= 1;
    }
    if c[0] > max_count {
        return None;
    }
    let mut y = start_y + 1;
    while y < max_y && image.get_signed(x, y) && c[1] <= max_count {
        c[1] += 1;
        y += 1;
    }
    if y == max_y || c[1] > max_count {
        return None;
    }
    while y < max_y && !image.get_signed(x, y) && c[2] <= max_count {
        c[2] += 1;
        y += 1;
    }
    if c[2] > max_count {
        return None;
    }
    let total: usize = c.iter().sum();
    if 5 * total.abs_diff(original_total) >= 2 * original_total {
        return None;
    }
    let max_var = module / 2.0;
    if c.iter().all(|&v| (module - v as f64).abs() < max_var) {
        Some(y as f64 - c[2] as f64 - c[1] as f64 / 2.0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_patterns_by_geometry() {
        let p = |x, y| FinderPattern {
            x,
            y,
            module: 3.0,
            count: 3,
            inverted: false,
        };
        // An upright code: top-left (10,10), top-right (100,10), bottom-left (10,100).
        let [bl, tl, tr] = order([p(100.0, 10.0), p(10.0, 100.0), p(10.0, 10.0)]);
        assert_eq!((bl.x, bl.y), (10.0, 100.0));
        assert_eq!((tl.x, tl.y), (10.0, 10.0));
        assert_eq!((tr.x, tr.y), (100.0, 10.0));
        assert!(triple_score(&[bl, tl, tr]).unwrap() < 0.01);
        // Three points in a line are not a code.
        assert!(triple_score(&order([p(10.0, 10.0), p(50.0, 10.0), p(90.0, 10.0)])).is_none());
    }

    #[test]
    fn contains_respects_the_quadrilateral() {
        let d = Decoded {
            payload: vec![],
            corners: [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)],
            dimension: 21,
        };
        assert!(d.contains(5.0, 5.0, 0.0));
        assert!(!d.contains(11.0, 5.0, 0.0));
        assert!(d.contains(11.0, 5.0, 0.5));
        assert_eq!(d.center(), (5.0, 5.0));
    }
}
