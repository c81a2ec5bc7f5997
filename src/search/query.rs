//! Which objects a query's claim filters match, and how: each filter asks
//! its index for candidates (R*Tree boxes, indexed terms, FTS5), checks
//! them exactly (time windows, great-circle distance with accuracy radii),
//! and the filters' objects are intersected. Only current claims are
//! indexed, so superseded claims never match.
//!
//! Must not: read items (the command filters and sorts them), or print.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::normal::Rewritten;
use super::{geo, grid};
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

/// How a claim row meets a time or place filter: (capture start,
/// distance, approximate) when it does.
type Meets<'a> = Box<dyn Fn(&SearchClaimRow) -> Option<(Option<i64>, Option<f64>, bool)> + 'a>;

/// A filter's candidate rows from its R*Tree, at most the given number
/// (-1: all).
type Fetch<'a> = Box<dyn Fn(&Reader<'_>, i64) -> Result<Vec<SearchClaimRow>> + 'a>;

/// A filter on the claim rows' times or positions: its candidates from
/// an R*Tree, and the exact test each row must pass. Such a filter can
/// also be checked object by object, on the object's own claims, when
/// another filter already narrowed the objects down.
struct RowFilter<'a> {
    fetch: Fetch<'a>,
    meets: Meets<'a>,
    basis: Option<Basis>,
}

impl RowFilter<'_> {
    /// The objects the rows that pass make match.
    fn fold(&self, rows: impl IntoIterator<Item = SearchClaimRow>) -> Matches {
        let mut out = Matches::new();
        let mut seen = std::collections::HashSet::new();
        for c in rows {
            if !counts(self.basis, &c) || !seen.insert(c.claim_id) {
                continue;
            }
            let Some((lo, d, approx)) = (self.meets)(&c) else { continue };
            let m = out.entry(c.blake3.clone()).or_default();
            if let Some(lo) = lo {
                m.capture_lo = Some(m.capture_lo.map_or(lo, |x| x.min(lo)));
            }
            if let Some(d) = d {
                m.distance_m = Some(m.distance_m.map_or(d, |x| x.min(d)));
            }
            m.matched.push(matched(&c, approx));
        }
        out
    }
}

fn time_filter<'a>((from, to): (i64, i64), basis: Option<Basis>) -> RowFilter<'a> {
    RowFilter {
        fetch: Box::new(move |q, limit| q.search_times(from, to, limit)),
        meets: Box::new(move |c| {
            let (lo, hi, approx) = c.time?;
            // An exact time matches when its instant is in range; an
            // approximate one when its window meets the range.
            let hit = if approx {
                lo <= to && hi >= from
            } else {
                (from..=to).contains(&lo.midpoint(hi))
            };
            hit.then_some((Some(lo), None, approx))
        }),
        basis,
    }
}

/// The grid levels that hold any position.
fn levels(q: &Reader<'_>) -> Result<Vec<u32>> {
    let all: Vec<u32> = (0..=grid::MAX_LEVEL).collect();
    let held =
        q.search_cells_held(&all.iter().map(|l| grid::level_range(*l)).collect::<Vec<_>>())?;
    Ok(all.into_iter().zip(held).filter_map(|(l, h)| h.then_some(l)).collect())
}

/// A place filter: its candidates from the grid or, with the query's time
/// range, from the space-time tree, which also leaves out objects with no
/// capture time that may meet it (the time filter is then checked on the
/// objects found).
fn place_filter<'a>(
    boxes: Vec<geo::GeoBox>,
    time: Option<(i64, i64)>,
    basis: Option<Basis>,
    exact: impl Fn((f64, f64), f64) -> Option<f64> + 'a,
) -> RowFilter<'a> {
    RowFilter {
        fetch: Box::new(move |q, limit| {
            let held = if time.is_none() { levels(q)? } else { Vec::new() };
            let mut rows = Vec::new();
            for b in &boxes {
                let found = match time {
                    Some(t) => {
                        q.search_spacetime((b.min_lat, b.max_lat, b.min_lon, b.max_lon), t, limit)?
                    }
                    None => q.search_cells(&grid::ranges(b, &held), limit)?,
                };
                if limit >= 0 && found.len() as i64 >= limit {
                    return Ok(found);
                }
                rows.extend(found);
            }
            Ok(rows)
        }),
        meets: Box::new(move |c| {
            let (lat, lon, acc) = c.position?;
            exact((lat, lon), acc).map(|d| (None, Some(d), false))
        }),
        basis,
    }
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
    // A box gives NaN (inside, no distance): a real distance wins.
    a.distance_m = match (a.distance_m, b.distance_m) {
        (Some(x), _) if !x.is_nan() => Some(x),
        (x, None) => x,
        (_, y) => y,
    };
    if a.rank.is_none() {
        a.rank = b.rank;
        a.doc = b.doc;
    }
}

/// Candidates a time or place filter may bring before it is checked
/// object by object instead, when no other filter has answered yet.
const NARROW: i64 = 4096;

