//! From a sampled module grid to the payload bytes.
//!
//! `rqrr` reads the grid: format, Reed-Solomon correction, segments, and the mirrored reading
//! if the plain one fails. It corrects errors and then stops with `UnknownDataType` on the
//! structured-append header (one message split over several symbols), on FNC1 (GS1 and
//! industry formats) and on the Chinese hanzi mode, and does not expose the corrected
//! codewords. For those codes only, this module reads the raw bits from rqrr, undoes the mask,
//! de-interleaves the blocks (layout taken from the `qrcode` crate), corrects each block with
//! Reed-Solomon and parses the segments itself.
//!
//! It knows nothing of images or finder patterns: `detect` samples a grid and calls
//! [`read_grid`], never the other way round.

use qrcode::types::{EcLevel, Version as QrVersion};
use rqrr::BitGrid;

/// The module grid handed to rqrr: `true` is a dark module.
#[derive(Clone)]
struct Modules {
    size: usize,
    bits: Vec<bool>,
}

impl Modules {
    /// A grid whose module at row y, column x is `f(y, x)`.
    fn from_fn(size: usize, f: impl Fn(usize, usize) -> bool) -> Modules {
        let mut bits = Vec::with_capacity(size * size);
        for y in 0..size {
            for x in 0..size {
                bits.push(f(y, x));
            }
        }
        Modules { size, bits }
    }

    /// The grid mirrored along its main diagonal (a code seen from behind).
    fn transposed(&self) -> Modules {
        Modules::from_fn(self.size, |y, x| self.bits[x * self.size + y])
    }
}

impl rqrr::BitGrid for Modules {
    fn size(&self) -> usize {
        self.size
    }

    fn bit(&self, y: usize, x: usize) -> bool {
        self.bits[y * self.size + x]
    }
}

/// Reads a sampled grid with rqrr (or, for headers rqrr rejects, with [`read_extended`]);
/// `None` if it is not a valid code.
pub(crate) fn read_grid(size: usize, bits: Vec<bool>) -> Option<Vec<u8>> {
    if !(21..=177).contains(&size) || (size - 17) % 4 != 0 || bits.len() != size * size {
        return None;
    }
    // rqrr is not expected to panic on a well-sized grid; the guard makes sure a bug there
    // costs one candidate, not the whole scan.
    std::panic::catch_unwind(move || {
        let grid = rqrr::Grid::new(Modules { size, bits });
        let mut out = Vec::new();
        match grid.decode_to(&mut out) {
            Ok(_) => Some(out),
            Err(rqrr::DeQRError::UnknownDataType) => read_extended(&grid.grid),
            Err(_) => None,
        }
    })
    .ok()
    .flatten()
}

/// The payload bytes, as rqrr would have produced them, of a grid that rqrr's own reader
/// rejected for an unsupported mode. Tries the grid as given, then mirrored.
fn read_extended(grid: &Modules) -> Option<Vec<u8>> {
    read_oriented(grid).or_else(|| read_oriented(&grid.transposed()))
}

fn read_oriented(grid: &Modules) -> Option<Vec<u8>> {
    let (meta, _) = rqrr::Grid::new(grid.clone()).get_raw_data().ok()?;
    let version = meta.version.0;
    let mask = meta.mask;
    // Undo the mask everywhere except the format information, which rqrr reads again, so
    // that the "raw" bits it returns are the unmasked codewords.
    let size = grid.size();
    let unmasked = Modules::from_fn(size, |y, x| {
        let format_cell =
            (y == 8 && (x <= 8 || x >= size - 8)) || (x == 8 && (y <= 8 || y >= size - 7));
        grid.bit(y, x) != (!format_cell && mask_bit(mask, y, x))
    });
    let (_, raw) = rqrr::Grid::new(unmasked).get_raw_data().ok()?;
    let codewords: Vec<u8> = raw.data[..raw.len / 8].to_vec();
    let level = match meta.ecc_level {
        0 => EcLevel::M,
        1 => EcLevel::L,
        2 => EcLevel::H,
        _ => EcLevel::Q,
    };
    let data = correct_blocks(&codewords, version, level);
    let data = data?;
    parse_segments(&data, version)
}

fn mask_bit(mask: u16, y: usize, x: usize) -> bool {
    match mask {
        0 => (y + x) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (y + x) % 3 == 0,
        4 => ((y / 2) + (x / 3)) % 2 == 0,
        5 => (y * x) % 2 + (y * x) % 3 == 0,
        6 => ((y * x) % 2 + (y * x) % 3) % 2 == 0,
        _ => ((y * x) % 3 + (y + x) % 2) % 2 == 0,
    }
}

