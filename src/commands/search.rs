//! `search`, `timeline` and `reindex`: the filters a researcher types
//! (parsed here, every bad value an error naming it), the items of the
//! objects `search::query` matched, item filters (type, media type,
//! collector, ingest time), sorting, paging, and each hit with its current
//! claims, flags, distance, rank and snippet. `timeline` is the same search
//! in capture-time order, for reconstructing an event (not the archive's
//! own custody history: that is `custody log`).
//!
//! Must not: write anything except in `reindex`; print.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use crate::archive::Archive;
use crate::claim::{Basis, ClaimValue, Verdict};
use crate::clock::parse_instant;
use crate::db::ItemRow;
use crate::db::search::SearchClaimRow;
use crate::error::{Error, ErrorKind, Result};
pub use crate::search::index::Reindexed;
pub use crate::search::query::Matched;
use crate::search::query::{ObjectMatch, Query};
use crate::search::{gazetteer, index, normal, query};
use crate::text::{exact, lossy, quoted};
use crate::trust::Keys;

/// What kind of media an item is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum MediaClass {
    /// `image/*`.
    Image,
    /// `video/*`.
    Video,
    /// `audio/*`.
    Audio,
    /// `text/*`.
    Text,
    /// Anything else.
    Other,
}

impl MediaClass {
    /// The class of a media type.
    pub fn of(media_type: &str) -> MediaClass {
        match media_type.split('/').next() {
            Some("image") => MediaClass::Image,
            Some("video") => MediaClass::Video,
            Some("audio") => MediaClass::Audio,
            Some("text") => MediaClass::Text,
            _ => MediaClass::Other,
        }
    }
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::VariantNames)]
#[strum(serialize_all = "kebab-case")]
pub enum Sort {
    /// Earliest capture first (undated last).
    CaptureTime,
    /// Earliest ingest first.
    Ingested,
    /// Nearest to `--near` first.
    Distance,
    /// Best text match first.
    Rank,
}

/// The filters, as typed (times, coordinates and boxes are parsed here).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Capture time from (RFC 3339, or a date: from that day's start).
    pub from: Option<String>,
    /// Capture time to (RFC 3339, or a date: to that day's end).
    pub to: Option<String>,
    /// The zone dates are days in (`+03:00`; default UTC).
    pub tz: Option<String>,
    /// Which basis counts for time and place.
    pub basis: Option<Basis>,
    /// `LAT,LON`.
    pub near: Option<String>,
    /// Radius for `near`, km.
    pub radius_km: Option<f64>,
    /// `W,S,E,N`.
    pub bbox: Option<String>,
    /// Source url, platform or account (glob).
    pub source: Option<String>,
    /// Media class.
    pub media_class: Option<MediaClass>,
    /// Exact media type.
    pub media_type: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Collector: key id (or a prefix of 8+) or registered name.
    pub collector: Option<String>,
    /// Current verdict.
    pub verdict: Option<Verdict>,
    /// Only items with a discrepancy.
    pub flagged: bool,
    /// Ingested from (as `from`).
    pub ingested_from: Option<String>,
    /// Ingested to (as `to`).
    pub ingested_to: Option<String>,
    /// Full-text query.
    pub text: Option<String>,
}

/// Options for `search`.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// The filters.
    pub filters: Filters,
    /// Order (default: rank with `--text`, distance with `--near`, else
    /// capture time).
    pub sort: Option<Sort>,
    /// At most this many hits (`None`: all).
    pub limit: Option<usize>,
    /// Skip this many first.
    pub offset: usize,
}

/// A capture time as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureShown {
    /// The claim.
    pub claim: i64,
    /// As signed (RFC 3339 with its original offset, a local time, or a day).
    pub at: String,
    /// Its basis.
    pub basis: String,
    /// Local time with the offset unknown, or day / rough precision.
    pub approximate: bool,
}

/// A position as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceShown {
    /// The claim.
    pub claim: i64,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Accuracy radius, m.
    pub accuracy_m: Option<f64>,
    /// Place name.
    pub place: Option<String>,
    /// Its basis.
    pub basis: String,
}

/// A current claim as a hit carries it.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentClaim {
    /// Claim number.
    pub claim: i64,
    /// Basis.
    pub basis: String,
    /// The signed value.
    #[serde(flatten)]
    pub value: ClaimValue,
}

