//! The search indexes against a fresh recomputation from the envelopes and
//! the stored objects (`search::index::expected`): a row missing, edited
//! or left over in any search table is an `index-mismatch` finding, one per
//! table and object, repaired by `custody reindex`. R*Tree coordinates are
//! 32-bit floats rounded outwards, so a stored box must contain the exact
//! one and be no more than a float's rounding larger.
//!
//! Must not: repair the index (reindex does), or read objects other than
//! text objects (the object audit re-reads bytes).

use std::collections::{BTreeMap, BTreeSet};

use crate::db::Reader;
use crate::db::search::{DocRow, PlaceBox, SearchClaimRow, TermRow};
use crate::error::Result;
use crate::finding::{Code, Finding};
use crate::search::index::{self, Derived, Expected};
use crate::store::Store;

const REPAIR: &str = "run `custody reindex` (the index is derived data; no evidence is touched)";

/// Whether `stored` is `exact` rounded outwards to a 32-bit float
/// (`low`: rounded down).
fn rounded(stored: f64, exact: f64, low: bool) -> bool {
    let slack = exact.abs().max(1.0) * f64::from(f32::EPSILON) * 2.0;
    if low {
        stored <= exact && exact - stored <= slack
    } else {
        stored >= exact && stored - exact <= slack
    }
}

fn finding(blake3: &str, table: &str, what: &str) -> Finding {
    Finding::new(
        Code::IndexMismatch,
        format!("object {blake3}"),
        format!("table {table}"),
        format!("the search index's {table} rows {what} the claims and objects say"),
        REPAIR,
    )
}

/// What the search tables hold, by object, as the comparison consumes it
/// (what is left at the end belongs to nothing).
struct Stored {
    claims: BTreeMap<String, Vec<SearchClaimRow>>,
    times: BTreeMap<i64, (f64, f64)>,
    /// Grid rows by claim: (cell, the row).
    cells: BTreeMap<i64, (i64, SearchClaimRow)>,
    spacetime: BTreeMap<i64, PlaceBox>,
    terms: BTreeMap<String, Vec<TermRow>>,
    docs: BTreeMap<String, Vec<DocRow>>,
    flags: BTreeMap<String, String>,
    /// R*Tree ids some object accounts for.
    time_ids: BTreeSet<i64>,
    place_ids: BTreeSet<i64>,
}

