//! The SQL of the search indexes (schema/0006_search.sql, places in time
//! 0007_search_places_in_time.sql): replacing an
//! object's derived rows, the candidate queries each filter runs (R*Tree
//! boxes, indexed terms, FTS5 MATCH with bm25), and whole-table reads for
//! the audit's comparison.
//!
//! Must not: decide what is indexed or what matches (`search` does; these
//! queries return candidates).

use rusqlite::{params, params_from_iter};

use super::{Reader, Span, Tx, sql_err};
use crate::error::Result;

/// A current claim as indexed.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchClaimRow {
    /// Claim number.
    pub claim_id: i64,
    /// Object.
    pub blake3: String,
    /// Kind name.
    pub kind: String,
    /// Basis name.
    pub basis: String,
    /// The signed value, as JSON.
    pub value: String,
    /// Capture-time window (unix seconds), approximate or not.
    pub time: Option<(i64, i64, bool)>,
    /// Position and accuracy radius (metres, 0 when none).
    pub position: Option<(f64, f64, f64)>,
}

/// An indexed term of a current claim.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TermRow {
    /// Claim number.
    pub claim_id: i64,
    /// Object.
    pub blake3: String,
    /// url, platform, account, tag or verdict.
    pub field: String,
    /// The value.
    pub value: String,
}

/// A searchable text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocRow {
    /// Object.
    pub blake3: String,
    /// The claim it comes from (`None`: the object's own text).
    pub claim_id: Option<i64>,
    /// The text as it is.
    pub original: String,
    /// Its normalised words.
    pub body: String,
}

/// Where an object is undated on the place tree's time axis: beyond every
/// time a query can give (`i64::MAX` seconds is 9.2e18).
pub const UNDATED: f64 = 1e30;

/// A place-tree row: one box of a position's accuracy circle, spanning
/// its object's capture times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaceBox {
    /// R*Tree id: claim id * 2 + part.
    pub id: i64,
    /// (min, max) latitude.
    pub lat: (f64, f64),
    /// (min, max) longitude.
    pub lon: (f64, f64),
    /// (min, max) unix seconds: the hull of the object's current
    /// capture-time windows, or (`UNDATED`, `UNDATED`).
    pub time: (f64, f64),
}

fn claim_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchClaimRow> {
    let lo: Option<i64> = r.get(5)?;
    let hi: Option<i64> = r.get(6)?;
    let approx: Option<i64> = r.get(7)?;
    let lat: Option<f64> = r.get(8)?;
    let lon: Option<f64> = r.get(9)?;
    let acc: Option<f64> = r.get(10)?;
    Ok(SearchClaimRow {
        claim_id: r.get(0)?,
        blake3: r.get(1)?,
        kind: r.get(2)?,
        basis: r.get(3)?,
        value: r.get(4)?,
        time: lo.zip(hi).map(|(lo, hi)| (lo, hi, approx.unwrap_or(0) != 0)),
        position: lat.zip(lon).map(|(lat, lon)| (lat, lon, acc.unwrap_or(0.0))),
    })
}

fn cell_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SearchClaimRow> {
    Ok(SearchClaimRow {
        claim_id: r.get(0)?,
        blake3: r.get(1)?,
        kind: "location".into(),
        basis: r.get(2)?,
        value: String::new(),
        time: None,
        position: Some((r.get(3)?, r.get(4)?, r.get(5)?)),
    })
}

/// Objects with more than one item, counted from the items (what
/// `search_multi` holds).
const MULTI_ITEMS: &str = "SELECT blake3, count(*) FROM items GROUP BY blake3 HAVING count(*) > 1";

/// The columns a filter's candidates need (the value is left out: hits
/// read it for the page only).
const CANDIDATE_COLS: &str = "c.claim_id, c.blake3, c.kind, c.basis, '', c.t_lo, c.t_hi, \
                              c.approximate, c.lat, c.lon, c.accuracy_m";

/// The claim numbers of the objects in a stretch (`{cond}` on `c.blake3`),
/// with their object: the claims' and those the index holds (a deleted
/// claim's index rows are still the index's), under which the trees and
/// the grid hold their rows.
fn claim_ids(cond: &str) -> String {
    format!(
        "WITH ids(id, blake3) AS (SELECT c.id, c.blake3 FROM claims c WHERE {cond} \
         UNION SELECT c.claim_id, c.blake3 FROM search_claims c WHERE {cond})"
    )
}

