//! Finding a photo's metadata blocks — EXIF (a TIFF structure), XMP
//! packets and IPTC IIM records — by walking JPEG segments, PNG chunks and
//! RIFF (WebP) chunks with seeks: what is read is the blocks themselves,
//! each at most `MAX_BLOCK`, never the image data, wherever in the file the
//! blocks sit (a PNG's `eXIf` may follow many megabytes of `IDAT`).
//!
//! Must not: interpret a block (metadata.rs, `xmp`, `iptc` do), or read
//! more than `MAX_BLOCK` per block or visit more than `MAX_UNITS`
//! segments or chunks.

use std::io::{Read, Seek, SeekFrom};

/// The largest block read (a larger one is reported and skipped).
pub const MAX_BLOCK: u64 = 4 << 20;
/// Segments or chunks visited at most (a file of millions of tiny chunks
/// is reported, not walked to its end).
pub const MAX_UNITS: usize = 1 << 16;

/// The metadata blocks of one file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Blocks {
    /// The EXIF TIFF structure (from its byte-order mark on).
    pub exif: Option<Vec<u8>>,
    /// XMP packets (UTF-8 XML).
    pub xmp: Vec<Vec<u8>>,
    /// IPTC IIM records (Photoshop resource 0x0404).
    pub iptc: Option<Vec<u8>>,
    /// What could not be read.
    pub problems: Vec<String>,
    /// A C2PA manifest store is embedded (read by `c2pa`, not here).
    pub c2pa: bool,
}

const EXIF_HEADER: &[u8] = b"Exif\0\0";
const XMP_HEADER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const PHOTOSHOP_HEADER: &[u8] = b"Photoshop 3.0\0";

/// An EXIF block without the JPEG-style `Exif\0\0` header some writers
/// put in PNG and WebP chunks too.
fn tiff_part(b: Vec<u8>) -> Vec<u8> {
    match b.strip_prefix(EXIF_HEADER) {
        Some(rest) => rest.to_vec(),
        None => b,
    }
}

fn read_exact_vec<R: Read>(r: &mut R, len: u64) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.take(len).read_to_end(&mut v)?;
    if (v.len() as u64) < len {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file ends early"));
    }
    Ok(v)
}

fn skip<R: Seek>(r: &mut R, len: u64) -> std::io::Result<()> {
    let len = i64::try_from(len).map_err(|_| std::io::Error::other("length out of range"))?;
    r.seek(SeekFrom::Current(len)).map(drop)
}

/// Read a block of `len` bytes, or skip it (reported) when too large.
fn block<R: Read + Seek>(
    r: &mut R,
    len: u64,
    what: &str,
    out: &mut Blocks,
) -> std::io::Result<Option<Vec<u8>>> {
    if len > MAX_BLOCK {
        out.problems.push(format!("{what} of {len} bytes is larger than {MAX_BLOCK}; not read"));
        skip(r, len)?;
        return Ok(None);
    }
    read_exact_vec(r, len).map(Some)
}

fn too_many(out: &mut Blocks, what: &str) {
    out.problems.push(format!("more than {MAX_UNITS} {what}; metadata after them is not read"));
}

/// What `walk` found, with where it stopped short as a problem.
fn walked<R>(
    r: &mut R,
    what: &str,
    walk: fn(&mut R, &mut Blocks) -> std::io::Result<()>,
) -> Blocks {
    let mut out = Blocks::default();
    if let Err(e) = walk(r, &mut out) {
        out.problems.push(format!("{what} could not be read to the end: {e}"));
    }
    out
}

/// The blocks of a Fujifilm RAF: those of the JPEG it embeds (its offset
/// and length at bytes 84 and 88 of the header), where the camera writes
/// its EXIF.
pub fn raf<R: Read + Seek>(r: &mut R) -> Blocks {
    let mut header = [0u8; 92];
    let embedded = r.seek(SeekFrom::Start(0)).and_then(|_| r.read_exact(&mut header)).map(|_| {
        let at = u32::from_be_bytes([header[84], header[85], header[86], header[87]]);
        let len = u32::from_be_bytes([header[88], header[89], header[90], header[91]]);
        (u64::from(at), u64::from(len).min(MAX_BLOCK))
    });
    let jpeg_bytes = embedded.and_then(|(at, len)| {
        r.seek(SeekFrom::Start(at))?;
        read_exact_vec(r, len)
    });
    match jpeg_bytes {
        Ok(b) => jpeg(&mut std::io::Cursor::new(b)),
        Err(e) => Blocks {
            problems: vec![format!("the RAF's embedded JPEG could not be read: {e}")],
            ..Blocks::default()
        },
    }
}

