//! A small, bounded reader for the metadata boxes of ISO base media files
//! (MP4, MOV, 3GP): finds `moov`, then `mvhd` (version 0 or 1), `udta/©xyz`,
//! `udta/loci` (3GPP TS 26.244), `udta/XMP_` and Apple `meta/keys` +
//! `meta/ilst` (in `moov` as iPhones write it, or in `moov/udta` as ffmpeg
//! does); and any top-level box by type (HEIF's `meta`, the XMP `uuid`).
//!
//! Every size is checked against its container before it is used; of
//! `moov`, only the children read (`mvhd`, `udta`, `meta`, each at most
//! `MAX_CHILD`) are held in memory.
//!
//! Must not: panic or allocate on the strength of an untrusted size.

use std::io::{Read, Seek, SeekFrom};

/// The user type of the `uuid` box that holds an MP4's XMP packet (XMP
/// Specification Part 3, 1.2.7: BE7ACFCB-97A9-42E8-9C71-999491E3AFAC).
pub const XMP_UUID: [u8; 16] = [
    0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac,
];

/// The user type of the top-level `uuid` box that holds a C2PA manifest
/// store (C2PA 2.x, "Embedding manifests into BMFF-based assets").
pub const C2PA_UUID: [u8; 16] = [
    0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81,
];

/// Seconds from 1904-01-01 (the QuickTime epoch) to 1970-01-01.
const QT_EPOCH_OFFSET: i64 = 2_082_844_800;

/// What the boxes say, raw where raw is text.
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    /// `mvhd` creation time as RFC 3339 UTC (absent when 0 = unset).
    pub mvhd: Option<String>,
    /// `com.apple.quicktime.creationdate`.
    pub creationdate: Option<String>,
    /// `com.apple.quicktime.location.ISO6709`.
    pub iso6709_key: Option<String>,
    /// `udta/©xyz` text.
    pub xyz: Option<String>,
    /// `udta/loci` decoded: (lat, lon, altitude).
    pub loci: Option<(f64, f64, Option<f64>)>,
    /// `udta/loci` body as hex.
    pub loci_raw: Option<String>,
    /// `com.apple.quicktime.make`.
    pub make: Option<String>,
    /// `com.apple.quicktime.model`.
    pub model: Option<String>,
    /// `udta/XMP_` (QuickTime's XMP packet).
    pub xmp: Option<Vec<u8>>,
    /// What was malformed.
    pub problems: Vec<String>,
}

/// A box: its four-character type and its body.
type Atom<'a> = ([u8; 4], &'a [u8]);

/// A box header: its type, the header's length and the box's total length
/// (header included), read from `h` (8 bytes, or 16 for a 64-bit size)
/// and checked against the `room` left in its container (the file, for a
/// top-level box) at offset `at`.
fn header(h: &[u8], at: u64, room: u64, container: &str) -> Result<([u8; 4], u64, u64), String> {
    let word = |r: std::ops::Range<usize>| h.get(r).ok_or("a box header is cut off");
    let size = u64::from(u32::from_be_bytes(word(0..4)?.try_into().map_err(|_| "bad size")?));
    let kind: [u8; 4] = word(4..8)?.try_into().map_err(|_| "bad type")?;
    let (total, len) = match size {
        0 => (room, 8),
        1 => {
            let b = h.get(8..16).ok_or("a 64-bit box size is cut off")?;
            (u64::from_be_bytes(b.try_into().map_err(|_| "bad size")?), 16)
        }
        n => (n, 8),
    };
    if total < len || total > room {
        return Err(format!(
            "box {:?} at offset {at} claims {total} bytes, {container}",
            String::from_utf8_lossy(&kind)
        ));
    }
    Ok((kind, len, total))
}

