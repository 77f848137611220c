//! Projective geometry: transforms between module space and image space, fitted from point
//! correspondences, and the outlines of finder patterns.
//!
//! Three finder centres only fix an affine map, so a photo taken at an angle is sampled a
//! module or two off at the far corner. Each finder's outer square, traced here, adds four
//! corners whose foreshortening differs from finder to finder: twelve points over the code pin
//! down the perspective, and alignment patterns found where that perspective predicts refine
//! it further.

use crate::binarize::View;

/// A point in one space and where it lies in another (module space to image, usually).
pub(crate) type PointPair = ((f64, f64), (f64, f64));

/// A 3x3 projective transform acting on column vectors (x, y, 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transform(pub(crate) [[f64; 3]; 3]);

impl Transform {
    /// Maps the unit square (0,0), (1,0), (1,1), (0,1) onto the quadrilateral p0..p3.
    pub(crate) fn square_to_quad(p: [(f64, f64); 4]) -> Transform {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = p;
        let dx3 = x0 - x1 + x2 - x3;
        let dy3 = y0 - y1 + y2 - y3;
        if dx3.abs() < 1e-12 && dy3.abs() < 1e-12 {
            return Transform([
                [x1 - x0, x2 - x1, x0],
                [y1 - y0, y2 - y1, y0],
                [0.0, 0.0, 1.0],
            ]);
        }
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let a13 = (dx3 * dy2 - dx2 * dy3) / den;
        let a23 = (dx1 * dy3 - dx3 * dy1) / den;
        Transform([
            [x1 - x0 + a13 * x1, x3 - x0 + a23 * x3, x0],
            [y1 - y0 + a13 * y1, y3 - y0 + a23 * y3, y0],
            [a13, a23, 1.0],
        ])
    }

    /// The adjugate: the inverse up to a scale factor, which projective maps ignore.
    pub(crate) fn adjugate(&self) -> Transform {
        let m = &self.0;
        let c = |r0: usize, r1: usize, c0: usize, c1: usize| {
            m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        };
        Transform([
            [c(1, 2, 1, 2), -c(0, 2, 1, 2), c(0, 1, 1, 2)],
            [-c(1, 2, 0, 2), c(0, 2, 0, 2), -c(0, 1, 0, 2)],
            [c(1, 2, 0, 1), -c(0, 2, 0, 1), c(0, 1, 0, 1)],
        ])
    }

    /// This transform followed by `next`.
    pub(crate) fn then(&self, next: &Transform) -> Transform {
        let (a, b) = (&next.0, &self.0);
        let mut out = [[0.0; 3]; 3];
        for (r, row) in out.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                *cell = (0..3).map(|k| a[r][k] * b[k][c]).sum();
            }
        }
        Transform(out)
    }

    /// Maps quadrilateral `from` onto quadrilateral `to`, corner by corner.
    pub(crate) fn quad_to_quad(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Transform {
        Transform::square_to_quad(from)
            .adjugate()
            .then(&Transform::square_to_quad(to))
    }

    pub(crate) fn map(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[2][0] * x + m[2][1] * y + m[2][2];
        (
            (m[0][0] * x + m[0][1] * y + m[0][2]) / w,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / w,
        )
    }

    /// The least-squares transform taking each `from` point to its `to` point (at least four
    /// pairs, not all on one line), after normalising both sets for numerical stability.
    pub(crate) fn fit(pairs: &[PointPair]) -> Option<Transform> {
        if pairs.len() < 4 {
            return None;
        }
        let (nf, _) = normaliser(pairs.iter().map(|p| p.0));
        let (nt, tt) = normaliser(pairs.iter().map(|p| p.1));
        // Normal equations A^T A h = A^T b for h = (h11 h12 h13 h21 h22 h23 h31 h32), h33 = 1.
        let mut ata = [[0.0f64; 8]; 8];
        let mut atb = [0.0f64; 8];
        for &(f, t) in pairs {
            let (u, v) = nf.map(f.0, f.1);
            let (x, y) = nt.map(t.0, t.1);
            let rows = [
                ([u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x], x),
                ([0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y], y),
            ];
            for (a, b) in rows {
                for i in 0..8 {
                    atb[i] += a[i] * b;
                    for j in 0..8 {
                        ata[i][j] += a[i] * a[j];
                    }
                }
            }
        }
        let h = solve8(ata, atb)?;
        let hn = Transform([[h[0], h[1], h[2]], [h[3], h[4], h[5]], [h[6], h[7], 1.0]]);
        // from -> normalised from -> normalised to -> to
        let full = nf.then(&hn).then(&tt);
        full.0
            .iter()
            .flatten()
            .all(|v| v.is_finite())
            .then_some(full)
    }
}

