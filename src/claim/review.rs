//! Reading an object's claims as an investigator would: which claims are
//! superseded and by whom, the one rule for who may supersede what (the
//! write path and the audit both apply it), and the discrepancies to look
//! at (embedded position far from a stated one, capture after posting or
//! after ingest, capture in the future or before digital cameras, authors
//! who disagree).
//!
//! Must not: verify signatures or read the database; it reasons over claims
//! (or claim rows) the caller already has.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::{Basis, ClaimValue, CredentialState, Kind, distance_m};
use crate::db::ClaimRow;

/// Capture times before this are flagged: no digital camera existed
/// (Kodak's first prototype is from December 1975; the flag starts at the
/// year's beginning to leave no room for argument).
pub const EARLIEST_DIGITAL: OffsetDateTime = time::macros::datetime!(1975-01-01 0:00 UTC);
/// Embedded capture times before this are flagged: a file's own clock
/// (the first consumer digital camera, the Dycam Model 1, is from 1990) —
/// what a device writes when its clock was never set (1980-01-01, or
/// QuickTime's zero, 1904-01-01) or what a re-dated file says.
pub const EARLIEST_DEVICE: OffsetDateTime = time::macros::datetime!(1990-01-01 0:00 UTC);
/// A time after every capture: `discrepancies` asked "as of" it leaves out
/// the rules that depend on when one asks (capture in the future).
pub const END_OF_TIME: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);
/// Distance added to the larger accuracy radius before positions disagree.
pub const LOCATION_SLACK_M: f64 = 1000.0;

/// One claim, as the review needs it.
#[derive(Debug, Clone)]
pub struct Reviewed<'a> {
    /// Claim number.
    pub id: i64,
    /// Its UUID.
    pub uuid: &'a str,
    /// Author key id.
    pub author: &'a str,
    /// Basis.
    pub basis: Basis,
    /// When it was signed (RFC 3339; for an embedded claim, the ingest).
    pub signed_at: &'a str,
    /// The UUID it supersedes.
    pub supersedes: Option<&'a str>,
    /// The value.
    pub value: &'a ClaimValue,
}

/// Something an investigator must look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Discrepancy {
    /// Which rule: `embedded-location-far`, `embedded-time-differs`,
    /// `embedded-blocks-disagree`,
    /// `captured-after-posted`, `captured-after-ingest`, `capture-in-future`,
    /// `capture-before-digital`, `credentials-invalid`,
    /// `authors-disagree`.
    pub rule: &'static str,
    /// The claims involved (numbers).
    pub claims: Vec<i64>,
    /// What disagrees, with the figures.
    pub message: String,
}

/// A claim as far as supersession goes: its UUID and the UUID it names.
pub trait Link {
    /// Its UUID.
    fn uuid(&self) -> &str;
    /// The UUID of the claim it supersedes.
    fn supersedes(&self) -> Option<&str>;
}

impl Link for Reviewed<'_> {
    fn uuid(&self) -> &str {
        self.uuid
    }
    fn supersedes(&self) -> Option<&str> {
        self.supersedes
    }
}

impl Link for ClaimRow {
    fn uuid(&self) -> &str {
        &self.claim_uuid
    }
    fn supersedes(&self) -> Option<&str> {
        self.supersedes.as_deref()
    }
}

/// Who supersedes whom among a set of claims (built once, asked many
/// times: the audit asks it for every claim of the archive).
pub struct Supersessions<'a, T>(HashMap<&'a str, Vec<&'a T>>);

impl<'a, T: Link> Supersessions<'a, T> {
    /// Index `all`.
    pub fn of(all: &'a [T]) -> Self {
        let mut by = HashMap::<&str, Vec<&T>>::new();
        for c in all {
            if let Some(target) = c.supersedes() {
                by.entry(target).or_default().push(c);
            }
        }
        Supersessions(by)
    }