/// The blocks of a JPEG: APP1 `Exif`, APP1 XMP, APP13 Photoshop IRB
/// (IPTC), up to the first scan.
pub fn jpeg<R: Read + Seek>(r: &mut R) -> Blocks {
    walked(r, "JPEG segments", jpeg_walk)
}

fn jpeg_walk<R: Read + Seek>(r: &mut R, out: &mut Blocks) -> std::io::Result<()> {
    let mut b = [0u8; 2];
    r.read_exact(&mut b)?;
    if b != [0xFF, 0xD8] {
        return Err(std::io::Error::other("no JPEG start-of-image marker"));
    }
    let mut photoshop = Vec::new();
    for _ in 0..MAX_UNITS {
        // A marker: 0xFF (fill bytes allowed), then its code.
        let mut m = [0u8; 1];
        r.read_exact(&mut m)?;
        if m[0] != 0xFF {
            return Err(std::io::Error::other(format!(
                "byte {:#04x} where a marker was expected",
                m[0]
            )));
        }
        let mut code = 0xFF;
        while code == 0xFF {
            r.read_exact(&mut m)?;
            code = m[0];
        }
        match code {
            // Scan or end: the metadata segments come before.
            0xDA | 0xD9 => break,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        r.read_exact(&mut b)?;
        let len = u64::from(u16::from_be_bytes(b)).saturating_sub(2);
        if code == 0xEB && len >= 16 {
            // APP11: "JP", instance, sequence, then a JUMBF superbox.
            let mut head = [0u8; 16];
            r.read_exact(&mut head)?;
            out.c2pa |= &head[..2] == b"JP" && &head[12..16] == b"jumb";
            skip(r, len - 16)?;
            continue;
        }
        if code != 0xE1 && code != 0xED {
            skip(r, len)?;
            continue;
        }
        let Some(seg) = block(r, len, "a JPEG segment", out)? else { continue };
        if code == 0xE1 {
            if let Some(t) = seg.strip_prefix(EXIF_HEADER) {
                if out.exif.is_none() {
                    out.exif = Some(t.to_vec());
                }
            } else if let Some(x) = seg.strip_prefix(XMP_HEADER) {
                out.xmp.push(x.to_vec());
            }
        } else if let Some(p) = seg.strip_prefix(PHOTOSHOP_HEADER) {
            // A large IRB continues in the next APP13 segments.
            photoshop.extend_from_slice(p);
        }
    }
    if !photoshop.is_empty() {
        out.iptc = photoshop_iptc(&photoshop, &mut out.problems);
    }
    Ok(())
}

/// The IPTC resource (0x0404) of a Photoshop image resource block.
pub fn photoshop_iptc(mut irb: &[u8], problems: &mut Vec<String>) -> Option<Vec<u8>> {
    while irb.len() >= 12 {
        if &irb[..4] != b"8BIM" {
            problems.push(
                "a Photoshop image resource does not start with 8BIM; the rest is not read".into(),
            );
            return None;
        }
        let id = u16::from_be_bytes([irb[4], irb[5]]);
        // A Pascal string name, padded to an even length with its length byte.
        let name = usize::from(irb[6]);
        let at = 6 + (name + 2) / 2 * 2;
        let size_bytes = irb.get(at..at + 4)?;
        let size = u32::from_be_bytes([size_bytes[0], size_bytes[1], size_bytes[2], size_bytes[3]])
            as usize;
        let start = at + 4;
        let Some(data) = irb.get(start..start.saturating_add(size)) else {
            problems
                .push(format!("Photoshop resource {id:#06x} is longer than its segment; not read"));
            return None;
        };
        if id == 0x0404 {
            return Some(data.to_vec());
        }
        let next = start + size + size % 2;
        irb = irb.get(next..)?;
    }
    None
}

/// The blocks of a PNG: `eXIf`, and `iTXt` XMP (`XML:com.adobe.xmp`,
/// plain or zlib-compressed).
pub fn png<R: Read + Seek>(r: &mut R) -> Blocks {
    walked(r, "PNG chunks", png_walk)
}

fn png_walk<R: Read + Seek>(r: &mut R, out: &mut Blocks) -> std::io::Result<()> {
    let mut sig = [0u8; 8];
    r.read_exact(&mut sig)?;
    if &sig != b"\x89PNG\r\n\x1a\n" {
        return Err(std::io::Error::other("no PNG signature"));
    }
    for _ in 0..MAX_UNITS {
        let mut h = [0u8; 8];
        match r.read_exact(&mut h) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            x => x?,
        }
        let len = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
        let kind = [h[4], h[5], h[6], h[7]];
        match &kind {
            b"IEND" => return Ok(()),
            b"caBX" => {
                out.c2pa = true;
                skip(r, len)?;
            }
            b"eXIf" => {
                if let Some(b) = block(r, len, "the PNG eXIf chunk", out)? {
                    out.exif.get_or_insert(tiff_part(b));
                }
            }
            b"iTXt" => {
                if let Some(b) = block(r, len, "a PNG iTXt chunk", out)? {
                    png_xmp(&b, out);
                }
            }
            _ => skip(r, len)?,
        }
        skip(r, 4)?; // CRC
    }
    too_many(out, "PNG chunks");
    Ok(())
}