/// One item found.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Item number.
    pub item: i64,
    /// Item UUID.
    pub uuid: String,
    /// File name (lossily UTF-8).
    pub name: String,
    /// The exact name bytes, hex, when not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_bytes: Option<String>,
    /// Media type.
    pub media_type: String,
    /// BLAKE3.
    pub blake3: String,
    /// SHA-256.
    pub sha256: String,
    /// Ingest time.
    pub ingested_at: String,
    /// Collector key id.
    pub collector_keyid: String,
    /// Collector's registered name.
    pub collector: Option<String>,
    /// The capture time it is placed at (the earliest matching, else the
    /// earliest current one).
    pub capture: Option<CaptureShown>,
    /// Its place (the nearest matching, else the first current one).
    pub location: Option<PlaceShown>,
    /// Its current source (url, else platform and account).
    pub source: Option<String>,
    /// The claims that matched the time, place and term filters.
    pub matched: Vec<Matched>,
    /// Distance from `--near`'s centre, km.
    pub distance_km: Option<f64>,
    /// Text rank (bm25; lower is better).
    pub rank: Option<f64>,
    /// Where the text matched, from the original text ([matched words]).
    pub snippet: Option<String>,
    /// Discrepancy rules of its current claims.
    pub flags: Vec<String>,
    /// Every current claim.
    pub claims: Vec<CurrentClaim>,
}

/// What `search` found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchReport {
    /// Items matching, before paging.
    pub total: usize,
    /// The page.
    pub hits: Vec<Hit>,
}

/// Parse an instant or a date bound (`end`: a date means its last second).
fn bound(what: &str, v: &str, tz: UtcOffset, end: bool) -> Result<i64> {
    let v = v.trim();
    if let Some(day) = crate::claim::date_only(v) {
        let start = day.midnight().assume_offset(tz);
        let t = if end { start + time::Duration::seconds(86_399) } else { start };
        return Ok(t.unix_timestamp());
    }
    parse_instant(v).map(OffsetDateTime::unix_timestamp).map_err(|why| {
        Error::new(ErrorKind::Usage, format!("{what} {}: {why}", quoted(v)))
            .hint("give an RFC 3339 time with its offset (2024-11-29T14:00:00+03:00) or a date (2024-11-29)")
    })
}

fn offset(tz: Option<&str>) -> Result<UtcOffset> {
    let Some(tz) = tz.map(str::trim) else { return Ok(UtcOffset::UTC) };
    if matches!(tz, "Z" | "UTC" | "utc") {
        return Ok(UtcOffset::UTC);
    }
    UtcOffset::parse(
        tz,
        &time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
    )
    .map_err(|_| {
        Error::new(ErrorKind::Usage, format!("--tz {} is not a UTC offset", quoted(tz)))
            .hint("give it as +03:00 (Aleppo), -05:00 or UTC")
    })
}

fn range(
    names: (&str, &str),
    from: Option<&str>,
    to: Option<&str>,
    tz: UtcOffset,
) -> Result<Option<(i64, i64)>> {
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let lo = from.map(|v| bound(names.0, v, tz, false)).transpose()?.unwrap_or(i64::MIN);
    let hi = to.map(|v| bound(names.1, v, tz, true)).transpose()?.unwrap_or(i64::MAX);
    if lo > hi {
        return Err(Error::new(ErrorKind::Usage, format!("{} is after {}", names.0, names.1))
            .hint("swap them"));
    }
    Ok(Some((lo, hi)))
}

fn numbers(what: &str, v: &str, n: usize) -> Result<Vec<f64>> {
    let parts: Vec<Option<f64>> =
        v.split(',').map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite())).collect();
    match parts.into_iter().collect::<Option<Vec<f64>>>() {
        Some(xs) if xs.len() == n => Ok(xs),
        _ => Err(Error::new(ErrorKind::Usage, format!("{what} {} is not {n} numbers", quoted(v)))
            .hint(if n == 2 {
                "give LAT,LON in degrees, e.g. 36.1993,37.1627"
            } else {
                "give W,S,E,N in degrees (RFC 7946 order), e.g. 37.0,36.1,37.3,36.3"
            })),
    }
}

