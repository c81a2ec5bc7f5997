//! EXIF (a TIFF structure, wherever the container keeps it) through
//! `kamadak-exif`, reading on past errors: one broken IFD pointer or bad
//! tag loses only itself, and what could not be read is a problem. From
//! the primary image: DateTimeOriginal + SubSecTimeOriginal +
//! OffsetTimeOriginal (or an offset derived from GPSDateStamp and
//! GPSTimeStamp, said so), GPS position / altitude / positioning error /
//! image direction, and the device (Make, Model, BodySerialNumber,
//! LensModel, Software) as raw values of each claim.
//!
//! Must not: find blocks in containers (`blocks`), or fail on any input.

use std::collections::BTreeMap;

use super::embedded::{Embedded, push, push_location};
use crate::claim::{CaptureTime, ClaimValue, Precision};

/// What a read gave: the EXIF, with the errors read past as problems.
fn kept(read: Result<exif::Exif, exif::Error>, out: &mut Embedded) -> Option<exif::Exif> {
    match read {
        Ok(e) => Some(e),
        Err(exif::Error::NotFound(_)) => None,
        Err(exif::Error::PartialResult(p)) => {
            let (e, errors) = p.into_inner();
            for err in errors {
                out.problems.push(format!("part of the EXIF could not be read: {err}"));
            }
            Some(e)
        }
        Err(e) => {
            out.problems.push(format!("EXIF could not be read: {e}"));
            None
        }
    }
}

/// Parse an EXIF TIFF structure, keeping what can be read.
pub fn parse(tiff: Vec<u8>, out: &mut Embedded) -> Option<exif::Exif> {
    kept(exif::Reader::new().continue_on_error(true).read_raw(tiff), out)
}

/// The device fields, as raw values.
pub fn device(exif: &exif::Exif) -> BTreeMap<String, String> {
    let mut raw = BTreeMap::new();
    for (name, tag) in [
        ("Make", exif::Tag::Make),
        ("Model", exif::Tag::Model),
        ("BodySerialNumber", exif::Tag::BodySerialNumber),
        ("LensModel", exif::Tag::LensModel),
        ("Software", exif::Tag::Software),
    ] {
        if let Some(v) = exif.get_field(tag, exif::In::PRIMARY).and_then(|f| ascii(&f.value))
            && !v.is_empty()
        {
            raw.insert(format!("EXIF {name}"), v);
        }
    }
    raw
}

/// The claims of a parsed EXIF.
pub fn claims(exif: &exif::Exif, out: &mut Embedded) {
    let field = |tag: exif::Tag| exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value);
    let device = device(exif);
    exif_capture_time(&field, device.clone(), out);
    exif_position(&field, device, out);
}

/// The bytes of a BYTE or UNDEFINED field (XMP in tag 700, IPTC in
/// 33723), or of a LONG one in the file's byte order (IPTC is often
/// typed LONG).
pub fn bytes_of(exif: &exif::Exif, number: u16) -> Option<Vec<u8>> {
    let tag = exif::Tag(exif::Context::Tiff, number);
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Byte(b) | exif::Value::Undefined(b, _) => Some(b.clone()),
        exif::Value::Long(l) => Some(
            l.iter()
                .flat_map(|x| if exif.little_endian() { x.to_le_bytes() } else { x.to_be_bytes() })
                .collect(),
        ),
        _ => None,
    }
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
    if dt.offset.is_none()
        && let Some(m) = gps_offset(field, &dt)
    {
        dt.offset = Some(m);
        raw.insert(
            "custody offset".into(),
            "derived from GPSDateStamp and GPSTimeStamp (UTC), to the nearest quarter hour".into(),
        );
        for (name, tag) in
            [("GPSDateStamp", exif::Tag::GPSDateStamp), ("GPSTimeStamp", exif::Tag::GPSTimeStamp)]
        {
            if let Some(v) = field(tag) {
                raw.insert(format!("EXIF {name}"), raw_value(v));
            }
        }
    }
    match exif_time(&dt) {
        Some(t) => push(out, ClaimValue::CaptureTime(t), raw, "DateTimeOriginal"),
        None => out
            .problems
            .push(format!("DateTimeOriginal {} is not a valid date and time", raw_value(v))),
    }
}