/// That the claim number `id` is neither a claim's nor an indexed claim's.
fn unclaimed(id: &str) -> String {
    format!(
        "{id} NOT IN (SELECT id FROM claims) AND {id} NOT IN (SELECT claim_id FROM search_claims)"
    )
}

const CLAIM_COLS: &str = "c.claim_id, c.blake3, c.kind, c.basis, c.value, c.t_lo, c.t_hi, \
                          c.approximate, c.lat, c.lon, c.accuracy_m";

impl Tx<'_> {
    /// Remove every row derived from the claims of `blake3` (its own text
    /// stays). Virtual-table rows are deleted one id at a time: an `IN`
    /// over a subquery or an expression on `id` would scan the whole tree.
    pub fn search_forget_claims(&self, blake3: &str) -> Result<()> {
        let err = || sql_err("cannot update the search index");
        let ids = |sql: &str| -> Result<Vec<i64>> {
            let mut st = self.0.prepare_cached(sql).map_err(err())?;
            let rows = st.query_map([blake3], |r| r.get(0)).map_err(err())?;
            rows.collect::<rusqlite::Result<Vec<i64>>>().map_err(err())
        };
        let run = |sql: &str, id: i64| {
            self.0.prepare_cached(sql).and_then(|mut s| s.execute([id])).map(drop).map_err(err())
        };
        for id in ids("SELECT claim_id FROM search_claims WHERE blake3 = ?1")? {
            run("DELETE FROM search_times WHERE id = ?1", id)?;
            run("DELETE FROM search_spacetime WHERE id = ?1", id * 2)?;
            run("DELETE FROM search_spacetime WHERE id = ?1", id * 2 + 1)?;
            run("DELETE FROM search_cells WHERE claim_id = ?1", id)?;
        }
        for id in ids("SELECT id FROM search_docs WHERE blake3 = ?1 AND claim_id IS NOT NULL")? {
            run("DELETE FROM search_text WHERE rowid = ?1", id)?;
        }
        for sql in [
            "DELETE FROM search_docs WHERE blake3 = ?1 AND claim_id IS NOT NULL",
            "DELETE FROM search_terms WHERE blake3 = ?1",
            "DELETE FROM search_flags WHERE blake3 = ?1",
            "DELETE FROM search_claims WHERE blake3 = ?1",
        ] {
            self.0.prepare_cached(sql).and_then(|mut s| s.execute([blake3])).map_err(err())?;
        }
        Ok(())
    }

    /// Empty every search table (before a full reindex); the multi-item
    /// counts, which follow from the items alone, are refilled at once.
    pub fn search_clear(&self) -> Result<()> {
        self.0
            .execute_batch(
                "DELETE FROM search_times; DELETE FROM search_cells; DELETE FROM search_spacetime;
                 DELETE FROM search_text;
                 DELETE FROM search_docs; DELETE FROM search_terms; DELETE FROM search_flags;
                 DELETE FROM search_claims; DELETE FROM search_multi;",
            )
            .map_err(sql_err("cannot clear the search index"))?;
        self.0
            .execute_batch(&format!("INSERT INTO search_multi (blake3, items) {MULTI_ITEMS};"))
            .map_err(sql_err("cannot clear the search index"))
    }

    /// Index one current claim with its place boxes and, for a position,
    /// its grid cell.
    pub fn search_add_claim(
        &self,
        c: &SearchClaimRow,
        boxes: &[PlaceBox],
        cell: Option<i64>,
    ) -> Result<()> {
        let (lo, hi, approx) =
            c.time.map_or((None, None, None), |(lo, hi, a)| (Some(lo), Some(hi), Some(a as i64)));
        let (lat, lon, acc) =
            c.position.map_or((None, None, None), |(la, lo, a)| (Some(la), Some(lo), Some(a)));
        let err = sql_err("cannot update the search index");
        self.0
            .prepare_cached(
                "INSERT INTO search_claims (claim_id, blake3, kind, basis, value, t_lo, t_hi, \
                 approximate, lat, lon, accuracy_m) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.claim_id, c.blake3, c.kind, c.basis, c.value, lo, hi, approx, lat, lon, acc
                ])
            })
            .map_err(err)?;
        if let Some((lo, hi, _)) = c.time {
            self.0
                .prepare_cached("INSERT INTO search_times (id, lo, hi) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![c.claim_id, lo as f64, hi as f64]))
                .map_err(sql_err("cannot update the search index"))?;
        }
        if let (Some(cell), Some((la, lo, acc))) = (cell, c.position) {
            self.0
                .prepare_cached(
                    "INSERT INTO search_cells (cell, claim_id, blake3, basis, lat, lon, accuracy_m) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut s| s.execute(params![cell, c.claim_id, c.blake3, c.basis, la, lo, acc]))
                .map_err(sql_err("cannot update the search index"))?;
        }
        for b in boxes {
            self.0
                .prepare_cached(
                    "INSERT INTO search_spacetime (id, min_lat, max_lat, min_lon, max_lon, t_lo, t_hi) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .and_then(|mut s| {
                    s.execute(params![b.id, b.lat.0, b.lat.1, b.lon.0, b.lon.1, b.time.0, b.time.1])
                })
                .map_err(sql_err("cannot update the search index"))?;
        }
        Ok(())
    }

    /// Index a term.
    pub fn search_add_term(&self, t: &TermRow) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO search_terms (claim_id, blake3, field, value) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![t.claim_id, t.blake3, t.field, t.value]))
            .map(drop)
            .map_err(sql_err("cannot update the search index"))
    }

    /// Index a text.
    pub fn search_add_doc(&self, d: &DocRow) -> Result<()> {
        let err = sql_err("cannot update the search index");
        self.0
            .prepare_cached(
                "INSERT INTO search_docs (blake3, claim_id, original) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![d.blake3, d.claim_id, d.original]))
            .map_err(err)?;
        let id = self.0.last_insert_rowid();
        self.0
            .prepare_cached("INSERT INTO search_text (rowid, body) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![id, d.body]))
            .map(drop)
            .map_err(sql_err("cannot update the search index"))
    }

    /// Record an object's discrepancy rules.
    pub fn search_set_flags(&self, blake3: &str, rules: &str) -> Result<()> {
        self.0
            .prepare_cached("INSERT INTO search_flags (blake3, rules) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![blake3, rules]))
            .map(drop)
            .map_err(sql_err("cannot update the search index"))
    }
}

/// A JSON array of strings (for `json_each`: one query for many keys).
fn json_list(keys: &[&str]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".into())
}

impl Reader<'_> {
    /// The items of many objects, in item order.
    pub fn items_of_many(&self, blake3s: &[&str]) -> Result<Vec<super::ItemRow>> {
        self.all(
            &format!(
                "SELECT {} FROM items WHERE blake3 IN (SELECT value FROM json_each(?1)) ORDER BY id",
                super::ITEM_COLS
            ),
            [json_list(blake3s)],
            super::item_row,
        )
    }

    /// The earliest current capture-time window start of many objects.
    pub fn earliest_captures(&self, blake3s: &[&str]) -> Result<Vec<(String, i64)>> {
        self.all(
            "SELECT blake3, min(t_lo) FROM search_claims WHERE t_lo IS NOT NULL \
             AND blake3 IN (SELECT value FROM json_each(?1)) GROUP BY blake3",
            [json_list(blake3s)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// The earliest current capture-time window start of every object.
    pub fn earliest_captures_all(&self) -> Result<Vec<(String, i64)>> {
        self.all(
            "SELECT blake3, min(t_lo) FROM search_claims WHERE t_lo IS NOT NULL GROUP BY blake3",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Capture-time claims whose window meets [lo, hi] (unix seconds).
    /// At most `limit` of them (-1: all).
    pub fn search_times(&self, lo: i64, hi: i64, limit: i64) -> Result<Vec<SearchClaimRow>> {
        self.all(
            &format!(
                "SELECT {CANDIDATE_COLS} FROM search_times t JOIN search_claims c ON c.claim_id = t.id \
                 WHERE t.lo <= ?2 AND t.hi >= ?1 AND c.t_lo <= ?2 AND c.t_hi >= ?1 LIMIT ?3"
            ),
            params![lo, hi, limit],
            claim_row,
        )
    }

    /// Capture-time claims whose window starts after `t` (unix seconds).
    pub fn search_times_after(&self, t: i64) -> Result<Vec<SearchClaimRow>> {
        self.all(
            &format!(
                "SELECT {CANDIDATE_COLS} FROM search_times t JOIN search_claims c ON c.claim_id = t.id \
                 WHERE t.lo >= ?1 AND c.t_lo > ?1"
            ),
            [t],
            claim_row,
        )
    }

    /// Located claims whose accuracy boxes meet the box and whose objects
    /// have a capture time that may meet [lo, hi] (unix seconds):
    /// candidates from the space-time tree, at most `limit` (-1: all).
    pub fn search_spacetime(
        &self,
        b: (f64, f64, f64, f64),
        (lo, hi): (i64, i64),
        limit: i64,
    ) -> Result<Vec<SearchClaimRow>> {
        let (min_lat, max_lat, min_lon, max_lon) = b;
        self.all(
            &format!(
                "SELECT {CANDIDATE_COLS} FROM search_spacetime p \
                 JOIN search_claims c ON c.claim_id = p.id / 2 \
                 WHERE p.max_lat >= ?1 AND p.min_lat <= ?2 AND p.max_lon >= ?3 AND p.min_lon <= ?4 \
                 AND p.t_hi >= ?5 AND p.t_lo <= ?6 LIMIT ?7"
            ),
            params![min_lat, max_lat, min_lon, max_lon, lo as f64, hi as f64, limit],
            claim_row,
        )
    }

    /// Which of the given cell-number ranges (one per grid level) hold
    /// any position.
    pub fn search_cells_held(&self, levels: &[(i64, i64)]) -> Result<Vec<bool>> {
        let mut st = self
            .0
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM search_cells WHERE cell BETWEEN ?1 AND ?2)",
            )
            .map_err(sql_err("cannot prepare a query"))?;
        levels
            .iter()
            .map(|(lo, hi)| {
                st.query_row(params![lo, hi], |r| r.get(0)).map_err(sql_err("query failed"))
            })
            .collect()
    }

    /// Located claims kept in the grid cells of the given ranges
    /// (candidates), at most `limit` (-1: all).
    pub fn search_cells(&self, ranges: &[(i64, i64)], limit: i64) -> Result<Vec<SearchClaimRow>> {
        let mut st = self
            .0
            .prepare_cached(
                "SELECT claim_id, blake3, basis, lat, lon, accuracy_m FROM search_cells \
                 WHERE cell BETWEEN ?1 AND ?2",
            )
            .map_err(sql_err("cannot prepare a query"))?;
        let mut out = Vec::new();
        for (lo, hi) in ranges {
            let rows = st.query_map(params![lo, hi], cell_row).map_err(sql_err("query failed"))?;
            for r in rows {
                out.push(r.map_err(sql_err("cannot read a row"))?);
                if limit >= 0 && out.len() as i64 >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }

    /// Terms of `field` whose value matches the GLOB pattern (`exact`:
    /// equals it).
    pub fn search_terms(&self, field: &str, pattern: &str, exact: bool) -> Result<Vec<TermRow>> {
        let op = if exact { "=" } else { "GLOB" };
        self.all(
            &format!(
                "SELECT claim_id, blake3, field, value FROM search_terms \
                 WHERE field = ?1 AND value {op} ?2"
            ),
            params![field, pattern],
            |r| {
                Ok(TermRow {
                    claim_id: r.get(0)?,
                    blake3: r.get(1)?,
                    field: r.get(2)?,
                    value: r.get(3)?,
                })
            },
        )
    }

    /// Texts matching an FTS5 expression: (doc id, object, bm25 rank —
    /// lower is better), best first. `Err` for a query FTS5 refuses.
    pub fn search_text(&self, fts: &str) -> std::result::Result<Vec<(i64, String, f64)>, String> {
        let mut st = self
            .0
            .prepare_cached(
                "SELECT d.id, d.blake3, t.rank FROM search_text t JOIN search_docs d ON d.id = t.rowid \
                 WHERE search_text MATCH ?1 ORDER BY t.rank",
            )
            .map_err(|e| e.to_string())?;
        let rows = st
            .query_map([fts], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| e.to_string())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| e.to_string())
    }

    /// Whether an object's own text is indexed.
    pub fn search_has_own_text(&self, blake3: &str) -> Result<bool> {
        self.one(
            "SELECT EXISTS (SELECT 1 FROM search_docs WHERE blake3 = ?1 AND claim_id IS NULL)",
            [blake3],
            |r| r.get(0),
        )
        .map(|v| v.unwrap_or(false))
    }

    /// One text's original.
    pub fn search_doc(&self, id: i64) -> Result<Option<String>> {
        self.one("SELECT original FROM search_docs WHERE id = ?1", [id], |r| r.get(0))
    }

    /// Objects with more than one item: (blake3, items), as the index
    /// keeps them.
    pub fn search_multi(&self) -> Result<Vec<(String, i64)>> {
        self.all("SELECT blake3, items FROM search_multi ORDER BY blake3", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// Every flagged object: (blake3, rules).
    pub fn search_flags(&self) -> Result<Vec<(String, String)>> {
        self.all("SELECT blake3, rules FROM search_flags ORDER BY blake3", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// One object's flags.
    pub fn search_flags_of(&self, blake3: &str) -> Result<Option<String>> {
        self.one("SELECT rules FROM search_flags WHERE blake3 = ?1", [blake3], |r| r.get(0))
    }

    /// The current claims of one object, as a filter's candidates (no
    /// values).
    pub fn search_candidates_of(&self, blake3: &str) -> Result<Vec<SearchClaimRow>> {
        self.all(
            &format!("SELECT {CANDIDATE_COLS} FROM search_claims c WHERE c.blake3 = ?1"),
            [blake3],
            claim_row,
        )
    }

    /// The current claims of one object, as indexed.
    pub fn search_claims_of(&self, blake3: &str) -> Result<Vec<SearchClaimRow>> {
        self.all(
            &format!(
                "SELECT {CLAIM_COLS} FROM search_claims c WHERE c.blake3 = ?1 ORDER BY c.claim_id"
            ),
            [blake3],
            claim_row,
        )
    }

    /// The indexed claims of the objects in `span` (for the audit).
    pub fn search_claims_in(&self, span: Span<'_>) -> Result<Vec<SearchClaimRow>> {
        let (cond, ps) = span.clause("c.blake3");
        self.all(
            &format!("SELECT {CLAIM_COLS} FROM search_claims c WHERE {cond} ORDER BY c.claim_id"),
            params_from_iter(ps),
            claim_row,
        )
    }

    /// The claim numbers of the objects in `span`, with their object (as
    /// `claim_ids` gives them).
    pub fn claim_ids_in(&self, span: Span<'_>) -> Result<Vec<(i64, String)>> {
        let (cond, ps) = span.clause("c.blake3");
        let ids = claim_ids(&cond);
        self.all(&format!("{ids} SELECT id, blake3 FROM ids"), params_from_iter(ps), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    }

    /// The time-tree rows of the claims about the objects in `span`: (id,
    /// lo, hi) as stored (32-bit floats). One lookup per claim number
    /// (`claim_ids`: the tree is searched by id, never scanned).
    pub fn search_times_in(&self, span: Span<'_>) -> Result<Vec<(i64, f64, f64)>> {
        let (cond, ps) = span.clause("c.blake3");
        let ids = claim_ids(&cond);
        self.all(
            &format!("{ids} SELECT t.id, t.lo, t.hi FROM ids JOIN search_times t ON t.id = ids.id"),
            params_from_iter(ps),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }

    /// The space-time-tree rows of the claims about the objects in `span`
    /// (two per claim at most: ids claim * 2 and claim * 2 + 1).
    pub fn search_places_in(&self, span: Span<'_>) -> Result<Vec<PlaceBox>> {
        let (cond, ps) = span.clause("c.blake3");
        let ids = claim_ids(&cond);
        let part = |id: &str| {
            format!(
                "SELECT s.id, s.min_lat, s.max_lat, s.min_lon, s.max_lon, s.t_lo, s.t_hi \
                 FROM ids JOIN search_spacetime s ON s.id = {id}"
            )
        };
        self.all(
            &format!("{ids} {} UNION ALL {}", part("ids.id * 2"), part("ids.id * 2 + 1")),
            params_from_iter(ps),
            |r| {
                Ok(PlaceBox {
                    id: r.get(0)?,
                    lat: (r.get(1)?, r.get(2)?),
                    lon: (r.get(3)?, r.get(4)?),
                    time: (r.get(5)?, r.get(6)?),
                })
            },
        )
    }

    /// The grid rows of the claims about the objects in `span`: (cell, the
    /// claim as the grid holds it).
    pub fn search_cells_in(&self, span: Span<'_>) -> Result<Vec<(i64, SearchClaimRow)>> {
        let (cond, ps) = span.clause("c.blake3");
        let ids = claim_ids(&cond);
        self.all(
            &format!(
                "{ids} SELECT g.claim_id, g.blake3, g.basis, g.lat, g.lon, g.accuracy_m, g.cell \
                 FROM ids JOIN search_cells g ON g.claim_id = ids.id"
            ),
            params_from_iter(ps),
            |r| Ok((r.get(6)?, cell_row(r)?)),
        )
    }

    /// Rows of the trees and the grid whose claim number is neither a
    /// claim's nor an indexed claim's: (times, space-time, cells).
    pub fn search_unclaimed(&self) -> Result<(u64, u64, u64)> {
        let n = self.one(
            &format!(
                "SELECT (SELECT count(*) FROM search_times WHERE {}), \
                 (SELECT count(*) FROM search_spacetime WHERE {}), \
                 (SELECT count(*) FROM search_cells WHERE {})",
                unclaimed("id"),
                unclaimed("id / 2"),
                unclaimed("claim_id")
            ),
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )?;
        let (t, s, c) = n.unwrap_or_default();
        Ok((t.max(0) as u64, s.max(0) as u64, c.max(0) as u64))
    }

    /// The terms of the objects in `span`.
    pub fn search_terms_in(&self, span: Span<'_>) -> Result<Vec<TermRow>> {
        let (cond, ps) = span.clause("blake3");
        self.all(
            &format!("SELECT claim_id, blake3, field, value FROM search_terms WHERE {cond}"),
            params_from_iter(ps),
            |r| {
                Ok(TermRow {
                    claim_id: r.get(0)?,
                    blake3: r.get(1)?,
                    field: r.get(2)?,
                    value: r.get(3)?,
                })
            },
        )
    }

    /// The texts of the objects in `span` with the words the full-text
    /// index holds for each (a text whose FTS row is gone has an empty
    /// body).
    pub fn search_docs_in(&self, span: Span<'_>) -> Result<Vec<DocRow>> {
        let (cond, ps) = span.clause("d.blake3");
        self.all(
            &format!(
                "SELECT d.blake3, d.claim_id, d.original, coalesce(t.body, '') FROM search_docs d \
                 LEFT JOIN search_text t ON t.rowid = d.id WHERE {cond}"
            ),
            params_from_iter(ps),
            |r| {
                Ok(DocRow {
                    blake3: r.get(0)?,
                    claim_id: r.get(1)?,
                    original: r.get(2)?,
                    body: r.get(3)?,
                })
            },
        )
    }

    /// The flagged objects in `span`: (blake3, rules).
    pub fn search_flags_in(&self, span: Span<'_>) -> Result<Vec<(String, String)>> {
        let (cond, ps) = span.clause("blake3");
        self.all(
            &format!("SELECT blake3, rules FROM search_flags WHERE {cond}"),
            params_from_iter(ps),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many full-text rows have no text row.
    pub fn search_orphan_text(&self) -> Result<u64> {
        let n = self.one(
            "SELECT count(*) FROM search_text WHERE rowid NOT IN (SELECT id FROM search_docs)",
            [],
            |r| r.get::<_, i64>(0),
        )?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Whether the multi-item counts differ from what the items say.
    pub fn search_multi_differs(&self) -> Result<bool> {
        let held = "SELECT blake3, items FROM search_multi";
        let n = self.one(
            &format!(
                "SELECT EXISTS ({held} EXCEPT {MULTI_ITEMS}) OR EXISTS ({MULTI_ITEMS} EXCEPT {held})"
            ),
            [],
            |r| r.get::<_, bool>(0),
        )?;
        Ok(n.unwrap_or(true))
    }
}
