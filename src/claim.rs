//! Provenance claims: the signed predicate (`claim/v1`), its six kinds
//! (source, capture time, location, description, relation, verification),
//! their bases, and the rules every value obeys. Every enum's name is its
//! kebab-case serde name, derived once (strum), so flags, manifest columns,
//! database columns and signed values all spell it the same.
//!
//! Beside it: `claim::fields` (the one parser of named text fields),
//! `claim::review` (current vs superseded, supersession, discrepancies)
//! and `claim::sign` (the one path that signs and records a claim).
//!
//! Must not: touch the database, the store or keys (only `claim::sign`
//! records, inside the caller's transaction).

pub mod fields;
pub mod review;
pub(crate) mod sign;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock::parse_instant;
use crate::id::DigestSet;

/// Predicate type of claim records (documented in schema/FORMAT.md).
pub const CLAIM_PREDICATE: &str = "https://custody.invalid/predicates/claim/v1";

/// The derives every claim enum has: serde and strum agree on kebab-case.
macro_rules! named_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident,)* }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            strum::IntoStaticStr, strum::EnumString, strum::EnumIter, strum::VariantNames,
        )]
        #[serde(rename_all = "kebab-case")]
        #[strum(serialize_all = "kebab-case")]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// The kebab-case name (as signed, stored and typed).
            pub fn name(self) -> &'static str {
                self.into()
            }
        }
    };
}

named_enum! {
/// What a claim is about (declared in display order).
pub enum Kind {
    /// Where the file came from.
    Source,
    /// When it was captured.
    CaptureTime,
    /// Where it was captured.
    Location,
    /// What it shows.
    Description,
    /// How it relates to another object.
    Relation,
    /// An investigator's verdict.
    Verification,
    /// What the file's C2PA Content Credentials say and whether they
    /// validate (read at ingest, never asserted by hand).
    Credentials,
}
}

named_enum! {
/// On what the claim rests.
pub enum Basis {
    /// Read from the file's own metadata.
    Embedded,
    /// Stated by the source or the collector.
    Claimed,
    /// An investigator's own analysis.
    Analyst,
    /// Recorded by the capturing device or app.
    Device,
}
}

named_enum! {
/// How sure the author is.
pub enum Confidence {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}
}

named_enum! {
/// How the file was acquired.
pub enum Acquisition {
    /// Downloaded from where it was posted.
    Download,
    /// Recorded from a screen while it played.
    ScreenRecording,
    /// A screenshot.
    Screenshot,
    /// Handed over (a drive, a phone, a message attachment).
    Handover,
    /// Captured by the collector themself.
    DirectCapture,
    /// Something else (say what in the notes).
    Other,
}
}

named_enum! {
/// How precise a capture time is.
pub enum Precision {
    /// To the second (or better).
    Second,
    /// To the minute.
    Minute,
    /// To the day.
    Day,
    /// Roughly (within a few days).
    Approximate,
}
}

named_enum! {
/// What validating a file's C2PA manifest store found.
pub enum CredentialState {
    /// Signature, certificate chain and hard binding hold, and the chain
    /// ends in one of the trust anchors given at ingest.
    Trusted,
    /// Signature and hard binding hold; the signer is not in the trust
    /// anchors (the usual state offline).
    Valid,
    /// The manifest does not validate: the bytes changed after signing, or
    /// a broken signature or binding (the failure codes say which).
    Invalid,
}
}

named_enum! {
/// A relation between two objects.
pub enum RelationKind {
    /// The same content (e.g. re-uploaded unchanged).
    DuplicateOf,
    /// Made from the other (re-encode, crop, screenshot…).
    DerivedFrom,
    /// Shows the same event.
    SameEventAs,
}
}

named_enum! {
/// A verification verdict.
pub enum Verdict {
    /// Confirmed.
    Confirmed,
    /// Probably true.
    Probable,
    /// Not (yet) verified.
    Unverified,
    /// Contested.
    Disputed,
    /// Shown to be false.
    False,
}
}

