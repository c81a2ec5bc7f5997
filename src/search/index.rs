//! Keeping the search indexes: what an object's current claims contribute
//! (`derive`, a pure function the write path, `reindex` and the audit all
//! use), replacing those rows when a claim is written (`refresh`, inside
//! the claim's transaction), indexing a text object's visible text at
//! ingest or import (`add_text`), and rebuilding everything from the
//! envelopes and the stored objects (`reindex`).
//!
//! Must not: commit, sign, or decide what a query matches.

use std::collections::BTreeMap;
use std::io::Read;

use super::{geo, grid, normal};
use crate::claim::review::{self, Reviewed};
use crate::claim::{ClaimPredicate, ClaimValue};
use crate::db::search::{DocRow, PlaceBox, SearchClaimRow, TermRow, UNDATED};
use crate::db::{ClaimRow, ObjectRow, Reader, Span, Tx};
use crate::error::Result;
use crate::id::{Encoding, ObjectId};
use crate::record::{self, Statement};
use crate::store::Store;

/// How much of a text object is read for its visible text.
pub const TEXT_BYTES: u64 = 4 << 20;

/// The media types whose own text is indexed.
pub fn has_text(media_type: &str) -> bool {
    matches!(media_type, "text/plain" | "text/html")
}

/// What one object's claims put in the index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// Its current claims, with their place boxes.
    pub claims: Vec<(SearchClaimRow, Vec<PlaceBox>)>,
    /// Their terms.
    pub terms: Vec<TermRow>,
    /// Their texts.
    pub docs: Vec<DocRow>,
    /// Its discrepancy rules (those that do not depend on the time asked),
    /// comma-separated; empty when none.
    pub flags: String,
}

/// One claim row with its signed predicate (as its envelope says).
pub struct Said<'a> {
    /// The row.
    pub row: &'a ClaimRow,
    /// The predicate.
    pub predicate: ClaimPredicate,
}

/// The claims of `rows` as their envelopes say (rows whose envelope is
/// missing or unreadable are left out: the claim audit reports them).
pub fn said<'a>(q: &Reader<'_>, rows: &'a [ClaimRow]) -> Result<Vec<Said<'a>>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(rec) = q.record(row.record_id)? else { continue };
        if let Ok(st) = record::unverified_statement::<ClaimPredicate>(&rec.envelope) {
            let st: Statement<ClaimPredicate> = st;
            out.push(Said { row, predicate: st.predicate });
        }
    }
    Ok(out)
}

/// The index rows of one object's claims.
pub fn derive(blake3: &str, claims: &[Said<'_>]) -> Derived {
    let reviewed: Vec<Reviewed<'_>> = claims
        .iter()
        .map(|c| Reviewed {
            id: c.row.id,
            uuid: &c.row.claim_uuid,
            author: &c.predicate.author,
            basis: c.predicate.basis,
            signed_at: &c.predicate.signed_at,
            supersedes: c.predicate.supersedes.as_deref(),
            value: &c.predicate.claim,
        })
        .collect();
    let mut d = Derived::default();
    for r in review::current(&reviewed) {
        add_claim(&mut d, blake3, r);
    }
    let windows = d.claims.iter().filter_map(|(c, _)| c.time);
    let hull = windows.fold(None, |h: Option<(i64, i64)>, (lo, hi, _)| {
        Some(h.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))))
    });
    if let Some((lo, hi)) = hull {
        for b in d.claims.iter_mut().flat_map(|(_, boxes)| boxes.iter_mut()) {
            b.time = (lo as f64, hi as f64);
        }
    }
    // "Capture in the future" depends on when one asks: judged by the query.
    let mut rules: Vec<&str> =
        review::discrepancies(&reviewed, review::END_OF_TIME).into_iter().map(|x| x.rule).collect();
    rules.sort();
    rules.dedup();
    d.flags = rules.join(",");
    d
}