/// Total data codewords, number of blocks and error-correction codewords per block, as the
/// `qrcode` encoder lays them out: its interleaving moves data codeword 1 to position
/// "number of blocks".
fn block_layout(version: usize, level: EcLevel) -> Option<(usize, usize, usize)> {
    let v = QrVersion::Normal(i16::try_from(version).ok()?);
    let data = qrcode::bits::Bits::new(v).max_len(level).ok()? / 8;
    let mut probe = vec![0u8; data];
    *probe.get_mut(1)? = 1;
    let (blocks, ec) = qrcode::ec::construct_codewords(&probe, v, level).ok()?;
    let count = blocks.iter().position(|&b| b == 1)?;
    if count == 0 || ec.len() % count != 0 {
        return None;
    }
    Some((data, count, ec.len() / count))
}

/// De-interleaves and corrects the codewords; returns the data codewords in order.
fn correct_blocks(codewords: &[u8], version: usize, level: EcLevel) -> Option<Vec<u8>> {
    let (data_total, count, ec_per_block) = block_layout(version, level)?;
    let short = data_total / count;
    let long_blocks = data_total % count;
    let short_blocks = count - long_blocks;
    if codewords.len() < data_total + ec_per_block * count {
        return None;
    }
    let mut blocks: Vec<Vec<u8>> = (0..count)
        .map(|_| Vec::with_capacity(short + 1 + ec_per_block))
        .collect();
    let mut i = 0;
    for column in 0..=short {
        for (b, block) in blocks.iter_mut().enumerate() {
            if column < short || b >= short_blocks {
                block.push(codewords[i]);
                i += 1;
            }
        }
    }
    for _ in 0..ec_per_block {
        for block in blocks.iter_mut() {
            block.push(codewords[i]);
            i += 1;
        }
    }
    let mut out = Vec::with_capacity(data_total);
    for mut block in blocks {
        rs_correct(&mut block, ec_per_block)?;
        let data_len = block.len() - ec_per_block;
        out.extend_from_slice(&block[..data_len]);
    }
    Some(out)
}

/// GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
struct Gf {
    exp: [u8; 512],
    log: [u8; 256],
}

impl Gf {
    fn new() -> Gf {
        let mut exp = [0u8; 512];
        let mut log = [0u8; 256];
        let mut x: u16 = 1;
        for (i, e) in exp.iter_mut().enumerate().take(255) {
            *e = x as u8;
            log[x as usize] = i as u8;
            x <<= 1;
            if x & 0x100 != 0 {
                x ^= 0x11d;
            }
        }
        for i in 255..512 {
            exp[i] = exp[i - 255];
        }
        Gf { exp, log }
    }

    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[self.log[a as usize] as usize + self.log[b as usize] as usize]
        }
    }

    fn div(&self, a: u8, b: u8) -> u8 {
        if a == 0 {
            0
        } else {
            self.exp[(self.log[a as usize] as usize + 255 - self.log[b as usize] as usize) % 255]
        }
    }

    /// alpha^e for any integer exponent.
    fn pow_alpha(&self, e: i64) -> u8 {
        self.exp[e.rem_euclid(255) as usize]
    }

    /// Evaluates a polynomial given lowest degree first.
    fn eval_ascending(&self, poly: &[u8], x: u8) -> u8 {
        poly.iter().rev().fold(0, |acc, &c| self.mul(acc, x) ^ c)
    }
}