/// The UTC offset of a local DateTimeOriginal, in minutes, from the GPS
/// date and time (UTC) of the same file: their difference rounded to the
/// nearest quarter hour, when that is a UTC offset in use (-12:00 to
/// +14:00) and the two are within 7.5 minutes of it (a stale GPS fix
/// gives no offset).
fn gps_offset(field: &ExifField<'_>, dt: &exif::DateTime) -> Option<i16> {
    let date = ascii(field(exif::Tag::GPSDateStamp)?)?;
    let exif::Value::Rational(hms) = field(exif::Tag::GPSTimeStamp)? else { return None };
    let [h, m, sec] = hms.as_slice() else { return None };
    if [h, m, sec].iter().any(|r| r.denom == 0) {
        return None;
    }
    let (y, mo, d) = {
        let p: Vec<&str> = date.split(':').collect();
        let [y, mo, d] = p.as_slice() else { return None };
        (y.parse::<i32>().ok()?, mo.parse::<u8>().ok()?, d.parse::<u8>().ok()?)
    };
    let utc_day = time::Date::from_calendar_date(y, time::Month::try_from(mo).ok()?, d).ok()?;
    let secs = h.to_f64() * 3600.0 + m.to_f64() * 60.0 + sec.to_f64();
    if !(0.0..86_400.0).contains(&secs) {
        return None;
    }
    let utc = utc_day.midnight().assume_utc().unix_timestamp() + secs as i64;
    let local_day = time::Date::from_calendar_date(
        i32::from(dt.year),
        time::Month::try_from(dt.month).ok()?,
        dt.day,
    )
    .ok()?;
    let local = local_day.midnight().assume_utc().unix_timestamp()
        + i64::from(dt.hour) * 3600
        + i64::from(dt.minute) * 60
        + i64::from(dt.second);
    let diff = local - utc;
    let quarter = ((diff as f64) / 900.0).round() as i64 * 900;
    ((diff - quarter).abs() <= 450 && (-12 * 3600..=14 * 3600).contains(&quarter))
        .then(|| i16::try_from(quarter / 60).ok())
        .flatten()
}

/// GPS position, altitude and positioning error.
fn exif_position(field: &ExifField<'_>, mut raw: BTreeMap<String, String>, out: &mut Embedded) {
    let (lat, lon) = match (field(exif::Tag::GPSLatitude), field(exif::Tag::GPSLongitude)) {
        (Some(lat), Some(lon)) => (lat, lon),
        (None, None) => return,
        // Half a position is no place: said, not dropped in silence.
        (Some(_), None) | (None, Some(_)) => {
            out.problems
                .push("EXIF GPS has a latitude or a longitude but not both; not taken".into());
            return;
        }
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
    // Which way the camera faced (T: true north, M: magnetic): kept as read.
    note("GPSImgDirection", exif::Tag::GPSImgDirection);
    note("GPSImgDirectionRef", exif::Tag::GPSImgDirectionRef);
    let sign = |r: Option<String>, neg: &str| match r.as_deref() {
        Some(x) if x.eq_ignore_ascii_case(neg) => Some(-1.0),
        Some(x) if x.eq_ignore_ascii_case("N") || x.eq_ignore_ascii_case("E") => Some(1.0),
        None => Some(1.0),
        Some(_) => None,
    };
    let la = dms(lat).zip(sign(lat_ref, "S")).map(|(v, s)| v * s);
    let lo = dms(lon).zip(sign(lon_ref, "W")).map(|(v, s)| v * s);
    // Exif 3.0 (CIPA DC-008-2023, 4.6.6 GPSAltitudeRef): 0 above and 1
    // below sea level, 2 and 3 positive and negative ellipsoidal height;
    // absent means 0. Any other value is not read as "above".
    let alt_sign = altitude_sign(alt_ref.as_deref());
    if let (None, Some(other)) = (alt_sign, &alt_ref)
        && field(exif::Tag::GPSAltitude).is_some()
    {
        out.problems.push(format!(
            "GPSAltitudeRef {other} is not defined (0 to 3); the altitude is not taken"
        ));
    }
    let altitude_m =
        field(exif::Tag::GPSAltitude).and_then(first_rational).zip(alt_sign).map(|(a, s)| a * s);
    let accuracy_m = field(exif::Tag::GPSHPositioningError).and_then(first_rational);
    push_location(out, la, lo, altitude_m, accuracy_m, raw, "EXIF GPS");
}

/// The sign GPSAltitudeRef gives an altitude (EXIF and XMP alike): Exif
/// 3.0 (CIPA DC-008-2023, 4.6.6) defines 0 above and 1 below sea level, 2
/// and 3 positive and negative ellipsoidal height; absent means 0. Any
/// other value gives none: it is never read as "above".
pub fn altitude_sign(alt_ref: Option<&str>) -> Option<f64> {
    match alt_ref.map(str::trim) {
        None | Some("0" | "2") => Some(1.0),
        Some("1" | "3") => Some(-1.0),
        Some(_) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_offsets() {
        for ok in ["+03:00", "-12:00", "+14:00", "+05:45", "-00:00"] {
            assert!(utc_offset(ok), "{ok}");
        }
        for bad in ["+25:99", "+14:30", "-12:30", "+3:00", "03:00", "+03:60", "+03:00 ", ""] {
            assert!(!utc_offset(bad), "{bad}");
        }
    }
}
