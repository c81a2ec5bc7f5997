//! The metadata items of HEIF files (HEIC, AVIF; ISO/IEC 23008-12): the
//! top-level `meta` box's primary item (`pitm`), item infos (`iinf` /
//! `infe`), references (`iref`: `cdsc`, "content describes") and locations
//! (`iloc`, in the file or in `idat`); then the Exif item that describes
//! the primary image (else the first Exif item: a file with several images
//! carries one per image) and every XMP item (`mime` items of type
//! `application/rdf+xml`), each read from where `iloc` puts it.
//!
//! Must not: use a size, count or offset before checking it, or hold more
//! than the `meta` box and those items (each at most `MAX_BLOCK`).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use super::blocks::{Blocks, MAX_BLOCK};
use super::isobmff;

/// Extents of all items an `iloc` may list (real files have a few).
const MAX_EXTENTS: usize = 1 << 16;
/// XMP items read at most (each at most `MAX_BLOCK`).
const MAX_XMP_ITEMS: usize = 8;

/// A big-endian reader over a box body.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }
    /// An unsigned number of `n` bytes (0, 2, 4 or 8; 0 reads as 0).
    fn uint(&mut self, n: usize) -> Option<u64> {
        let b = self.take(n)?;
        (n <= 8).then(|| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    }
    fn u16(&mut self) -> Option<u16> {
        self.uint(2).and_then(|v| u16::try_from(v).ok())
    }
    fn u32(&mut self) -> Option<u32> {
        self.uint(4).and_then(|v| u32::try_from(v).ok())
    }
    /// An item id: 16 bits in version 0 boxes, 32 after.
    fn id(&mut self, wide: bool) -> Option<u32> {
        if wide { self.u32() } else { self.u16().map(u32::from) }
    }
    /// A NUL-terminated string.
    fn cstr(&mut self) -> Option<String> {
        let end = self.0.iter().position(|b| *b == 0)?;
        let s = String::from_utf8_lossy(self.take(end)?).into_owned();
        self.take(1)?;
        Some(s)
    }
}

/// Where an item is: construction method (0: in the file, 1: in `idat`),
/// base offset, and extents (offset, length).
type Location = (u16, u64, Vec<(u64, u64)>);

/// What the `meta` box says about the items.
#[derive(Debug, Default)]
struct Items {
    primary: Option<u32>,
    /// id → (item type, content type for `mime` items).
    info: Vec<(u32, [u8; 4], String)>,
    /// (from, to) of every `cdsc` reference.
    describes: Vec<(u32, u32)>,
    location: HashMap<u32, Location>,
    idat: Vec<u8>,
}

/// Version and flags of a full box, and its body after them.
fn full(body: &[u8]) -> Option<(u8, Cursor<'_>)> {
    let mut c = Cursor(body);
    let version = c.take(4)?[0];
    Some((version, c))
}

fn pitm(body: &[u8]) -> Option<u32> {
    let (v, mut c) = full(body)?;
    c.id(v != 0)
}

fn iinf(body: &[u8], items: &mut Items) -> Option<()> {
    let (v, mut c) = full(body)?;
    c.id(v != 0)?; // the entry count: the boxes that follow are read instead
    for (kind, infe) in isobmff::boxes(c.0).ok()? {
        if &kind != b"infe" {
            continue;
        }
        let (v, mut c) = full(infe)?;
        if v < 2 {
            continue; // versions 0 and 1 name no item type
        }
        let id = c.id(v == 3)?;
        c.u16()?; // protection index
        let item_type: [u8; 4] = c.take(4)?.try_into().ok()?;
        let _name = c.cstr();
        let content_type =
            if &item_type == b"mime" { c.cstr().unwrap_or_default() } else { String::new() };
        items.info.push((id, item_type, content_type));
    }
    Some(())
}

fn iref(body: &[u8], items: &mut Items) -> Option<()> {
    let (v, c) = full(body)?;
    for (kind, r) in isobmff::boxes(c.0).ok()? {
        let mut c = Cursor(r);
        let from = c.id(v != 0)?;
        for _ in 0..c.u16()? {
            let to = c.id(v != 0)?;
            if &kind == b"cdsc" {
                items.describes.push((from, to));
            }
        }
    }
    Some(())
}

fn iloc(body: &[u8], items: &mut Items) -> Option<()> {
    let (v, mut c) = full(body)?;
    let sizes = c.take(2)?;
    let (offset_size, length_size) = (usize::from(sizes[0] >> 4), usize::from(sizes[0] & 15));
    let base_size = usize::from(sizes[1] >> 4);
    let index_size = if v >= 1 { usize::from(sizes[1] & 15) } else { 0 };
    // ISO/IEC 14496-12 8.11.3: versions 0 to 2, each size 0, 4 or 8.
    let sized = |n: usize| matches!(n, 0 | 4 | 8);
    if v > 2 || ![offset_size, length_size, base_size, index_size].into_iter().all(sized) {
        return None;
    }
    let count = c.id(v >= 2)?;
    // Fields may be 0 bytes wide, so an extent may cost no input: the
    // extents are counted, not the bytes.
    let mut budget = MAX_EXTENTS;
    for _ in 0..count {
        let id = c.id(v >= 2)?;
        let method = if v >= 1 { c.u16()? & 15 } else { 0 };
        c.u16()?; // data reference index
        let base = c.uint(base_size)?;
        let mut extents = Vec::new();
        let n = usize::from(c.u16()?);
        budget = budget.checked_sub(n)?;
        for _ in 0..n {
            c.uint(index_size)?;
            extents.push((c.uint(offset_size)?, c.uint(length_size)?));
        }
        items.location.insert(id, (method, base, extents));
    }
    Some(())
}