/// Corrects a Reed-Solomon block (data then `nsym` check bytes, first byte = highest degree)
/// in place; `None` if there are more errors than the code can fix.
fn rs_correct(block: &mut [u8], nsym: usize) -> Option<()> {
    let gf = Gf::new();
    let n = block.len();
    // Syndromes S_i = r(alpha^i), i = 0..nsym (QR's generator has roots alpha^0..alpha^(nsym-1)).
    let syndromes = |block: &[u8]| -> Vec<u8> {
        (0..nsym)
            .map(|i| {
                let x = gf.pow_alpha(i as i64);
                block.iter().fold(0, |acc, &c| gf.mul(acc, x) ^ c)
            })
            .collect()
    };
    let s = syndromes(block);
    if s.iter().all(|&v| v == 0) {
        return Some(());
    }
    // Berlekamp-Massey: the error locator Lambda(x), lowest degree first.
    let mut c = vec![1u8];
    let mut b = vec![1u8];
    let (mut l, mut m, mut bb) = (0usize, 1usize, 1u8);
    for k in 0..nsym {
        let mut d = s[k];
        for i in 1..=l.min(c.len() - 1) {
            d ^= gf.mul(c[i], s[k - i]);
        }
        if d == 0 {
            m += 1;
            continue;
        }
        let coef = gf.div(d, bb);
        let mut next = c.clone();
        if next.len() < b.len() + m {
            next.resize(b.len() + m, 0);
        }
        for (i, &bv) in b.iter().enumerate() {
            next[i + m] ^= gf.mul(coef, bv);
        }
        if 2 * l <= k {
            l = k + 1 - l;
            b = c;
            bb = d;
            m = 1;
        } else {
            m += 1;
        }
        c = next;
    }
    c.truncate(l + 1);
    if 2 * l > nsym {
        return None;
    }
    // Chien search: an error at degree p makes Lambda(alpha^-p) zero.
    let positions: Vec<usize> = (0..n)
        .filter(|&p| gf.eval_ascending(&c, gf.pow_alpha(-(p as i64))) == 0)
        .collect();
    if positions.len() != l {
        return None;
    }
    // Forney: Omega(x) = S(x) Lambda(x) mod x^nsym; e = X Omega(X^-1) / Lambda'(X^-1).
    let mut omega = vec![0u8; nsym];
    for (i, &si) in s.iter().enumerate() {
        for (j, &cj) in c.iter().enumerate() {
            if i + j < nsym {
                omega[i + j] ^= gf.mul(si, cj);
            }
        }
    }
    let derivative: Vec<u8> = c
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, &v)| if i % 2 == 1 { v } else { 0 })
        .collect();
    for &p in &positions {
        let x = gf.pow_alpha(p as i64);
        let x_inv = gf.pow_alpha(-(p as i64));
        let den = gf.eval_ascending(&derivative, x_inv);
        if den == 0 {
            return None;
        }
        let magnitude = gf.div(gf.mul(x, gf.eval_ascending(&omega, x_inv)), den);
        block[n - 1 - p] ^= magnitude;
    }
    syndromes(block).iter().all(|&v| v == 0).then_some(())
}