fn add_claim(d: &mut Derived, blake3: &str, r: &Reviewed<'_>) {
    let mut row = SearchClaimRow {
        claim_id: r.id,
        blake3: blake3.into(),
        kind: r.value.kind().name().into(),
        basis: r.basis.name().into(),
        value: serde_json::to_string(r.value).unwrap_or_default(),
        time: None,
        position: None,
    };
    let mut boxes = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut terms: Vec<(&str, String)> = Vec::new();
    match r.value {
        ClaimValue::CaptureTime(t) => {
            row.time = t.window().ok().map(|(lo, hi)| {
                let approx = t.offset_unknown
                    || matches!(
                        t.precision,
                        crate::claim::Precision::Day | crate::claim::Precision::Approximate
                    );
                (lo.unix_timestamp(), hi.unix_timestamp(), approx)
            });
        }
        ClaimValue::Location(l) => {
            if let (Some(lat), Some(lon)) = (l.lat, l.lon) {
                let acc = l.accuracy_m.unwrap_or(0.0);
                row.position = Some((lat, lon, acc));
                for (part, b) in geo::circle_boxes(lat, lon, acc).into_iter().enumerate() {
                    boxes.push(PlaceBox {
                        id: r.id * 2 + part as i64,
                        lat: (b.min_lat, b.max_lat),
                        lon: (b.min_lon, b.max_lon),
                        // Set by `derive` once every capture time is known.
                        time: (UNDATED, UNDATED),
                    });
                }
            }
            texts.extend(l.place.as_deref());
            texts.extend(l.method.as_deref());
        }
        ClaimValue::Source(s) => {
            terms.extend(s.url.iter().map(|v| ("url", v.clone())));
            terms.extend(s.platform.iter().map(|v| ("platform", v.clone())));
            terms.extend(s.account.iter().map(|v| ("account", v.clone())));
            texts.extend(s.notes.as_deref());
        }
        ClaimValue::Description(x) => {
            texts.extend(x.title.as_deref());
            texts.extend(x.text.as_deref());
            texts.extend(x.creator.as_deref());
            texts.extend(x.credit.as_deref());
            texts.extend(x.tags.iter().map(String::as_str));
            terms.extend(x.tags.iter().map(|t| ("tag", t.clone())));
        }
        ClaimValue::Verification(v) => {
            terms.push(("verdict", v.verdict.name().into()));
            texts.push(&v.method);
            texts.extend(v.notes.as_deref());
        }
        ClaimValue::Relation(x) => texts.extend(x.notes.as_deref()),
        ClaimValue::Credentials(c) => {
            terms.push(("credentials", c.state.name().into()));
            texts.extend([&c.signer, &c.issuer, &c.generator].into_iter().flatten().map(|s| &**s));
        }
    }
    let original = texts.join("\n");
    if !original.trim().is_empty() {
        d.docs.push(DocRow {
            blake3: blake3.into(),
            claim_id: Some(r.id),
            body: normal::body(&original),
            original,
        });
    }
    for (field, value) in terms {
        d.terms.push(TermRow { claim_id: r.id, blake3: blake3.into(), field: field.into(), value });
    }
    d.claims.push((row, boxes));
}

/// The grid cell a claim's position is kept in.
pub fn cell_of(c: &SearchClaimRow) -> Option<i64> {
    c.position.map(|(lat, lon, acc)| grid::cell(lat, lon, acc))
}

/// Write `d` (the rows of one object's claims) in `tx`.
fn write(tx: &Tx<'_>, blake3: &str, d: &Derived) -> Result<()> {
    for (c, boxes) in &d.claims {
        tx.search_add_claim(c, boxes, cell_of(c))?;
    }
    for t in &d.terms {
        tx.search_add_term(t)?;
    }
    for doc in &d.docs {
        tx.search_add_doc(doc)?;
    }
    if !d.flags.is_empty() {
        tx.search_set_flags(blake3, &d.flags)?;
    }
    Ok(())
}

/// Replace what the claims of `blake3` put in the index (after a claim
/// about it was recorded in `tx`).
pub fn refresh(tx: &Tx<'_>, blake3: &str) -> Result<()> {
    let q = tx.read();
    let rows = q.claims_of(blake3)?;
    let d = derive(blake3, &said(&q, &rows)?);
    tx.search_forget_claims(blake3)?;
    write(tx, blake3, &d)
}

/// The document of an object's own text.
pub fn text_doc(blake3: &str, text: &str) -> Option<DocRow> {
    let body = normal::body(text);
    (!body.is_empty()).then(|| DocRow {
        blake3: blake3.into(),
        claim_id: None,
        original: text.into(),
        body,
    })
}

/// Bring the index up to date for an object after its items and claims
/// were recorded in `tx`: its claims' rows replaced, and its own visible
/// text (`text`, asked only when the index does not hold it yet) added.
pub fn object(tx: &Tx<'_>, blake3: &str, text: impl FnOnce() -> Option<String>) -> Result<()> {
    refresh(tx, blake3)?;
    if tx.read().search_has_own_text(blake3)? {
        return Ok(());
    }
    match text().and_then(|t| text_doc(blake3, &t)) {
        Some(doc) => tx.search_add_doc(&doc),
        None => Ok(()),
    }
}

/// The visible text of a stored object (its first `TEXT_BYTES`), `None`
/// for media types without text or an object that cannot be read (the
/// object audit reports that).
pub fn object_text(
    store: &Store,
    id: &ObjectId,
    enc: Encoding,
    media_type: &str,
) -> Option<String> {
    if !has_text(media_type) {
        return None;
    }
    let mut bytes = Vec::new();
    store.open_decoded(id, enc).ok()?.take(TEXT_BYTES).read_to_end(&mut bytes).ok()?;
    normal::visible_text(media_type, &bytes)
}