fn usage(why: String, hint: &str) -> Error {
    Error::new(ErrorKind::Usage, why).hint(hint)
}

/// A `--near` circle (lat, lon, radius in metres) and a `--bbox`.
type Area = (Option<(f64, f64, f64)>, Option<[f64; 4]>);

fn area(f: &Filters) -> Result<Area> {
    let near = match (&f.near, f.radius_km) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(usage(
                "--near and --radius go together".into(),
                "give both: --near 36.1993,37.1627 --radius 2",
            ));
        }
        (Some(v), Some(r)) => {
            let xy = numbers("--near", v, 2)?;
            crate::claim::check_lat(xy[0])
                .map_err(|w| usage(format!("--near: {w}"), "latitude comes first"))?;
            crate::claim::check_lon(xy[1])
                .map_err(|w| usage(format!("--near: {w}"), "longitude comes second"))?;
            if !(r.is_finite() && r > 0.0 && r <= 20_100.0) {
                return Err(usage(
                    format!("--radius {r} is not a distance in km above 0"),
                    "e.g. --radius 2",
                ));
            }
            Some((xy[0], xy[1], r * 1000.0))
        }
    };
    let bbox = match &f.bbox {
        None => None,
        Some(v) => {
            let b = numbers("--bbox", v, 4)?;
            for lon in [b[0], b[2]] {
                crate::claim::check_lon(lon)
                    .map_err(|w| usage(format!("--bbox: {w}"), "W and E are longitudes"))?;
            }
            for lat in [b[1], b[3]] {
                crate::claim::check_lat(lat)
                    .map_err(|w| usage(format!("--bbox: {w}"), "S and N are latitudes"))?;
            }
            if b[1] > b[3] {
                return Err(usage(
                    format!("--bbox {}: S is north of N", quoted(v)),
                    "the order is W,S,E,N (W > E crosses the antimeridian)",
                ));
            }
            Some([b[0], b[1], b[2], b[3]])
        }
    };
    Ok((near, bbox))
}

/// The item filters, parsed.
struct ItemFilter {
    class: Option<MediaClass>,
    media_type: Option<String>,
    collectors: Option<Vec<String>>,
    ingested: Option<(i64, i64)>,
}

impl ItemFilter {
    fn keeps(&self, it: &ItemRow) -> bool {
        self.class.is_none_or(|c| MediaClass::of(&it.media_type) == c)
            && self.media_type.as_deref().is_none_or(|m| {
                // Any name of the format (an alias, or an item archived
                // under an older name) matches.
                crate::media::canonical(m)
                    .eq_ignore_ascii_case(crate::media::canonical(&it.media_type))
            })
            && self.collectors.as_ref().is_none_or(|ks| ks.contains(&it.collector_keyid))
            && self.ingested.is_none_or(|(lo, hi)| {
                parse_instant(&it.ingested_at)
                    .is_ok_and(|t| (lo..=hi).contains(&t.unix_timestamp()))
            })
    }
}

fn collectors(keys: &Keys, who: &str) -> Result<Vec<String>> {
    let who = who.trim();
    let found: Vec<String> = keys
        .owners
        .iter()
        .filter(|(id, owner)| {
            owner.as_str() == who || (who.len() >= 8 && id.starts_with(&who.to_ascii_lowercase()))
        })
        .map(|(id, _)| id.clone())
        .collect();
    if found.is_empty() {
        return Err(usage(
            format!("no key or owner {} in this archive", quoted(who)),
            "give a key id (8+ hex digits) or an owner's name as `custody key list` shows it",
        ));
    }
    Ok(found)
}

/// Parse the filters into the claim query and the item filter.
fn parse(archive: &Archive, f: &Filters, keys: &Keys) -> Result<(Query, ItemFilter, String)> {
    let tz = offset(f.tz.as_deref())?;
    let time = range(("--from", "--to"), f.from.as_deref(), f.to.as_deref(), tz)?;
    let ingested = range(
        ("--ingested-from", "--ingested-to"),
        f.ingested_from.as_deref(),
        f.ingested_to.as_deref(),
        tz,
    )?;
    let (near, bbox) = area(f)?;
    let text = match &f.text {
        None => None,
        Some(t) => Some(normal::rewrite(t, &gazetteer::variants).map_err(|why| {
            usage(
                format!("--text {}: {why}", quoted(t)),
                "use words, \"phrases\", prefix*, AND, OR, NOT",
            )
        })?),
    };
    let query = Query {
        time,
        basis: f.basis,
        near,
        bbox,
        source: f.source.clone(),
        tag: f.tag.clone(),
        verdict: f.verdict,
        flagged: f.flagged,
        text,
        now: archive.now_utc().unix_timestamp(),
    };
    let items = ItemFilter {
        class: f.media_class,
        media_type: f.media_type.clone(),
        collectors: f.collector.as_deref().map(|c| collectors(keys, c)).transpose()?,
        ingested,
    };
    Ok((query, items, f.text.clone().unwrap_or_default()))
}

