//! Media type sniffing from magic bytes — one canonical media type per
//! format (`ALIASES` lists what `file`, `infer` and browsers call the same
//! formats): our own checks for the ISO base media family (HEIC, HEIF,
//! AVIF, CR3, 3GPP, M4A, M4V, QuickTime, MP4 by their brands), the TIFF
//! family (BigTIFF and the raw camera formats by their own types),
//! MPEG-TS, WARC and WACZ, then the `infer` crate, then a WHATWG-style
//! check for HTML and plain text — and the per-object compression
//! decision: known-compressed types are stored as they are; anything else
//! is probed by compressing a sample, and zstd is kept only if the sample
//! shrinks to 97% or less (borg's `auto` rule).
//!
//! Must not: read files (callers hand in the first bytes) or write anything.

/// How much of the head is compressed to decide.
const PROBE_BYTES: usize = 64 * 1024;
/// Keep zstd only if the probe is at most this fraction of the input.
const KEEP_RATIO: f64 = 0.97;

/// Other names of the formats we sniff, with the canonical media type
/// `sniff` gives for each and who uses the other name. A name on the left
/// is never one `sniff` gives; `canonical` maps it (so a search for
/// `audio/x-m4a` finds an M4A, and items archived under an older name
/// keep matching).
pub const ALIASES: &[(&str, &str, &str)] = &[
    ("audio/x-m4a", "audio/mp4", "file"),
    ("audio/m4a", "audio/mp4", "infer"),
    ("audio/opus", "audio/ogg", "infer (Ogg Opus; audio/ogg is RFC 7845's type)"),
    ("audio/x-hx-aac-adts", "audio/aac", "file (ADTS)"),
    ("audio/x-flac", "audio/flac", "infer"),
    ("audio/x-wav", "audio/wav", "file, infer"),
    ("audio/wave", "audio/wav", "WHATWG"),
    ("audio/vnd.wave", "audio/wav", "IANA"),
    ("image/x-ms-bmp", "image/bmp", "older file"),
    ("image/heic-sequence", "image/heic", "IANA (HEVC image sequences)"),
    ("image/heif-sequence", "image/heif", "IANA (image sequences)"),
    ("image/avif-sequence", "image/avif", "browsers"),
    ("application/x-warc", "application/warc", "older tools"),
];

/// Where `file --mime-type` (5.44) names a format by the format it is
/// built on, or not at all: (what `sniff` gives, what `file` gives, why).
pub const FILE_NAMES_OTHERWISE: &[(&str, &str, &str)] = &[
    ("image/x-nikon-nef", "image/tiff", "NEF is a TIFF; file has no NEF magic"),
    ("image/x-sony-arw", "image/tiff", "ARW is a TIFF; file has no ARW magic"),
    ("image/x-adobe-dng", "image/tiff", "DNG is a TIFF; file has no DNG magic"),
    ("application/wacz", "application/zip", "WACZ is a ZIP; file has no WACZ magic"),
    ("video/mp2t", "application/octet-stream", "file 5.44 does not recognise every TS"),
    ("text/plain", "application/json", "JSON is kept as text, to be searched as text"),
    ("image/x-canon-cr3", "application/octet-stream", "file 5.44 has no CR3 magic"),
    ("image/x-panasonic-rw2", "application/octet-stream", "file 5.44 has no RW2 magic"),
    ("application/x-empty", "inode/x-empty", "file names an empty file by its inode"),
    ("image/heic", "image/heif", "a HEIC whose major brand is mif1: file reads that brand only"),
];

/// The canonical name of a media type: its `ALIASES` entry, else itself.
pub fn canonical(media_type: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _, _)| alias.eq_ignore_ascii_case(media_type))
        .map_or(media_type, |(_, canonical, _)| canonical)
}

/// Sniff the media type of a file from its first bytes.
pub fn sniff(head: &[u8]) -> String {
    if head.is_empty() {
        return "application/x-empty".into();
    }
    if let Some(t) = iso_bmff(head).or_else(|| tiff_family(head)).or_else(|| archives(head)) {
        return t.into();
    }
    if let Some(t) = infer::get(head) {
        return canonical(t.mime_type()).to_owned();
    }
    if looks_like_html(head) {
        return "text/html".into();
    }
    if looks_like_text(head) {
        return "text/plain".into();
    }
    if mpeg_ts(head) {
        return "video/mp2t".into();
    }
    "application/octet-stream".into()
}

