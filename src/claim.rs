//! Provenance claims: the signed predicate (`claim/v1`), its six kinds
//! (source, capture time, location, description, relation, verification),
//! the rules every value obeys, and the one parser that turns named text
//! fields — from command-line flags, a CSV manifest row or `custody claim` —
//! into checked claim values, naming the field of every error.
//!
//! Must not: touch the database, the store or keys; decide what is current
//! (that is `claim::review`).

pub mod review;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::record::DigestSet;

/// Predicate type of claim records (documented in schema/FORMAT.md).
pub const CLAIM_PREDICATE: &str = "https://custody.invalid/predicates/claim/v1";

/// What a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
}

/// Every kind, in display order.
pub const KINDS: [Kind; 6] = [
    Kind::Source,
    Kind::CaptureTime,
    Kind::Location,
    Kind::Description,
    Kind::Relation,
    Kind::Verification,
];

/// On what the claim rests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// How sure the author is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// How the file was acquired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// How precise a capture time is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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

/// A relation between two objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RelationKind {
    /// The same content (e.g. re-uploaded unchanged).
    DuplicateOf,
    /// Made from the other (re-encode, crop, screenshot…).
    DerivedFrom,
    /// Shows the same event.
    SameEventAs,
}

/// A verification verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// (`offset_unknown`), a local date-time without one.
    pub at: String,
    /// Precision.
    pub precision: Precision,
    /// True when only the local time is known (EXIF without OffsetTime).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offset_unknown: bool,
}

/// Where something was captured (WGS 84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
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
}

/// A relation to another object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Which relation.
    pub relation: RelationKind,
    /// The other object.
    pub object: DigestSet,
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
}

impl ClaimValue {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            ClaimValue::Source(_) => Kind::Source,
            ClaimValue::CaptureTime(_) => Kind::CaptureTime,
            ClaimValue::Location(_) => Kind::Location,
            ClaimValue::Description(_) => Kind::Description,
            ClaimValue::Relation(_) => Kind::Relation,
            ClaimValue::Verification(_) => Kind::Verification,
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
                check_lat(l.lat)?;
                check_lon(l.lon)?;
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

/// Parse an RFC 3339 instant, which must carry an offset and lie within
/// years 1..9998 (so that any window around it stays in the calendar).
pub fn parse_instant(s: &str) -> Result<OffsetDateTime, String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        let hint = if time::PrimitiveDateTime::parse(
            s,
            &time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
        .is_ok()
        {
            "a time without an offset: add one, e.g. 2024-11-29T14:03:00+03:00 or …Z for UTC"
        } else {
            "not an RFC 3339 time: write e.g. 2024-11-29T14:03:00+03:00"
        };
        format!("{s:?} is {hint}")
    })?;
    if !(1..=9998).contains(&t.year()) || t.checked_to_offset(time::UtcOffset::UTC).is_none() {
        return Err(format!("{s:?} is outside the years 1 to 9998"));
    }
    Ok(t)
}

fn check_lat(v: f64) -> Result<(), String> {
    if v.is_finite() && (-90.0..=90.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("latitude {v} is outside -90..90 (degrees north, WGS 84)"))
    }
}

fn check_lon(v: f64) -> Result<(), String> {
    if v.is_finite() && (-180.0..=180.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("longitude {v} is outside -180..180 (degrees east, WGS 84)"))
    }
}

fn check_accuracy(v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 && v <= 20_000_000.0 {
        Ok(())
    } else {
        Err(format!("accuracy {v} must be a radius in metres, above 0 and at most 20000000"))
    }
}

