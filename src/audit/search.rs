//! The search indexes against a fresh recomputation from the envelopes and
//! the stored objects (`search::index::expected`), a page of objects at a
//! time so that memory stays bounded: a row missing, edited
//! or left over in any search table is an `index-mismatch` finding, one per
//! table and object, repaired by `custody reindex`. R*Tree coordinates are
//! 32-bit floats rounded outwards, so a stored box must contain the exact
//! one and be no more than a float's rounding larger.
//!
//! Must not: repair the index (reindex does), or read objects other than
//! text objects (the object audit re-reads bytes).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::db::search::{DocRow, PlaceBox, SearchClaimRow, TermRow};
use crate::db::{Reader, Span};
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

/// What the search tables hold for one page of objects, as the comparison
/// consumes it (what is left at the end belongs to no object of the page).
struct Stored {
    claims: BTreeMap<String, Vec<SearchClaimRow>>,
    /// The page's claim numbers, with their objects.
    claim_of: HashMap<i64, String>,
    times: BTreeMap<i64, (f64, f64)>,
    /// Grid rows by claim: (cell, the row).
    cells: BTreeMap<i64, Vec<(i64, SearchClaimRow)>>,
    spacetime: BTreeMap<i64, PlaceBox>,
    terms: BTreeMap<String, Vec<TermRow>>,
    docs: BTreeMap<String, Vec<DocRow>>,
    flags: BTreeMap<String, String>,
}

