//! Embedded metadata: what a file says about itself, turned into claim
//! values with the raw values they were read from.
//!
//! - photos (JPEG, PNG, WebP, TIFF and TIFF-based raw, HEIF, AVIF): the
//!   EXIF, XMP and IPTC blocks wherever the container keeps them
//!   (`photo`, `blocks`), each read on its own (`exif`, `xmp`, `iptc`)
//!   into its own claims;
//! - video (MP4, MOV, 3GP): creation time (the Apple `creationdate` key,
//!   else `mvhd`), location (the Apple `location.ISO6709` key, else `©xyz`,
//!   else the 3GPP `loci` box), make and model — read by `isobmff`, a small
//!   bounded box reader of our own: `nom-exif` misses `loci`, keys inside
//!   `udta/meta` (as ffmpeg writes them) and version-1 `mvhd`;
//! - C2PA Content Credentials (`c2pa`): the manifest store the readers
//!   above saw, or a `.c2pa` sidecar, validated by the `c2pa` crate
//!   against the trust anchors given; valid, its values are `device`
//!   values;
//! - HTML: title (entities decoded with the full HTML5 set, `htmlize`),
//!   declared charset, declared language.
//!
//! Hostile input is expected: every reader is bounded, a parser panic is
//! caught, and any problem becomes a message, never an error — the file is
//! archived either way.
//!
//! Must not: read the database or sign anything; fail an ingest.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

mod blocks;
mod c2pa;
mod embedded;
mod exif;
mod heif;
mod iptc;
mod isobmff;
mod photo;
#[cfg(test)]
mod props;
mod xmp;

pub use c2pa::{Anchors, MAX_SIDECAR};
pub use embedded::Embedded;
use embedded::{push, push_location};

use crate::claim::{CaptureTime, ClaimValue, Description, Precision};
use crate::id::{Encoding, ObjectId};
use crate::store::Store;

/// How much of an HTML file is read for its head.
pub const HTML_HEAD: u64 = 64 << 10;
/// Whether `extract` reads anything from this media type.
pub fn reads(media_type: &str) -> bool {
    is_photo(media_type) || is_video(media_type) || media_type == "text/html"
}

/// One media type for each way a file is read (the property tests and
/// the fuzzer pick among them).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) const READ_TYPES: &[&str] = &[
    "image/jpeg",
    "image/tiff",
    "image/png",
    "image/webp",
    "image/heif",
    "image/heic",
    "image/x-fuji-raf",
    "image/x-panasonic-rw2",
    "video/mp4",
    "video/quicktime",
    "video/3gpp",
    "text/html",
];

fn is_photo(t: &str) -> bool {
    photo::reads(t)
}

fn is_video(t: &str) -> bool {
    matches!(t, "video/mp4" | "video/quicktime" | "video/x-m4v" | "video/3gpp" | "video/3gpp2")
}

/// Read the embedded metadata of a stored object (the archived bytes, not
/// the source file, which could have changed since it was hashed), and
/// validate its C2PA content credentials — embedded, or the `sidecar`
/// manifest store found beside the file — against `anchors`.
pub fn read_object(
    store: &Store,
    id: &ObjectId,
    enc: Encoding,
    media_type: &str,
    anchors: &Anchors,
    sidecar: Option<&[u8]>,
) -> Embedded {
    if !reads(media_type) {
        let mut out = Embedded::default();
        if sidecar.is_some() {
            credentials(store, id, enc, media_type, anchors, sidecar, &mut out);
        }
        return out;
    }
    let problem = |why: String| Embedded { problems: vec![why], ..Embedded::default() };
    let mut out = match enc {
        Encoding::None => match store.open(id, enc) {
            Ok(f) => extract(media_type, f),
            Err(e) => return problem(format!("cannot reopen the stored object: {e}")),
        },
        Encoding::Zstd => {
            // Only the head the reader looks at is decoded.
            let limit = if media_type == "text/html" { HTML_HEAD } else { photo::PHOTO_HEAD };
            let mut bytes = Vec::new();
            let read =
                store.open_decoded(id, enc).and_then(|d| d.take(limit).read_to_end(&mut bytes));
            match read {
                Ok(_) => extract(media_type, std::io::Cursor::new(bytes)),
                Err(e) => return problem(format!("cannot decode the stored object: {e}")),
            }
        }
    };
    if out.c2pa || sidecar.is_some() {
        credentials(store, id, enc, media_type, anchors, sidecar, &mut out);
    }
    out
}

/// Validate the content credentials of a stored object: from its file,
/// or (compressed) from a decoded temporary copy.
fn credentials(
    store: &Store,
    id: &ObjectId,
    enc: Encoding,
    media_type: &str,
    anchors: &Anchors,
    sidecar: Option<&[u8]>,
    out: &mut Embedded,
) {
    if !c2pa::reads(media_type) {
        out.problems.push(format!(
            "C2PA content credentials of {media_type} files are not validated; they are kept \
             with the file"
        ));
        return;
    }
    let file = match enc {
        Encoding::None => store.open(id, enc),
        Encoding::Zstd => tempfile::tempfile().and_then(|mut t| {
            std::io::copy(&mut store.open_decoded(id, enc)?, &mut t)?;
            Ok(t)
        }),
    };
    match file.and_then(|f| Ok((f.metadata()?.len(), f))) {
        Ok((size, f)) => {
            // The crate's parsers meet hostile bytes too: a panic there
            // costs the credentials, never the ingest.
            let mut found = Embedded::default();
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                c2pa::validate(media_type, size, f, sidecar, anchors, &mut found)
            }));
            match run {
                Ok(()) => {
                    out.values.append(&mut found.values);
                    out.device.append(&mut found.device);
                    out.problems.append(&mut found.problems);
                }
                Err(_) => out.problems.push(
                    "the C2PA reader failed on this file; its content credentials were not taken"
                        .into(),
                ),
            }
        }
        Err(e) => out
            .problems
            .push(format!("C2PA content credentials: cannot read the stored object: {e}")),
    }
}

/// Read the embedded metadata of a file of `media_type` from `r`.
pub fn extract<R: Read + Seek>(media_type: &str, mut r: R) -> Embedded {
    let mut out = Embedded::default();
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if is_photo(media_type) {
            photo::photo(media_type, &mut r, &mut out);
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

// ----------------------------------------------------------------- video

fn video<R: Read + Seek>(r: &mut R, out: &mut Embedded) {
    // A broken box walk is reported by the `moov` search below.
    out.c2pa = isobmff::has_top(r, b"uuid", Some(&isobmff::C2PA_UUID)).unwrap_or(false);
    let moov = match isobmff::moov(r) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(e) => {
            out.problems.push(format!("video metadata could not be read: {e}"));
            return;
        }
    };
    let mut found = isobmff::read(&moov);
    out.problems.append(&mut found.problems);
    // XMP: QuickTime's udta/XMP_, and the MP4 uuid box (top level).
    let mut xmp = blocks::Blocks::default();
    xmp.xmp.extend(found.xmp.take());
    match isobmff::top_level(r, b"uuid", Some(&isobmff::XMP_UUID), blocks::MAX_BLOCK) {
        Ok(packet) => xmp.xmp.extend(packet),
        Err(e) => out.problems.push(format!("the XMP uuid box: {e}")),
    }
    photo::other_blocks(&xmp, out);
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
    fn every_listed_type_is_read() {
        assert!(READ_TYPES.iter().all(|t| reads(t)), "{READ_TYPES:?}");
    }

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