fn check_altitude(v: f64) -> Result<(), String> {
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

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) =
        (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

/// A named input field, as a flag (`--source-url`) and a manifest column
/// (`source_url`): (name, the kind it feeds, help).
pub const FIELDS: &[(&str, Option<Kind>, &str)] = &[
    ("source_url", Some(Kind::Source), "where it was posted"),
    ("platform", Some(Kind::Source), "platform (telegram, x, youtube, …)"),
    ("account", Some(Kind::Source), "channel or account"),
    ("post_id", Some(Kind::Source), "post id on the platform"),
    ("posted_at", Some(Kind::Source), "when it was posted (RFC 3339 with offset)"),
    ("retrieved_at", Some(Kind::Source), "when it was retrieved (RFC 3339 with offset)"),
    (
        "acquisition",
        Some(Kind::Source),
        "download, screen-recording, screenshot, handover, direct-capture or other",
    ),
    ("captured_at", Some(Kind::CaptureTime), "capture time (RFC 3339 with offset)"),
    ("precision", Some(Kind::CaptureTime), "second (default), minute, day or approximate"),
    ("lat", Some(Kind::Location), "latitude, degrees north (WGS 84)"),
    ("lon", Some(Kind::Location), "longitude, degrees east (WGS 84)"),
    ("accuracy", Some(Kind::Location), "accuracy radius in metres"),
    ("altitude", Some(Kind::Location), "altitude in metres"),
    ("place", Some(Kind::Location), "place name"),
    ("description", Some(Kind::Description), "what it shows"),
    ("title", Some(Kind::Description), "title"),
    ("tags", Some(Kind::Description), "tags, separated by commas"),
    ("relation", Some(Kind::Relation), "duplicate-of, derived-from or same-event-as"),
    ("related_to", Some(Kind::Relation), "the other item (number, UUID or hash prefix)"),
    ("verdict", Some(Kind::Verification), "confirmed, probable, unverified, disputed or false"),
    // Shared: at ingest `method` goes to the location and `note` to the source.
    ("method", None, "how it was established (location or verification)"),
    ("note", None, "notes (source, relation or verification)"),
    ("confidence", None, "low, medium or high"),
];

/// An input field's error: which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field (manifest column / flag without dashes).
    pub field: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// Named text fields (trimmed; empty values are absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(BTreeMap<String, String>);

impl Fields {
    /// Set a field; empty values are ignored. Unknown names are an error.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), FieldError> {
        if !FIELDS.iter().any(|(n, _, _)| *n == name) {
            return Err(FieldError {
                field: name.into(),
                message: format!(
                    "unknown field {name:?}; known: path, {}",
                    FIELDS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ")
                ),
            });
        }
        let v = value.trim();
        if !v.is_empty() {
            self.0.insert(name.into(), v.into());
        }
        Ok(())
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// What the fields become: claim values plus an optional confidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// Values, at most one per kind.
    pub values: Vec<ClaimValue>,
    /// Confidence for all of them.
    pub confidence: Option<Confidence>,
}

/// Turn fields into claim values. With `only`, exactly one claim of that
/// kind (fields of other kinds are errors); without, one claim per kind
/// that has fields (collector claims at ingest: source, capture time,
/// location, description). `resolve` turns `related_to` into digests.
pub fn parse_fields(
    f: &Fields,
    only: Option<Kind>,
    resolve: &dyn Fn(&str) -> Result<DigestSet, String>,
) -> Result<Parsed, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut err = |field: &str, message: String| {
        errs.push(FieldError { field: field.into(), message });
    };
    let allowed: &[Kind] = match &only {
        Some(k) => std::slice::from_ref(k),
        None => &[Kind::Source, Kind::CaptureTime, Kind::Location, Kind::Description],
    };
    for (name, kind, _) in FIELDS {
        if let (Some(k), Some(_)) = (kind, f.get(name))
            && !allowed.contains(k)
        {
            let why = match only {
                Some(o) => format!("does not apply to a {} claim", kind_name(o)),
                None => format!("{} claims are made with `custody claim`", kind_name(*k)),
            };
            err(name, why);
        }
    }
    let has = |k: Kind| FIELDS.iter().any(|(n, fk, _)| *fk == Some(k) && f.get(n).is_some());
    let wants = |k: Kind| allowed.contains(&k) && (only == Some(k) || has(k));
    let time_field = |name: &str, errs: &mut dyn FnMut(&str, String)| -> Option<String> {
        let v = f.get(name)?;
        match parse_instant(v) {
            Ok(_) => Some(v.to_owned()),
            Err(m) => {
                errs(name, m);
                None
            }
        }
    };
    let mut values = Vec::new();
    // `note` and `method` go to the claim they fit.
    let note_kind = only.unwrap_or(Kind::Source);
    let method_kind = only.unwrap_or(Kind::Location);
    let text = |name: &str| f.get(name).map(str::to_owned);
    if wants(Kind::Source) || (only.is_none() && f.get("note").is_some()) {
        let s = Source {
            url: text("source_url"),
            platform: f.get("platform").map(str::to_lowercase),
            account: text("account"),
            post_id: text("post_id"),
            posted_at: time_field("posted_at", &mut err),
            retrieved_at: time_field("retrieved_at", &mut err),
            acquisition: f.get("acquisition").and_then(|v| {
                enum_field(
                    v,
                    "acquisition",
                    &mut err,
                    "download, screen-recording, screenshot, handover, direct-capture or other",
                )
            }),
            notes: if note_kind == Kind::Source { text("note") } else { None },
        };
        if s == Source::default() && !has(Kind::Source) {
            err("source_url", "a source claim needs at least one source field".into());
        }
        values.push(ClaimValue::Source(s));
    }
    if wants(Kind::CaptureTime) {
        let precision = match f.get("precision") {
            None => Some(Precision::Second),
            Some(v) => enum_field(v, "precision", &mut err, "second, minute, day or approximate"),
        };
        match (time_field("captured_at", &mut err), f.get("captured_at"), precision) {
            (Some(at), _, Some(precision)) => values.push(ClaimValue::CaptureTime(CaptureTime {
                at,
                precision,
                offset_unknown: false,
            })),
            (_, None, _) => err("captured_at", "a capture-time claim needs captured_at".into()),
            _ => {}
        }
    }
    if wants(Kind::Location) {
        let num = |name: &str,
                   check: fn(f64) -> Result<(), String>,
                   err: &mut dyn FnMut(&str, String)| {
            let v = f.get(name)?;
            match v.parse::<f64>() {
                Ok(x) => match check(x) {
                    Ok(()) => Some(x),
                    Err(m) => {
                        err(name, m);
                        None
                    }
                },
                Err(_) => {
                    err(
                        name,
                        format!("{v:?} is not a number (decimal degrees or metres, e.g. 36.1993)"),
                    );
                    None
                }
            }
        };
        let lat = num("lat", check_lat, &mut err);
        let lon = num("lon", check_lon, &mut err);
        let accuracy_m = num("accuracy", check_accuracy, &mut err);
        let altitude_m = num("altitude", check_altitude, &mut err);
        for (name, v) in [("lat", f.get("lat")), ("lon", f.get("lon"))] {
            if v.is_none() {
                err(name, "a location needs both lat and lon".into());
            }
        }
        if let (Some(lat), Some(lon)) = (lat, lon) {
            values.push(ClaimValue::Location(Location {
                lat,
                lon,
                accuracy_m,
                altitude_m,
                place: text("place"),
                method: if method_kind == Kind::Location { text("method") } else { None },
            }));
        }
    }
    if wants(Kind::Description) {
        let d = Description {
            title: text("title"),
            text: text("description"),
            tags: f
                .get("tags")
                .map(|t| {
                    t.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            language: None,
            charset: None,
        };
        if d == Description::default() {
            err("description", "a description claim needs description, title or tags".into());
        }
        values.push(ClaimValue::Description(d));
    }
    if wants(Kind::Relation) {
        let relation = f.get("relation").and_then(|v| {
            enum_field(v, "relation", &mut err, "duplicate-of, derived-from or same-event-as")
        });
        if f.get("relation").is_none() {
            err("relation", "a relation claim needs relation".into());
        }
        let object = match f.get("related_to") {
            None => {
                err("related_to", "a relation claim needs related_to (the other item)".into());
                None
            }
            Some(v) => resolve(v).map_err(|m| err("related_to", m)).ok(),
        };
        if let (Some(relation), Some(object)) = (relation, object) {
            values.push(ClaimValue::Relation(Relation { relation, object, notes: text("note") }));
        }
    }
    if wants(Kind::Verification) {
        let verdict = f.get("verdict").and_then(|v| {
            enum_field(v, "verdict", &mut err, "confirmed, probable, unverified, disputed or false")
        });
        if f.get("verdict").is_none() {
            err("verdict", "a verification claim needs verdict".into());
        }
        if f.get("method").is_none() {
            err("method", "a verification claim needs method (how it was verified)".into());
        }
        if let (Some(verdict), Some(method)) = (verdict, text("method")) {
            values.push(ClaimValue::Verification(Verification {
                verdict,
                method,
                notes: text("note"),
            }));
        }
    }
    if let Some(k) = only {
        if !matches!(k, Kind::Source | Kind::Relation | Kind::Verification)
            && f.get("note").is_some()
        {
            err("note", format!("does not apply to a {} claim (use description)", kind_name(k)));
        }
        if !matches!(k, Kind::Location | Kind::Verification) && f.get("method").is_some() {
            err("method", format!("does not apply to a {} claim", kind_name(k)));
        }
    } else if f.get("method").is_some() && !has(Kind::Location) {
        err("method", "method describes a location here: give lat and lon too".into());
    }
    let confidence = f
        .get("confidence")
        .and_then(|v| enum_field(v, "confidence", &mut err, "low, medium or high"));
    if only.is_none() && values.is_empty() && f.get("confidence").is_some() {
        err("confidence", "confidence needs a claim to qualify".into());
    }
    if errs.is_empty() { Ok(Parsed { values, confidence }) } else { Err(errs) }
}

/// Parse a kebab-case enum value, recording an error naming the choices.
fn enum_field<T: serde::de::DeserializeOwned>(
    v: &str,
    name: &str,
    err: &mut dyn FnMut(&str, String),
    choices: &str,
) -> Option<T> {
    match serde_json::from_value(serde_json::Value::String(v.to_lowercase())) {
        Ok(x) => Some(x),
        Err(_) => {
            err(name, format!("{v:?} is not one of: {choices}"));
            None
        }
    }
}

/// The kebab-case name of a kind.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Source => "source",
        Kind::CaptureTime => "capture-time",
        Kind::Location => "location",
        Kind::Description => "description",
        Kind::Relation => "relation",
        Kind::Verification => "verification",
    }
}