/// Read the `meta` box's item tables.
fn items(meta: &[u8]) -> Result<Items, String> {
    let (_, c) = full(meta).ok_or("the meta box is too short")?;
    let mut items = Items::default();
    for (kind, body) in isobmff::boxes(c.0)? {
        let ok = match &kind {
            b"pitm" => pitm(body).map(|p| items.primary = Some(p)),
            b"iinf" => iinf(body, &mut items),
            b"iref" => iref(body, &mut items),
            b"iloc" => iloc(body, &mut items),
            b"idat" => {
                items.idat = body.to_vec();
                Some(())
            }
            _ => Some(()),
        };
        if ok.is_none() {
            return Err(format!("meta/{} is malformed", String::from_utf8_lossy(&kind)));
        }
    }
    Ok(items)
}

/// An item's bytes, from the file or from `idat`.
fn item_bytes<R: Read + Seek>(r: &mut R, items: &Items, id: u32) -> Result<Vec<u8>, String> {
    let (method, base, extents) = items.location.get(&id).ok_or("an item has no location")?;
    let total = extents.iter().try_fold(0u64, |t, (_, len)| t.checked_add(*len));
    match total {
        Some(n) if n <= MAX_BLOCK => {}
        _ => return Err(format!("an item is larger than {MAX_BLOCK} bytes; not read")),
    }
    let mut out = Vec::new();
    for (offset, len) in extents {
        let at = base.checked_add(*offset).ok_or("an item offset overflows")?;
        match method {
            0 => {
                r.seek(SeekFrom::Start(at)).map_err(|e| e.to_string())?;
                let start = out.len();
                r.take(*len).read_to_end(&mut out).map_err(|e| e.to_string())?;
                if (out.len() - start) as u64 != *len {
                    return Err("an item runs past the end of the file".into());
                }
            }
            1 => {
                let from = usize::try_from(at).map_err(|_| "an idat offset is out of range")?;
                let to = from.checked_add(*len as usize).ok_or("an idat extent overflows")?;
                out.extend_from_slice(items.idat.get(from..to).ok_or("an item runs past idat")?);
            }
            m => return Err(format!("item construction method {m} is not read")),
        }
    }
    Ok(out)
}

