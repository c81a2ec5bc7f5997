//! The one parser of claim input: named text fields — command-line flags
//! (`--source-url`), CSV manifest columns (`source_url`) or `custody claim`
//! flags — turned into checked claim values, one function per kind, naming
//! the field of every error. `FIELDS` is the single list of those names:
//! the binary builds its flags from it and the manifest its columns.
//!
//! Must not: touch the database or keys; resolve item references itself
//! (the caller passes a resolver for `related_to`).

use std::collections::BTreeMap;

use serde::Serialize;
use strum::VariantNames;

use super::{
    Acquisition, CaptureTime, ClaimValue, Confidence, Description, Kind, Location, Precision,
    Relation, RelationKind, Source, Verdict, Verification, check_accuracy, check_altitude,
    check_lat, check_lon,
};
use crate::clock::parse_instant;
use crate::id::DigestSet;
use crate::text::quoted;

/// One named input field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its name: the manifest column, and the flag with `-` for `_`.
    pub name: &'static str,
    /// The kind of claim it feeds (`None`: shared, see `method` and `note`).
    pub kind: Option<Kind>,
    /// What it is, for `--help` and the README.
    pub help: &'static str,
    /// Its value may start with `-` (a negative number).
    pub signed_number: bool,
    /// Other flag names for it.
    pub aliases: &'static [&'static str],
}

const fn field(name: &'static str, kind: Option<Kind>, help: &'static str) -> Field {
    Field { name, kind, help, signed_number: false, aliases: &[] }
}

const fn number(name: &'static str, help: &'static str, aliases: &'static [&'static str]) -> Field {
    Field { name, kind: Some(Kind::Location), help, signed_number: true, aliases }
}

/// Every claim field, in `--help` order.
pub const FIELDS: &[Field] = &[
    field("source_url", Some(Kind::Source), "Where it was posted"),
    field("platform", Some(Kind::Source), "Platform: telegram, x, youtube, …"),
    field("account", Some(Kind::Source), "Channel or account"),
    field("post_id", Some(Kind::Source), "Post id"),
    field("posted_at", Some(Kind::Source), "When it was posted, RFC 3339 with offset"),
    field("retrieved_at", Some(Kind::Source), "When it was retrieved, RFC 3339 with offset"),
    field("acquisition", Some(Kind::Source), "How it was acquired"),
    field(
        "captured_at",
        Some(Kind::CaptureTime),
        "Capture time, RFC 3339 with offset, or a date (YYYY-MM-DD: day precision)",
    ),
    field(
        "precision",
        Some(Kind::CaptureTime),
        "How precise it is [default: second; day for a date]",
    ),
    number("lat", "Latitude, decimal degrees north, WGS 84", &["latitude"]),
    number("lon", "Longitude, decimal degrees east, WGS 84", &["longitude"]),
    number("accuracy", "Accuracy radius in metres", &[]),
    number("altitude", "Altitude in metres", &[]),
    field("place", Some(Kind::Location), "Place name (alone: a location known only by name)"),
    field("description", Some(Kind::Description), "What it shows"),
    field("title", Some(Kind::Description), "Title"),
    field("tags", Some(Kind::Description), "Tags, separated by commas"),
    field("relation", Some(Kind::Relation), "How it relates to the other item"),
    field("related_to", Some(Kind::Relation), "The other item: number, UUID or blake3 prefix"),
    field("verdict", Some(Kind::Verification), "The verdict"),
    // Shared: at ingest `method` goes to the location and `note` to the source.
    field("method", None, "How it was established (location at ingest; location or verification)"),
    field("note", None, "Notes (source at ingest; source, relation or verification)"),
    field("confidence", None, "How sure the author is"),
];

impl Field {
    /// The names its value may take, when it is a choice.
    pub fn choices(&self) -> Option<&'static [&'static str]> {
        Some(match self.name {
            "acquisition" => Acquisition::VARIANTS,
            "precision" => Precision::VARIANTS,
            "relation" => RelationKind::VARIANTS,
            "verdict" => Verdict::VARIANTS,
            "confidence" => Confidence::VARIANTS,
            _ => return None,
        })
    }
}

/// "a, b, c or d".
pub fn one_of(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

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

/// The names of every field, for messages that list them.
pub fn names() -> String {
    FIELDS.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}

/// Something `related_to` names: an object, and the item when one was
/// named.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// The object.
    pub object: DigestSet,
    /// The item's UUID.
    pub item: Option<String>,
}