/// The ISO base media file family, by the `ftyp` box's major brand and,
/// for the generic HEIF brands, its compatible brands.
fn iso_bmff(head: &[u8]) -> Option<&'static str> {
    if head.get(4..8) != Some(b"ftyp") {
        return None;
    }
    let size = u32::from_be_bytes(head.get(0..4)?.try_into().ok()?) as usize;
    let major: [u8; 4] = head.get(8..12)?.try_into().ok()?;
    // The compatible brands end where the box (or the head) does.
    let end = size.min(head.len()).max(16);
    let compatible: Vec<&[u8]> = head.get(16..end).unwrap_or(&[]).chunks_exact(4).collect();
    let has = |b: &[u8; 4]| compatible.iter().any(|c| c == b);
    Some(match &major {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" => {
            "image/heic"
        }
        b"avif" | b"avis" => "image/avif",
        b"mif1" | b"msf1" if has(b"avif") || has(b"avis") => "image/avif",
        b"mif1" | b"msf1" if has(b"heic") || has(b"heix") || has(b"hevc") => "image/heic",
        b"mif1" | b"msf1" | b"mif2" => "image/heif",
        b"crx " => "image/x-canon-cr3",
        b"M4A " | b"M4B " | b"M4P " => "audio/mp4",
        b"M4V " | b"M4VH" | b"M4VP" => "video/x-m4v",
        b"qt  " => "video/quicktime",
        [b'3', b'g', b'2', _] => "video/3gpp2",
        [b'3', b'g', b'p' | b'e' | b'g' | b's' | b'r', _] => "video/3gpp",
        _ => return None,
    })
}

/// TIFF and BigTIFF, and the raw camera formats built on them by their own
/// types: CR2 (its "CR" marker), ORF and RW2 (their own magic numbers),
/// DNG (a DNGVersion tag in IFD0), NEF and ARW (IFD0's Make with the
/// SubIFDs that hold the raw image — a scanner's TIFF has none).
fn tiff_family(head: &[u8]) -> Option<&'static str> {
    let le = match head.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = head.get(at..at + 2)?.try_into().ok()?;
        Some(if le { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    // ORF's and RW2's magic numbers are ASCII ("IIRO", "MMOR"): a text file
    // may start so, so the first IFD must also be where a TIFF's would be.
    let ifd_near = u32_at(4).is_some_and(|o| (8..4096).contains(&o));
    match head.get(..4)? {
        b"II*\0" | b"MM\0*" => {}
        b"II+\0" | b"MM\0+" => return Some("image/tiff"), // BigTIFF
        b"IIRO" | b"IIRS" | b"MMOR" if ifd_near => return Some("image/x-olympus-orf"),
        b"IIU\0" if ifd_near => return Some("image/x-panasonic-rw2"),
        _ => return None,
    }
    if head.get(8..10) == Some(b"CR") {
        return Some("image/x-canon-cr2");
    }
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd).unwrap_or(0));
    let (mut make, mut sub_ifds) = (None, false);
    for k in 0..count {
        let Some(tag) = u16_at(ifd + 2 + 12 * k) else { break };
        match tag {
            50706 => return Some("image/x-adobe-dng"),
            330 => sub_ifds = true,
            271 => {
                let n = u32_at(ifd + 2 + 12 * k + 4).unwrap_or(0) as usize;
                let at = if n <= 4 {
                    ifd + 2 + 12 * k + 8
                } else {
                    u32_at(ifd + 2 + 12 * k + 8).unwrap_or(0) as usize
                };
                make = head.get(at..at + n.min(16));
            }
            _ => {}
        }
    }
    Some(match make {
        Some(m) if sub_ifds && m.starts_with(b"NIKON") => "image/x-nikon-nef",
        Some(m) if sub_ifds && m.starts_with(b"SONY") => "image/x-sony-arw",
        _ => "image/tiff",
    })
}

/// Fujifilm's RAF, WARC (a version line), and WACZ (a ZIP holding a
/// stored `datapackage.json` that names a `wacz_version`, among the entries
/// the head holds; otherwise it is left to `infer` as a ZIP).
fn archives(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"FUJIFILMCCD-RAW ") {
        return Some("image/x-fuji-raf");
    }
    if head.starts_with(b"WARC/1.") {
        return Some("application/warc");
    }
    let mut at = 0usize;
    while head.get(at..at + 4) == Some(b"PK\x03\x04") {
        let u16_at =
            |o: usize| head.get(o..o + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
        let size = head.get(at + 18..at + 22).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let (Some(name_len), Some(extra_len), Some(size)) =
            (u16_at(at + 26), u16_at(at + 28), size)
        else {
            return None;
        };
        let name = head.get(at + 30..at + 30 + name_len);
        let data_at = at + 30 + name_len + extra_len;
        let data = head.get(data_at..head.len().min(data_at + size as usize)).unwrap_or(&[]);
        // A Frictionless data package is a ZIP with a datapackage.json
        // too: WACZ's names its WACZ version (WACZ 1.1.1, section 5.1).
        let wacz = data.windows(12).any(|w| w == b"wacz_version");
        if name == Some(b"datapackage.json") && wacz {
            return Some("application/wacz");
        }
        // A size deferred to a data descriptor (flag bit 3) ends the walk.
        if u16_at(at + 6).unwrap_or(0) & 8 != 0 {
            return None;
        }
        at = at.checked_add(30 + name_len + extra_len)?.checked_add(size as usize)?;
    }
    None
}