/// Source of a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Where it was posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Platform (free text, lowercase: telegram, x, youtube…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Channel or account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Post id on the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<String>,
    /// When it was posted (RFC 3339 with offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_at: Option<String>,
    /// When it was retrieved (RFC 3339 with offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieved_at: Option<String>,
    /// How it was acquired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<Acquisition>,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// When something was captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureTime {
    /// RFC 3339 with the original UTC offset; when the offset is unknown
    /// (`offset_unknown`), a local date-time without one; or a date alone
    /// (`YYYY-MM-DD`, day precision, in an unknown zone).
    pub at: String,
    /// Precision.
    pub precision: Precision,
    /// True when only the local time is known (EXIF without OffsetTime).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offset_unknown: bool,
}

/// Where something was captured (WGS 84): a position, or only a place's
/// name (researchers often know the place before the coordinates; such a
/// claim is found by name, never put on a map or compared by distance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, degrees north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, degrees east.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Accuracy radius in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// Altitude in metres above sea level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude_m: Option<f64>,
    /// Place name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// How the position was established.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// What a file shows or says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// Title (e.g. an HTML page's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Declared language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Declared character set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// Who made it, as the file names them (IPTC By-line, XMP `dc:creator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Who provides it (IPTC Credit and Source, XMP `photoshop:Credit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

/// A relation to another item (or object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Which relation.
    pub relation: RelationKind,
    /// The other object.
    pub object: DigestSet,
    /// The other item's UUID, when an item was named (two items of the same
    /// bytes may be duplicates of each other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Notes (e.g. "cropped and re-encoded").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A verification verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The verdict.
    pub verdict: Verdict,
    /// How it was reached.
    pub method: String,
    /// Notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A file's C2PA Content Credentials: its active manifest as read and
/// validated at ingest (`c2pa` crate). Valid or trusted: basis `device`;
/// invalid: basis `embedded` (what the file says, not what it proves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The validation state.
    pub state: CredentialState,
    /// The C2PA failure codes (`assertion.dataHash.mismatch`,
    /// `signingCredential.untrusted`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// The signing certificate's subject (common name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The signing certificate's issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// When it was signed, from the manifest's time-stamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at: Option<String>,
    /// The claim generator (the app or device that made the manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    /// The actions asserted (`c2pa.created`, `c2pa.edited`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
}

/// A claim's value, tagged by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum ClaimValue {
    /// Source.
    Source(Source),
    /// Capture time.
    CaptureTime(CaptureTime),
    /// Location.
    Location(Location),
    /// Description.
    Description(Description),
    /// Relation.
    Relation(Relation),
    /// Verification.
    Verification(Verification),
    /// C2PA Content Credentials.
    Credentials(Credentials),
}