/// What a reindex did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Reindexed {
    /// Objects indexed.
    pub objects: u64,
    /// Current claims indexed.
    pub claims: u64,
    /// Texts indexed (objects' own and claims').
    pub texts: u64,
    /// Objects flagged.
    pub flagged: u64,
}

/// The visible text of a stored object read back whole and verified:
/// `None` when its bytes do not hash to its name or cannot be read (the
/// object audit reports those; nothing is indexed from them).
fn verified_text(
    store: &Store,
    id: &ObjectId,
    enc: Encoding,
    media_type: &str,
) -> Option<Option<String>> {
    let mut head = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut sink = |b: &[u8]| {
        let room = (TEXT_BYTES as usize).saturating_sub(head.len());
        head.extend_from_slice(&b[..b.len().min(room)]);
        Ok(())
    };
    match store.read_back(id, enc, false, &mut buf, &mut sink) {
        Ok(crate::store::ReadBack::Read { blake3, .. }) if blake3 == *id => {
            Some(normal::visible_text(media_type, &head))
        }
        _ => None,
    }
}

/// What the index should hold for one object: its claims' rows, and its
/// own text (`None` inside: no text; outer `None`: its bytes do not
/// verify, so what the index holds for its text is not judged).
pub type Expected = (Derived, Option<Option<DocRow>>);

/// How many objects the audit and `reindex` take at a time.
pub const PAGE: usize = 512;

/// Call `f` with the objects a page at a time, in BLAKE3 order, each page
/// with the stretch of key space it covers: the first from the start, the
/// last to the end, so that every row of the index falls in one page
/// whether or not its object exists.
pub fn each_page(
    q: &Reader<'_>,
    mut f: impl FnMut(&[ObjectRow], Span<'_>) -> Result<()>,
) -> Result<()> {
    let mut after: Option<String> = None;
    loop {
        let objects = q.objects_after(after.as_deref(), PAGE)?;
        let last = objects.len() < PAGE;
        let upto = if last { None } else { objects.last().map(|o| o.blake3.as_str()) };
        f(&objects, Span { after: after.as_deref(), upto })?;
        match objects.last() {
            Some(o) if !last => after = Some(o.blake3.clone()),
            _ => return Ok(()),
        }
    }
}

/// What the index should hold for `objects` (one page of `each_page`,
/// whose stretch is `span`), object by object: the claims' rows and each
/// text object's own text.
pub fn expected(
    q: &Reader<'_>,
    store: &Store,
    objects: &[ObjectRow],
    span: Span<'_>,
) -> Result<BTreeMap<String, Expected>> {
    let mut by_object: BTreeMap<String, Vec<ClaimRow>> = BTreeMap::new();
    for c in q.claims_in(span)? {
        by_object.entry(c.blake3.clone()).or_default().push(c);
    }
    let mut text_types: BTreeMap<String, String> = BTreeMap::new();
    for it in q.items_in(span)? {
        if has_text(&it.media_type) {
            text_types.entry(it.blake3).or_insert(it.media_type);
        }
    }
    let mut out = BTreeMap::new();
    for o in objects {
        let rows = by_object.remove(o.blake3.as_str()).unwrap_or_default();
        let d = derive(&o.blake3, &said(q, &rows)?);
        let text = match text_types.get(&o.blake3) {
            None => Some(None),
            Some(mt) => match (o.blake3.parse::<ObjectId>().ok(), Encoding::parse(&o.encoding)) {
                (Some(id), Some(enc)) => verified_text(store, &id, enc, mt)
                    .map(|t| t.and_then(|t| text_doc(&o.blake3, &t))),
                _ => None,
            },
        };
        out.insert(o.blake3.clone(), (d, text));
    }
    Ok(out)
}

/// Rebuild every search table from the envelopes and the stored objects,
/// a page of objects at a time.
pub fn reindex(tx: &Tx<'_>, store: &Store) -> Result<Reindexed> {
    tx.search_clear()?;
    let q = tx.read();
    let mut r = Reindexed::default();
    each_page(&q, |objects, span| {
        for (blake3, (d, text)) in &expected(&q, store, objects, span)? {
            r.objects += 1;
            r.claims += d.claims.len() as u64;
            r.texts += d.docs.len() as u64 + u64::from(matches!(text, Some(Some(_))));
            r.flagged += u64::from(!d.flags.is_empty());
            write(tx, blake3, d)?;
            if let Some(Some(doc)) = text {
                tx.search_add_doc(doc)?;
            }
        }
        Ok(())
    })?;
    Ok(r)
}
