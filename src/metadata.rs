//! Embedded metadata: what a file says about itself, turned into claim
//! values with the raw values they were read from.
//!
//! - photos (JPEG, TIFF, HEIF, PNG, WebP): EXIF through `kamadak-exif` —
//!   DateTimeOriginal + OffsetTimeOriginal + SubSecTimeOriginal, GPS
//!   position / altitude / positioning error / date-time, Make and Model;
//! - video (MP4, MOV, 3GP): creation time (the Apple `creationdate` key,
//!   else `mvhd`), location (the Apple `location.ISO6709` key, else `©xyz`,
//!   else the 3GPP `loci` box), make and model — read by `isobmff`, a small
//!   bounded box reader of our own: `nom-exif` misses `loci`, keys inside
//!   `udta/meta` (as ffmpeg writes them) and version-1 `mvhd`;
//! - HTML: title (entities decoded with the full HTML5 set, `htmlize`),
//!   declared charset, declared language.
//!
//! Hostile input is expected: every reader is bounded, a parser panic is
//! caught, and any problem becomes a message, never an error — the file is
//! archived either way.
//!
//! Must not: read the database or sign anything; fail an ingest.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Seek};

mod isobmff;
#[cfg(test)]
mod props;

use crate::claim::{CaptureTime, ClaimValue, Description, Location, Precision};
use crate::id::{Encoding, ObjectId};
use crate::store::Store;

/// What was found in one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embedded {
    /// Claim values with the raw fields each was read from.
    pub values: Vec<(ClaimValue, BTreeMap<String, String>)>,
    /// Problems met (malformed metadata, out-of-range values).
    pub problems: Vec<String>,
}

/// How much of an HTML file is read for its head.
pub const HTML_HEAD: u64 = 64 << 10;
/// How much of a photo is read for its EXIF (EXIF past this is not read).
pub const PHOTO_HEAD: u64 = 16 << 20;

/// Whether `extract` reads anything from this media type.
pub fn reads(media_type: &str) -> bool {
    is_photo(media_type) || is_video(media_type) || media_type == "text/html"
}

fn is_photo(t: &str) -> bool {
    matches!(
        t,
        "image/jpeg" | "image/tiff" | "image/heif" | "image/avif" | "image/png" | "image/webp"
    )
}

fn is_video(t: &str) -> bool {
    matches!(t, "video/mp4" | "video/quicktime" | "video/x-m4v" | "video/3gpp")
}

/// Read the embedded metadata of a stored object (the archived bytes, not
/// the source file, which could have changed since it was hashed).
pub fn read_object(store: &Store, id: &ObjectId, enc: Encoding, media_type: &str) -> Embedded {
    if !reads(media_type) {
        return Embedded::default();
    }
    let problem = |why: String| Embedded { values: Vec::new(), problems: vec![why] };
    match enc {
        Encoding::None => match store.open(id, enc) {
            Ok(f) => extract(media_type, f),
            Err(e) => problem(format!("cannot reopen the stored object: {e}")),
        },
        Encoding::Zstd => {
            // Only the head the reader looks at is decoded.
            let limit = if media_type == "text/html" { HTML_HEAD } else { PHOTO_HEAD };
            let mut bytes = Vec::new();
            let read =
                store.open_decoded(id, enc).and_then(|d| d.take(limit).read_to_end(&mut bytes));
            match read {
                Ok(_) => extract(media_type, std::io::Cursor::new(bytes)),
                Err(e) => problem(format!("cannot decode the stored object: {e}")),
            }
        }
    }
}

/// Read the embedded metadata of a file of `media_type` from `r`.
pub fn extract<R: Read + Seek>(media_type: &str, mut r: R) -> Embedded {
    let mut out = Embedded::default();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if is_photo(media_type) {
            photo(&mut r, &mut out);
        } else if is_video(media_type) {
            video(&mut r, &mut out);
        } else if media_type == "text/html" {
            html(&mut r, &mut out);
        }
    }));
    if run.is_err() {
        out.values.clear();
        // Worded so tests can tell a caught panic from a reported problem.
        out.problems.push("the metadata reader failed on this file; no metadata was taken".into());
    }
    out
}