/// Index rows read cost about as much as checking one object on its own
/// claims: a filter is read whole while it brings fewer than this many
/// rows per object of the narrowest answer so far.
const ROWS_PER_OBJECT: i64 = 8;

/// The time and place filters of a query: those to read from their trees,
/// then those checked object by object from the start (a time range
/// given with a place is carried into the place tree's time axis, and
/// checked exactly on the objects the places bring).
fn row_filters(query: &Query) -> (Vec<RowFilter<'_>>, Vec<RowFilter<'_>>) {
    let mut read = Vec::new();
    if let Some((lat, lon, r)) = query.near {
        let exact = move |pos: (f64, f64), acc: f64| {
            geo::meets_circle(pos, acc, (lat, lon), r)
                .then(|| crate::claim::distance_m(pos, (lat, lon)))
        };
        read.push(place_filter(geo::circle_boxes(lat, lon, r), query.time, query.basis, exact));
    }
    if let Some(bbox @ [w, s, e, n]) = query.bbox {
        // Inside the box: no distance of its own (a `--near` gives one).
        let exact =
            move |pos: (f64, f64), acc: f64| geo::meets_box(pos, acc, bbox).then_some(f64::NAN);
        read.push(place_filter(geo::boxes(w, s, e, n), query.time, query.basis, exact));
    }
    let mut checked = Vec::new();
    if let Some(range) = query.time {
        if read.is_empty() { &mut read } else { &mut checked }
            .push(time_filter(range, query.basis));
    }
    (read, checked)
}

/// The filters answered from their own index only: terms, flags, text.
fn term_sets(q: &Reader<'_>, query: &Query, raw_text: &str) -> Result<Vec<Matches>> {
    let mut sets = Vec::new();
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
    Ok(sets)
}

/// The objects every given claim filter matches (`None` when no claim
/// filter is given: every object), keyed by BLAKE3. The term, flag and
/// text filters are answered from their indexes; a place filter (with the
/// time range on the tree's time axis) or a time filter alone is read
/// from its R*Tree while it brings fewer than `ROWS_PER_OBJECT` rows per
/// object of the narrowest answer so far (`NARROW` when there is none);
/// the answers are intersected, and the wider filters are then checked on
/// the remaining objects' own claims. So the cost follows the narrowest
/// filter, not the archive's size.
pub fn objects(
    q: &Reader<'_>,
    query: &Query,
    raw_text: &str,
) -> Result<Option<BTreeMap<String, ObjectMatch>>> {
    objects_narrowing(q, query, raw_text, NARROW)
}

/// Intersect the answered sets, smallest first.
fn intersect(mut sets: Vec<Matches>) -> BTreeMap<String, ObjectMatch> {
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
    acc
}

/// Keep the objects of `acc` whose own claims meet every filter of
/// `checked`.
fn check_each(
    q: &Reader<'_>,
    acc: BTreeMap<String, ObjectMatch>,
    checked: &[RowFilter<'_>],
) -> Result<BTreeMap<String, ObjectMatch>> {
    if checked.is_empty() {
        return Ok(acc);
    }
    let mut keep = BTreeMap::new();
    'objects: for (blake3, mut m) in acc {
        let own = q.search_candidates_of(&blake3)?;
        for f in checked {
            match f.fold(own.iter().cloned()).remove(&blake3) {
                Some(o) => merge(&mut m, o),
                None => continue 'objects,
            }
        }
        keep.insert(blake3, m);
    }
    Ok(keep)
}