/// A candidate item with how its object matched.
struct Candidate {
    item: ItemRow,
    how: ObjectMatch,
}

impl ItemFilter {
    fn any(&self) -> bool {
        self.class.is_some()
            || self.media_type.is_some()
            || self.collectors.is_some()
            || self.ingested.is_some()
    }
}

/// The order of objects under `by` (smaller first; undated, unranked or
/// undistanced last).
fn object_key(by: Sort, how: &ObjectMatch, earliest: Option<i64>) -> f64 {
    match by {
        Sort::CaptureTime => how.capture_lo.or(earliest).map_or(f64::INFINITY, |t| t as f64),
        Sort::Distance => how.distance_m.unwrap_or(f64::INFINITY),
        Sort::Rank => how.rank.unwrap_or(f64::INFINITY),
        Sort::Ingested => 0.0,
    }
}

/// The earliest capture of each object (for `Sort::CaptureTime`).
fn earliest(archive: &Archive, by: Sort, objects: Option<&[&str]>) -> Result<HashMap<String, i64>> {
    if by != Sort::CaptureTime {
        return Ok(HashMap::new());
    }
    let q = archive.db.read();
    Ok(match objects {
        None => q.earliest_captures_all()?,
        Some(keys) => q.earliest_captures(keys)?,
    }
    .into_iter()
    .collect())
}

/// Sort candidate items by `by` (ties: item number).
fn sort(cands: &mut [Candidate], by: Sort, earliest: &HashMap<String, i64>) {
    if by == Sort::Ingested {
        cands.sort_by(|a, b| {
            (&a.item.ingested_at, a.item.id).cmp(&(&b.item.ingested_at, b.item.id))
        });
        return;
    }
    let key = |c: &Candidate| object_key(by, &c.how, earliest.get(&c.item.blake3).copied());
    cands.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.item.id.cmp(&b.item.id)));
}

/// The page of matching items (after `offset`, at most `limit`) and how
/// many match in all. With no item filter, objects are ordered first and
/// only the page's items are read.
fn select(
    archive: &Archive,
    (query, items, raw): (&Query, &ItemFilter, &str),
    by: Sort,
    (offset, limit): (usize, usize),
) -> Result<(usize, Vec<Candidate>)> {
    let q = archive.db.read();
    let page = |mut all: Vec<Candidate>, earliest: &HashMap<String, i64>| {
        sort(&mut all, by, earliest);
        let total = all.len();
        (total, all.into_iter().skip(offset).take(limit).collect())
    };
    let Some(objects) = query::objects(&q, query, raw)? else {
        let all = q.items()?.into_iter().filter(|i| items.keeps(i));
        let all = all.map(|item| Candidate { item, how: ObjectMatch::default() }).collect();
        return Ok(page(all, &earliest(archive, by, None)?));
    };
    let keys: Vec<&str> = objects.keys().map(String::as_str).collect();
    let early = earliest(archive, by, Some(&keys))?;
    if items.any() || by == Sort::Ingested {
        let all = q.items_of_many(&keys)?.into_iter().filter(|i| items.keeps(i));
        let all = all
            .filter_map(|item| Some(Candidate { how: objects.get(&item.blake3)?.clone(), item }))
            .collect();
        return Ok(page(all, &early));
    }
    // Every object has an item; those with more are few and listed.
    let extra: i64 = q
        .search_multi()?
        .into_iter()
        .filter(|(b, _)| objects.contains_key(b))
        .map(|(_, n)| n - 1)
        .sum();
    let total = objects.len() + usize::try_from(extra).unwrap_or(0);
    let mut order: Vec<(&String, &ObjectMatch)> = objects.iter().collect();
    let key = |(b, how): &(&String, &ObjectMatch)| object_key(by, how, early.get(*b).copied());
    order.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.0.cmp(b.0)));
    let mut out = Vec::new();
    let mut skipped = 0;
    for (blake3, how) in order {
        if out.len() >= limit {
            break;
        }
        for item in q.items_of(blake3)? {
            if skipped < offset {
                skipped += 1;
            } else if out.len() < limit {
                out.push(Candidate { item, how: how.clone() });
            }
        }
    }
    Ok((total, out))
}