/// Reads big-endian bit fields.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn remaining(&self) -> usize {
        self.data.len() * 8 - self.pos
    }

    fn take(&mut self, bits: usize) -> Option<usize> {
        if bits > self.remaining() {
            return None;
        }
        let mut v = 0;
        for _ in 0..bits {
            let byte = self.data[self.pos / 8];
            v = (v << 1) | usize::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

const ALPHANUMERIC: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// The segments' content as bytes: byte and kanji segments raw (kanji as Shift_JIS), hanzi as
/// UTF-8, ECI designators and the structured-append header skipped, and under FNC1 (GS1) an
/// alphanumeric "%" read as the GS separator, as ZXing does.
fn parse_segments(data: &[u8], version: usize) -> Option<Vec<u8>> {
    let size_class = match version {
        1..=9 => 0,
        10..=26 => 1,
        _ => 2,
    };
    let mut r = BitReader { data, pos: 0 };
    let mut out = Vec::new();
    let mut fnc1 = false;
    while r.remaining() >= 4 {
        match r.take(4)? {
            0 => break,
            1 => {
                let mut count = r.take([10, 12, 14][size_class])?;
                while count >= 3 {
                    let v = r.take(10)?;
                    if v > 999 {
                        return None;
                    }
                    out.extend(format!("{v:03}").bytes());
                    count -= 3;
                }
                if count == 2 {
                    let v = r.take(7)?;
                    if v > 99 {
                        return None;
                    }
                    out.extend(format!("{v:02}").bytes());
                } else if count == 1 {
                    let v = r.take(4)?;
                    if v > 9 {
                        return None;
                    }
                    out.extend(format!("{v}").bytes());
                }
            }
            2 => {
                let count = r.take([9, 11, 13][size_class])?;
                let start = out.len();
                for _ in 0..count / 2 {
                    let v = r.take(11)?;
                    let (a, b) = (v / 45, v % 45);
                    out.push(*ALPHANUMERIC.get(a)?);
                    out.push(ALPHANUMERIC[b]);
                }
                if count % 2 == 1 {
                    out.push(*ALPHANUMERIC.get(r.take(6)?)?);
                }
                if fnc1 {
                    let segment = out.split_off(start);
                    let mut i = 0;
                    while i < segment.len() {
                        if segment[i] == b'%' {
                            if segment.get(i + 1) == Some(&b'%') {
                                out.push(b'%');
                                i += 1;
                            } else {
                                out.push(0x1d);
                            }
                        } else {
                            out.push(segment[i]);
                        }
                        i += 1;
                    }
                }
            }
            3 => {
                // Structured append: symbol index, symbol count, parity.
                r.take(16)?;
            }
            4 => {
                let count = r.take([8, 16, 16][size_class])?;
                for _ in 0..count {
                    out.push(r.take(8)? as u8);
                }
            }
            5 => fnc1 = true,
            7 => {
                let first = r.take(8)?;
                if first & 0x80 != 0 {
                    r.take(if first & 0x40 == 0 { 8 } else { 16 })?;
                }
            }
            8 => {
                let count = r.take([8, 10, 12][size_class])?;
                for _ in 0..count {
                    let d = r.take(13)?;
                    let word = ((d / 0xc0) << 8) | (d % 0xc0);
                    let sjis = if word + 0x8140 <= 0x9ffc {
                        word + 0x8140
                    } else {
                        word + 0xc140
                    };
                    out.push((sjis >> 8) as u8);
                    out.push(sjis as u8);
                }
            }
            13 => {
                // Hanzi (GB 2312) mode, a Chinese extension ZXing reads too.
                let subset = r.take(4)?;
                let count = r.take([8, 10, 12][size_class])?;
                if subset != 1 {
                    return None;
                }
                let mut gb = Vec::with_capacity(count * 2);
                for _ in 0..count {
                    let d = r.take(13)?;
                    let mut word = ((d / 0x60) << 8) | (d % 0x60);
                    word += if word < 0xa00 { 0xa1a1 } else { 0xa6a1 };
                    gb.push((word >> 8) as u8);
                    gb.push(word as u8);
                }
                let (text, _, _) = encoding_rs::GBK.decode(&gb);
                out.extend_from_slice(text.as_bytes());
            }
            9 => {
                // FNC1 in second position: an application indicator precedes the data.
                r.take(8)?;
                fnc1 = true;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_grid_rejects_bad_sizes() {
        assert!(read_grid(20, vec![false; 400]).is_none());
        assert!(read_grid(21, vec![false; 10]).is_none());
        assert!(read_grid(21, vec![false; 441]).is_none());
    }

    #[test]
    fn reed_solomon_fixes_up_to_half_the_check_bytes() {
        let data: Vec<u8> = (0..40u8)
            .map(|i| i.wrapping_mul(37).wrapping_add(5))
            .collect();
        let ec = qrcode::ec::create_error_correction_code(&data, 18);
        let mut block = [data.clone(), ec].concat();
        let original = block.clone();
        for (k, pos) in [0usize, 7, 13, 21, 30, 39, 44, 50, 57].iter().enumerate() {
            block[*pos] ^= 0x5a + k as u8;
        }
        rs_correct(&mut block, 18).unwrap();
        assert_eq!(block, original);
        // Ten errors are one too many for 18 check bytes.
        for pos in 0..10 {
            block[pos * 5] ^= 0xff;
        }
        assert!(rs_correct(&mut block, 18).is_none() || block != original);
    }

    #[test]
    fn block_layouts_match_the_standard() {
        // Version 1-M: one block, 16 data + 10 check codewords.
        assert_eq!(block_layout(1, EcLevel::M), Some((16, 1, 10)));
        // Version 5-Q: 2 blocks of 15 and 2 of 16 data codewords, 18 check codewords each.
        assert_eq!(block_layout(5, EcLevel::Q), Some((62, 4, 18)));
        // Version 40-H: 81 blocks, 30 check codewords each.
        assert_eq!(block_layout(40, EcLevel::H), Some((1276, 81, 30)));
    }

    #[test]
    fn segments_with_fnc1_and_structured_append() {
        // Structured append header, FNC1 first position, alphanumeric "01%2", byte "é".
        let mut bits = String::new();
        bits += "0011"; // structured append
        bits += "0000"; // index
        bits += "0011"; // count - 1
        bits += "10101010"; // parity
        bits += "0101"; // FNC1 first position
        bits += "0010"; // alphanumeric
        bits += &format!("{:09b}", 4);
        bits += &format!("{:011b}", 1); // "01": 45 * 0 + 1
        bits += &format!("{:011b}", 45 * 38 + 2); // "%2"
        bits += "0100"; // byte
        bits += &format!("{:08b}", 1);
        bits += &format!("{:08b}", 0xe9);
        bits += "0000";
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        assert_eq!(parse_segments(&bytes, 1).unwrap(), b"01\x1d2\xe9");
    }
}
