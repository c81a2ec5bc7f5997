//! A photo's embedded claims: its blocks found by container (`blocks` for
//! JPEG, PNG and WebP; `heif` for HEIC, HEIF and AVIF items; the TIFF
//! structure itself for TIFF and TIFF-based raw files, with XMP in tag 700
//! and IPTC in tag 33723), then one set of claims per block — EXIF,
//! each XMP packet, IPTC — with the block named in every raw value, so
//! that blocks which disagree are claims which disagree.
//!
//! Must not: read past the bounds `blocks` and `PHOTO_HEAD` set, or fail.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use super::embedded::{Embedded, push, push_location};
use super::{blocks, exif, heif, iptc, xmp};
use crate::claim::{CaptureTime, ClaimValue, Description, Location, Precision};

/// How much of a TIFF-based photo is read for its metadata (JPEG, PNG,
/// WebP and HEIF blocks are found wherever they are).
pub const PHOTO_HEAD: u64 = 16 << 20;

/// TIFF and the raw formats built on it (`media::sniff` names each; ORF
/// and RW2 change TIFF's magic number, and are read as the TIFFs they
/// otherwise are).
fn tiff_based(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/tiff"
            | "image/x-canon-cr2"
            | "image/x-nikon-nef"
            | "image/x-sony-arw"
            | "image/x-adobe-dng"
            | "image/x-olympus-orf"
            | "image/x-panasonic-rw2"
    )
}

/// The photo types read.
pub fn reads(media_type: &str) -> bool {
    tiff_based(media_type)
        || matches!(
            media_type,
            "image/x-fuji-raf"
                | "image/jpeg"
                | "image/png"
                | "image/webp"
                | "image/heic"
                | "image/heif"
                | "image/avif"
        )
}

/// Read a photo's embedded claims.
pub fn photo<R: Read + Seek>(media_type: &str, r: &mut R, out: &mut Embedded) {
    let found = match media_type {
        "image/jpeg" => blocks::jpeg(r),
        "image/png" => blocks::png(r),
        "image/webp" => blocks::webp(r),
        "image/heic" | "image/heif" | "image/avif" => heif::heif(r),
        "image/x-fuji-raf" => blocks::raf(r),
        _ => return tiff(media_type, r, out),
    };
    let mut found = found;
    out.problems.append(&mut found.problems);
    out.c2pa |= found.c2pa;
    if let Some(e) = found.exif.take().and_then(|t| exif::parse(t, out)) {
        exif::claims(&e, out);
    }
    other_blocks(&found, out);
}

/// TIFF-based files: the TIFF structure is the whole file, XMP and IPTC
/// in its tags. Read into memory: the head only.
fn tiff<R: Read>(media_type: &str, r: &mut R, out: &mut Embedded) {
    let mut head = Vec::new();
    if let Err(e) = r.take(PHOTO_HEAD).read_to_end(&mut head) {
        out.problems.push(format!("cannot read the file: {e}"));
        return;
    }
    // ORF and RW2 (as `media::sniff` names them) are TIFFs but for the
    // magic number: read as one, in the byte order the file gives.
    if matches!(media_type, "image/x-olympus-orf" | "image/x-panasonic-rw2") && head.len() >= 4 {
        let magic = if head[0] == b'I' { [42, 0] } else { [0, 42] };
        head[2..4].copy_from_slice(&magic);
    }
    let parsed = exif::parse(head, out);
    let Some(e) = parsed else { return };
    exif::claims(&e, out);
    let found = blocks::Blocks {
        xmp: exif::bytes_of(&e, 700).into_iter().collect(),
        iptc: exif::bytes_of(&e, 33723),
        ..blocks::Blocks::default()
    };
    other_blocks(&found, out);
}

/// The XMP and IPTC claims.
pub(super) fn other_blocks(found: &blocks::Blocks, out: &mut Embedded) {
    for packet in &found.xmp {
        match xmp::read(packet) {
            Ok(p) => xmp_claims_of(&p, "XMP", out),
            Err(e) => out.problems.push(e),
        }
    }
    if let Some(b) = &found.iptc {
        let iim = iptc::read(b);
        out.problems.extend(iim.problems);
        iptc_claims(&iim.fields, out);
    }
}

/// `raw` with the given fields of `from` (present ones), named `block key`.
fn with<'a>(
    mut raw: BTreeMap<String, String>,
    block: &str,
    from: impl IntoIterator<Item = (&'a str, Option<&'a String>)>,
) -> BTreeMap<String, String> {
    for (k, v) in from {
        if let Some(v) = v {
            raw.insert(format!("{block} {k}"), v.clone());
        }
    }
    raw
}