/// The EXIF, XMP and (never present in HEIF) IPTC blocks of a HEIF file.
pub fn heif<R: Read + Seek>(r: &mut R) -> Blocks {
    // A broken box walk is reported by the `meta` search below.
    let c2pa = isobmff::has_top(r, b"uuid", Some(&isobmff::C2PA_UUID)).unwrap_or(false);
    let mut out = Blocks { c2pa, ..Blocks::default() };
    let meta = match isobmff::top_level(r, b"meta", None, isobmff::MAX_CHILD) {
        Ok(Some(m)) => m,
        Ok(None) => return out,
        Err(e) => {
            out.problems.push(format!("HEIF boxes: {e}"));
            return out;
        }
    };
    let items = match items(&meta) {
        Ok(i) => i,
        Err(e) => {
            out.problems.push(format!("HEIF items: {e}"));
            return out;
        }
    };
    // Of each kind, the items that describe the primary image when some
    // do (a file with several images has metadata for each), else all.
    let of_primary: std::collections::HashSet<u32> = items
        .describes
        .iter()
        .filter(|(_, to)| Some(*to) == items.primary)
        .map(|(from, _)| *from)
        .collect();
    let describes_primary = |id: u32| of_primary.contains(&id);
    let of_kind = |is: &dyn Fn(&[u8; 4], &str) -> bool| {
        let all: Vec<u32> =
            items.info.iter().filter(|(_, t, c)| is(t, c)).map(|(id, _, _)| *id).collect();
        let primary: Vec<u32> = all.iter().copied().filter(|id| describes_primary(*id)).collect();
        if primary.is_empty() { all } else { primary }
    };
    if let Some(id) = of_kind(&|t, _| t == b"Exif").first() {
        match item_bytes(r, &items, *id) {
            // A 32-bit offset to the TIFF header, then the EXIF.
            Ok(b) => {
                let skip = b.get(..4).map(|o| u32::from_be_bytes([o[0], o[1], o[2], o[3]]));
                let tiff = skip
                    .and_then(|s| usize::try_from(s).ok()?.checked_add(4))
                    .and_then(|at| b.get(at..));
                match tiff {
                    Some(t) => out.exif = Some(t.to_vec()),
                    None => out.problems.push("the HEIF Exif item is malformed".into()),
                }
            }
            Err(e) => out.problems.push(format!("the HEIF Exif item: {e}")),
        }
    }
    let xmp = of_kind(&|t, c| t == b"mime" && c.trim() == "application/rdf+xml");
    for id in xmp.into_iter().take(MAX_XMP_ITEMS) {
        match item_bytes(r, &items, id) {
            Ok(b) => out.xmp.push(b),
            Err(e) => out.problems.push(format!("a HEIF XMP item: {e}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }
    fn full_box(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        bx(kind, &[&[version, 0, 0, 0][..], body].concat())
    }
    fn infe(id: u16, kind: &[u8; 4], content_type: &str) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(kind);
        b.push(0); // empty name
        if !content_type.is_empty() {
            b.extend_from_slice(content_type.as_bytes());
            b.push(0);
        }
        full_box(b"infe", 2, &b)
    }

    /// A HEIF whose primary image is item 1, with two Exif items (2 for
    /// a thumbnail, 3 for the primary), an XMP item, all in `idat`, and an
    /// Exif item 4 that runs past it.
    fn file(exif_past_idat: bool) -> Vec<u8> {
        let exif = |t: &[u8]| [&[0, 0, 0, 6][..], b"Exif\0\0", t].concat();
        let (thumb, primary, xmp) =
            (exif(b"MM\0*thumb"), exif(b"MM\0*primary"), b"<x:xmpmeta/>".to_vec());
        let idat = [thumb.clone(), primary.clone(), xmp.clone()].concat();
        let iinf = [
            &2u16.to_be_bytes()[..],
            &infe(1, b"hvc1", ""),
            &infe(2, b"Exif", ""),
            &infe(3, b"Exif", ""),
            &infe(5, b"mime", "application/rdf+xml"),
        ]
        .concat();
        let cdsc = [&2u16.to_be_bytes()[..], &1u16.to_be_bytes(), &9u16.to_be_bytes()].concat();
        let cdsc2 = [&3u16.to_be_bytes()[..], &1u16.to_be_bytes(), &1u16.to_be_bytes()].concat();
        let iref = [bx(b"cdsc", &cdsc), bx(b"cdsc", &cdsc2)].concat();
        // iloc version 1: 4-byte offsets and lengths, no base, no index.
        let mut iloc = vec![0x44, 0x00];
        let entries: Vec<(u16, u32, u32)> = vec![
            (2, 0, thumb.len() as u32),
            (3, thumb.len() as u32, if exif_past_idat { 999 } else { primary.len() as u32 }),
            (5, (thumb.len() + primary.len()) as u32, xmp.len() as u32),
        ];
        iloc.extend_from_slice(&(entries.len() as u16).to_be_bytes());
        for (id, off, len) in entries {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&1u16.to_be_bytes()); // construction method 1: idat
            iloc.extend_from_slice(&0u16.to_be_bytes());
            iloc.extend_from_slice(&1u16.to_be_bytes());
            iloc.extend_from_slice(&off.to_be_bytes());
            iloc.extend_from_slice(&len.to_be_bytes());
        }
        let meta = [
            full_box(b"pitm", 0, &1u16.to_be_bytes()),
            full_box(b"iinf", 0, &iinf),
            full_box(b"iref", 0, &iref),
            full_box(b"iloc", 1, &iloc),
            bx(b"idat", &idat),
        ]
        .concat();
        [bx(b"ftyp", b"heic\0\0\0\0mif1heic"), full_box(b"meta", 0, &meta)].concat()
    }

    #[test]
    fn reads_the_primary_images_items() {
        let b = heif(&mut std::io::Cursor::new(file(false)));
        assert!(b.problems.is_empty(), "{:?}", b.problems);
        // The Exif item that describes the primary, from its TIFF header on.
        assert_eq!(b.exif.as_deref(), Some(&b"MM\0*primary"[..]));
        assert_eq!(b.xmp, vec![b"<x:xmpmeta/>".to_vec()]);
    }

    #[test]
    fn an_item_past_its_container_is_a_problem() {
        let b = heif(&mut std::io::Cursor::new(file(true)));
        assert_eq!(b.exif, None);
        assert!(b.problems.iter().any(|p| p.contains("runs past idat")), "{:?}", b.problems);
        // Zero-width fields and 65,535 extents an item: refused, not walked.
        let mut iloc = vec![0, 0, 0, 0, 0x00, 0x00, 0xff, 0xff];
        for id in 0..0xffffu16 {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&[0, 0, 0xff, 0xff]);
        }
        let mut items = Items::default();
        assert!(super::iloc(&iloc, &mut items).is_none());
        // Cut anywhere, the file never panics.
        let whole = file(false);
        for n in 0..whole.len() {
            let _ = heif(&mut std::io::Cursor::new(&whole[..n]));
        }
    }
}