fn by_object<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> BTreeMap<String, Vec<T>> {
    let mut out: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

impl Stored {
    /// The rows of the objects in `span`: by object where a table keys them
    /// by object, by the page's claim numbers where it keys them by claim.
    fn read(q: &Reader<'_>, span: Span<'_>) -> Result<Stored> {
        let claim_of: HashMap<i64, String> = q.claim_ids_in(span)?.into_iter().collect();
        let mut cells: BTreeMap<i64, Vec<(i64, SearchClaimRow)>> = BTreeMap::new();
        for (cell, row) in q.search_cells_in(span)? {
            cells.entry(row.claim_id).or_default().push((cell, row));
        }
        Ok(Stored {
            claims: by_object(q.search_claims_in(span)?, |c| c.blake3.clone()),
            claim_of,
            times: q
                .search_times_in(span)?
                .into_iter()
                .map(|(id, lo, hi)| (id, (lo, hi)))
                .collect(),
            cells,
            spacetime: q.search_places_in(span)?.into_iter().map(|b| (b.id, b)).collect(),
            terms: by_object(q.search_terms_in(span)?, |t| t.blake3.clone()),
            docs: by_object(q.search_docs_in(span)?, |d| d.blake3.clone()),
            flags: q.search_flags_in(span)?.into_iter().collect(),
        })
    }

    /// Whether the R*Tree rows (as rounded) and grid rows of `d`'s
    /// claims are there: (times hold, cells hold, space-time holds).
    fn trees_hold(&mut self, d: &Derived) -> (bool, bool, bool) {
        let (mut times, mut cells, mut spacetime) = (true, true, true);
        for (c, boxes) in &d.claims {
            if let Some((lo, hi, _)) = c.time {
                times &= self.times.remove(&c.claim_id).is_some_and(|(slo, shi)| {
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
                cells &= self.cells.remove(&c.claim_id) == Some(vec![(cell, want)]);
            }
            for b in boxes {
                let holds = |(slo, shi): (f64, f64), (lo, hi): (f64, f64)| {
                    rounded(slo, lo, true) && rounded(shi, hi, false)
                };
                spacetime &= self.spacetime.remove(&b.id).is_some_and(|s| {
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

    /// Count the rows the comparison left: the R*Tree and grid rows of a
    /// claim of the page under its object (set aside with it if it is
    /// tainted), the rest in `strays`.
    fn left_over(self, strays: &mut Strays, of: &mut BTreeMap<String, Strays>) {
        strays.claims += self.claims.values().map(Vec::len).sum::<usize>() as u64;
        strays.terms += self.terms.values().map(Vec::len).sum::<usize>() as u64;
        strays.docs += self.docs.values().map(Vec::len).sum::<usize>() as u64;
        strays.flags += self.flags.len() as u64;
        let claim_of = &self.claim_of;
        for id in self.times.keys() {
            under(claim_of, strays, of, *id).times += 1;
        }
        for (id, rows) in &self.cells {
            under(claim_of, strays, of, *id).cells += rows.len() as u64;
        }
        // A claim's space-time boxes are numbered 2 × its id and the next.
        for id in self.spacetime.keys() {
            under(claim_of, strays, of, id / 2).spacetime += 1;
        }
    }
}

/// Where a left-over row of `claim` is counted: under its object when the
/// claim is one of the page's, else in `strays`.
fn under<'a>(
    claim_of: &HashMap<i64, String>,
    strays: &'a mut Strays,
    of: &'a mut BTreeMap<String, Strays>,
    claim: i64,
) -> &'a mut Strays {
    match claim_of.get(&claim) {
        Some(b) => of.entry(b.clone()).or_default(),
        None => strays,
    }
}

/// Rows that belong to no current claim or object, by table.
#[derive(Clone, Default)]
struct Strays {
    claims: u64,
    times: u64,
    cells: u64,
    spacetime: u64,
    terms: u64,
    docs: u64,
    text: u64,
    flags: u64,
}

impl Strays {
    /// Add `other`'s counts.
    fn add(&mut self, other: &Strays) {
        self.claims += other.claims;
        self.times += other.times;
        self.cells += other.cells;
        self.spacetime += other.spacetime;
        self.terms += other.terms;
        self.docs += other.docs;
        self.text += other.text;
        self.flags += other.flags;
    }

    /// One finding per table that has any.
    fn findings(&self) -> Vec<Finding> {
        [
            ("search_claims", self.claims),
            ("search_times", self.times),
            ("search_cells", self.cells),
            ("search_spacetime", self.spacetime),
            ("search_terms", self.terms),
            ("search_docs", self.docs),
            ("search_text", self.text),
            ("search_flags", self.flags),
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

/// What the comparison found, before the objects whose items or claims
/// have findings are set aside (it runs beside those checks).
pub struct IndexChecks {
    /// Each object's findings, in the order found.
    objects: Vec<(String, Finding)>,
    /// Rows of an object's claims the comparison left, by object.
    strays_of: BTreeMap<String, Strays>,
    /// Rows of no object.
    strays: Strays,
    /// Whole-index findings.
    rest: Vec<Finding>,
}

impl IndexChecks {
    /// The findings, except those of the objects in `tainted`, whose items
    /// or claims already have findings (their index rows follow from
    /// evidence that does not hold; the real finding is reported, not its
    /// echo).
    pub fn findings(mut self, tainted: &BTreeSet<String>) -> Vec<Finding> {
        let mut out: Vec<Finding> = (self.objects.into_iter())
            .filter(|(b, _)| !tainted.contains(b))
            .map(|(_, f)| f)
            .collect();
        for (_, s) in self.strays_of.iter().filter(|(b, _)| !tainted.contains(*b)) {
            self.strays.add(s);
        }
        out.extend(self.strays.findings());
        out.extend(self.rest);
        out
    }
}

/// Compare every search table with what the archive's claims and text
/// objects give, a page of objects at a time (`index::each_page`).
pub fn check_index(q: &Reader<'_>, store: &Store) -> Result<IndexChecks> {
    let mut objects = Vec::new();
    let (mut strays, mut strays_of) = (Strays::default(), BTreeMap::new());
    index::each_page(q, |page, span| {
        let expected = index::expected(q, store, page, span)?;
        let mut stored = Stored::read(q, span)?;
        for (blake3, e) in &expected {
            for (table, what) in stored.differ(blake3, e) {
                objects.push((blake3.clone(), finding(blake3, table, what)));
            }
        }
        stored.left_over(&mut strays, &mut strays_of);
        Ok(())
    })?;
    let (times, spacetime, cells) = q.search_unclaimed()?;
    strays.times += times;
    strays.spacetime += spacetime;
    strays.cells += cells;
    strays.text = q.search_orphan_text()?;
    let mut rest = Vec::new();
    if q.search_multi_differs()? {
        rest.push(Finding::new(
            Code::IndexMismatch,
            "the search index",
            "table search_multi",
            "the search index's counts of objects with several items differ from the items",
            REPAIR,
        ));
    }
    Ok(IndexChecks { objects, strays_of, strays, rest })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An object's findings and left-over rows are set aside when its items
    /// or claims are tainted, and counted when they are not.
    #[test]
    fn tainted_objects_are_set_aside() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let mut strays_of = BTreeMap::new();
        strays_of.insert(a.clone(), Strays { times: 1, ..Strays::default() });
        strays_of.insert(b.clone(), Strays { cells: 2, ..Strays::default() });
        let checks = || IndexChecks {
            objects: vec![
                (a.clone(), finding(&a, "search_terms", "differ from the terms")),
                (b.clone(), finding(&b, "search_flags", "differ from the discrepancies")),
            ],
            strays_of: strays_of.clone(),
            strays: Strays { text: 3, ..Strays::default() },
            rest: vec![],
        };
        let shown = |f: Vec<Finding>| -> Vec<String> {
            f.iter().map(|f| format!("{} | {} | {}", f.subject, f.location, f.message)).collect()
        };
        let tainted: BTreeSet<String> = [a.clone()].into();
        let mut want = vec![finding(&b, "search_flags", "differ from the discrepancies")];
        want.extend(Strays { cells: 2, text: 3, ..Strays::default() }.findings());
        assert_eq!(shown(checks().findings(&tainted)), shown(want));
        let all = shown(checks().findings(&BTreeSet::new()));
        assert_eq!(all.len(), 5, "{all:?}");
        assert!(all[0].starts_with(&format!("object {a} | table search_terms")), "{all:?}");
        assert!(all.iter().any(|f| f.contains("1 rows of search_times")), "{all:?}");
    }
}