impl Fields {
    /// Set a field; empty values are ignored. Unknown names are an error
    /// (flag aliases such as `--latitude` are the binary's: they arrive
    /// under the field's name).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), FieldError> {
        if !FIELDS.iter().any(|f| f.name == name) {
            return Err(FieldError {
                field: name.into(),
                message: format!("unknown field {}; known: path, {}", quoted(name), names()),
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

    /// Whether any field feeding `kind` is set.
    fn has(&self, kind: Kind) -> bool {
        FIELDS.iter().any(|f| f.kind == Some(kind) && self.get(f.name).is_some())
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

/// The kinds collector claims at ingest may have.
const AT_INGEST: [Kind; 4] = [Kind::Source, Kind::CaptureTime, Kind::Location, Kind::Description];

/// The fields being parsed and the errors found so far.
struct Parse<'a> {
    f: &'a Fields,
    only: Option<Kind>,
    errs: Vec<FieldError>,
}

impl Parse<'_> {
    fn err(&mut self, field: &str, message: String) {
        self.errs.push(FieldError { field: field.into(), message });
    }

    fn text(&self, name: &str) -> Option<String> {
        self.f.get(name).map(str::to_owned)
    }

    fn allowed(&self) -> &[Kind] {
        match &self.only {
            Some(k) => std::slice::from_ref(k),
            None => &AT_INGEST,
        }
    }

    /// Whether a claim of `kind` is to be made.
    fn wants(&self, kind: Kind) -> bool {
        self.allowed().contains(&kind) && (self.only == Some(kind) || self.f.has(kind))
    }

    /// An RFC 3339 time field, checked.
    fn time(&mut self, name: &str) -> Option<String> {
        let v = self.f.get(name)?;
        match parse_instant(v) {
            Ok(_) => Some(v.to_owned()),
            Err(m) => {
                self.err(name, m);
                None
            }
        }
    }

    /// A choice field, by its kebab-case name (any case).
    fn choice<T: std::str::FromStr + VariantNames>(&mut self, name: &str) -> Option<T> {
        let v = self.f.get(name)?;
        match v.to_lowercase().parse() {
            Ok(x) => Some(x),
            Err(_) => {
                self.err(name, format!("{} is not one of: {}", quoted(v), one_of(T::VARIANTS)));
                None
            }
        }
    }

    /// A number field, checked by `check`.
    fn number(&mut self, name: &str, check: fn(f64) -> Result<(), String>) -> Option<f64> {
        let v = self.f.get(name)?;
        match v.parse::<f64>() {
            Ok(x) => match check(x) {
                Ok(()) => Some(x),
                Err(m) => {
                    self.err(name, m);
                    None
                }
            },
            Err(_) => {
                let m = format!(
                    "{} is not a number (decimal degrees or metres, e.g. 36.1993)",
                    quoted(v)
                );
                self.err(name, m);
                None
            }
        }
    }

    /// Fields of kinds that do not apply here.
    fn misplaced(&mut self) {
        let allowed = self.allowed().to_vec();
        for fd in FIELDS {
            if let (Some(k), Some(_)) = (fd.kind, self.f.get(fd.name))
                && !allowed.contains(&k)
            {
                let why = match self.only {
                    Some(o) => format!("does not apply to a {} claim", o.name()),
                    None => format!("{} claims are made with `custody claim`", k.name()),
                };
                self.err(fd.name, why);
            }
        }
    }

    /// `note` and `method` where they do not fit.
    fn misplaced_shared(&mut self) {
        match self.only {
            Some(k) => {
                if !matches!(k, Kind::Source | Kind::Relation | Kind::Verification)
                    && self.f.get("note").is_some()
                {
                    let m = format!("does not apply to a {} claim (use description)", k.name());
                    self.err("note", m);
                }
                if !matches!(k, Kind::Location | Kind::Verification)
                    && self.f.get("method").is_some()
                {
                    self.err("method", format!("does not apply to a {} claim", k.name()));
                }
            }
            None => {
                if self.f.get("method").is_some() && !self.f.has(Kind::Location) {
                    let m = "method describes a location here: give lat and lon too";
                    self.err("method", m.into());
                }
            }
        }
    }
}

/// Turn fields into claim values. With `only`, exactly one claim of that
/// kind (fields of other kinds are errors); without, one claim per kind
/// that has fields (collector claims at ingest: source, capture time,
/// location, description). `resolve` turns `related_to` into what it names.
pub fn parse_fields(
    f: &Fields,
    only: Option<Kind>,
    resolve: &dyn Fn(&str) -> Result<Related, String>,
) -> Result<Parsed, Vec<FieldError>> {
    let mut p = Parse { f, only, errs: Vec::new() };
    if only == Some(Kind::Credentials) {
        let why = "content credentials are read from a file's C2PA manifest at ingest, not \
                   asserted by hand (record a verdict with --kind verification)";
        p.err("kind", why.into());
        return Err(p.errs);
    }
    p.misplaced();
    let values: Vec<ClaimValue> = [
        source(&mut p),
        capture_time(&mut p),
        location(&mut p),
        description(&mut p),
        relation(&mut p, resolve),
        verification(&mut p),
    ]
    .into_iter()
    .flatten()
    .collect();
    p.misplaced_shared();
    let confidence = p.choice::<Confidence>("confidence");
    if only.is_none() && values.is_empty() && f.get("confidence").is_some() {
        p.err("confidence", "confidence needs a claim to qualify".into());
    }
    if p.errs.is_empty() { Ok(Parsed { values, confidence }) } else { Err(p.errs) }
}

fn source(p: &mut Parse<'_>) -> Option<ClaimValue> {
    // At ingest a lone `note` is the source's.
    if !(p.wants(Kind::Source) || (p.only.is_none() && p.f.get("note").is_some())) {
        return None;
    }
    let s = Source {
        url: p.text("source_url"),
        platform: p.f.get("platform").map(str::to_lowercase),
        account: p.text("account"),
        post_id: p.text("post_id"),
        posted_at: p.time("posted_at"),
        retrieved_at: p.time("retrieved_at"),
        acquisition: p.choice("acquisition"),
        notes: if p.only.unwrap_or(Kind::Source) == Kind::Source { p.text("note") } else { None },
    };
    if s == Source::default() && !p.f.has(Kind::Source) {
        p.err("source_url", "a source claim needs at least one source field".into());
    }
    Some(ClaimValue::Source(s))
}

fn capture_time(p: &mut Parse<'_>) -> Option<ClaimValue> {
    if !p.wants(Kind::CaptureTime) {
        return None;
    }
    let date = p.f.get("captured_at").and_then(super::date_only);
    let precision = match p.f.get("precision") {
        None if date.is_some() => Some(Precision::Day),
        None => Some(Precision::Second),
        Some(_) => p.choice("precision"),
    };
    if date.is_some() && precision.is_some_and(|x| x != Precision::Day) {
        p.err("precision", "a date alone (YYYY-MM-DD) has day precision".into());
        return None;
    }
    // A date alone is a day in an unknown zone.
    let at = if date.is_some() { p.text("captured_at") } else { p.time("captured_at") };
    if p.f.get("captured_at").is_none() {
        p.err("captured_at", "a capture-time claim needs captured_at".into());
    }
    let (at, precision) = (at?, precision?);
    let offset_unknown = date.is_some();
    Some(ClaimValue::CaptureTime(CaptureTime { at, precision, offset_unknown }))
}

fn location(p: &mut Parse<'_>) -> Option<ClaimValue> {
    if !p.wants(Kind::Location) {
        return None;
    }
    let lat = p.number("lat", check_lat);
    let lon = p.number("lon", check_lon);
    let accuracy_m = p.number("accuracy", check_accuracy);
    let altitude_m = p.number("altitude", check_altitude);
    let method =
        if p.only.unwrap_or(Kind::Location) == Kind::Location { p.text("method") } else { None };
    let place = p.text("place");
    let (has_lat, has_lon) = (p.f.get("lat").is_some(), p.f.get("lon").is_some());
    if !has_lat && !has_lon && place.is_some() {
        // A place known only by name.
        for name in ["accuracy", "altitude"] {
            if p.f.get(name).is_some() {
                p.err(name, "needs lat and lon (a place name alone has no radius)".into());
            }
        }
        let (lat, lon, accuracy_m, altitude_m) = (None, None, None, None);
        return Some(ClaimValue::Location(Location {
            lat,
            lon,
            accuracy_m,
            altitude_m,
            place,
            method,
        }));
    }
    for (name, has) in [("lat", has_lat), ("lon", has_lon)] {
        if !has {
            p.err(name, "a location needs both lat and lon (or only a place name)".into());
        }
    }
    Some(ClaimValue::Location(Location {
        lat: Some(lat?),
        lon: Some(lon?),
        accuracy_m,
        altitude_m,
        place,
        method,
    }))
}

fn description(p: &mut Parse<'_>) -> Option<ClaimValue> {
    if !p.wants(Kind::Description) {
        return None;
    }
    let tags = p
        .f
        .get("tags")
        .map(|t| t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let d = Description {
        title: p.text("title"),
        text: p.text("description"),
        tags,
        ..Description::default()
    };
    if d == Description::default() {
        p.err("description", "a description claim needs description, title or tags".into());
    }
    Some(ClaimValue::Description(d))
}

fn relation(
    p: &mut Parse<'_>,
    resolve: &dyn Fn(&str) -> Result<Related, String>,
) -> Option<ClaimValue> {
    if !p.wants(Kind::Relation) {
        return None;
    }
    let relation = p.choice::<RelationKind>("relation");
    if p.f.get("relation").is_none() {
        p.err("relation", "a relation claim needs relation".into());
    }
    let object = match p.f.get("related_to") {
        None => {
            p.err("related_to", "a relation claim needs related_to (the other item)".into());
            None
        }
        Some(v) => resolve(v).map_err(|m| p.err("related_to", m)).ok(),
    };
    let Related { object, item } = object?;
    Some(ClaimValue::Relation(Relation {
        relation: relation?,
        object,
        item,
        notes: p.text("note"),
    }))
}

fn verification(p: &mut Parse<'_>) -> Option<ClaimValue> {
    if !p.wants(Kind::Verification) {
        return None;
    }
    let verdict = p.choice::<Verdict>("verdict");
    if p.f.get("verdict").is_none() {
        p.err("verdict", "a verification claim needs verdict".into());
    }
    if p.f.get("method").is_none() {
        p.err("method", "a verification claim needs method (how it was verified)".into());
    }
    Some(ClaimValue::Verification(Verification {
        verdict: verdict?,
        method: p.text("method")?,
        notes: p.text("note"),
    }))
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

    fn no_resolve(_: &str) -> Result<Related, String> {
        Err("no archive".into())
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
    fn a_place_alone_a_date_alone_and_aliases() {
        let p = parse_fields(&fields(&[("place", "حلب")]), None, &no_resolve).unwrap();
        let [ClaimValue::Location(l)] = &p.values[..] else { panic!("{p:?}") };
        assert_eq!((l.lat, l.place.as_deref()), (None, Some("حلب")));
        let errs = parse_fields(&fields(&[("place", "x"), ("accuracy", "10")]), None, &no_resolve)
            .unwrap_err();
        assert_eq!(errs[0].field, "accuracy");
        let p = parse_fields(&fields(&[("captured_at", "2024-11-30")]), None, &no_resolve).unwrap();
        let [ClaimValue::CaptureTime(t)] = &p.values[..] else { panic!("{p:?}") };
        assert_eq!((t.at.as_str(), t.precision), ("2024-11-30", Precision::Day));
        let (lo, hi) = t.window().unwrap();
        assert_eq!((hi - lo).whole_hours(), 24 + 26);
        let errs = parse_fields(
            &fields(&[("captured_at", "2024-11-30"), ("precision", "second")]),
            None,
            &no_resolve,
        )
        .unwrap_err();
        assert!(errs[0].message.contains("day precision"), "{errs:?}");
        let lat = FIELDS.iter().find(|f| f.name == "lat").unwrap();
        assert_eq!(lat.aliases, ["latitude"]);
    }

    #[test]
    fn choices_are_listed_from_the_enums() {
        let errs =
            parse_fields(&fields(&[("acquisition", "stolen")]), None, &no_resolve).unwrap_err();
        assert_eq!(
            errs[0].message,
            "\"stolen\" is not one of: download, screen-recording, screenshot, handover, \
             direct-capture or other"
        );
        assert_eq!(
            FIELDS.iter().find(|f| f.name == "verdict").unwrap().choices().unwrap(),
            ["confirmed", "probable", "unverified", "disputed", "false"]
        );
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
}