/// An XMP date (ISO 8601 subset, XMP Part 1 8.2.1.6) — or the EXIF-style
/// `YYYY:MM:DD HH:MM:SS` some writers put there — as a capture time.
fn xmp_time(v: &str) -> Option<CaptureTime> {
    let v = v.trim();
    let mut s = v.to_owned();
    // EXIF style: colons in the date, a space before the time.
    if s.len() >= 10 && s.as_bytes()[4] == b':' && s.as_bytes()[7] == b':' {
        s.replace_range(4..5, "-");
        s.replace_range(7..8, "-");
        if s.as_bytes().get(10) == Some(&b' ') {
            s.replace_range(10..11, "T");
        }
    }
    if crate::claim::date_only(&s).is_some() {
        // A day in an unknown zone.
        return Some(CaptureTime { at: s, precision: Precision::Day, offset_unknown: true });
    }
    let (date_time, zone) =
        match s.find(['Z', '+']).or_else(|| s.get(11..)?.find('-').map(|i| i + 11)) {
            Some(i) => (s[..i].to_owned(), s[i..].to_owned()),
            None => (s.clone(), String::new()),
        };
    // Minutes only: to the minute.
    let (date_time, precision) = if date_time.len() == 16 {
        (format!("{date_time}:00"), Precision::Minute)
    } else {
        (date_time, Precision::Second)
    };
    let t = CaptureTime {
        at: format!("{date_time}{zone}"),
        precision,
        offset_unknown: zone.is_empty(),
    };
    t.window().is_ok().then_some(t)
}

/// A place name from its parts, most specific first.
fn place(parts: &[Option<&String>]) -> Option<String> {
    let parts: Vec<&str> =
        parts.iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One XMP packet's or IPTC record's fields, as the claims read them.
struct Block<'a> {
    /// "XMP", "IPTC" or "C2PA stds.exif": the prefix of every raw value.
    name: &'a str,
    get: &'a dyn Fn(&str) -> Option<&'a String>,
    /// The device fields it names (raw values of each of its claims).
    device: BTreeMap<String, String>,
}

impl Block<'_> {
    /// The device fields and the given fields, as raw values.
    fn raw(&self, keys: &[&str]) -> BTreeMap<String, String> {
        with(self.device.clone(), self.name, keys.iter().map(|k| (*k, (self.get)(k))))
    }

    /// A place known by name only, from `keys` (most specific first).
    fn place_claim(&self, keys: &[&str], out: &mut Embedded) {
        let parts: Vec<Option<&String>> = keys.iter().map(|k| (self.get)(k)).collect();
        if let Some(name) = place(&parts) {
            let loc = Location {
                lat: None,
                lon: None,
                accuracy_m: None,
                altitude_m: None,
                place: Some(name),
                method: None,
            };
            push(out, ClaimValue::Location(loc), self.raw(keys), &format!("{} place", self.name));
        }
    }

    /// A description from the fields named title, text, creator, credit,
    /// source and tags (a "; "-joined list), in that order.
    fn description_claim(&self, keys: [&str; 6], out: &mut Embedded) {
        let [title, text, creator, credit, source, tags] = keys.map(|k| (self.get)(k));
        if [title, text, creator, credit, source, tags].iter().all(Option::is_none) {
            return;
        }
        let d = Description {
            title: title.cloned(),
            text: text.cloned(),
            tags: tags.map(|s| s.split("; ").map(str::to_owned).collect()).unwrap_or_default(),
            creator: creator.cloned(),
            credit: place(&[credit, source]),
            ..Description::default()
        };
        let what = format!("{} description", self.name);
        push(out, ClaimValue::Description(d), self.raw(&keys), &what);
    }

    /// A capture time from the first of `keys` present, parsed by `parse`.
    fn time_claim(
        &self,
        keys: &[&str],
        parse: impl Fn(&str) -> Option<CaptureTime>,
        out: &mut Embedded,
    ) {
        let Some((key, v)) = keys.iter().find_map(|k| Some((*k, (self.get)(k)?))) else { return };
        match parse(v) {
            Some(t) => push(
                out,
                ClaimValue::CaptureTime(t),
                self.raw(&[key]),
                &format!("{} {key}", self.name),
            ),
            None => out
                .problems
                .push(format!("{} {key} {v:?} is not a date and time; not taken", self.name)),
        }
    }
}

const XMP_PLACE: [&str; 4] =
    ["Iptc4xmpCore:Location", "photoshop:City", "photoshop:State", "photoshop:Country"];