fn by_object<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> BTreeMap<String, Vec<T>> {
    let mut out: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

impl Stored {
    fn read(q: &Reader<'_>) -> Result<Stored> {
        Ok(Stored {
            claims: by_object(q.search_all_claims()?, |c| c.blake3.clone()),
            times: q.search_all_times()?.into_iter().map(|(id, lo, hi)| (id, (lo, hi))).collect(),
            cells: q
                .search_all_cells()?
                .into_iter()
                .map(|(cell, r)| (r.claim_id, (cell, r)))
                .collect(),
            spacetime: q.search_all_spacetime()?.into_iter().map(|b| (b.id, b)).collect(),
            terms: by_object(q.search_all_terms()?, |t| t.blake3.clone()),
            docs: by_object(q.search_all_docs()?, |d| d.blake3.clone()),
            flags: q.search_flags()?.into_iter().collect(),
            time_ids: BTreeSet::new(),
            place_ids: BTreeSet::new(),
        })
    }

    /// Set aside what the index holds for a tainted object, unjudged.
    fn skip(&mut self, q: &Reader<'_>, blake3: &str, d: &Derived) -> Result<()> {
        self.claims.remove(blake3);
        self.terms.remove(blake3);
        self.docs.remove(blake3);
        self.flags.remove(blake3);
        for (c, boxes) in &d.claims {
            self.time_ids.insert(c.claim_id);
            self.cells.remove(&c.claim_id);
            self.place_ids.extend(boxes.iter().map(|b| b.id));
        }
        for c in q.search_claims_of(blake3)? {
            self.time_ids.insert(c.claim_id);
            self.cells.remove(&c.claim_id);
            self.place_ids.extend([c.claim_id * 2, c.claim_id * 2 + 1]);
        }
        Ok(())
    }

    /// Whether the R*Tree rows (as rounded) and grid rows of `d`'s
    /// claims are there: (times hold, cells hold, space-time holds).
    fn trees_hold(&mut self, d: &Derived) -> (bool, bool, bool) {
        let (mut times, mut cells, mut spacetime) = (true, true, true);
        for (c, boxes) in &d.claims {
            if let Some((lo, hi, _)) = c.time {
                self.time_ids.insert(c.claim_id);
                times &= self.times.get(&c.claim_id).is_some_and(|&(slo, shi)| {
                    rounded(slo, lo as f64, true) && rounded(shi, hi as f64, false)
                });
            }
            if let Some(cell) = index::cell_of(c) {
                let want = SearchClaimRow {
                    kind: "location".into(),
                    value: String::new(),
                    time: None,
                    ..c.clone()
                };
                cells &= self.cells.remove(&c.claim_id) == Some((cell, want));
            }
            for b in boxes {
                self.place_ids.insert(b.id);
                let holds = |(slo, shi): (f64, f64), (lo, hi): (f64, f64)| {
                    rounded(slo, lo, true) && rounded(shi, hi, false)
                };
                spacetime &= self.spacetime.get(&b.id).is_some_and(|s| {
                    holds(s.lat, b.lat) && holds(s.lon, b.lon) && holds(s.time, b.time)
                });
            }
        }
        (times, cells, spacetime)
    }

    /// The tables in which one object's rows differ from `(d, text)`.
    fn differ(&mut self, blake3: &str, (d, text): &Expected) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let want: Vec<SearchClaimRow> = d.claims.iter().map(|(c, _)| c.clone()).collect();
        if want != self.claims.remove(blake3).unwrap_or_default() {
            out.push(("search_claims", "differ from what"));
        }
        let (times, cells, spacetime) = self.trees_hold(d);
        if !times {
            out.push(("search_times", "differ from the capture times"));
        }
        if !cells {
            out.push(("search_cells", "differ from the positions"));
        }
        if !spacetime {
            out.push(("search_spacetime", "differ from the positions and capture times"));
        }
        let mut want_terms = d.terms.clone();
        let mut have_terms = self.terms.remove(blake3).unwrap_or_default();
        want_terms.sort();
        have_terms.sort();
        if want_terms != have_terms {
            out.push(("search_terms", "differ from the terms"));
        }
        let mut have_docs = self.docs.remove(blake3).unwrap_or_default();
        let own = match text {
            Some(t) => t.clone(),
            // Bytes that do not verify: their text is not judged.
            None => {
                have_docs.retain(|d| d.claim_id.is_some());
                None
            }
        };
        let mut want_docs: Vec<DocRow> = d.docs.iter().cloned().chain(own).collect();
        want_docs.sort();
        have_docs.sort();
        if want_docs != have_docs {
            out.push(("search_docs and search_text", "differ from the texts"));
        }
        if self.flags.remove(blake3).unwrap_or_default() != d.flags {
            out.push(("search_flags", "differ from the discrepancies"));
        }
        out
    }

    /// Rows no object accounted for: one finding per table.
    fn strays(self, orphan_text: usize) -> Vec<Finding> {
        let extra_times = self.times.keys().filter(|id| !self.time_ids.contains(id)).count();
        let extra_spacetime =
            self.spacetime.keys().filter(|id| !self.place_ids.contains(id)).count();
        [
            ("search_claims", self.claims.values().map(Vec::len).sum()),
            ("search_times", extra_times),
            ("search_cells", self.cells.len()),
            ("search_spacetime", extra_spacetime),
            ("search_terms", self.terms.values().map(Vec::len).sum()),
            ("search_docs", self.docs.values().map(Vec::len).sum()),
            ("search_text", orphan_text),
            ("search_flags", self.flags.len()),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| {
            Finding::new(
                Code::IndexMismatch,
                "the search index",
                format!("table {what}"),
                format!("{n} rows of {what} belong to no current claim or object"),
                REPAIR,
            )
        })
        .collect()
    }
}

/// Compare every search table with what the archive's claims and text
/// objects give — except for the objects in `tainted`, whose items or
/// claims already have findings (their index rows follow from evidence
/// that does not hold; the real finding is reported, not its echo).
pub fn check_index(
    q: &Reader<'_>,
    store: &Store,
    tainted: &BTreeSet<String>,
) -> Result<Vec<Finding>> {
    let expected = index::expected(q, store)?;
    let mut stored = Stored::read(q)?;
    let mut out = Vec::new();
    for (blake3, e) in &expected {
        if tainted.contains(blake3) {
            stored.skip(q, blake3, &e.0)?;
            continue;
        }
        for (table, what) in stored.differ(blake3, e) {
            out.push(finding(blake3, table, what));
        }
    }
    out.extend(stored.strays(q.search_orphan_text()?.len()));
    if q.search_multi()? != q.multi_item_objects()? {
        out.push(Finding::new(
            Code::IndexMismatch,
            "the search index",
            "table search_multi",
            "the search index's counts of objects with several items differ from the items",
            REPAIR,
        ));
    }
    Ok(out)
}
