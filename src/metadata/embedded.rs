//! What a metadata reader found in one file (`Embedded`) and the one way
//! a value gets into it: `push` keeps a value that obeys the claim rules
//! and reports one that does not; `push_location` first refuses what is
//! not evidence of a place (a malformed position, 0, 0).
//!
//! Must not: read files.

use std::collections::BTreeMap;

use crate::claim::{ClaimValue, Location};

/// What was found in one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embedded {
    /// Claim values with the raw fields each was read from.
    pub values: Vec<(ClaimValue, BTreeMap<String, String>)>,
    /// Values recorded by the capturing device or app and proven by its
    /// signature (validated C2PA content credentials): basis `device`.
    pub device: Vec<(ClaimValue, BTreeMap<String, String>)>,
    /// Problems met (malformed metadata, out-of-range values).
    pub problems: Vec<String>,
    /// Whether the file carries a C2PA manifest store (a JPEG APP11 JUMBF
    /// segment, a PNG `caBX` or WebP `C2PA` chunk, an ISO `uuid` box),
    /// which `c2pa::validate` then reads from the whole file.
    pub c2pa: bool,
}

/// Check a read position and keep it, or say why not.
pub fn push_location(
    out: &mut Embedded,
    lat: Option<f64>,
    lon: Option<f64>,
    altitude_m: Option<f64>,
    accuracy_m: Option<f64>,
    raw: BTreeMap<String, String>,
    what: &str,
) {
    let (Some(lat), Some(lon)) = (lat, lon) else {
        out.problems.push(format!("{what} position is malformed ({raw:?}); not taken"));
        return;
    };
    if lat == 0.0 && lon == 0.0 {
        out.problems.push(format!(
            "{what} position is 0, 0 (\"null island\", what a receiver without a fix writes); not taken"
        ));
        return;
    }
    // 1e-7 degrees is about 1 cm: drop float noise from DMS arithmetic
    // (36 + 11/60 + 57.48/3600 = 36.199299999999994); raw values are kept.
    let round = |v: f64| (v * 1e7).round() / 1e7;
    let loc = Location {
        lat: Some(round(lat)),
        lon: Some(round(lon)),
        accuracy_m: accuracy_m.filter(|a| a.is_finite() && *a > 0.0),
        altitude_m: altitude_m.filter(|a| a.is_finite() && (-12_000.0..=100_000.0).contains(a)),
        place: None,
        method: None,
    };
    push(out, ClaimValue::Location(loc), raw, what);
}

/// Keep a value that obeys the claim rules, or report why not.
pub fn push(out: &mut Embedded, value: ClaimValue, raw: BTreeMap<String, String>, what: &str) {
    match value.check() {
        Ok(()) => out.values.push((value, raw)),
        Err(e) => out.problems.push(format!("{what} not taken: {e}")),
    }
}