impl ClaimValue {
    /// One line for the value, as every view tells it (not escaped:
    /// each output path escapes it for its own medium).
    pub fn describe(&self) -> String {
        let opt = |label: &str, o: &Option<String>| o.as_ref().map(|v| format!("{label} {v}"));
        let join =
            |parts: Vec<Option<String>>| parts.into_iter().flatten().collect::<Vec<_>>().join(", ");
        match self {
            ClaimValue::Source(x) => join(vec![
                opt("url", &x.url),
                opt("platform", &x.platform),
                opt("account", &x.account),
                opt("post", &x.post_id),
                opt("posted", &x.posted_at),
                opt("retrieved", &x.retrieved_at),
                x.acquisition.map(|a| format!("acquired by {}", a.name())),
                opt("notes:", &x.notes),
            ]),
            ClaimValue::CaptureTime(t) => format!(
                "captured {}{} (precision: {})",
                t.at,
                if t.offset_unknown { " local time, UTC offset unknown" } else { "" },
                t.precision.name()
            ),
            ClaimValue::Location(l) => join(vec![
                l.lat.zip(l.lon).map(|(lat, lon)| format!("at {lat:.6}, {lon:.6}")),
                l.accuracy_m.map(|a| format!("± {a} m")),
                l.altitude_m.map(|a| format!("altitude {a} m")),
                opt("place", &l.place),
                opt("method:", &l.method),
            ]),
            ClaimValue::Description(d) => join(vec![
                opt("title", &d.title),
                opt("text", &d.text),
                (!d.tags.is_empty()).then(|| format!("tags {}", d.tags.join(", "))),
                opt("language", &d.language),
                opt("charset", &d.charset),
                opt("by", &d.creator),
                opt("credit", &d.credit),
            ]),
            ClaimValue::Relation(r) => join(vec![
                Some(format!("{} object {}", r.relation.name(), r.object.blake3)),
                opt("item", &r.item),
                opt("notes:", &r.notes),
            ]),
            ClaimValue::Verification(x) => join(vec![
                Some(format!("verdict {}", x.verdict.name())),
                Some(format!("method: {}", x.method)),
                opt("notes:", &x.notes),
            ]),
            ClaimValue::Credentials(c) => join(vec![
                Some(format!("content credentials {}", c.state.name())),
                (!c.failures.is_empty()).then(|| format!("failures {}", c.failures.join(" "))),
                opt("signer", &c.signer),
                opt("issuer", &c.issuer),
                opt("signed", &c.signed_at),
                opt("generator", &c.generator),
                (!c.actions.is_empty()).then(|| format!("actions {}", c.actions.join(" "))),
            ]),
        }
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            ClaimValue::Source(_) => Kind::Source,
            ClaimValue::CaptureTime(_) => Kind::CaptureTime,
            ClaimValue::Location(_) => Kind::Location,
            ClaimValue::Description(_) => Kind::Description,
            ClaimValue::Relation(_) => Kind::Relation,
            ClaimValue::Verification(_) => Kind::Verification,
            ClaimValue::Credentials(_) => Kind::Credentials,
        }
    }

    /// Check the rules a signed value must obey (ranges, time syntax).
    pub fn check(&self) -> Result<(), String> {
        match self {
            ClaimValue::Source(s) => {
                if s == &Source::default() {
                    return Err("a source claim needs at least one field".into());
                }
                for t in [&s.posted_at, &s.retrieved_at].into_iter().flatten() {
                    parse_instant(t)?;
                }
                Ok(())
            }
            ClaimValue::CaptureTime(c) => c.window().map(|_| ()),
            ClaimValue::Location(l) => {
                match (l.lat, l.lon) {
                    (Some(lat), Some(lon)) => {
                        check_lat(lat)?;
                        check_lon(lon)?;
                    }
                    (None, None) => {
                        if l.place.as_deref().is_none_or(|p| p.trim().is_empty()) {
                            return Err("a location needs lat and lon, or a place name".into());
                        }
                        if l.accuracy_m.is_some() || l.altitude_m.is_some() {
                            return Err("accuracy and altitude need lat and lon".into());
                        }
                    }
                    _ => return Err("a location needs both lat and lon".into()),
                }
                if let Some(a) = l.accuracy_m {
                    check_accuracy(a)?;
                }
                if let Some(a) = l.altitude_m {
                    check_altitude(a)?;
                }
                Ok(())
            }
            ClaimValue::Relation(r) => {
                let hex = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
                if hex(&r.object.blake3) && hex(&r.object.sha256) {
                    Ok(())
                } else {
                    Err("the related object's digests are not 64 hex digits".into())
                }
            }
            ClaimValue::Credentials(c) => {
                if let Some(t) = &c.signed_at {
                    parse_instant(t)?;
                }
                match (c.state, c.failures.is_empty()) {
                    (CredentialState::Invalid, true) => {
                        Err("invalid content credentials name their failure codes".into())
                    }
                    (CredentialState::Trusted, false) => {
                        Err("trusted content credentials have no failure codes".into())
                    }
                    _ => Ok(()),
                }
            }
            ClaimValue::Description(_) | ClaimValue::Verification(_) => Ok(()),
        }
    }
}

/// The signed predicate of a claim record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimPredicate {
    /// The archive's id.
    pub archive_id: String,
    /// The claim's UUID.
    pub claim_id: String,
    /// When it was signed (RFC 3339 UTC; the signer's own clock).
    pub signed_at: String,
    /// The author's key id.
    pub author: String,
    /// Basis.
    pub basis: Basis,
    /// Confidence, where the author gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// The claim this one replaces (its UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// The item (acquisition) the claim was made with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The value.
    pub claim: ClaimValue,
    /// Raw values the claim was read from (embedded metadata), by field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, String>,
}

pub(crate) fn check_lat(v: f64) -> Result<(), String> {
    if v.is_finite() && (-90.0..=90.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("latitude {v} is outside -90..90 (degrees north, WGS 84)"))
    }
}

pub(crate) fn check_lon(v: f64) -> Result<(), String> {
    if v.is_finite() && (-180.0..=180.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("longitude {v} is outside -180..180 (degrees east, WGS 84)"))
    }
}