/// An `iTXt` chunk: keyword, NUL, compression flag, method, language,
/// NUL, translated keyword, NUL, text.
fn png_xmp(b: &[u8], out: &mut Blocks) {
    let Some(nul) = b.iter().position(|&c| c == 0) else { return };
    if &b[..nul] != b"XML:com.adobe.xmp" {
        return;
    }
    let rest = &b[nul + 1..];
    let (Some(&flag), Some(rest)) = (rest.first(), rest.get(2..)) else { return };
    let mut parts = rest.splitn(3, |&c| c == 0);
    let (_, _, Some(text)) = (parts.next(), parts.next(), parts.next()) else {
        out.problems.push("the PNG XMP chunk is malformed; not read".into());
        return;
    };
    if flag == 0 {
        out.xmp.push(text.to_vec());
        return;
    }
    let mut inflated = Vec::new();
    let read = flate2::read::ZlibDecoder::new(text).take(MAX_BLOCK + 1).read_to_end(&mut inflated);
    match read {
        Ok(n) if n as u64 <= MAX_BLOCK => out.xmp.push(inflated),
        Ok(_) => out
            .problems
            .push(format!("the PNG XMP chunk inflates past {MAX_BLOCK} bytes; not read")),
        Err(e) => out.problems.push(format!("the PNG XMP chunk does not inflate: {e}")),
    }
}

/// The blocks of a WebP (RIFF): `EXIF` and `XMP ` chunks.
pub fn webp<R: Read + Seek>(r: &mut R) -> Blocks {
    walked(r, "WebP chunks", webp_walk)
}

