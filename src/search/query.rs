//! Which objects a query's claim filters match, and how: each filter asks
//! its index for candidates (R*Tree boxes, indexed terms, FTS5), checks
//! them exactly (time windows, great-circle distance with accuracy radii),
//! and the filters' objects are intersected. Only current claims are
//! indexed, so superseded claims never match.
//!
//! Must not: read items (the command filters and sorts them), or print.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::geo;
use super::normal::Rewritten;
use crate::claim::{Basis, Verdict};
use crate::db::Reader;
use crate::db::search::SearchClaimRow;
use crate::error::{Error, ErrorKind, Result};
use crate::text::quoted;

/// The claim filters of a query (all optional; given ones must all match).
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Capture time range, unix seconds, inclusive.
    pub time: Option<(i64, i64)>,
    /// Which basis counts for time and place (`None`: any).
    pub basis: Option<Basis>,
    /// Within `radius` metres of (lat, lon).
    pub near: Option<(f64, f64, f64)>,
    /// Inside W,S,E,N.
    pub bbox: Option<[f64; 4]>,
    /// Source url, platform or account (a glob).
    pub source: Option<String>,
    /// A description tag (exact).
    pub tag: Option<String>,
    /// A current verdict.
    pub verdict: Option<Verdict>,
    /// Only objects with a discrepancy.
    pub flagged: bool,
    /// Full text.
    pub text: Option<Rewritten>,
    /// Now (unix seconds): capture times after it are flagged.
    pub now: i64,
}

impl Query {
    /// Whether any claim filter is given.
    pub fn any(&self) -> bool {
        self.time.is_some()
            || self.near.is_some()
            || self.bbox.is_some()
            || self.source.is_some()
            || self.tag.is_some()
            || self.verdict.is_some()
            || self.flagged
            || self.text.is_some()
    }
}

/// A claim that made an object match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matched {
    /// Claim number.
    pub claim: i64,
    /// Its kind.
    pub kind: String,
    /// Its basis.
    pub basis: String,
    /// True when it matched only under some reading (a local time under
    /// some UTC offset, a day that overlaps the range).
    pub approximate: bool,
}

/// How an object matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectMatch {
    /// The claims that matched the time and place filters (and terms).
    pub matched: Vec<Matched>,
    /// Earliest start of a matching capture-time window (unix seconds).
    pub capture_lo: Option<i64>,
    /// Distance from `--near`'s centre to the nearest matching position, m.
    pub distance_m: Option<f64>,
    /// bm25 rank of its best text (lower is better).
    pub rank: Option<f64>,
    /// That text's id (for its snippet).
    pub doc: Option<i64>,
}

type Matches = HashMap<String, ObjectMatch>;

fn counts(basis: Option<Basis>, c: &SearchClaimRow) -> bool {
    basis.is_none_or(|b| b.name() == c.basis)
}

fn matched(c: &SearchClaimRow, approximate: bool) -> Matched {
    Matched { claim: c.claim_id, kind: c.kind.clone(), basis: c.basis.clone(), approximate }
}

fn by_time(q: &Reader<'_>, (from, to): (i64, i64), basis: Option<Basis>) -> Result<Matches> {
    let mut out = Matches::new();
    for c in q.search_times(from, to)? {
        let Some((lo, hi, approx)) = c.time else { continue };
        // An exact time matches when its instant is in range; an
        // approximate one when its window meets the range.
        let hit = approx || (from..=to).contains(&lo.midpoint(hi));
        if !hit || !counts(basis, &c) {
            continue;
        }
        let m = out.entry(c.blake3.clone()).or_default();
        m.capture_lo = Some(m.capture_lo.map_or(lo, |x| x.min(lo)));
        m.matched.push(matched(&c, approx));
    }
    Ok(out)
}

fn by_place(
    q: &Reader<'_>,
    boxes: &[geo::GeoBox],
    basis: Option<Basis>,
    exact: &dyn Fn((f64, f64), f64) -> Option<f64>,
) -> Result<Matches> {
    let mut out = Matches::new();
    let mut seen = std::collections::HashSet::new();
    for b in boxes {
        for c in q.search_places(b.min_lat, b.max_lat, b.min_lon, b.max_lon)? {
            let Some((lat, lon, acc)) = c.position else { continue };
            if !counts(basis, &c) || !seen.insert(c.claim_id) {
                continue;
            }
            let Some(d) = exact((lat, lon), acc) else { continue };
            let m = out.entry(c.blake3.clone()).or_default();
            m.distance_m = Some(m.distance_m.map_or(d, |x| x.min(d)));
            m.matched.push(matched(&c, false));
        }
    }
    Ok(out)
}