// ---------------------------------------------------------------- photos

fn photo<R: Read + Seek>(r: &mut R, out: &mut Embedded) {
    // kamadak-exif reads a whole TIFF into memory: give it the head only.
    let mut head = Vec::new();
    if let Err(e) = r.take(PHOTO_HEAD).read_to_end(&mut head) {
        out.problems.push(format!("cannot read the file: {e}"));
        return;
    }
    let mut reader = BufReader::new(std::io::Cursor::new(head));
    let exif = match exif::Reader::new().read_from_container(&mut reader) {
        Ok(e) => e,
        Err(exif::Error::NotFound(_)) => return,
        Err(e) => {
            out.problems.push(format!("EXIF could not be read: {e}"));
            return;
        }
    };
    let field = |tag: exif::Tag| exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value);
    let mut device = BTreeMap::new();
    for (name, tag) in [("EXIF Make", exif::Tag::Make), ("EXIF Model", exif::Tag::Model)] {
        if let Some(v) = field(tag).and_then(ascii) {
            device.insert(name.to_owned(), v);
        }
    }
    exif_capture_time(&field, device.clone(), out);
    exif_position(&field, device, out);
}

/// An EXIF field's value in the primary image, if present.
type ExifField<'a> = dyn Fn(exif::Tag) -> Option<&'a exif::Value> + 'a;

/// DateTimeOriginal, with SubSecTimeOriginal and OffsetTimeOriginal.
fn exif_capture_time(field: &ExifField<'_>, mut raw: BTreeMap<String, String>, out: &mut Embedded) {
    let Some(v) = field(exif::Tag::DateTimeOriginal) else { return };
    raw.insert("EXIF DateTimeOriginal".into(), raw_value(v));
    let parsed = match v {
        exif::Value::Ascii(a) if !a.is_empty() => {
            exif::DateTime::from_ascii(&a[0]).map_err(|e| e.to_string())
        }
        _ => Err("not an ASCII value".into()),
    };
    let mut dt = match parsed {
        Ok(dt) => dt,
        Err(e) => {
            // A blank DateTimeOriginal is "not recorded", not a problem.
            if !e.contains("blank") {
                out.problems.push(format!("DateTimeOriginal {} ignored: {e}", raw_value(v)));
            }
            return;
        }
    };
    if let Some(s) = field(exif::Tag::SubSecTimeOriginal) {
        raw.insert("EXIF SubSecTimeOriginal".into(), raw_value(s));
        if let exif::Value::Ascii(a) = s
            && let Some(b) = a.first()
            && dt.parse_subsec(b).is_err()
        {
            out.problems.push(format!("SubSecTimeOriginal {} ignored", raw_value(s)));
        }
    }
    if let Some(o) = field(exif::Tag::OffsetTimeOriginal) {
        raw.insert("EXIF OffsetTimeOriginal".into(), raw_value(o));
        let offset = ascii(o)
            .filter(|s| utc_offset(s))
            .is_some_and(|s| dt.parse_offset(s.as_bytes()).is_ok());
        if !offset {
            dt.offset = None;
            out.problems.push(format!(
                "OffsetTimeOriginal {:?} is not a UTC offset (±HH:MM, -12:00 to +14:00); the \
                 capture time is kept as local time with its offset unknown",
                raw_value(o)
            ));
        }
    }
    match exif_time(&dt) {
        Some(t) => push(out, ClaimValue::CaptureTime(t), raw, "DateTimeOriginal"),
        None => out
            .problems
            .push(format!("DateTimeOriginal {} is not a valid date and time", raw_value(v))),
    }
}