/// The boxes directly inside `body`. Stops with an error at the first box
/// whose size does not fit.
pub(super) fn boxes(body: &[u8]) -> Result<Vec<Atom<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while body.len() - at >= 8 {
        let room = (body.len() - at) as u64;
        let (kind, len, total) =
            header(&body[at..], at as u64, room, "more than its container holds")?;
        out.push((kind, &body[at + len as usize..at + total as usize]));
        at += total as usize;
    }
    Ok(out)
}

/// Top-level boxes visited at most (a file of millions of tiny boxes is
/// reported, not walked to its end).
pub const MAX_BOXES: u64 = 1 << 20;
/// Largest `moov` child read (`mvhd`, `udta`, `meta`; the tracks, which
/// hold most of a large `moov`, are skipped unread).
pub const MAX_CHILD: u64 = 4 << 20;

/// The next box header at `pos` (`None` at the end): type, header length,
/// total length.
fn next_header<R: Read>(
    r: &mut R,
    pos: u64,
    end: u64,
    what: &str,
) -> Result<Option<([u8; 4], u64, u64)>, String> {
    if pos + 8 > end {
        return Ok(None);
    }
    let mut h = [0u8; 16];
    r.read_exact(&mut h[..8]).map_err(|e| e.to_string())?;
    let mut n = 8;
    if u32::from_be_bytes([h[0], h[1], h[2], h[3]]) == 1 {
        r.read_exact(&mut h[8..16]).map_err(|e| e.to_string())?;
        n = 16;
    }
    header(&h[..n], pos, end - pos, what).map(Some)
}

fn skip<R: Read + Seek>(r: &mut std::io::BufReader<R>, n: u64) -> Result<(), String> {
    let n = i64::try_from(n).map_err(|_| "a box is too large to skip".to_owned())?;
    r.seek_relative(n).map_err(|e| e.to_string())
}

/// Walk the top-level boxes to the first of type `kind`: the buffered
/// reader at its body, the body's start and end (`None`: there is none).
/// Headers are read through a buffer and boxes are skipped by seeking, so
/// many small boxes cost no more than their headers.
/// A `uuid` box counts only with the given user type (its first 16
/// bytes, which the body returned then starts after).
#[allow(clippy::type_complexity)]
fn seek_top<'r, R: Read + Seek>(
    r: &'r mut R,
    kind: &[u8; 4],
    usertype: Option<&[u8; 16]>,
) -> Result<Option<(std::io::BufReader<&'r mut R>, u64, u64)>, String> {
    let end = r.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    r.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut r = std::io::BufReader::with_capacity(64 << 10, r);
    let mut pos = 0u64;
    for _ in 0..MAX_BOXES {
        let Some((k, len, total)) = next_header(&mut r, pos, end, "past the end of the file")?
        else {
            return Ok(None);
        };
        let mut read = 0;
        if &k == kind {
            match usertype {
                Some(want) if total - len >= 16 => {
                    let mut got = [0u8; 16];
                    r.read_exact(&mut got).map_err(|e| e.to_string())?;
                    read = 16;
                    if &got == want {
                        return Ok(Some((r, pos + len + 16, pos + total)));
                    }
                }
                Some(_) => {}
                None => return Ok(Some((r, pos + len, pos + total))),
            }
        }
        skip(&mut r, total - len - read)?;
        pos += total;
    }
    Err(format!(
        "more than {MAX_BOXES} top-level boxes before any {}; not read further",
        String::from_utf8_lossy(kind)
    ))
}

/// Find the top-level `moov` box and read what of it `read` needs: its
/// `mvhd`, `udta` and `meta` children, as a `moov` body of those alone
/// (`None`: no `moov`). Neither many small boxes nor a large `moov` costs
/// more than the headers and those children.
pub fn moov<R: Read + Seek>(r: &mut R) -> Result<Option<Vec<u8>>, String> {
    match seek_top(r, b"moov", None)? {
        Some((mut r, start, end)) => moov_children(&mut r, start, end).map(Some),
        None => Ok(None),
    }
}