    /// The claims that supersede the claim `uuid` (normally none or one).
    pub fn of_claim(&self, uuid: &str) -> &[&'a T] {
        self.0.get(uuid).map_or(&[], Vec::as_slice)
    }

    /// The first claim that supersedes `uuid`, if any.
    pub fn superseded_by(&self, uuid: &str) -> Option<&'a T> {
        self.of_claim(uuid).first().copied()
    }
}

/// Claims not superseded by another claim in `all`.
pub fn current<'a, 'b>(all: &'b [Reviewed<'a>]) -> Vec<&'b Reviewed<'a>> {
    let by = Supersessions::of(all);
    all.iter().filter(|c| by.superseded_by(c.uuid).is_none()).collect()
}

/// What supersession depends on about a claim (made or to be made).
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    /// Its number (for a claim not made yet: `i64::MAX`, it will be last).
    pub id: i64,
    /// The object it is about (BLAKE3 hex).
    pub object: &'a str,
    /// Its kind's name.
    pub kind: &'a str,
    /// Its basis's name.
    pub basis: &'a str,
    /// Its author's key id.
    pub author: &'a str,
}

/// Why a claim may not supersede another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The target is about another object.
    OtherObject,
    /// The target is of another kind (its kind).
    OtherKind(String),
    /// The target was read from the file itself.
    Embedded,
    /// The target is another author's (their key id).
    OtherAuthor(String),
    /// The target is already superseded (by these claims).
    AlreadySuperseded(Vec<i64>),
    /// The target was recorded after the claim that supersedes it.
    NotEarlier,
}

/// The one supersession rule: `new` may supersede `target` only when both
/// are about the same object and of the same kind, the target was not
/// read from the file, both have the same author (another author who
/// disagrees makes their own claim, so the disagreement stays visible),
/// nothing else supersedes it (`others`: the other claims that do), and
/// the target came first.
pub fn may_supersede(new: &Party<'_>, target: &Party<'_>, others: &[i64]) -> Result<(), Refusal> {
    if target.object != new.object {
        Err(Refusal::OtherObject)
    } else if target.kind != new.kind {
        Err(Refusal::OtherKind(target.kind.to_owned()))
    } else if target.basis == Basis::Embedded.name() {
        Err(Refusal::Embedded)
    } else if target.author != new.author {
        Err(Refusal::OtherAuthor(target.author.to_owned()))
    } else if !others.is_empty() {
        Err(Refusal::AlreadySuperseded(others.to_vec()))
    } else if target.id >= new.id {
        Err(Refusal::NotEarlier)
    } else {
        Ok(())
    }
}