/// The claims of XMP-style properties (an XMP packet, or a C2PA
/// `stds.exif` assertion), their raw values named `name key`.
pub(super) fn xmp_claims_of(p: &xmp::Properties, name: &str, out: &mut Embedded) {
    let get = |k: &str| p.get(k);
    let device_keys = [
        "tiff:Make",
        "tiff:Model",
        "exifEX:BodySerialNumber",
        "aux:SerialNumber",
        "exifEX:LensModel",
        "aux:Lens",
        "xmp:CreatorTool",
    ];
    let device = with(BTreeMap::new(), name, device_keys.map(|k| (k, get(k))));
    let b = Block { name, get: &get, device };
    b.time_claim(
        &["exif:DateTimeOriginal", "photoshop:DateCreated", "xmp:CreateDate"],
        xmp_time,
        out,
    );
    if get("exif:GPSLatitude").is_some() || get("exif:GPSLongitude").is_some() {
        xmp_position(&b, out);
    } else {
        b.place_claim(&XMP_PLACE, out);
    }
    let keys = [
        "dc:title",
        "dc:description",
        "dc:creator",
        "photoshop:Credit",
        "photoshop:Source",
        "dc:subject",
    ];
    b.description_claim(keys, out);
}

/// An XMP GPS position (with the packet's place name, if any).
fn xmp_position(b: &Block<'_>, out: &mut Embedded) {
    let get = b.get;
    let keys = [
        "exif:GPSLatitude",
        "exif:GPSLongitude",
        "exif:GPSAltitude",
        "exif:GPSAltitudeRef",
        "exif:GPSHPositioningError",
        "exif:GPSImgDirection",
        "exif:GPSImgDirectionRef",
    ];
    let all: Vec<&str> = keys.into_iter().chain(XMP_PLACE).collect();
    let lat = get("exif:GPSLatitude").and_then(|v| xmp::coordinate(v));
    let lon = get("exif:GPSLongitude").and_then(|v| xmp::coordinate(v));
    let sign = exif::altitude_sign(get("exif:GPSAltitudeRef").map(String::as_str));
    let alt = get("exif:GPSAltitude").and_then(|v| xmp::rational(v)).zip(sign).map(|(a, s)| a * s);
    let acc = get("exif:GPSHPositioningError").and_then(|v| xmp::rational(v));
    let before = out.values.len();
    push_location(out, lat, lon, alt, acc, b.raw(&all), &format!("{} GPS", b.name));
    let name = place(&XMP_PLACE.map(get));
    if let (Some(name), Some((ClaimValue::Location(l), _))) = (name, out.values.get_mut(before)) {
        l.place = Some(name);
    }
}

/// IPTC Date Created + Time Created as a capture time.
fn iptc_time(date: &str, time: Option<&str>) -> Option<CaptureTime> {
    iptc::capture(date, time).map(|(at, offset_unknown)| CaptureTime {
        precision: if crate::claim::date_only(&at).is_some() {
            Precision::Day
        } else {
            Precision::Second
        },
        at,
        offset_unknown,
    })
}

fn iptc_claims(f: &BTreeMap<&'static str, String>, out: &mut Embedded) {
    let get = |k: &str| f.get(k);
    let b = Block { name: "IPTC", get: &get, device: BTreeMap::new() };
    if let Some(date) = get("DateCreated") {
        let keys = ["DateCreated", "TimeCreated"];
        match iptc_time(date, get("TimeCreated").map(String::as_str)) {
            Some(t) => push(out, ClaimValue::CaptureTime(t), b.raw(&keys), "IPTC DateCreated"),
            None => out.problems.push(format!(
                "IPTC DateCreated/TimeCreated {:?} is not a date and time; not taken",
                b.raw(&keys)
            )),
        }
    }
    b.place_claim(&["Sub-location", "City", "Province-State", "Country-PrimaryLocationName"], out);
    b.description_claim(
        ["ObjectName", "Caption-Abstract", "By-line", "Credit", "Source", "Keywords"],
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_times() {
        let t = |v: &str| xmp_time(v).map(|t| (t.at, t.precision, t.offset_unknown));
        assert_eq!(
            t("2024-11-29T14:03:07+03:00"),
            Some(("2024-11-29T14:03:07+03:00".into(), Precision::Second, false))
        );
        assert_eq!(
            t("2024-11-29T14:03:07.25Z"),
            Some(("2024-11-29T14:03:07.25Z".into(), Precision::Second, false))
        );
        assert_eq!(
            t("2024-11-29T14:03-05:00"),
            Some(("2024-11-29T14:03:00-05:00".into(), Precision::Minute, false))
        );
        assert_eq!(
            t("2024-11-29T14:03:07"),
            Some(("2024-11-29T14:03:07".into(), Precision::Second, true))
        );
        assert_eq!(
            t("2024:11:29 14:03:07"),
            Some(("2024-11-29T14:03:07".into(), Precision::Second, true))
        );
        assert_eq!(t("2024-11-29"), Some(("2024-11-29".into(), Precision::Day, true)));
        for bad in ["2024", "2024-11", "yesterday", "2024-13-40T99:00:00Z", ""] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