/// The kebab-case name of a basis.
pub fn basis_name(b: Basis) -> &'static str {
    match b {
        Basis::Embedded => "embedded",
        Basis::Claimed => "claimed",
        Basis::Analyst => "analyst",
        Basis::Device => "device",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        let mut f = Fields::default();
        for (k, v) in pairs {
            f.set(k, v).unwrap();
        }
        f
    }

    fn no_resolve(_: &str) -> Result<DigestSet, String> {
        Err("no archive".into())
    }

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
    fn collector_fields_make_one_claim_per_kind() {
        let f = fields(&[
            ("source_url", "https://t.me/x/1"),
            ("platform", "Telegram"),
            ("captured_at", "2024-11-29T14:03:00+03:00"),
            ("lat", "36.1993"),
            ("lon", "37.1627"),
            ("method", "citadel outline"),
            ("note", "first upload"),
        ]);
        let p = parse_fields(&f, None, &no_resolve).unwrap();
        let kinds: Vec<Kind> = p.values.iter().map(ClaimValue::kind).collect();
        assert_eq!(kinds, [Kind::Source, Kind::CaptureTime, Kind::Location]);
        let ClaimValue::Source(s) = &p.values[0] else { panic!() };
        assert_eq!(s.platform.as_deref(), Some("telegram"));
        assert_eq!(s.notes.as_deref(), Some("first upload"));
        let ClaimValue::Location(l) = &p.values[2] else { panic!() };
        assert_eq!(l.method.as_deref(), Some("citadel outline"));
    }

    #[test]
    fn bad_fields_name_themselves() {
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case<'_>] = &[
            (&[("lat", "91"), ("lon", "37")], "lat", "outside -90..90"),
            (&[("lat", "36"), ("lon", "-181")], "lon", "outside -180..180"),
            (&[("lat", "north"), ("lon", "37")], "lat", "not a number"),
            (&[("lat", "36")], "lon", "needs both lat and lon"),
            (&[("lat", "NaN"), ("lon", "37")], "lat", "outside"),
            (&[("lat", "36"), ("lon", "37"), ("accuracy", "-5")], "accuracy", "above 0"),
            (&[("captured_at", "2024-11-29T14:03:00")], "captured_at", "without an offset"),
            (&[("captured_at", "yesterday")], "captured_at", "not an RFC 3339"),
            (&[("posted_at", "2024-11-29 14:03")], "posted_at", "not an RFC 3339"),
            (&[("acquisition", "stolen")], "acquisition", "not one of"),
            (&[("verdict", "true")], "verdict", "made with `custody claim`"),
            (&[("method", "x")], "method", "give lat and lon"),
        ];
        for (pairs, field, msg) in cases {
            let errs = parse_fields(&fields(pairs), None, &no_resolve).unwrap_err();
            assert!(
                errs.iter().any(|e| e.field == *field && e.message.contains(msg)),
                "{pairs:?}: {errs:?}"
            );
        }
        assert!(Fields::default().set("latitude", "1").is_err());
    }

    #[test]
    fn one_kind_only() {
        let f = fields(&[("verdict", "probable"), ("method", "shadows"), ("lat", "1")]);
        let errs = parse_fields(&f, Some(Kind::Verification), &no_resolve).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "lat");
        let f = fields(&[("verdict", "probable"), ("method", "shadows"), ("confidence", "high")]);
        let p = parse_fields(&f, Some(Kind::Verification), &no_resolve).unwrap();
        assert_eq!(p.confidence, Some(Confidence::High));
        assert!(parse_fields(&Fields::default(), Some(Kind::Location), &no_resolve).is_err());
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
        assert!(parse_instant("9999-12-31T23:59:59-01:00").is_err());
        assert!(parse_instant("0000-01-01T00:00:00Z").is_err());
    }
}
