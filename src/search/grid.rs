//! A hierarchical grid over latitude and longitude, for the candidates of
//! an area filter given without a time: each position is kept at the finest
//! level whose cells are at least as large as its accuracy circle's box,
//! in the cell of its centre, so a position whose circle meets a box has
//! its centre in that box widened by one cell of its level. Cells are
//! numbered level · 2^50 + Morton code (x and y bits interleaved), so a
//! cell, and a block of cells at a coarser level, is one contiguous range
//! of numbers: a box becomes a few dozen ranges per level, each read in
//! order from a table clustered by cell (`search_cells`), without a join.
//!
//! Must not: touch the database, or decide what matches (the exact test
//! in `query` does; these are candidates).

use super::geo::{self, GeoBox};

/// The finest level (cells of 360° / 2^24 longitude: about 2.4 m).
pub const MAX_LEVEL: u32 = 24;
/// Where the level sits in a cell number.
const LEVEL_SHIFT: u32 = 50;
/// Blocks of cells a box is covered with, per level, at most (the blocks
/// grow coarser until they fit; what they add is checked exactly).
const MAX_BLOCKS: u64 = 64;

/// `v`'s low 24 bits spread to the even bits.
fn spread(v: u64) -> u64 {
    let mut x = v & 0xff_ffff;
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    x
}

/// The Morton code of cell (x, y).
fn morton(x: u64, y: u64) -> u64 {
    spread(x) | (spread(y) << 1)
}

/// The cell (x, y) holding a point at `level`.
fn xy(lat: f64, lon: f64, level: u32) -> (u64, u64) {
    let n = (1u64 << level) as f64;
    let clamp = |v: f64| (v.floor().max(0.0) as u64).min((1u64 << level) - 1);
    (clamp((lon + 180.0) / 360.0 * n), clamp((lat + 90.0) / 180.0 * n))
}

/// The level a position is kept at: the finest whose cells are as large
/// as its accuracy circle's box.
pub fn level_of(lat: f64, lon: f64, accuracy_m: f64) -> u32 {
    let boxes = geo::circle_boxes(lat, lon, accuracy_m);
    let lat_span = boxes.iter().map(|b| b.max_lat).fold(f64::MIN, f64::max)
        - boxes.iter().map(|b| b.min_lat).fold(f64::MAX, f64::min);
    let lon_span: f64 = boxes.iter().map(|b| b.max_lon - b.min_lon).sum();
    (0..=MAX_LEVEL)
        .rev()
        .find(|l| {
            let n = (1u64 << l) as f64;
            lat_span <= 180.0 / n && lon_span <= 360.0 / n
        })
        .unwrap_or(0)
}

/// The cell number a position is kept in.
pub fn cell(lat: f64, lon: f64, accuracy_m: f64) -> i64 {
    let level = level_of(lat, lon, accuracy_m);
    let (x, y) = xy(lat, lon, level);
    ((u64::from(level) << LEVEL_SHIFT) | morton(x, y)) as i64
}

/// Longitude intervals of [w, e] (which may run past ±180°), wrapped.
fn wrapped(w: f64, e: f64) -> Vec<(f64, f64)> {
    if e - w >= 360.0 {
        vec![(-180.0, 180.0)]
    } else if w < -180.0 {
        vec![(w + 360.0, 180.0), (-180.0, e)]
    } else if e > 180.0 {
        vec![(w, 180.0), (-180.0, e - 360.0)]
    } else {
        vec![(w, e)]
    }
}

/// The range of cell numbers of one level.
pub fn level_range(level: u32) -> (i64, i64) {
    let base = u64::from(level) << LEVEL_SHIFT;
    (base as i64, (base | ((1u64 << LEVEL_SHIFT) - 1)) as i64)
}