/// A similarity moving the points' centroid to the origin and their mean distance to sqrt 2,
/// and its inverse.
fn normaliser(points: impl Iterator<Item = (f64, f64)> + Clone) -> (Transform, Transform) {
    let n = points.clone().count() as f64;
    let (sx, sy) = points
        .clone()
        .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x, ay + y));
    let (mx, my) = (sx / n, sy / n);
    let mean_dist = points
        .map(|(x, y)| ((x - mx).powi(2) + (y - my).powi(2)).sqrt())
        .sum::<f64>()
        / n;
    let s = if mean_dist > 1e-12 {
        std::f64::consts::SQRT_2 / mean_dist
    } else {
        1.0
    };
    (
        Transform([[s, 0.0, -s * mx], [0.0, s, -s * my], [0.0, 0.0, 1.0]]),
        Transform([[1.0 / s, 0.0, mx], [0.0, 1.0 / s, my], [0.0, 0.0, 1.0]]),
    )
}

/// Gaussian elimination with partial pivoting.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..8 {
            let f = a[row][col] / pivot_row[col];
            if f != 0.0 {
                for (cell, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *cell -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = [0.0; 8];
    for row in (0..8).rev() {
        let s: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// A line through `p` with direction `d` (unit length).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    p: (f64, f64),
    d: (f64, f64),
}

impl Line {
    /// Total-least-squares fit, dropping points far from a first fit; `None` with fewer than
    /// three points left.
    fn fit(points: &[(f64, f64)], tolerance: f64) -> Option<Line> {
        let first = Line::fit_all(points)?;
        let kept: Vec<(f64, f64)> = points
            .iter()
            .cloned()
            .filter(|&q| first.distance(q) <= tolerance)
            .collect();
        Line::fit_all(&kept)
    }

    fn fit_all(points: &[(f64, f64)]) -> Option<Line> {
        if points.len() < 3 {
            return None;
        }
        let n = points.len() as f64;
        let (mx, my) = points
            .iter()
            .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x / n, ay + y / n));
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for &(x, y) in points {
            sxx += (x - mx) * (x - mx);
            sxy += (x - mx) * (y - my);
            syy += (y - my) * (y - my);
        }
        let angle = 0.5 * (2.0 * sxy).atan2(sxx - syy);
        Some(Line {
            p: (mx, my),
            d: (angle.cos(), angle.sin()),
        })
    }

    fn distance(&self, q: (f64, f64)) -> f64 {
        ((q.0 - self.p.0) * self.d.1 - (q.1 - self.p.1) * self.d.0).abs()
    }

    /// Where two lines cross; `None` for (nearly) parallel lines.
    pub(crate) fn intersect(&self, other: &Line) -> Option<(f64, f64)> {
        let den = self.d.0 * other.d.1 - self.d.1 * other.d.0;
        if den.abs() < 1e-6 {
            return None;
        }
        let (dx, dy) = (other.p.0 - self.p.0, other.p.1 - self.p.1);
        let s = (dx * other.d.1 - dy * other.d.0) / den;
        Some((self.p.0 + s * self.d.0, self.p.1 + s * self.d.1))
    }
}

/// A finder pattern's outer square, as four edge lines named in the code's own orientation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outline {
    pub(crate) top: Line,
    pub(crate) right: Line,
    pub(crate) bottom: Line,
    pub(crate) left: Line,
}

impl Outline {
    /// Corners in module order: top-left, top-right, bottom-right, bottom-left.
    pub(crate) fn corners(&self) -> Option<[(f64, f64); 4]> {
        Some([
            self.top.intersect(&self.left)?,
            self.top.intersect(&self.right)?,
            self.bottom.intersect(&self.right)?,
            self.bottom.intersect(&self.left)?,
        ])
    }
}

