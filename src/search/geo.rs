//! Geometry of area searches on the sphere: the latitude/longitude boxes
//! that cover a circle (split in two across the antimeridian, widened to
//! every longitude around a pole), boxes given as W,S,E,N (RFC 7946 order;
//! W > E crosses the antimeridian), and whether a position with an accuracy
//! radius meets a circle or a box. Distances are great-circle
//! (`claim::distance_m`).
//!
//! Must not: touch the database.

use crate::claim::distance_m;

/// Metres per degree of latitude on the mean sphere.
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A box in degrees that does not cross the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoBox {
    /// South edge.
    pub min_lat: f64,
    /// North edge.
    pub max_lat: f64,
    /// West edge.
    pub min_lon: f64,
    /// East edge.
    pub max_lon: f64,
}

/// Split W,S,E,N (W > E: across the antimeridian) into boxes.
pub fn boxes(w: f64, s: f64, e: f64, n: f64) -> Vec<GeoBox> {
    if w <= e {
        vec![GeoBox { min_lat: s, max_lat: n, min_lon: w, max_lon: e }]
    } else {
        vec![
            GeoBox { min_lat: s, max_lat: n, min_lon: w, max_lon: 180.0 },
            GeoBox { min_lat: s, max_lat: n, min_lon: -180.0, max_lon: e },
        ]
    }
}

/// Boxes that together cover every point within `radius_m` of (lat, lon).
pub fn circle_boxes(lat: f64, lon: f64, radius_m: f64) -> Vec<GeoBox> {
    let dlat = radius_m / M_PER_DEG;
    let (s, n) = (lat - dlat, lat + dlat);
    if n >= 90.0 || s <= -90.0 || radius_m >= M_PER_DEG * 90.0 {
        // Around a pole: every longitude.
        return vec![GeoBox {
            min_lat: s.max(-90.0),
            max_lat: n.min(90.0),
            min_lon: -180.0,
            max_lon: 180.0,
        }];
    }
    // The widest longitude span of the circle is at the latitude nearest
    // the pole: asin(sin(r) / cos(lat)) (exact on the sphere).
    let r = radius_m / 6_371_008.8;
    let ratio = r.sin() / lat.to_radians().cos();
    if ratio >= 1.0 {
        return vec![GeoBox { min_lat: s, max_lat: n, min_lon: -180.0, max_lon: 180.0 }];
    }
    let dlon = ratio.asin().to_degrees();
    let (w, e) = (lon - dlon, lon + dlon);
    let wrap = |x: f64| {
        if x < -180.0 {
            x + 360.0
        } else if x > 180.0 {
            x - 360.0
        } else {
            x
        }
    };
    boxes(wrap(w), s, wrap(e), n)
}

/// Whether a position (with its accuracy radius) meets the circle of
/// `radius_m` around `center`: their distance is at most both radii.
pub fn meets_circle(pos: (f64, f64), accuracy_m: f64, center: (f64, f64), radius_m: f64) -> bool {
    distance_m(pos, center) <= radius_m + accuracy_m
}

/// Whether a position (with its accuracy radius) meets the box W,S,E,N:
/// inside it, or within its accuracy of the box's nearest point (the
/// position's longitude clamped to the box's span, latitude likewise).
pub fn meets_box(pos: (f64, f64), accuracy_m: f64, bbox: [f64; 4]) -> bool {
    let [w, s, e, n] = bbox;
    let in_lon = |lon: f64| if w <= e { (w..=e).contains(&lon) } else { lon >= w || lon <= e };
    let (lat, lon) = pos;
    if (s..=n).contains(&lat) && in_lon(lon) {
        return true;
    }
    if accuracy_m <= 0.0 {
        return false;
    }
    let near_lat = lat.clamp(s, n);
    let near_lon = if in_lon(lon) {
        lon
    } else {
        // The nearer edge, measured around the globe.
        let gap = |a: f64, b: f64| {
            let d = (a - b).rem_euclid(360.0);
            d.min(360.0 - d)
        };
        if gap(lon, w) <= gap(lon, e) { w } else { e }
    };
    distance_m(pos, (near_lat, near_lon)) <= accuracy_m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(bs: &[GeoBox], lat: f64, lon: f64) -> bool {
        bs.iter().any(|b| {
            (b.min_lat..=b.max_lat).contains(&lat) && (b.min_lon..=b.max_lon).contains(&lon)
        })
    }

    #[test]
    fn circles_are_covered_everywhere() {
        // Points on the circle's edge, all around, at many centres (the
        // antimeridian and near the poles included), lie in its boxes.
        for &(lat, lon) in &[
            (36.2, 37.16),
            (0.0, 179.99),
            (-16.5, -179.9),
            (89.9, 0.0),
            (-89.5, 100.0),
            (60.0, -180.0),
        ] {
            for &r in &[10.0, 2000.0, 150_000.0] {
                let bs = circle_boxes(lat, lon, r);
                for k in 0..360 {
                    // Walk r metres along bearing k from the centre.
                    let (b, d) = ((k as f64).to_radians(), r * 0.999 / 6_371_008.8);
                    let (p1, l1) = (lat.to_radians(), lon.to_radians());
                    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * b.cos()).asin();
                    let l2 =
                        l1 + (b.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
                    let (plat, mut plon) = (p2.to_degrees(), l2.to_degrees());
                    plon = (plon + 540.0).rem_euclid(360.0) - 180.0;
                    assert!(
                        covers(&bs, plat, plon),
                        "{lat},{lon} r={r} bearing {k}: {plat},{plon} not in {bs:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn antimeridian_boxes_split() {
        assert_eq!(boxes(170.0, -20.0, -170.0, -10.0).len(), 2);
        assert!(meets_box((-15.0, 179.5), 0.0, [170.0, -20.0, -170.0, -10.0]));
        assert!(meets_box((-15.0, -179.5), 0.0, [170.0, -20.0, -170.0, -10.0]));
        assert!(!meets_box((-15.0, 0.0), 0.0, [170.0, -20.0, -170.0, -10.0]));
        // Just outside the east edge, across the antimeridian, but within
        // its accuracy radius (0.1° of longitude at 15°S ≈ 10.7 km).
        assert!(meets_box((-15.0, -169.9), 11_000.0, [170.0, -20.0, -170.0, -10.0]));
        assert!(!meets_box((-15.0, -169.9), 10_000.0, [170.0, -20.0, -170.0, -10.0]));
    }

    #[test]
    fn circles_meet_with_accuracy() {
        let citadel = (36.1993, 37.1627);
        let mosque = (36.1990, 37.1566); // ~550 m west
        assert!(!meets_circle(mosque, 0.0, citadel, 500.0));
        assert!(meets_circle(mosque, 100.0, citadel, 500.0));
        // Across the pole: 89.9N 0E and 89.9N 180E are ~22 km apart.
        assert!(meets_circle((89.9, 180.0), 0.0, (89.9, 0.0), 23_000.0));
        assert!(!meets_circle((89.9, 180.0), 0.0, (89.9, 0.0), 21_000.0));
    }
}