/// Whether there is a top-level box of type `kind` (for `uuid`, of that
/// user type).
pub fn has_top<R: Read + Seek>(
    r: &mut R,
    kind: &[u8; 4],
    usertype: Option<&[u8; 16]>,
) -> Result<bool, String> {
    seek_top(r, kind, usertype).map(|found| found.is_some())
}

/// The body of the first top-level box of type `kind` (for `uuid`, of
/// that user type, the body after it), if it is at most `max` bytes
/// (`None`: there is none).
pub fn top_level<R: Read + Seek>(
    r: &mut R,
    kind: &[u8; 4],
    usertype: Option<&[u8; 16]>,
    max: u64,
) -> Result<Option<Vec<u8>>, String> {
    let Some((mut r, start, end)) = seek_top(r, kind, usertype)? else { return Ok(None) };
    if end - start > max {
        return Err(format!(
            "the {} box is {} bytes, more than the {max} read",
            String::from_utf8_lossy(kind),
            end - start
        ));
    }
    let mut body = vec![0; (end - start) as usize];
    r.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(Some(body))
}

/// The `mvhd`, `udta` and `meta` boxes (headers included) of the `moov`
/// body from `pos` to `end`, the reader at `pos`.
fn moov_children<R: Read + Seek>(
    r: &mut std::io::BufReader<R>,
    mut pos: u64,
    end: u64,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some((kind, len, total)) = next_header(r, pos, end, "more than its container holds")?
    {
        let wanted = matches!(&kind, b"mvhd" | b"udta" | b"meta");
        if wanted && total > MAX_CHILD {
            return Err(format!(
                "the moov/{} box is {total} bytes, more than the {MAX_CHILD} read",
                String::from_utf8_lossy(&kind)
            ));
        }
        if wanted {
            // Re-written with a 32-bit size (it fits: at most MAX_CHILD).
            let body_len = total - len;
            out.extend(u32::try_from(body_len + 8).map_err(|_| "box too large")?.to_be_bytes());
            out.extend(kind);
            let start = out.len();
            out.resize(start + body_len as usize, 0);
            r.read_exact(&mut out[start..]).map_err(|e| e.to_string())?;
        } else {
            skip(r, total - len)?;
        }
        pos += total;
    }
    Ok(out)
}

/// Read the metadata boxes of a `moov` body.
pub fn read(moov: &[u8]) -> Found {
    let mut f = Found::default();
    let top = match boxes(moov) {
        Ok(b) => b,
        Err(e) => {
            f.problems.push(format!("moov: {e}"));
            return f;
        }
    };
    for (kind, body) in top {
        match &kind {
            b"mvhd" => match mvhd(body) {
                Ok(t) => f.mvhd = t,
                Err(e) => f.problems.push(format!("mvhd: {e}")),
            },
            b"meta" => meta(body, &mut f),
            b"udta" => match boxes(body) {
                Ok(children) => {
                    for (k, b) in children {
                        match &k {
                            b"\xa9xyz" => f.xyz = quicktime_text(b),
                            b"XMP_" => f.xmp = Some(b.to_vec()),
                            b"loci" => match loci(b) {
                                Ok(p) => {
                                    f.loci = Some(p);
                                    f.loci_raw = Some(hex::encode(&b[..b.len().min(256)]));
                                }
                                Err(e) => f.problems.push(format!("loci: {e}")),
                            },
                            b"meta" => meta(b, &mut f),
                            _ => {}
                        }
                    }
                }
                Err(e) => f.problems.push(format!("udta: {e}")),
            },
            _ => {}
        }
    }
    f
}