/// Traces the outer edge of the finder pattern centred at (cx, cy) with rays in all
/// directions and fits its four sides. `u` and `v` are the code's module x and y directions in
/// the image (from the top-left finder towards the top-right and bottom-left ones).
pub(crate) fn finder_outline(
    view: View,
    (cx, cy): (f64, f64),
    module: f64,
    u: (f64, f64),
    v: (f64, f64),
) -> Option<Outline> {
    const RAYS: usize = 64;
    let det = u.0 * v.1 - u.1 * v.0;
    if det.abs() < 1e-6 {
        return None;
    }
    let mut sides: [Vec<(f64, f64)>; 4] = Default::default();
    for i in 0..RAYS {
        let angle = i as f64 * std::f64::consts::TAU / RAYS as f64;
        let (dx, dy) = (angle.cos(), angle.sin());
        let Some(edge) = ray_edge(view, cx, cy, dx, dy, module) else {
            continue;
        };
        let (ox, oy) = (edge.0 - cx, edge.1 - cy);
        let a = (ox * v.1 - oy * v.0) / det;
        let b = (u.0 * oy - u.1 * ox) / det;
        // Points near the corners belong to two sides; leave them out.
        let side = if a.abs() > b.abs() * 1.3 {
            if a > 0.0 {
                1
            } else {
                3
            }
        } else if b.abs() > a.abs() * 1.3 {
            if b > 0.0 {
                2
            } else {
                0
            }
        } else {
            continue;
        };
        sides[side].push(edge);
    }
    let tol = 1.0 + module * 0.3;
    Some(Outline {
        top: Line::fit(&sides[0], tol)?,
        right: Line::fit(&sides[1], tol)?,
        bottom: Line::fit(&sides[2], tol)?,
        left: Line::fit(&sides[3], tol)?,
    })
}

/// Walks from the centre: dark core, light ring, dark ring; returns the point where the dark
/// ring ends, if the three runs have finder-like proportions.
fn ray_edge(view: View, cx: f64, cy: f64, dx: f64, dy: f64, module: f64) -> Option<(f64, f64)> {
    let step = (module / 8.0).clamp(0.25, 1.0);
    let max_t = module * 8.0;
    let mut state = 0;
    let (mut core_end, mut ring_start) = (0.0, 0.0);
    let mut t = 0.0;
    while t < max_t {
        t += step;
        let (x, y) = (cx + dx * t, cy + dy * t);
        let dark = view.get_signed(x.floor() as i64, y.floor() as i64);
        match (state, dark) {
            (0, false) => {
                core_end = t - step / 2.0;
                state = 1;
            }
            (1, true) => {
                ring_start = t - step / 2.0;
                state = 2;
            }
            (2, false) => {
                let end = t - step / 2.0;
                let (r1, r2) = (core_end / end, ring_start / end);
                // On a perfect finder: 1.5/3.5 = 0.43 and 2.5/3.5 = 0.71 in every direction.
                if !(0.25..=0.6).contains(&r1) || !(0.55..=0.88).contains(&r2) {
                    return None;
                }
                if end < module * 2.0 {
                    return None;
                }
                return Some((cx + dx * end, cy + dy * end));
            }
            _ => {}
        }
    }
    None
}