pub(crate) fn check_accuracy(v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 && v <= 20_000_000.0 {
        Ok(())
    } else {
        Err(format!("accuracy {v} must be a radius in metres, above 0 and at most 20000000"))
    }
}

pub(crate) fn check_altitude(v: f64) -> Result<(), String> {
    if v.is_finite() && (-12_000.0..=100_000.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("altitude {v} is not a plausible height in metres (-12000..100000)"))
    }
}

impl CaptureTime {
    /// The UTC interval the capture instant lies in, given its precision
    /// and (when the offset is unknown) every offset from -12:00 to +14:00.
    pub fn window(&self) -> Result<(OffsetDateTime, OffsetDateTime), String> {
        let slack = time::Duration::seconds(match self.precision {
            Precision::Second => 1,
            Precision::Minute => 60,
            Precision::Day => 86_400,
            Precision::Approximate => 3 * 86_400,
        });
        if let Some(day) = date_only(&self.at) {
            // A day in an unknown zone: any instant of that local day under
            // some offset from -12:00 to +14:00.
            let start = day.midnight().assume_utc();
            let lo = start.checked_sub(time::Duration::hours(14));
            let hi = start.checked_add(time::Duration::hours(24 + 12));
            return match (lo, hi) {
                (Some(lo), Some(hi)) if (2..=9998).contains(&day.year()) => Ok((lo, hi)),
                _ => Err(format!("{:?} is too close to the end of the calendar", self.at)),
            };
        }
        let (lo, hi) = if self.offset_unknown {
            let local = time::PrimitiveDateTime::parse(
                &self.at,
                &time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
                ),
            )
            .map_err(|_| format!("{:?} is not a local date-time (YYYY-MM-DDTHH:MM:SS)", self.at))?
            .assume_utc();
            (
                local.checked_sub(time::Duration::hours(14)),
                local.checked_add(time::Duration::hours(12)),
            )
        } else {
            let t = parse_instant(&self.at)?;
            (Some(t), Some(t))
        };
        match (lo.and_then(|t| t.checked_sub(slack)), hi.and_then(|t| t.checked_add(slack))) {
            (Some(lo), Some(hi)) => Ok((lo, hi)),
            _ => Err(format!("{:?} is too close to the end of the calendar", self.at)),
        }
    }
}

/// `YYYY-MM-DD` as a date (a capture time known only to the day).
pub fn date_only(s: &str) -> Option<time::Date> {
    if s.len() != 10 {
        return None;
    }
    time::Date::parse(s, &time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) =
        (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_known_answers() {
        // One degree of latitude is ~111.2 km on the mean sphere.
        let d = distance_m((36.0, 37.0), (37.0, 37.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(distance_m((36.1993, 37.1627), (36.1993, 37.1627)), 0.0);
        // Antipodes: half the circumference.
        let d = distance_m((0.0, 0.0), (0.0, 180.0));
        assert!((d - 20_015_115.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn names_are_the_signed_names() {
        assert_eq!(Kind::CaptureTime.name(), "capture-time");
        assert_eq!("capture-time".parse::<Kind>().unwrap(), Kind::CaptureTime);
        assert_eq!(Basis::Embedded.name(), "embedded");
        assert_eq!(serde_json::to_value(Kind::CaptureTime).unwrap(), "capture-time");
        use strum::IntoEnumIterator;
        let order: Vec<&str> = Kind::iter().map(Kind::name).collect();
        assert_eq!(
            order,
            [
                "source",
                "capture-time",
                "location",
                "description",
                "relation",
                "verification",
                "credentials"
            ]
        );
    }

    #[test]
    fn capture_windows() {
        let known = CaptureTime {
            at: "2024-11-29T14:03:00+03:00".into(),
            precision: Precision::Minute,
            offset_unknown: false,
        };
        let (lo, hi) = known.window().unwrap();
        assert_eq!((hi - lo).whole_seconds(), 120);
        let local = CaptureTime {
            at: "2024-11-29T14:03:00.25".into(),
            precision: Precision::Second,
            offset_unknown: true,
        };
        let (lo, hi) = local.window().unwrap();
        assert_eq!((hi - lo).whole_seconds(), 26 * 3600 + 2);
        // The calendar's edges are errors, never panics.
        let edge = CaptureTime { at: "9999-12-31T23:59:59".into(), ..local };
        assert!(edge.window().is_err());
    }
}