/// The ranges of cell numbers that can hold a position whose accuracy
/// circle meets `b`, at the given levels (those that hold any), merged
/// and in order.
pub fn ranges(b: &GeoBox, levels: &[u32]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for &level in levels {
        let n = (1u64 << level) as f64;
        let (cw, ch) = (360.0 / n, 180.0 / n);
        let (s, north) = ((b.min_lat - ch).max(-90.0), (b.max_lat + ch).min(90.0));
        for (w, e) in wrapped(b.min_lon - cw, b.max_lon + cw) {
            let (x0, y0) = xy(s, w, level);
            let (x1, y1) = xy(north, e, level);
            // Coarser blocks until they are few enough.
            let mut up = 0;
            while up < level
                && ((x1 >> up) - (x0 >> up) + 1) * ((y1 >> up) - (y0 >> up) + 1) > MAX_BLOCKS
            {
                up += 1;
            }
            let base = u64::from(level) << LEVEL_SHIFT;
            for cy in (y0 >> up)..=(y1 >> up) {
                for cx in (x0 >> up)..=(x1 >> up) {
                    let m = morton(cx, cy) << (2 * up);
                    out.push(((base | m) as i64, (base | (m + (1u64 << (2 * up)) - 1)) as i64));
                }
            }
        }
    }
    out.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.len());
    for (lo, hi) in out {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_known_answers() {
        assert_eq!(morton(0, 0), 0);
        assert_eq!(morton(1, 0), 1);
        assert_eq!(morton(0, 1), 2);
        assert_eq!(morton(3, 3), 15);
        assert_eq!(morton(0xff_ffff, 0), 0x5555_5555_5555);
        assert_eq!(morton(0, 0xff_ffff), 0xaaaa_aaaa_aaaa);
    }

    #[test]
    fn levels_follow_the_accuracy() {
        assert_eq!(level_of(36.2, 37.16, 0.0), MAX_LEVEL);
        let l = level_of(36.2, 37.16, 500.0);
        // A 1 km box fits a cell of 180/2^l degrees of latitude.
        assert!(180.0 / f64::from(1u32 << l) >= 1000.0 / 111_195.0, "{l}");
        assert!(180.0 / f64::from(1u32 << (l + 1)) < 1000.0 / 111_195.0 || l == MAX_LEVEL);
        assert_eq!(level_of(89.99, 0.0, 5000.0), 0, "around a pole: every longitude");
    }

    /// Every position whose accuracy circle meets a box has its cell in
    /// the box's ranges: near the antimeridian, the poles and the equator,
    /// for accuracies from none to hundreds of kilometres.
    #[test]
    fn a_position_meeting_a_box_is_in_its_ranges() {
        let mut next = crate::search::unit_stream(0x2545_f491_4f6c_dd1du64);
        let mut met = 0;
        for k in 0..4000 {
            let centre = [(36.2, 37.1), (0.0, 179.9), (89.5, 10.0), (-60.0, -179.95)][k % 4];
            let lat = (centre.0 + (next() - 0.5) * 2.0).clamp(-90.0, 90.0);
            let mut lon = centre.1 + (next() - 0.5) * 2.0;
            if lon > 180.0 {
                lon -= 360.0;
            }
            if lon < -180.0 {
                lon += 360.0;
            }
            let acc = [0.0, 30.0, 2_000.0, 150_000.0][k % 3 + usize::from(k % 7 == 0)] * next();
            let (qlat, qlon) = (centre.0 + (next() - 0.5), centre.1 + (next() - 0.5));
            let r = next() * 40_000.0;
            for b in geo::circle_boxes(qlat.clamp(-90.0, 90.0), qlon.clamp(-180.0, 180.0), r) {
                let bbox = [b.min_lon, b.min_lat, b.max_lon, b.max_lat];
                if !geo::meets_box((lat, lon), acc, bbox) {
                    continue;
                }
                met += 1;
                let c = cell(lat, lon, acc);
                let all: Vec<u32> = (0..=MAX_LEVEL).collect();
                assert!(
                    ranges(&b, &all).iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)),
                    "({lat}, {lon}) ±{acc} m meets {b:?} but its cell is not in its ranges"
                );
            }
        }
        assert!(met > 500, "too few cases met their box: {met}");
    }
}