/// GPS position, altitude and positioning error.
fn exif_position(field: &ExifField<'_>, mut raw: BTreeMap<String, String>, out: &mut Embedded) {
    let (Some(lat), Some(lon)) = (field(exif::Tag::GPSLatitude), field(exif::Tag::GPSLongitude))
    else {
        return;
    };
    let mut note = |name: &str, tag: exif::Tag| {
        let v = field(tag).map(raw_value);
        if let Some(v) = &v {
            raw.insert(format!("EXIF {name}"), v.clone());
        }
        v
    };
    let lat_ref = note("GPSLatitudeRef", exif::Tag::GPSLatitudeRef);
    let lon_ref = note("GPSLongitudeRef", exif::Tag::GPSLongitudeRef);
    note("GPSLatitude", exif::Tag::GPSLatitude);
    note("GPSLongitude", exif::Tag::GPSLongitude);
    note("GPSAltitude", exif::Tag::GPSAltitude);
    let alt_ref = note("GPSAltitudeRef", exif::Tag::GPSAltitudeRef);
    note("GPSHPositioningError", exif::Tag::GPSHPositioningError);
    note("GPSDateStamp", exif::Tag::GPSDateStamp);
    note("GPSTimeStamp", exif::Tag::GPSTimeStamp);
    let sign = |r: Option<String>, neg: &str| match r.as_deref() {
        Some(x) if x.eq_ignore_ascii_case(neg) => Some(-1.0),
        Some(x) if x.eq_ignore_ascii_case("N") || x.eq_ignore_ascii_case("E") => Some(1.0),
        None => Some(1.0),
        Some(_) => None,
    };
    let la = dms(lat).zip(sign(lat_ref, "S")).map(|(v, s)| v * s);
    let lo = dms(lon).zip(sign(lon_ref, "W")).map(|(v, s)| v * s);
    let altitude_m = field(exif::Tag::GPSAltitude)
        .and_then(first_rational)
        .map(|a| if alt_ref.as_deref() == Some("1") { -a } else { a });
    let accuracy_m = field(exif::Tag::GPSHPositioningError).and_then(first_rational);
    push_location(out, la, lo, altitude_m, accuracy_m, raw, "EXIF GPS");
}

/// Check a read position and keep it, or say why not.
fn push_location(
    out: &mut Embedded,
    lat: Option<f64>,
    lon: Option<f64>,
    altitude_m: Option<f64>,
    accuracy_m: Option<f64>,
    raw: BTreeMap<String, String>,
    what: &str,
) {
    let (Some(lat), Some(lon)) = (lat, lon) else {
        out.problems.push(format!("{what} position is malformed ({raw:?}); not taken"));
        return;
    };
    // 1e-7 degrees is about 1 cm: drop float noise from DMS arithmetic
    // (36 + 11/60 + 57.48/3600 = 36.199299999999994); raw values are kept.
    let round = |v: f64| (v * 1e7).round() / 1e7;
    let loc = Location {
        lat: Some(round(lat)),
        lon: Some(round(lon)),
        accuracy_m: accuracy_m.filter(|a| a.is_finite() && *a > 0.0),
        altitude_m: altitude_m.filter(|a| a.is_finite() && (-12_000.0..=100_000.0).contains(a)),
        place: None,
        method: None,
    };
    push(out, ClaimValue::Location(loc), raw, what);
}

/// Keep a value that obeys the claim rules, or report why not.
fn push(out: &mut Embedded, value: ClaimValue, raw: BTreeMap<String, String>, what: &str) {
    match value.check() {
        Ok(()) => out.values.push((value, raw)),
        Err(e) => out.problems.push(format!("{what} not taken: {e}")),
    }
}

/// Whether `s` is a UTC offset as EXIF writes it: `±HH:MM`, from -12:00 to
/// +14:00 (the offsets in use).
fn utc_offset(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() != 6
        || !matches!(b[0], b'+' | b'-')
        || b[3] != b':'
        || !digits(1..3)
        || !digits(4..6)
    {
        return false;
    }
    let (h, m) = (
        u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0'),
        u32::from(b[4] - b'0') * 10 + u32::from(b[5] - b'0'),
    );
    let minutes = h * 60 + m;
    m < 60 && if b[0] == b'+' { minutes <= 14 * 60 } else { minutes <= 12 * 60 }
}