fn webp_walk<R: Read + Seek>(r: &mut R, out: &mut Blocks) -> std::io::Result<()> {
    let mut h = [0u8; 12];
    r.read_exact(&mut h)?;
    if &h[..4] != b"RIFF" || &h[8..] != b"WEBP" {
        return Err(std::io::Error::other("no RIFF WEBP header"));
    }
    for _ in 0..MAX_UNITS {
        let mut c = [0u8; 8];
        match r.read_exact(&mut c) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            x => x?,
        }
        let len = u64::from(u32::from_le_bytes([c[4], c[5], c[6], c[7]]));
        match &c[..4] {
            b"EXIF" => {
                if let Some(b) = block(r, len, "the WebP EXIF chunk", out)? {
                    out.exif.get_or_insert(tiff_part(b));
                }
            }
            b"XMP " => {
                if let Some(b) = block(r, len, "the WebP XMP chunk", out)? {
                    out.xmp.push(b);
                }
            }
            b"C2PA" => {
                out.c2pa = true;
                skip(r, len)?;
            }
            _ => skip(r, len)?,
        }
        skip(r, len % 2)?;
    }
    too_many(out, "WebP chunks");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn png_chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(data);
        v.extend([0; 4]);
        v
    }

    #[test]
    fn raf_blocks_are_its_embedded_jpegs() {
        let tiff = b"MM\0*\0\0\0\x08\0\0\0\0\0\0";
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(tiff);
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1];
        jpeg.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        jpeg.extend_from_slice(&app1);
        jpeg.extend_from_slice(&[0xff, 0xda, 0, 2]);
        let mut raf = b"FUJIFILMCCD-RAW 0201FF392201".to_vec();
        raf.resize(84, 0);
        raf.extend_from_slice(&100u32.to_be_bytes());
        raf.extend_from_slice(&(jpeg.len() as u32).to_be_bytes());
        raf.resize(100, 0);
        raf.extend_from_slice(&jpeg);
        let b = raf_of(&raf);
        assert_eq!(b.exif.as_deref(), Some(&tiff[..]), "{:?}", b.problems);
        // A JPEG said to lie past the end is a problem, never a panic.
        raf.truncate(110);
        assert!(raf_of(&raf).problems.iter().any(|p| p.contains("embedded JPEG")));
        assert!(!raf_of(&raf[..50]).problems.is_empty());
    }

    fn raf_of(b: &[u8]) -> Blocks {
        raf(&mut std::io::Cursor::new(b))
    }

    #[test]
    fn png_exif_after_much_image_data_is_found() {
        let mut f = b"\x89PNG\r\n\x1a\n".to_vec();
        f.extend(png_chunk(b"IHDR", &[0; 13]));
        let idat = vec![7u8; 1 << 20];
        for _ in 0..20 {
            f.extend(png_chunk(b"IDAT", &idat));
        }
        f.extend(png_chunk(b"eXIf", b"MM\0\x2a\0\0\0\x08\0\0"));
        f.extend(png_chunk(b"IEND", b""));
        let b = png(&mut Cursor::new(f));
        assert_eq!(b.exif.as_deref(), Some(&b"MM\0\x2a\0\0\0\x08\0\0"[..]), "{b:?}");
        assert!(b.problems.is_empty(), "{b:?}");
    }

    #[test]
    fn webp_exif_with_a_jpeg_style_header_is_read() {
        let exif = b"Exif\0\0II\x2a\0\x08\0\0\0\0\0";
        let mut body = b"WEBP".to_vec();
        body.extend(b"VP8X");
        body.extend(10u32.to_le_bytes());
        body.extend([0; 10]);
        body.extend(b"EXIF");
        body.extend((exif.len() as u32).to_le_bytes());
        body.extend(exif);
        let mut f = b"RIFF".to_vec();
        f.extend((body.len() as u32).to_le_bytes());
        f.extend(body);
        let b = webp(&mut Cursor::new(f));
        assert_eq!(b.exif.as_deref(), Some(&b"II\x2a\0\x08\0\0\0\0\0"[..]), "{b:?}");
    }

    #[test]
    fn jpeg_segments_and_photoshop_resources() {
        let mut f = vec![0xFF, 0xD8];
        let seg = |code: u8, data: &[u8]| {
            let mut v = vec![0xFF, code];
            v.extend(((data.len() + 2) as u16).to_be_bytes());
            v.extend(data);
            v
        };
        f.extend(seg(0xE0, b"JFIF\0\x01\x02"));
        let mut xmp = XMP_HEADER.to_vec();
        xmp.extend(b"<x:xmpmeta/>");
        f.extend(seg(0xE1, &xmp));
        let mut ps = PHOTOSHOP_HEADER.to_vec();
        // A resource with a 3-byte name (padded), then the IPTC one.
        ps.extend(b"8BIM\x03\xed\x03abc\0\0\0\x02xy");
        ps.extend(b"8BIM\x04\x04\0\0\0\0\0\x05\x1c\x02\x00\x00\x00\0");
        f.extend(seg(0xED, &ps));
        f.extend([0xFF, 0xDA, 0, 2]);
        let b = jpeg(&mut Cursor::new(f));
        assert_eq!(b.xmp, vec![b"<x:xmpmeta/>".to_vec()]);
        assert_eq!(b.iptc.as_deref(), Some(&b"\x1c\x02\x00\x00\x00"[..]), "{b:?}");
        assert!(b.problems.is_empty(), "{b:?}");
    }

    #[test]
    fn truncated_containers_are_problems() {
        for (f, what) in [
            (&b"\xFF\xD8\xFF\xE1\x10\x00Exif"[..], "JPEG"),
            (&b"\x89PNG\r\n\x1a\n\0\0\0\x20eXIf\0\0"[..], "PNG"),
            (&b"RIFF\0\0\0\0WEBPEXIF\x20\0\0\0II"[..], "WebP"),
        ] {
            let b = match what {
                "JPEG" => jpeg(&mut Cursor::new(f)),
                "PNG" => png(&mut Cursor::new(f)),
                _ => webp(&mut Cursor::new(f)),
            };
            assert!(b.exif.is_none(), "{what}: {b:?}");
            assert!(b.problems.iter().any(|p| p.contains(what)), "{what}: {b:?}");
        }
    }
}