fn shown_capture(c: &SearchClaimRow, v: &ClaimValue) -> Option<CaptureShown> {
    let ClaimValue::CaptureTime(t) = v else { return None };
    Some(CaptureShown {
        claim: c.claim_id,
        at: t.at.clone(),
        basis: c.basis.clone(),
        approximate: c.time.is_some_and(|x| x.2),
    })
}

fn shown_place(c: &SearchClaimRow, v: &ClaimValue) -> Option<PlaceShown> {
    let ClaimValue::Location(l) = v else { return None };
    Some(PlaceShown {
        claim: c.claim_id,
        lat: l.lat,
        lon: l.lon,
        accuracy_m: l.accuracy_m,
        place: l.place.clone(),
        basis: c.basis.clone(),
    })
}

fn source_of(v: &ClaimValue) -> Option<String> {
    let ClaimValue::Source(s) = v else { return None };
    s.url.clone().or_else(|| {
        let parts: Vec<&str> =
            [s.platform.as_deref(), s.account.as_deref()].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// Build the hit for one candidate.
fn hit(archive: &Archive, keys: &Keys, c: Candidate, query: &Query) -> Result<Hit> {
    let q = archive.db.read();
    let rows = q.search_claims_of(&c.item.blake3)?;
    let values: Vec<(SearchClaimRow, ClaimValue)> = rows
        .into_iter()
        .filter_map(|r| serde_json::from_str::<ClaimValue>(&r.value).ok().map(|v| (r, v)))
        .collect();
    let matched_ids: Vec<i64> = c.how.matched.iter().map(|m| m.claim).collect();
    let prefer = |kind: &'static str| {
        let of_kind = values.iter().filter(move |(r, _)| r.kind == kind);
        of_kind.clone().filter(|(r, _)| matched_ids.contains(&r.claim_id)).chain(of_kind)
    };
    let capture = prefer("capture-time")
        .filter_map(|(r, v)| shown_capture(r, v).map(|s| (r.time.map(|t| t.0), s)))
        .min_by_key(|(lo, _)| *lo)
        .map(|(_, s)| s);
    let location = prefer("location").find_map(|(r, v)| shown_place(r, v));
    let source = prefer("source").find_map(|(_, v)| source_of(v));
    let mut flags: Vec<String> = q
        .search_flags_of(&c.item.blake3)?
        .map(|r| r.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if values.iter().any(|(r, _)| r.time.is_some_and(|t| t.0 > query.now)) {
        flags.push("capture-in-future".into());
        flags.sort();
    }
    let snippet = match (&query.text, c.how.doc) {
        (Some(t), Some(doc)) => q.search_doc(doc)?.and_then(|o| normal::snippet(&o, &t.terms)),
        _ => None,
    };
    let sha256 = q.object(&c.item.blake3)?.map(|o| o.sha256).unwrap_or_default();
    let it = c.item;
    Ok(Hit {
        item: it.id,
        uuid: it.item_uuid,
        name: lossy(&it.original_name),
        name_bytes: exact(&it.original_name),
        media_type: it.media_type,
        blake3: it.blake3,
        sha256,
        ingested_at: it.ingested_at,
        collector: keys.owners.get(&it.collector_keyid).cloned(),
        collector_keyid: it.collector_keyid,
        capture,
        location,
        source,
        matched: c.how.matched,
        distance_km: c.how.distance_m.map(|d| d / 1000.0),
        rank: c.how.rank,
        snippet,
        flags,
        claims: values
            .into_iter()
            .map(|(r, value)| CurrentClaim { claim: r.claim_id, basis: r.basis, value })
            .collect(),
    })
}

/// The items the filters match, in item order (`export`'s selection).
pub(crate) fn matching_items(archive: &Archive, filters: &Filters) -> Result<Vec<ItemRow>> {
    let keys = Keys::read(&archive.db.read())?;
    let (query, items, raw) = parse(archive, filters, &keys)?;
    let (_, found) = select(archive, (&query, &items, &raw), Sort::Ingested, (0, usize::MAX))?;
    let mut found: Vec<ItemRow> = found.into_iter().map(|c| c.item).collect();
    found.sort_by_key(|i| i.id);
    Ok(found)
}

/// Find items.
pub fn search(archive: &Archive, opts: &SearchOptions) -> Result<SearchReport> {
    let keys = Keys::read(&archive.db.read())?;
    let (query, items, raw) = parse(archive, &opts.filters, &keys)?;
    let by = match opts.sort {
        Some(Sort::Distance) if query.near.is_none() => {
            return Err(usage(
                "--sort distance needs --near".into(),
                "add --near LAT,LON --radius KM",
            ));
        }
        Some(Sort::Rank) if query.text.is_none() => {
            return Err(usage("--sort rank needs --text".into(), "add --text \"words\""));
        }
        Some(s) => s,
        None if query.text.is_some() => Sort::Rank,
        None if query.near.is_some() => Sort::Distance,
        None => Sort::CaptureTime,
    };
    let limit = opts.limit.unwrap_or(usize::MAX);
    let (total, page) = select(archive, (&query, &items, &raw), by, (opts.offset, limit))?;
    let hits =
        page.into_iter().map(|c| hit(archive, &keys, c, &query)).collect::<Result<Vec<_>>>()?;
    Ok(SearchReport { total, hits })
}

/// What `timeline` found: dated items in capture-time order.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineReport {
    /// The dated items, earliest first.
    pub entries: Vec<Hit>,
    /// Items matching in all, dated or not.
    pub total: usize,
    /// Matching items with no capture time among those read (undated
    /// items sort last: with no `limit`, this is all of them).
    pub undated: usize,
    /// Claims that put one item at different times or places, by item.
    pub contradictions: BTreeMap<i64, Vec<String>>,
}

/// The chronology of the matching items (`limit` / `offset` page the dated
/// ones).
pub fn timeline(archive: &Archive, opts: &SearchOptions) -> Result<TimelineReport> {
    let upto = opts.limit.map(|l| l.saturating_add(opts.offset));
    let all = search(
        archive,
        &SearchOptions { sort: Some(Sort::CaptureTime), limit: upto, offset: 0, ..opts.clone() },
    )?;
    let (dated, undated): (Vec<Hit>, Vec<Hit>) =
        all.hits.into_iter().partition(|h| h.capture.is_some());
    let entries: Vec<Hit> =
        dated.into_iter().skip(opts.offset).take(opts.limit.unwrap_or(usize::MAX)).collect();
    let mut contradictions = BTreeMap::new();
    for h in &entries {
        let lines = contradicting(h);
        if !lines.is_empty() {
            contradictions.insert(h.item, lines);
        }
    }
    Ok(TimelineReport { entries, total: all.total, undated: undated.len(), contradictions })
}

/// The current claims of a hit that disagree with each other, described
/// (every capture time and every place when its flags name a time or place
/// rule).
fn contradicting(h: &Hit) -> Vec<String> {
    let rules = |kind: &str| match kind {
        "capture-time" => h.flags.iter().any(|f| f.contains("time") || f == "authors-disagree"),
        _ => h.flags.iter().any(|f| f.contains("location") || f == "authors-disagree"),
    };
    let mut out = Vec::new();
    for kind in ["capture-time", "location"] {
        let of: Vec<&CurrentClaim> =
            h.claims.iter().filter(|c| c.value.kind().name() == kind).collect();
        if of.len() > 1 && rules(kind) {
            out.extend(
                of.iter()
                    .map(|c| format!("claim {} ({}): {}", c.claim, c.basis, c.value.describe())),
            );
        }
    }
    out
}

/// Rebuild the search indexes from the envelopes and stored objects.
pub fn reindex(archive: &mut Archive) -> Result<Reindexed> {
    let tx = archive.db.tx()?;
    let r = index::reindex(&tx, &archive.store)?;
    tx.commit()?;
    Ok(r)
}