fn exif_time(dt: &exif::DateTime) -> Option<CaptureTime> {
    let month = time::Month::try_from(dt.month).ok()?;
    let date = time::Date::from_calendar_date(i32::from(dt.year), month, dt.day).ok()?;
    let t = time::Time::from_hms_nano(dt.hour, dt.minute, dt.second, dt.nanosecond.unwrap_or(0))
        .ok()?;
    let local = time::PrimitiveDateTime::new(date, t);
    let mut at = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
    );
    if let Some(ns) = dt.nanosecond.filter(|n| *n > 0) {
        let frac = format!("{ns:09}");
        at.push('.');
        at.push_str(frac.trim_end_matches('0'));
    }
    let offset_unknown = match dt.offset {
        Some(m) => {
            // An offset beyond ±25:59 is not a UTC offset: no capture time.
            let off = time::UtcOffset::from_whole_seconds(i32::from(m) * 60).ok()?;
            local.assume_offset(off).checked_to_offset(time::UtcOffset::UTC)?;
            let sign = if m < 0 { '-' } else { '+' };
            at.push_str(&format!(
                "{sign}{:02}:{:02}",
                m.unsigned_abs() / 60,
                m.unsigned_abs() % 60
            ));
            false
        }
        None => true,
    };
    Some(CaptureTime { at, precision: Precision::Second, offset_unknown })
}

fn ascii(v: &exif::Value) -> Option<String> {
    match v {
        exif::Value::Ascii(a) => {
            a.first().map(|b| String::from_utf8_lossy(b).trim_end_matches(['\0', ' ']).to_owned())
        }
        _ => None,
    }
}

fn first_rational(v: &exif::Value) -> Option<f64> {
    match v {
        exif::Value::Rational(r) => r.first().filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }
}

/// Degrees, minutes, seconds as three rationals.
fn dms(v: &exif::Value) -> Option<f64> {
    match v {
        exif::Value::Rational(r) if r.len() == 3 && r.iter().all(|x| x.denom != 0) => {
            Some(r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0)
        }
        _ => None,
    }
}

/// The value as stored, without interpretation.
fn raw_value(v: &exif::Value) -> String {
    let join = |it: Vec<String>| it.join(" ");
    match v {
        exif::Value::Ascii(a) => join(
            a.iter()
                .map(|b| String::from_utf8_lossy(b).trim_end_matches('\0').to_owned())
                .collect(),
        ),
        exif::Value::Rational(r) => {
            join(r.iter().map(|x| format!("{}/{}", x.num, x.denom)).collect())
        }
        exif::Value::SRational(r) => {
            join(r.iter().map(|x| format!("{}/{}", x.num, x.denom)).collect())
        }
        exif::Value::Byte(b) => join(b.iter().map(u8::to_string).collect()),
        exif::Value::Short(s) => join(s.iter().map(u16::to_string).collect()),
        exif::Value::Long(s) => join(s.iter().map(u32::to_string).collect()),
        other => format!("{other:?}"),
    }
}

// ----------------------------------------------------------------- video

fn video<R: Read + Seek>(r: &mut R, out: &mut Embedded) {
    let moov = match isobmff::moov(r) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            out.problems.push(format!("video metadata could not be read: {e}"));
            return;
        }
    };
    let found = isobmff::read(&moov);
    out.problems.extend(found.problems);
    let mut device = BTreeMap::new();
    for (name, v) in [("Keys make", &found.make), ("Keys model", &found.model)] {
        if let Some(v) = v {
            device.insert(name.to_owned(), v.clone());
        }
    }
    // Capture time: the Apple key keeps the local offset; mvhd is UTC.
    let mut raw = device.clone();
    for (name, v) in
        [("Keys creationdate", &found.creationdate), ("mvhd creation_time", &found.mvhd)]
    {
        if let Some(v) = v {
            raw.insert(name.into(), v.clone());
        }
    }
    let apple = found.creationdate.as_deref().and_then(isobmff::apple_time);
    if let (Some(c), None) = (&found.creationdate, &apple) {
        out.problems.push(format!("creationdate {c:?} is not a date and time; not taken"));
    }
    if let Some(at) = apple.or_else(|| found.mvhd.clone()) {
        let value = ClaimValue::CaptureTime(CaptureTime {
            at,
            precision: Precision::Second,
            offset_unknown: false,
        });
        push(out, value, raw, "creation time");
    }
    // Location: the Apple key, else ©xyz, else the 3GPP loci box.
    let mut raw = device;
    for (name, v) in [
        ("Keys location.ISO6709", &found.iso6709_key),
        ("udta ©xyz", &found.xyz),
        ("udta loci", &found.loci_raw),
    ] {
        if let Some(v) = v {
            raw.insert(name.into(), v.clone());
        }
    }
    // The first well-formed source wins; a malformed one is reported.
    let mut point = None;
    for s in [&found.iso6709_key, &found.xyz].into_iter().flatten() {
        match isobmff::iso6709(s) {
            Some(p) => {
                point = Some(p);
                break;
            }
            None => out.problems.push(format!("ISO 6709 location {s:?} is malformed; not taken")),
        }
    }
    if let Some((lat, lon, alt)) = point.or(found.loci) {
        push_location(out, Some(lat), Some(lon), alt, None, raw, "video position");
    }
}