/// Centres of the alignment patterns of a version, in module coordinates (row-major), without
/// the three that would overlap finder patterns.
pub(crate) fn alignment_centres(version: usize) -> Vec<(f64, f64)> {
    if version < 2 {
        return Vec::new();
    }
    let size = 17 + 4 * version;
    let count = version / 7 + 2;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (2 * count - 2) * 2
    };
    let mut positions = vec![0usize; count];
    positions[0] = 6;
    let mut pos = size - 7;
    for i in (1..count).rev() {
        positions[i] = pos;
        pos -= step;
    }
    let last = count - 1;
    let mut out = Vec::new();
    for (i, &y) in positions.iter().enumerate() {
        for (j, &x) in positions.iter().enumerate() {
            let on_finder = (i == 0 && (j == 0 || j == last)) || (i == last && j == 0);
            if !on_finder {
                out.push((x as f64 + 0.5, y as f64 + 0.5));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binarize::BitMatrix;

    #[test]
    fn quad_to_quad_maps_corners() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        let to = [(5.0, 7.0), (30.0, 9.0), (33.0, 40.0), (2.0, 35.0)];
        let t = Transform::quad_to_quad(from, to);
        for (f, e) in from.iter().zip(to.iter()) {
            let (x, y) = t.map(f.0, f.1);
            assert!(
                (x - e.0).abs() < 1e-6 && (y - e.1).abs() < 1e-6,
                "{f:?} -> {x},{y}"
            );
        }
    }

    #[test]
    fn fit_recovers_a_projective_map() {
        let truth = Transform::quad_to_quad(
            [(0.0, 0.0), (25.0, 0.0), (25.0, 25.0), (0.0, 25.0)],
            [(100.0, 80.0), (400.0, 120.0), (380.0, 390.0), (90.0, 330.0)],
        );
        let pairs: Vec<_> = [
            (0.0, 0.0),
            (7.0, 0.0),
            (3.5, 3.5),
            (25.0, 0.0),
            (18.0, 7.0),
            (0.0, 25.0),
            (7.0, 18.0),
            (22.0, 22.0),
        ]
        .iter()
        .map(|&(x, y)| ((x, y), truth.map(x, y)))
        .collect();
        let fitted = Transform::fit(&pairs).unwrap();
        for (x, y) in [(12.5, 12.5), (25.0, 25.0), (1.0, 24.0)] {
            let (a, b) = truth.map(x, y);
            let (c, d) = fitted.map(x, y);
            assert!(
                (a - c).abs() < 1e-6 && (b - d).abs() < 1e-6,
                "{x},{y}: {a},{b} vs {c},{d}"
            );
        }
        assert!(Transform::fit(&pairs[..3]).is_none());
    }

    #[test]
    fn lines_intersect() {
        let a = Line::fit(&[(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0)], 1.0).unwrap();
        let b = Line::fit(&[(5.0, 0.0), (5.0, 2.0), (5.0, 3.0)], 1.0).unwrap();
        let (x, y) = a.intersect(&b).unwrap();
        assert!((x - 5.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9);
        assert!(a.intersect(&a).is_none());
    }

    #[test]
    fn outline_of_a_drawn_finder() {
        let mut m = BitMatrix::new(100, 100);
        let module = 6;
        for y in 0..7 * module {
            for x in 0..7 * module {
                let (mx, my) = (x / module, y / module);
                let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
                let core = (2..=4).contains(&mx) && (2..=4).contains(&my);
                m.set(20 + x, 30 + y, ring || core);
            }
        }
        let view = View {
            bits: &m,
            inverted: false,
        };
        let outline = finder_outline(view, (41.0, 51.0), 6.0, (1.0, 0.0), (0.0, 1.0)).unwrap();
        let corners = outline.corners().unwrap();
        let expected = [(20.0, 30.0), (62.0, 30.0), (62.0, 72.0), (20.0, 72.0)];
        for (c, e) in corners.iter().zip(expected) {
            assert!(
                (c.0 - e.0).abs() < 1.0 && (c.1 - e.1).abs() < 1.0,
                "{c:?} vs {e:?}"
            );
        }
    }

    #[test]
    fn alignment_positions_match_the_standard() {
        assert!(alignment_centres(1).is_empty());
        assert_eq!(alignment_centres(2), [(18.5, 18.5)]);
        // Version 7: rows/columns 6, 22, 38 -> 9 - 3 = 6 patterns.
        let v7 = alignment_centres(7);
        assert_eq!(v7.len(), 6);
        assert!(v7.contains(&(22.5, 22.5)) && v7.contains(&(38.5, 38.5)));
        // Version 32 has the irregular step of 26: 6, 34, 60, 86, 112, 138.
        assert!(alignment_centres(32).contains(&(34.5, 34.5)));
        assert_eq!(alignment_centres(40).len(), 7 * 7 - 3);
    }
}