/// `objects`, with the number of candidates past which a time or place
/// filter is checked object by object when nothing narrower answered.
fn objects_narrowing(
    q: &Reader<'_>,
    query: &Query,
    raw_text: &str,
    narrow: i64,
) -> Result<Option<BTreeMap<String, ObjectMatch>>> {
    if !query.any() {
        return Ok(None);
    }
    let mut sets = term_sets(q, query, raw_text)?;
    let (read, mut checked) = row_filters(query);
    let mut wide = Vec::new();
    for f in read {
        let limit = match sets.iter().map(HashMap::len).min() {
            Some(0) => break,
            Some(n) => (n as i64).saturating_mul(ROWS_PER_OBJECT),
            None => narrow,
        };
        let rows = (f.fetch)(q, limit)?;
        if (rows.len() as i64) < limit {
            sets.push(f.fold(rows));
        } else {
            wide.push(f);
        }
    }
    if sets.is_empty() && !wide.is_empty() {
        // Nothing narrow: the first wide filter is read whole.
        let f = wide.remove(0);
        sets.push(f.fold((f.fetch)(q, -1)?));
    }
    wide.append(&mut checked);
    let mut acc = check_each(q, intersect(sets), &wide)?;
    for m in acc.values_mut() {
        m.distance_m = m.distance_m.filter(|d| !d.is_nan());
    }
    Ok(Some(acc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::db::search::{PlaceBox, SearchClaimRow, UNDATED};

    /// 600 claims of 200 objects near the antimeridian, indexed as
    /// `index::derive` would: the rows and each object's capture hull.
    fn fill(
        tx: &crate::db::Tx<'_>,
        next: &mut impl FnMut() -> f64,
    ) -> (Vec<SearchClaimRow>, HashMap<String, (f64, f64)>) {
        let mut rows = Vec::new();
        for id in 0..600i64 {
            let blake3 = format!("{:064x}", id % 200);
            // Both sides of the antimeridian.
            let lon = 179.0 + next() * 2.0;
            let (lat, lon) = (35.0 + next() * 2.0, if lon > 180.0 { lon - 360.0 } else { lon });
            let t = 1_700_000_000 + (next() * 1e7) as i64;
            let time =
                (id % 3 == 0).then_some((t, t + if id % 2 == 0 { 2 } else { 90_000 }, id % 2 == 1));
            let position = (id % 3 != 0).then_some((lat, lon, next() * 2000.0));
            rows.push(SearchClaimRow {
                claim_id: id,
                blake3,
                kind: if time.is_some() { "capture-time" } else { "location" }.into(),
                basis: if id % 5 == 0 { "embedded" } else { "claimed" }.into(),
                value: String::new(),
                time,
                position,
            });
        }
        // Each object's capture-time hull, as `index::derive` gives it.
        let mut hull: HashMap<String, (f64, f64)> = HashMap::new();
        for r in &rows {
            if let Some((lo, hi, _)) = r.time {
                let h = hull.entry(r.blake3.clone()).or_insert((lo as f64, hi as f64));
                *h = (h.0.min(lo as f64), h.1.max(hi as f64));
            }
        }
        for row in &rows {
            let time = hull.get(&row.blake3).copied().unwrap_or((UNDATED, UNDATED));
            let boxes: Vec<_> = row
                .position
                .map(|(la, lo, acc)| geo::circle_boxes(la, lo, acc))
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(k, b)| PlaceBox {
                    id: row.claim_id * 2 + k as i64,
                    lat: (b.min_lat, b.max_lat),
                    lon: (b.min_lon, b.max_lon),
                    time,
                })
                .collect();
            let cell = row.position.map(|(la, lo, acc)| grid::cell(la, lo, acc));
            tx.search_add_claim(row, &boxes, cell).unwrap();
        }
        (rows, hull)
    }

    /// Reading the trees (places on their time axis) and checking wide
    /// filters object by object find exactly what checking every object
    /// on its own claims finds (every query, every narrowing threshold).
    #[test]
    fn narrowing_never_changes_the_answer() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Db::create(&dir.path().join("t.db"), &|_, _| Ok(())).unwrap();
        let tx = db.tx().unwrap();
        let mut next = crate::search::unit_stream(0x9e37_79b9_7f4a_7c15u64);
        let (rows, hull) = fill(&tx, &mut next);
        tx.commit().unwrap();
        let q = db.read();
        for k in 0..40 {
            let from = 1_700_000_000 + (next() * 1e7) as i64;
            let query = Query {
                time: (k % 2 == 0).then_some((from, from + (next() * 3e6) as i64)),
                near: (k % 3 != 0).then(|| (35.0 + next() * 2.0, 179.5, next() * 150_000.0)),
                bbox: (k % 4 == 1).then_some([179.2, 35.2, -179.4, 36.8]),
                basis: (k % 5 == 0).then_some(Basis::Claimed),
                ..Query::default()
            };
            if !query.any() {
                continue;
            }
            let (read, checked) = row_filters(&query);
            let every: BTreeMap<String, ObjectMatch> = hull
                .keys()
                .chain(rows.iter().map(|r| &r.blake3))
                .map(|b| (b.clone(), ObjectMatch::default()))
                .collect();
            let all: Vec<RowFilter<'_>> = read.into_iter().chain(checked).collect();
            let mut whole = check_each(&q, every, &all).unwrap();
            for m in whole.values_mut() {
                m.distance_m = m.distance_m.filter(|d| !d.is_nan());
            }
            assert_eq!(
                objects_narrowing(&q, &query, "", i64::MAX).unwrap().unwrap().len(),
                whole.len(),
                "query {k}, read whole"
            );
            for narrow in [1, 5, 50, i64::MAX] {
                let narrowed = objects_narrowing(&q, &query, "", narrow).unwrap().unwrap();
                let keys =
                    |m: &BTreeMap<String, ObjectMatch>| m.keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(&narrowed), keys(&whole), "query {k}, narrow {narrow}");
                for (b, m) in &whole {
                    let n = &narrowed[b];
                    let ids = |m: &ObjectMatch| {
                        let mut v: Vec<i64> = m.matched.iter().map(|x| x.claim).collect();
                        v.sort();
                        v
                    };
                    assert_eq!(ids(n), ids(m), "query {k}, narrow {narrow}");
                    assert_eq!(n.capture_lo, m.capture_lo);
                    assert_eq!(
                        n.distance_m.map(|d| (d * 1e3).round()),
                        m.distance_m.map(|d| (d * 1e3).round())
                    );
                }
            }
        }
    }
}