/// MPEG transport streams: a sync byte every 188 bytes (or 192, for the
/// M2TS packets with a time code first), four packets in a row.
fn mpeg_ts(head: &[u8]) -> bool {
    [(188usize, 0usize), (192, 4)]
        .iter()
        .any(|&(step, first)| (0..4).all(|k| head.get(first + k * step) == Some(&0x47)))
}

fn looks_like_html(head: &[u8]) -> bool {
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    let h = &head[start..head.len().min(start + 64)];
    let lower: Vec<u8> = h.iter().map(u8::to_ascii_lowercase).collect();
    [&b"<!doctype html"[..], b"<html", b"<head", b"<body"].iter().any(|p| lower.starts_with(p))
}

fn looks_like_text(head: &[u8]) -> bool {
    // UTF-8 with no control bytes other than tab, newline, CR, form feed.
    // A multi-byte character cut at the end of the sample is allowed.
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && !head.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

/// Whether a media type is already compressed (never worth zstd).
fn known_compressed(media_type: &str) -> bool {
    media_type.starts_with("video/")
        || media_type.starts_with("audio/")
        || matches!(
            media_type,
            "image/jpeg"
                | "image/png"
                | "image/gif"
                | "image/webp"
                | "image/heif"
                | "image/heic"
                | "image/avif"
                | "image/jxl"
                | "application/zip"
                | "application/wacz"
                | "application/gzip"
                | "application/x-bzip2"
                | "application/x-xz"
                | "application/zstd"
                | "application/x-7z-compressed"
                | "application/vnd.rar"
                | "application/pdf"
                | "application/epub+zip"
        )
}

/// Decide whether to store an object as a zstd frame, from its media type
/// and its first bytes.
pub fn should_compress(media_type: &str, head: &[u8]) -> bool {
    if head.len() < 64 || known_compressed(media_type) {
        return false;
    }
    let sample = &head[..head.len().min(PROBE_BYTES)];
    match zstd::bulk::compress(sample, 1) {
        Ok(c) => (c.len() as f64) <= KEEP_RATIO * sample.len() as f64,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_types() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"), "video/mp4");
        assert_eq!(sniff(b"  <!DOCTYPE html><html>"), "text/html");
        assert_eq!(sniff("حلب, 29 November\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\x01\x02\x03\x04binary"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/x-empty");
    }

    #[test]
    fn sniffs_the_iso_family_by_brand() {
        let ftyp = |major: &[u8], compatible: &[u8]| {
            let mut b = ((16 + compatible.len()) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(b"ftyp");
            b.extend_from_slice(major);
            b.extend_from_slice(&[0; 4]);
            b.extend_from_slice(compatible);
            b.extend_from_slice(&[0; 16]);
            sniff(&b)
        };
        assert_eq!(ftyp(b"heic", b"mif1heic"), "image/heic");
        assert_eq!(ftyp(b"mif1", b"mif1heic"), "image/heic");
        assert_eq!(ftyp(b"mif1", b"mif1"), "image/heif");
        assert_eq!(ftyp(b"mif1", b"mif1avif"), "image/avif");
        assert_eq!(ftyp(b"avif", b"mif1"), "image/avif");
        assert_eq!(ftyp(b"crx ", b"crx "), "image/x-canon-cr3");
        assert_eq!(ftyp(b"M4A ", b"isom"), "audio/mp4");
        assert_eq!(ftyp(b"3gp4", b"isom"), "video/3gpp");
        assert_eq!(ftyp(b"3g2a", b"3g2a"), "video/3gpp2");
        assert_eq!(ftyp(b"qt  ", b"qt  "), "video/quicktime");
        assert_eq!(ftyp(b"isom", b"isomiso2mp41"), "video/mp4");
        // The compatible brands end where the box does.
        assert_eq!(ftyp(b"mif1", b""), "image/heif");
        // Cut short: a head of 12 to 15 bytes.
        assert_eq!(sniff(b"\0\0\0\x14ftypisom"), "video/mp4");
        assert_eq!(sniff(b"\0\0\0\x14ftypheic\0\0"), "image/heic");
    }

    /// A little-endian TIFF whose IFD0 holds the given (tag, type, count,
    /// value) entries, then `data` (at offset 8 + 2 + 12n + 4).
    fn tiff(entries: &[(u16, u16, u32, u32)], data: &[u8]) -> Vec<u8> {
        let mut b = b"II*\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, count, value) in entries {
            for x in [tag.to_le_bytes().as_slice(), &typ.to_le_bytes()] {
                b.extend_from_slice(x);
            }
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(&value.to_le_bytes());
        }
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn sniffs_raw_formats_by_their_own_types() {
        let data_at = 8 + 2 + 12 * 2 + 4;
        let make = |m: &[u8], sub: bool| {
            let mut e = vec![(271, 2, m.len() as u32, data_at)];
            e.push(if sub { (330, 4, 1, 0) } else { (256, 3, 1, 1) });
            sniff(&tiff(&e, m))
        };
        assert_eq!(make(b"NIKON CORPORATION\0", true), "image/x-nikon-nef");
        assert_eq!(make(b"SONY\0", true), "image/x-sony-arw");
        // A Nikon scanner's TIFF holds no raw image in SubIFDs.
        assert_eq!(make(b"NIKON\0", false), "image/tiff");
        assert_eq!(make(b"Canon\0", true), "image/tiff");
        assert_eq!(sniff(&tiff(&[(50706, 1, 4, 0x0104)], b"")), "image/x-adobe-dng");
        assert_eq!(sniff(b"II*\0\x10\0\0\0CR\x02\0\0\0\0\0"), "image/x-canon-cr2");
        assert_eq!(sniff(b"IIRO\x08\0\0\0\0\0"), "image/x-olympus-orf");
        assert_eq!(sniff(b"IIU\0\x18\0\0\0\0\0"), "image/x-panasonic-rw2");
        // Text that starts like ORF's magic stays text.
        assert_eq!(sniff(b"MMORPG players reported the outage\n"), "text/plain");
        assert_eq!(sniff(b"IIROC notice, 29 November\n"), "text/plain");
        assert_eq!(sniff(b"II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0"), "image/tiff");
        // IFD0 beyond the head, or cut short: still a TIFF.
        assert_eq!(sniff(b"MM\0*\xff\xff\xff\xff"), "image/tiff");
        assert_eq!(sniff(&tiff(&[(271, 2, 400, 9000)], b"")), "image/tiff");
    }

    #[test]
    fn sniffs_streams_and_web_archives() {
        let mut ts = vec![0u8; 188 * 4];
        for k in 0..4 {
            ts[k * 188] = 0x47;
        }
        assert_eq!(sniff(&ts), "video/mp2t");
        let mut m2ts = vec![0u8; 192 * 4];
        for k in 0..4 {
            m2ts[4 + k * 192] = 0x47;
        }
        assert_eq!(sniff(&m2ts), "video/mp2t");
        ts[188 * 3] = 0;
        assert_eq!(sniff(&ts), "application/octet-stream");
        assert_eq!(sniff(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n"), "application/warc");
        let entry = |name: &[u8], data: &[u8]| {
            let mut b = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(name);
            b.extend_from_slice(data);
            b
        };
        let mut wacz = entry(b"archive/data.warc", b"WARC/1.1\r\n");
        wacz.extend(entry(b"datapackage.json", b"{\"wacz_version\": \"1.1.1\"}"));
        assert_eq!(sniff(&wacz), "application/wacz");
        // A data package that is not a web archive is a ZIP.
        assert_eq!(sniff(&entry(b"datapackage.json", b"{}")), "application/zip");
        assert_eq!(sniff(&entry(b"report.txt", b"residents")), "application/zip");
    }

    #[test]
    fn aliases_name_one_format() {
        assert_eq!(canonical("AUDIO/X-M4A"), "audio/mp4");
        assert_eq!(canonical("audio/opus"), "audio/ogg");
        assert_eq!(canonical("image/jpeg"), "image/jpeg");
        for (alias, canon, _) in ALIASES {
            // No alias is a name `sniff` gives, and none chains.
            assert!(ALIASES.iter().all(|(a, _, _)| !a.eq_ignore_ascii_case(canon)), "{canon}");
            assert_ne!(alias, canon);
        }
    }

    #[test]
    fn compression_decision() {
        let text = "the citadel gate at dawn, residents reported. ".repeat(200);
        assert!(should_compress("text/plain", text.as_bytes()));
        assert!(!should_compress("image/jpeg", text.as_bytes()));
        let mut noise = vec![0u8; 65536];
        let mut x: u32 = 12345;
        for b in &mut noise {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            *b = (x >> 24) as u8;
        }
        assert!(!should_compress("application/octet-stream", &noise));
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn sniffing_and_probing_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
                let t = sniff(&bytes);
                prop_assert!(!t.is_empty());
                let _ = should_compress(&t, &bytes);
            }
        }
    }
}