/// `mvhd` creation time; version 0 has 32-bit times, version 1 64-bit.
fn mvhd(b: &[u8]) -> Result<Option<String>, String> {
    let secs = match b.first() {
        Some(0) => b.get(4..8).map(|x| u64::from(u32::from_be_bytes([x[0], x[1], x[2], x[3]]))),
        Some(1) => b.get(4..12).map(|x| {
            let mut a = [0u8; 8];
            a.copy_from_slice(x);
            u64::from_be_bytes(a)
        }),
        Some(v) => return Err(format!("unknown version {v}")),
        None => None,
    }
    .ok_or("the box is too short")?;
    if secs == 0 {
        return Ok(None); // 0 means "not set"
    }
    let unix = i64::try_from(secs).map_err(|_| "creation time out of range")? - QT_EPOCH_OFFSET;
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| "creation time out of range")?;
    Ok(Some(crate::clock::rfc3339(t)))
}

/// QuickTime user-data text: 16-bit length, 16-bit language, the text.
fn quicktime_text(b: &[u8]) -> Option<String> {
    let len = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
    let text = b.get(4..4 + len).or_else(|| b.get(4..))?;
    Some(String::from_utf8_lossy(text).trim_end_matches('\0').to_owned())
}

/// 3GPP TS 26.244 `loci`: version/flags, language, name (NUL-terminated,
/// UTF-8 or UTF-16 with BOM), role, then longitude, latitude, altitude as
/// signed 16.16 fixed point.
fn loci(body: &[u8]) -> Result<(f64, f64, Option<f64>), String> {
    let short = || "the box is too short".to_owned();
    let rest = body.get(6..).ok_or_else(short)?;
    let name_len = if rest.starts_with(&[0xfe, 0xff]) || rest.starts_with(&[0xff, 0xfe]) {
        rest.chunks(2).position(|c| c == [0, 0]).map(|i| i * 2 + 2)
    } else {
        rest.iter().position(|b| *b == 0).map(|i| i + 1)
    }
    .ok_or_else(|| "the place name is not terminated".to_owned())?;
    let fixed = rest.get(name_len + 1..name_len + 13).ok_or_else(short)?;
    let f = |i: usize| {
        f64::from(i32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]))
            / 65536.0
    };
    // ffmpeg writes altitude 0 when none was given: indistinguishable from
    // sea level, so 0 is kept as "unknown".
    let alt = f(8);
    Ok((f(4), f(0), (alt != 0.0).then_some(alt)))
}

/// Apple metadata: `keys` names, `ilst` values (UTF-8 `data` atoms).
fn meta(body: &[u8], f: &mut Found) {
    // An ISO `meta` is a full box (4 bytes of version/flags); QuickTime's is
    // not. Tell them apart by where the first child box's type is.
    let body =
        if body.get(4..8) == Some(b"hdlr") { body } else { body.get(4..).unwrap_or_default() };
    let children = match boxes(body) {
        Ok(c) => c,
        Err(e) => {
            f.problems.push(format!("meta: {e}"));
            return;
        }
    };
    let Some(keys) = children.iter().find(|(k, _)| k == b"keys").map(|(_, b)| *b) else { return };
    let Some(ilst) = children.iter().find(|(k, _)| k == b"ilst").map(|(_, b)| *b) else { return };
    let names = match keys.get(8..).map(boxes) {
        Some(Ok(entries)) => entries,
        _ => {
            f.problems.push("meta/keys is malformed".into());
            return;
        }
    };
    let items = match boxes(ilst) {
        Ok(i) => i,
        Err(e) => {
            f.problems.push(format!("meta/ilst: {e}"));
            return;
        }
    };
    for (index, value) in items {
        let i = u32::from_be_bytes(index) as usize;
        let Some((_, name)) = i.checked_sub(1).and_then(|i| names.get(i)) else { continue };
        let text = boxes(value).ok().and_then(|d| {
            d.iter()
                .find(|(k, _)| k == b"data")
                .and_then(|(_, b)| {
                    (b.get(..4) == Some(&[0, 0, 0, 1])).then(|| b.get(8..)).flatten()
                })
                .map(|t| String::from_utf8_lossy(t).into_owned())
        });
        let slot = match *name {
            b"com.apple.quicktime.location.ISO6709" => &mut f.iso6709_key,
            b"com.apple.quicktime.creationdate" => &mut f.creationdate,
            b"com.apple.quicktime.make" => &mut f.make,
            b"com.apple.quicktime.model" => &mut f.model,
            _ => continue,
        };
        *slot = text;
    }
}