/// The discrepancies among the current claims of one object.
pub fn discrepancies(all: &[Reviewed<'_>], now: OffsetDateTime) -> Vec<Discrepancy> {
    let cur = current(all);
    let mut out = Vec::new();
    for (i, a) in cur.iter().enumerate() {
        if let ClaimValue::CaptureTime(t) = a.value {
            out.extend(implausible(a, t, now));
        }
        if let ClaimValue::Credentials(c) = a.value
            && c.state == CredentialState::Invalid
        {
            out.push(Discrepancy {
                rule: "credentials-invalid",
                claims: vec![a.id],
                message: format!(
                    "the file's C2PA content credentials do not validate ({}): it was changed \
                     after signing, or the manifest is broken",
                    c.failures.join(", ")
                ),
            });
        }
        for b in &cur[i + 1..] {
            if let Some(d) = pair(a, b) {
                out.push(d);
            }
        }
    }
    out
}

/// What is implausible about one capture-time claim on its own: a time
/// after now, or (embedded) after the ingest that read it; a time before
/// digital cameras, or (embedded) before a device could have written it.
fn implausible(a: &Reviewed<'_>, t: &super::CaptureTime, now: OffsetDateTime) -> Vec<Discrepancy> {
    let Ok((lo, hi)) = t.window() else { return Vec::new() };
    let embedded = a.basis == Basis::Embedded;
    let one = |rule, message| Discrepancy { rule, claims: vec![a.id], message };
    let mut out = Vec::new();
    if lo > now {
        out.push(one("capture-in-future", format!("capture time {} is in the future", t.at)));
    }
    let ingested = crate::clock::parse_instant(a.signed_at).ok().filter(|_| embedded);
    if let Some(ingested) = ingested.filter(|at| lo > *at) {
        out.push(one(
            "captured-after-ingest",
            format!(
                "embedded capture time {} is after the file was ingested ({})",
                t.at,
                crate::clock::rfc3339(ingested)
            ),
        ));
    }
    if hi < EARLIEST_DIGITAL {
        out.push(one(
            "capture-before-digital",
            format!("capture time {} is before digital cameras existed (1975)", t.at),
        ));
    } else if embedded && hi < EARLIEST_DEVICE {
        out.push(one(
            "capture-before-digital",
            format!(
                "embedded capture time {} is before 1990: a device clock never set, or a \
                 re-dated file",
                t.at
            ),
        ));
    }
    out
}

/// Which rule two disagreeing claims break: `against_embedded` when one of
/// them is embedded, `embedded-blocks-disagree` when both are (two blocks
/// of one file), else `authors-disagree`.
fn rule(embedded: bool, blocks: bool, against_embedded: &'static str) -> &'static str {
    if embedded {
        against_embedded
    } else if blocks {
        "embedded-blocks-disagree"
    } else {
        "authors-disagree"
    }
}

/// The rule a pair of current claims breaks, if any.
fn pair(a: &Reviewed<'_>, b: &Reviewed<'_>) -> Option<Discrepancy> {
    let embedded_count = [a, b].iter().filter(|c| c.basis == Basis::Embedded).count();
    let embedded = embedded_count == 1;
    // Two blocks of one file (EXIF, XMP, IPTC, a container's own fields)
    // that disagree: each was read as written, and they cannot both hold.
    let blocks = embedded_count == 2;
    let ids = vec![a.id, b.id];
    match (a.value, b.value) {
        (ClaimValue::Location(x), ClaimValue::Location(y)) => {
            // A place known only by name is never compared by distance.
            let ((xa, xo), (ya, yo)) = ((x.lat?, x.lon?), (y.lat?, y.lon?));
            let d = distance_m((xa, xo), (ya, yo));
            let limit =
                x.accuracy_m.unwrap_or(0.0).max(y.accuracy_m.unwrap_or(0.0)) + LOCATION_SLACK_M;
            if d <= limit || !(embedded || blocks || a.author != b.author) {
                return None;
            }
            let rule = rule(embedded, blocks, "embedded-location-far");
            Some(Discrepancy {
                rule,
                claims: ids,
                message: format!(
                    "locations {:.5},{:.5} and {:.5},{:.5} are {:.0} m apart (more than the larger \
                     accuracy radius plus 1 km: {:.0} m)",
                    xa, xo, ya, yo, d, limit
                ),
            })
        }
        (ClaimValue::CaptureTime(t), ClaimValue::Source(s))
        | (ClaimValue::Source(s), ClaimValue::CaptureTime(t)) => {
            let tc = if a.value.kind() == Kind::CaptureTime { a } else { b };
            let posted =
                s.posted_at.as_deref().and_then(|p| crate::clock::parse_instant(p).ok())?;
            let (lo, _) = t.window().ok()?;
            (tc.basis == Basis::Embedded && lo > posted).then(|| Discrepancy {
                rule: "captured-after-posted",
                claims: ids,
                message: format!(
                    "embedded capture time {} is after the source's posted-at time {}",
                    t.at,
                    s.posted_at.as_deref().unwrap_or_default()
                ),
            })
        }
        (ClaimValue::CaptureTime(x), ClaimValue::CaptureTime(y)) => {
            let ((alo, ahi), (blo, bhi)) = (x.window().ok()?, y.window().ok()?);
            let disjoint = ahi < blo || bhi < alo;
            (disjoint && (embedded || blocks || a.author != b.author)).then(|| Discrepancy {
                rule: rule(embedded, blocks, "embedded-time-differs"),
                claims: ids,
                message: format!("capture times {} and {} cannot both hold", x.at, y.at),
            })
        }
        (ClaimValue::Verification(x), ClaimValue::Verification(y)) => {
            (a.author != b.author && x.verdict != y.verdict).then(|| Discrepancy {
                rule: "authors-disagree",
                claims: ids,
                message: format!("verdicts differ: {:?} and {:?}", x.verdict, y.verdict),
            })
        }
        (ClaimValue::Source(x), ClaimValue::Source(y)) => {
            let differ = |p: &Option<String>, q: &Option<String>| matches!((p, q), (Some(p), Some(q)) if p != q);
            let fields = [
                ("url", differ(&x.url, &y.url)),
                ("platform", differ(&x.platform, &y.platform)),
                ("account", differ(&x.account, &y.account)),
                ("post id", differ(&x.post_id, &y.post_id)),
                ("posted at", differ(&x.posted_at, &y.posted_at)),
            ];
            let which: Vec<&str> = fields.iter().filter(|f| f.1).map(|f| f.0).collect();
            (a.author != b.author && !which.is_empty()).then(|| Discrepancy {
                rule: "authors-disagree",
                claims: ids,
                message: format!("sources differ in {}", which.join(", ")),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::{CaptureTime, Location, Precision, Source, Verdict, Verification};

    fn loc(lat: f64, lon: f64, acc: Option<f64>) -> ClaimValue {
        ClaimValue::Location(Location {
            lat: Some(lat),
            lon: Some(lon),
            accuracy_m: acc,
            altitude_m: None,
            place: None,
            method: None,
        })
    }

    fn time(at: &str, offset_unknown: bool) -> ClaimValue {
        ClaimValue::CaptureTime(CaptureTime {
            at: at.into(),
            precision: Precision::Second,
            offset_unknown,
        })
    }

    fn posted(at: &str) -> ClaimValue {
        ClaimValue::Source(Source { posted_at: Some(at.into()), ..Source::default() })
    }

    fn rev<'a>(
        id: i64,
        uuid: &'a str,
        author: &'a str,
        basis: Basis,
        v: &'a ClaimValue,
    ) -> Reviewed<'a> {
        Reviewed { id, uuid, author, basis, signed_at: SIGNED, supersedes: None, value: v }
    }

    const NOW: OffsetDateTime = time::macros::datetime!(2026-11-24 12:00 UTC);
    const SIGNED: &str = "2025-01-10T09:00:00Z";

    fn rules(all: &[Reviewed<'_>]) -> Vec<&'static str> {
        discrepancies(all, NOW).into_iter().map(|d| d.rule).collect()
    }

    #[test]
    fn embedded_location_far_both_ways() {
        // Citadel vs. Umayyad Mosque: ~600 m apart; within 1 km slack.
        let (e, c) = (loc(36.1993, 37.1627, None), loc(36.1990, 37.1566, Some(20.0)));
        let all = [rev(1, "a", "k", Basis::Embedded, &e), rev(2, "b", "k", Basis::Claimed, &c)];
        assert!(rules(&all).is_empty());
        // Citadel vs. Idlib (~55 km): flagged, same author or not.
        let far = loc(35.9306, 36.6339, Some(500.0));
        let all = [rev(1, "a", "k", Basis::Embedded, &e), rev(2, "b", "k", Basis::Analyst, &far)];
        assert_eq!(rules(&all), ["embedded-location-far"]);
        // A wide accuracy radius absorbs the distance.
        let wide = loc(35.9306, 36.6339, Some(60_000.0));
        let all = [rev(1, "a", "k", Basis::Embedded, &e), rev(2, "b", "k", Basis::Claimed, &wide)];
        assert!(rules(&all).is_empty());
    }

    #[test]
    fn captured_after_posted_both_ways() {
        let p = posted("2024-11-29T15:00:00+03:00");
        let before = time("2024-11-29T14:03:00+03:00", false);
        let after = time("2024-11-29T16:03:00+03:00", false);
        let ok = [rev(1, "a", "k", Basis::Embedded, &before), rev(2, "b", "k", Basis::Claimed, &p)];
        assert!(rules(&ok).is_empty());
        let bad = [rev(1, "a", "k", Basis::Embedded, &after), rev(2, "b", "k", Basis::Claimed, &p)];
        assert_eq!(rules(&bad), ["captured-after-posted"]);
        // Offset unknown: 16:03 local could be 02:03Z, before the posting.
        let local = time("2024-11-29T16:03:00", true);
        let ok = [rev(1, "a", "k", Basis::Embedded, &local), rev(2, "b", "k", Basis::Claimed, &p)];
        assert!(rules(&ok).is_empty());
        // ... but a local time a day after the posting cannot be.
        let late = time("2024-11-30T16:03:00", true);
        let bad = [rev(1, "a", "k", Basis::Embedded, &late), rev(2, "b", "k", Basis::Claimed, &p)];
        assert_eq!(rules(&bad), ["captured-after-posted"]);
    }

    #[test]
    fn embedded_time_differs_both_ways() {
        let embedded = time("2024-11-29T16:30:12+03:00", false);
        let close = time("2024-11-29T16:30:12.5+03:00", false);
        let far = time("2024-11-28T10:00:00+03:00", false);
        let ok = [
            rev(1, "a", "k", Basis::Embedded, &embedded),
            rev(2, "b", "k", Basis::Claimed, &close),
        ];
        assert!(rules(&ok).is_empty());
        let bad =
            [rev(1, "a", "k", Basis::Embedded, &embedded), rev(2, "b", "k", Basis::Claimed, &far)];
        assert_eq!(rules(&bad), ["embedded-time-differs"]);
    }

    #[test]
    fn embedded_blocks_that_disagree() {
        // EXIF and XMP of one file, same author (the ingest key): a day apart.
        let exif = time("2024-11-29T14:03:00+03:00", false);
        let xmp = time("2024-11-30T14:03:00+03:00", false);
        let same = time("2024-11-29T14:03:00", true);
        let bad =
            [rev(1, "a", "k", Basis::Embedded, &exif), rev(2, "b", "k", Basis::Embedded, &xmp)];
        assert_eq!(rules(&bad), ["embedded-blocks-disagree"]);
        // The same local time without its offset: both can hold.
        let ok =
            [rev(1, "a", "k", Basis::Embedded, &exif), rev(2, "b", "k", Basis::Embedded, &same)];
        assert!(rules(&ok).is_empty());
        let (e, far) = (loc(36.1993, 37.1627, None), loc(35.9306, 36.6339, Some(50.0)));
        let bad = [rev(1, "a", "k", Basis::Embedded, &e), rev(2, "b", "k", Basis::Embedded, &far)];
        assert_eq!(rules(&bad), ["embedded-blocks-disagree"]);
    }

    #[test]
    fn capture_in_future_or_before_digital() {
        let ok = time("2024-11-29T14:03:00+03:00", false);
        assert!(rules(&[rev(1, "a", "k", Basis::Claimed, &ok)]).is_empty());
        let future = time("2027-01-01T00:00:00Z", false);
        assert_eq!(rules(&[rev(1, "a", "k", Basis::Claimed, &future)]), ["capture-in-future"]);
        let old = time("1904-01-01T00:00:00Z", false);
        assert_eq!(rules(&[rev(1, "a", "k", Basis::Embedded, &old)]), ["capture-before-digital"]);
        // A device's clock before 1990: only what the file says is judged so.
        let unset = time("1980-01-01T00:00:00", true);
        assert_eq!(rules(&[rev(1, "a", "k", Basis::Embedded, &unset)]), ["capture-before-digital"]);
        assert!(rules(&[rev(1, "a", "k", Basis::Claimed, &unset)]).is_empty());
        let first = time("1990-01-01T00:00:00Z", false);
        assert!(rules(&[rev(1, "a", "k", Basis::Embedded, &first)]).is_empty());
    }

    #[test]
    fn embedded_capture_after_its_ingest() {
        // Signed (ingested) 2025-01-10T09:00Z; a file dated an hour later.
        let late = time("2025-01-10T10:00:00Z", false);
        assert_eq!(rules(&[rev(1, "a", "k", Basis::Embedded, &late)]), ["captured-after-ingest"]);
        // An analyst may state a time after signing only as "in the future".
        assert!(rules(&[rev(1, "a", "k", Basis::Analyst, &late)]).is_empty());
        // With no offset, some reading (up to +14:00) puts it before: not flagged.
        let local = time("2025-01-10T10:00:00", true);
        assert!(rules(&[rev(1, "a", "k", Basis::Embedded, &local)]).is_empty());
        let before = time("2025-01-10T08:59:59Z", false);
        assert!(rules(&[rev(1, "a", "k", Basis::Embedded, &before)]).is_empty());
    }

    #[test]
    fn supersession_rule() {
        let mine = |id, basis| Party { id, object: "o", kind: "location", basis, author: "k" };
        let new = mine(9, "analyst");
        assert_eq!(may_supersede(&new, &mine(3, "analyst"), &[]), Ok(()));
        assert_eq!(may_supersede(&new, &mine(3, "embedded"), &[]), Err(Refusal::Embedded));
        let theirs = Party { author: "k2", ..mine(3, "claimed") };
        assert_eq!(may_supersede(&new, &theirs, &[]), Err(Refusal::OtherAuthor("k2".into())));
        let other = Party { object: "p", ..mine(3, "claimed") };
        assert_eq!(may_supersede(&new, &other, &[]), Err(Refusal::OtherObject));
        let kind = Party { kind: "source", ..mine(3, "claimed") };
        assert_eq!(may_supersede(&new, &kind, &[]), Err(Refusal::OtherKind("source".into())));
        assert_eq!(
            may_supersede(&new, &mine(3, "claimed"), &[5]),
            Err(Refusal::AlreadySuperseded(vec![5]))
        );
        assert_eq!(may_supersede(&new, &mine(10, "claimed"), &[]), Err(Refusal::NotEarlier));
    }

    #[test]
    fn authors_disagree_only_when_current_and_different() {
        let v = |verdict| {
            ClaimValue::Verification(Verification { verdict, method: "m".into(), notes: None })
        };
        let (x, y) = (v(Verdict::Confirmed), v(Verdict::False));
        let two = [rev(1, "a", "k1", Basis::Analyst, &x), rev(2, "b", "k2", Basis::Analyst, &y)];
        assert_eq!(rules(&two), ["authors-disagree"]);
        let same = [rev(1, "a", "k1", Basis::Analyst, &x), rev(2, "b", "k1", Basis::Analyst, &y)];
        assert!(rules(&same).is_empty());
        let agree = [rev(1, "a", "k1", Basis::Analyst, &x), rev(2, "b", "k2", Basis::Analyst, &x)];
        assert!(rules(&agree).is_empty());
        // Superseded: the old verdict no longer counts.
        let mut sup = two.clone();
        sup[1].supersedes = Some("a");
        assert!(rules(&sup).is_empty());
        assert_eq!(current(&sup).len(), 1);
        let (l1, l2) = (loc(36.2, 37.16, None), loc(35.93, 36.63, None));
        let locs = [rev(1, "a", "k1", Basis::Claimed, &l1), rev(2, "b", "k2", Basis::Analyst, &l2)];
        assert_eq!(rules(&locs), ["authors-disagree"]);
    }
}