fn by_terms(q: &Reader<'_>, fields: &[&str], pattern: &str, exact: bool) -> Result<Matches> {
    let mut out = Matches::new();
    for f in fields {
        for t in q.search_terms(f, pattern, exact)? {
            out.entry(t.blake3).or_default();
        }
    }
    Ok(out)
}

fn by_text(q: &Reader<'_>, r: &Rewritten, raw: &str) -> Result<Matches> {
    let rows = q.search_text(&r.fts).map_err(|why| {
        Error::new(ErrorKind::Usage, format!("the text query {} is not valid: {why}", quoted(raw)))
            .hint("use words, \"phrases\", prefix*, AND, OR, NOT and parentheses")
    })?;
    let mut out = Matches::new();
    for (doc, blake3, rank) in rows {
        let m = out.entry(blake3).or_default();
        if m.rank.is_none_or(|r| rank < r) {
            m.rank = Some(rank);
            m.doc = Some(doc);
        }
    }
    Ok(out)
}

fn flagged(q: &Reader<'_>, now: i64) -> Result<Matches> {
    let mut out: Matches =
        q.search_flags()?.into_iter().map(|(b, _)| (b, ObjectMatch::default())).collect();
    for c in q.search_times_after(now)? {
        out.entry(c.blake3).or_default();
    }
    Ok(out)
}

/// Merge what `b` says about an object into `a`.
fn merge(a: &mut ObjectMatch, b: ObjectMatch) {
    a.matched.extend(b.matched);
    a.capture_lo = match (a.capture_lo, b.capture_lo) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    a.distance_m = a.distance_m.or(b.distance_m);
    if a.rank.is_none() {
        a.rank = b.rank;
        a.doc = b.doc;
    }
}

/// The objects every given claim filter matches (`None` when no claim
/// filter is given: every object), keyed by BLAKE3.
pub fn objects(
    q: &Reader<'_>,
    query: &Query,
    raw_text: &str,
) -> Result<Option<BTreeMap<String, ObjectMatch>>> {
    if !query.any() {
        return Ok(None);
    }
    let mut sets: Vec<Matches> = Vec::new();
    if let Some(range) = query.time {
        sets.push(by_time(q, range, query.basis)?);
    }
    if let Some((lat, lon, r)) = query.near {
        let exact = |pos: (f64, f64), acc: f64| {
            geo::meets_circle(pos, acc, (lat, lon), r)
                .then(|| crate::claim::distance_m(pos, (lat, lon)))
        };
        sets.push(by_place(q, &geo::circle_boxes(lat, lon, r), query.basis, &exact)?);
    }
    if let Some(bbox @ [w, s, e, n]) = query.bbox {
        // Candidates: positions whose accuracy boxes meet the box.
        let exact = |pos: (f64, f64), acc: f64| geo::meets_box(pos, acc, bbox).then_some(0.0);
        let mut m = by_place(q, &geo::boxes(w, s, e, n), query.basis, &exact)?;
        if query.near.is_none() {
            m.values_mut().for_each(|o| o.distance_m = None);
        }
        sets.push(m);
    }
    if let Some(p) = &query.source {
        sets.push(by_terms(q, &["url", "platform", "account"], p, false)?);
    }
    if let Some(t) = &query.tag {
        sets.push(by_terms(q, &["tag"], t, true)?);
    }
    if let Some(v) = query.verdict {
        sets.push(by_terms(q, &["verdict"], v.name(), true)?);
    }
    if query.flagged {
        sets.push(flagged(q, query.now)?);
    }
    if let Some(r) = &query.text {
        sets.push(by_text(q, r, raw_text)?);
    }
    sets.sort_by_key(HashMap::len);
    let mut sets = sets.into_iter();
    let mut acc: BTreeMap<String, ObjectMatch> =
        sets.next().unwrap_or_default().into_iter().collect();
    for mut s in sets {
        acc.retain(|k, _| s.contains_key(k));
        for (k, v) in acc.iter_mut() {
            if let Some(o) = s.remove(k) {
                merge(v, o);
            }
        }
    }
    Ok(Some(acc))
}