/// An Apple creation date (`2024-11-29T14:03:00+0300`, offset with or
/// without a colon) as RFC 3339 with its offset.
pub fn apple_time(s: &str) -> Option<String> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    let fixed = match s.len().checked_sub(5).map(|i| s.split_at(i)) {
        Some((head, tail))
            if (tail.starts_with('+') || tail.starts_with('-'))
                && tail[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{head}{}:{}", &tail[..3], &tail[3..])
        }
        _ => s.to_owned(),
    };
    crate::clock::parse_instant(&fixed).ok().map(|_| fixed)
}

/// An ISO 6709 point (`+36.1993+037.1627+390.000/`, degrees, DDMM or
/// DDMMSS forms): (lat, lon, altitude).
pub fn iso6709(s: &str) -> Option<(f64, f64, Option<f64>)> {
    let s = s.trim().trim_end_matches('/');
    let s = s.split("CRS").next()?;
    let mut parts = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if (c == '+' || c == '-') && !cur.is_empty() {
            parts.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let angle = |p: &str, deg_digits: usize| -> Option<f64> {
        let (sign, digits) = match p.as_bytes().first()? {
            b'+' => (1.0, &p[1..]),
            b'-' => (-1.0, &p[1..]),
            _ => return None,
        };
        let int_len = digits.find('.').unwrap_or(digits.len());
        if !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        let v: f64 = digits.parse().ok()?;
        let value = match int_len.checked_sub(deg_digits)? {
            0 => v,
            2 => (v / 100.0).trunc() + (v % 100.0) / 60.0,
            4 => {
                (v / 10_000.0).trunc() + ((v / 100.0).trunc() % 100.0) / 60.0 + (v % 100.0) / 3600.0
            }
            _ => return None,
        };
        Some(sign * value)
    };
    if parts[0].len() < 3 || parts[1].len() < 4 {
        return None;
    }
    let lat = angle(&parts[0], 2)?;
    let lon = angle(&parts[1], 3)?;
    let alt = match parts.get(2) {
        Some(a) => Some(a.parse::<f64>().ok()?),
        None => None,
    };
    Some((lat, lon, alt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_forms() {
        assert_eq!(iso6709("+36.1993+037.1627+390.000/"), Some((36.1993, 37.1627, Some(390.0))));
        assert_eq!(iso6709("-33.4489-070.6693/"), Some((-33.4489, -70.6693, None)));
        let (lat, lon, _) = iso6709("+3611.958+03709.762/").unwrap();
        assert!((lat - 36.1993).abs() < 1e-4 && (lon - 37.1627).abs() < 1e-4, "{lat} {lon}");
        let (lat, lon, _) = iso6709("+361157.48+0370945.72/").unwrap();
        assert!((lat - 36.1993).abs() < 1e-4 && (lon - 37.1627).abs() < 1e-4, "{lat} {lon}");
        for bad in [
            "",
            "/",
            "+36.1993/",
            "36.1993+037.1627/",
            "+3a.1+037.1/",
            "+1+2/",
            "+5.6037-000.1870/",
            "+36.1993+37.1627/",
            "+36.1993+037.1627+年/",
        ] {
            assert_eq!(iso6709(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn apple_times() {
        assert_eq!(
            apple_time("2024-11-29T14:03:00+0300").as_deref(),
            Some("2024-11-29T14:03:00+03:00")
        );
        assert_eq!(
            apple_time("2024-11-29T14:03:00-04:00").as_deref(),
            Some("2024-11-29T14:03:00-04:00")
        );
        assert_eq!(apple_time("2024-11-29T14:03:00Z").as_deref(), Some("2024-11-29T14:03:00Z"));
        assert_eq!(apple_time("2024-11-29 14:03"), None);
        assert_eq!(apple_time("年月日"), None);
        assert_eq!(apple_time("2024-11-29T14:03:00+03:0年"), None);
    }

    #[test]
    fn loci_known_answer() {
        // version/flags, language, "\0" name, role 0, lon, lat, alt (16.16).
        let mut b = vec![0, 0, 0, 0, 0x15, 0xc7, 0, 0];
        for v in [37.1627f64, 36.1993, 12.0] {
            b.extend(((v * 65536.0).round() as i32).to_be_bytes());
        }
        b.extend(b"earth\0\0");
        let (lat, lon, alt) = loci(&b).unwrap();
        assert!((lat - 36.1993).abs() < 1e-4 && (lon - 37.1627).abs() < 1e-4);
        assert_eq!(alt, Some(12.0));
        assert!(loci(&b[..10]).is_err());
    }

    #[test]
    fn mvhd_versions() {
        let mut v0 = vec![0u8; 100];
        v0[4..8].copy_from_slice(&((1_732_878_180i64 + QT_EPOCH_OFFSET) as u32).to_be_bytes());
        assert_eq!(mvhd(&v0).unwrap().as_deref(), Some("2024-11-29T11:03:00Z"));
        let mut v1 = vec![0u8; 112];
        v1[0] = 1;
        v1[4..12].copy_from_slice(&((1_732_878_180i64 + QT_EPOCH_OFFSET) as u64).to_be_bytes());
        assert_eq!(mvhd(&v1).unwrap().as_deref(), Some("2024-11-29T11:03:00Z"));
        assert_eq!(mvhd(&[0u8; 100]).unwrap(), None);
        assert!(mvhd(&[0u8; 3]).is_err());
    }

    #[test]
    fn impossible_sizes_are_errors() {
        let mut b = 1000u32.to_be_bytes().to_vec();
        b.extend(b"udta");
        b.extend([0u8; 8]);
        assert!(boxes(&b).is_err());
        let mut c = 1u32.to_be_bytes().to_vec();
        c.extend(b"moov");
        c.extend(u64::MAX.to_be_bytes());
        assert!(boxes(&c).is_err());
        assert!(moov(&mut std::io::Cursor::new(c)).is_err());
    }

    fn atom(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(body);
        v
    }

    #[test]
    fn many_small_boxes_and_large_tracks_cost_only_their_headers() {
        let mut f = atom(b"ftyp", b"isom\0\0\0\0");
        for _ in 0..100_000 {
            f.extend(atom(b"free", b""));
        }
        let mut mvhd = vec![0u8; 100];
        mvhd[4..8].copy_from_slice(&((1_732_878_180i64 + QT_EPOCH_OFFSET) as u32).to_be_bytes());
        let mut m = atom(b"trak", &vec![0u8; 10 << 20]);
        m.extend(atom(b"mvhd", &mvhd));
        m.extend(atom(b"udta", &atom(b"\xa9xyz", b"\0\x12\0\0+36.1993+037.1627/")));
        f.extend(atom(b"moov", &m));
        let body = moov(&mut std::io::Cursor::new(&f)).unwrap().unwrap();
        assert!(body.len() < 1024, "the track was read: {} bytes", body.len());
        let found = read(&body);
        assert_eq!(found.mvhd.as_deref(), Some("2024-11-29T11:03:00Z"));
        assert_eq!(found.xyz.as_deref(), Some("+36.1993+037.1627/"));
        // Past the cap on top-level boxes: an error, not an endless walk.
        let mut g = Vec::new();
        for _ in 0..=MAX_BOXES {
            g.extend(atom(b"free", b""));
        }
        assert!(moov(&mut std::io::Cursor::new(g)).unwrap_err().contains("top-level boxes"));
    }
}