// ------------------------------------------------------------------ html

fn html<R: Read + Seek>(r: &mut R, out: &mut Embedded) {
    let mut head = Vec::new();
    if let Err(e) = r.take(HTML_HEAD).read_to_end(&mut head) {
        out.problems.push(format!("cannot read the HTML head: {e}"));
        return;
    }
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let find = |from: usize, pat: &[u8]| {
        lower
            .get(from..)
            .and_then(|s| s.windows(pat.len()).position(|w| w == pat))
            .map(|i| i + from)
    };
    let mut raw = BTreeMap::new();
    // <meta charset=…> or <meta http-equiv=… content="…; charset=…">
    let mut charset = None;
    let mut at = 0;
    while let Some(m) = find(at, b"<meta") {
        let close = find(m, b">").unwrap_or(lower.len());
        let tag = &lower[m..close];
        if let Some(i) = tag.windows(8).position(|w| w == b"charset=") {
            let v: String = tag[i + 8..]
                .iter()
                .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
                .map(|b| *b as char)
                .collect();
            if !v.is_empty() {
                raw.insert("HTML meta charset".into(), v.clone());
                charset = Some(v);
                break;
            }
        }
        at = close;
    }
    let language = find(0, b"<html").and_then(|h| {
        let close = find(h, b">")?;
        let tag = &head[h..close];
        let ltag = &lower[h..close];
        // The `lang` attribute itself, not `xml:lang` or `data-lang`.
        let i = ltag.windows(6).position(|w| {
            w[0].is_ascii_whitespace() && &w[1..5] == b"lang" && matches!(w[5], b'=' | b' ')
        })? + 1;
        let start = i + ltag[i..].iter().position(|b| *b == b'=')? + 1;
        let v: String = tag[start..]
            .iter()
            .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .map(|b| *b as char)
            .collect();
        (!v.is_empty()).then_some(v)
    });
    if let Some(l) = &language {
        raw.insert("HTML lang".into(), l.clone());
    }
    let title = find(0, b"<title").and_then(|t| {
        let open = find(t, b">")? + 1;
        let close = find(open, b"</title")?;
        let bytes = &head[open..close];
        let enc = charset
            .as_deref()
            .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        let (source, _, malformed) = enc.decode(bytes);
        // The raw title is the text as the page has it (entities and all);
        // bytes the charset cannot decode are kept as hex.
        let raw_title =
            if malformed { format!("hex:{}", hex::encode(bytes)) } else { source.to_string() };
        // Entities first, then whitespace and control characters: a title
        // must not be able to forge lines in a text report.
        let text = htmlize::unescape(&*source);
        let text: String = text
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!text.is_empty()).then(|| {
            raw.insert("HTML title".into(), raw_title);
            text
        })
    });
    if let Some(c) = &charset
        && encoding_rs::Encoding::for_label(c.as_bytes()).is_none()
    {
        out.problems.push(format!("declared charset {c:?} is not a known encoding"));
    }
    if title.is_some() || charset.is_some() || language.is_some() {
        let d = Description { title, language, charset, ..Description::default() };
        out.values.push((ClaimValue::Description(d), raw));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn html_head() {
        let page = "<!doctype html><html dir=rtl lang=\"ar\"><head>\
                    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\
                    <title>\n حلب &amp; القلعة </title></head>";
        let e = extract("text/html", Cursor::new(page.as_bytes()));
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.title.as_deref(), Some("حلب & القلعة"));
        assert_eq!(d.language.as_deref(), Some("ar"));
        assert_eq!(d.charset.as_deref(), Some("utf-8"));
        // Declared windows-1256: the title is decoded with it.
        let mut bytes = b"<html><meta charset='windows-1256'><title>".to_vec();
        bytes.extend([0xcd, 0xe1, 0xc8]); // "حلب" in windows-1256
        bytes.extend(b"</title>");
        let e = extract("text/html", Cursor::new(bytes));
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.title.as_deref(), Some("حلب"));
    }

    #[test]
    fn titles_decode_every_html5_entity() {
        // Named references from the HTML5 list, with and without the
        // semicolon where the spec allows it, and numeric ones.
        let page = "<title>Aleppo&nbsp;&mdash; &laquo;citadel&raquo; &hellip; &eacute;t&eacute; \
                    &amp;c &#x41;&#66; &copy</title>";
        let e = extract("text/html", Cursor::new(page.as_bytes()));
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.title.as_deref(), Some("Aleppo — «citadel» … été &c AB ©"));
    }

    #[test]
    fn every_html5_entity_decodes_as_python_decodes_it() {
        // The full HTML5 named character reference table (2231 names, with
        // and without the semicolon where the spec allows it), as Python's
        // standard library has it (`html.entities.html5`), dumped to JSON.
        let table: std::collections::BTreeMap<String, String> =
            serde_json::from_str(include_str!("../tests/data/html5-entities.json")).unwrap();
        assert_eq!(table.len(), 2231);
        let words = |t: &str| -> String {
            t.split(|c: char| c.is_whitespace() || c.is_control())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        for (name, value) in &table {
            let page = format!("<title>x &{name} y</title>");
            let e = extract("text/html", Cursor::new(page.as_bytes()));
            let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{name}: {e:?}") };
            assert_eq!(d.title.as_deref(), Some(&*words(&format!("x {value} y"))), "&{name}");
        }
    }

    #[test]
    fn utc_offsets() {
        for ok in ["+03:00", "-12:00", "+14:00", "+05:45", "-00:00"] {
            assert!(utc_offset(ok), "{ok}");
        }
        for bad in ["+25:99", "+14:30", "-12:30", "+3:00", "03:00", "+03:60", "+03:00 ", ""] {
            assert!(!utc_offset(bad), "{bad}");
        }
    }

    #[test]
    fn hostile_titles() {
        // '&' followed by multibyte text: no slicing inside a character.
        let e =
            extract("text/html", Cursor::new("<title>東京 & 大阪の天気予報</title>".as_bytes()));
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.title.as_deref(), Some("東京 & 大阪の天気予報"));
        // Escaped control characters cannot forge report lines.
        let e = extract("text/html", Cursor::new(&b"<title>a&#10;b&#27;[2Kc</title>"[..]));
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.title.as_deref(), Some("a b [2Kc"));
        // `xml:lang` and `data-lang` are not the language.
        let e = extract(
            "text/html",
            Cursor::new(&b"<html data-lang=fr xml:lang=de><title>t</title>"[..]),
        );
        let [(ClaimValue::Description(d), _)] = &e.values[..] else { panic!("{e:?}") };
        assert_eq!(d.language, None);
    }

    #[test]
    fn garbage_is_a_problem_not_a_crash() {
        for t in ["image/jpeg", "video/mp4", "text/html", "image/png"] {
            let e = extract(t, Cursor::new(vec![0xffu8, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0, 1, 2]));
            assert!(e.values.is_empty(), "{t}: {e:?}");
            assert!(!e.problems.iter().any(|p| p.contains("reader failed")), "{t}: {e:?}");
        }
        let e = extract("image/jpeg", Cursor::new(Vec::new()));
        assert!(e.values.is_empty());
    }
}
