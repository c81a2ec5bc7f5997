//! Copying a verified bag's payload into the store: once per object,
//! re-hashed on the way and compared with the digests verification
//! computed (a bag that changed since stops the import), made durable by
//! the store's `sync` before the transaction naming them commits; a file
//! already under an object's name that no row names is re-hashed and
//! replaced if it does not match; after a failed import, the files it
//! wrote that no row names are removed again.
//!
//! Must not: write a row, or keep an object file no row will name.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::archive::Archive;
use crate::bundle::verify::{Checked, FileDigests};
use crate::crypto::DualHasher;
use crate::error::{Error, ErrorKind, Result};
use crate::id::{DigestSet, Encoding, ObjectId};
use crate::media;
use crate::store::{Put, Store};

/// An object received: its digests, media type, and how it was stored.
pub(super) struct Received {
    pub digest: DigestSet,
    pub size: u64,
    pub media_type: String,
    /// Its store file, when this import wrote it (`None`: it was here).
    pub put: Option<Put>,
    pub encoding: Encoding,
    pub stored_size: u64,
}

/// Copy every payload object into the store, once per object, checking
/// each against the digests verification computed; returns them by
/// payload path.
pub(super) fn copy_objects(
    archive: &Archive,
    checked: &Checked,
) -> Result<BTreeMap<String, Received>> {
    let mut out: BTreeMap<String, Received> = BTreeMap::new();
    let mut by_blake3: BTreeMap<String, String> = BTreeMap::new();
    for (name, d) in &checked.payload {
        let blake3 = d.by_alg.get("blake3").cloned().unwrap_or_default();
        if let Some(first) = by_blake3.get(&blake3) {
            let again = Received { put: None, ..clone_received(&out[first]) };
            out.insert(name.clone(), again);
            continue;
        }
        let r = match copy_one(archive, checked, name, d) {
            Ok(r) => r,
            Err(e) => {
                discard(archive, &out);
                return Err(e);
            }
        };
        by_blake3.insert(blake3, name.clone());
        out.insert(name.clone(), r);
    }
    Ok(out)
}

fn clone_received(r: &Received) -> Received {
    Received {
        digest: r.digest.clone(),
        size: r.size,
        media_type: r.media_type.clone(),
        put: None,
        encoding: r.encoding,
        stored_size: r.stored_size,
    }
}

/// One payload file into the store (unless its object is here already).
fn copy_one(archive: &Archive, checked: &Checked, name: &str, d: &FileDigests) -> Result<Received> {
    let store: &Store = &archive.store;
    let mut head = Vec::new();
    checked.src.read(name, &mut |r| {
        use std::io::Read;
        r.take(8192).read_to_end(&mut head).map(drop)
    })?;
    let media_type = media::sniff(&head);
    if let Some(o) = archive.db.read().object(d.by_alg.get("blake3").map_or("", String::as_str))? {
        let enc = Encoding::parse(&o.encoding).unwrap_or(Encoding::None);
        return Ok(Received {
            digest: o.digest(),
            size: o.size.max(0) as u64,
            media_type,
            put: None,
            encoding: enc,
            stored_size: o.stored_size.max(0) as u64,
        });
    }
    let r = store_one(store, checked, name, d, &media_type, &head)?;
    let Some(put) = r.put.filter(|p| !p.written) else { return Ok(r) };
    // A file no row names already has this object's name (left by a
    // crash before its batch was durable, or planted): it must hash to its
    // name before anything is signed over it, else it is replaced.
    let id = r.digest.blake3.parse::<ObjectId>().map_err(|_| {
        Error::new(ErrorKind::Integrity, format!("{name}: not a BLAKE3 digest after hashing"))
    })?;
    if store.verify(&id, put.encoding, r.size).is_ok() {
        return Ok(r);
    }
    store.discard_unrecorded(&id, put.encoding)?;
    let again = store_one(store, checked, name, d, &media_type, &head)?;
    if again.put.is_some_and(|p| !p.written) {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!("the store holds a damaged file for {} that no row names", id.to_hex()),
        )
        .hint("nothing was imported: move it out of objects/ and import again"));
    }
    Ok(again)
}

/// Stage one payload file (re-hashed on the way) and put it in the store.
fn store_one(
    store: &Store,
    checked: &Checked,
    name: &str,
    d: &FileDigests,
    media_type: &str,
    head: &[u8],
) -> Result<Received> {
    let changed = || {
        Error::new(ErrorKind::Integrity, format!("{name} in the bag changed after it was verified"))
            .hint("nothing was imported: make sure nothing writes to the bag, then import again")
    };
    let enc =
        if media::should_compress(media_type, head) { Encoding::Zstd } else { Encoding::None };
    let staged = store.stage()?;
    let mut w = staged
        .writer(enc)
        .map_err(|e| Error::io("cannot stage an object from", &checked_path(name), e))?;
    let mut hasher = DualHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    checked.src.read(name, &mut |r| loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
        w.write(&buf[..n])?;
    })?;
    w.finish().map_err(|e| Error::io("cannot stage an object from", &checked_path(name), e))?;
    let (id, sha256, size): (ObjectId, _, u64) = hasher.finish();
    let digest = DigestSet { blake3: id.to_hex(), sha256: sha256.to_hex() };
    if Some(&digest.blake3) != d.by_alg.get("blake3") || size != d.size {
        return Err(changed());
    }
    if d.by_alg.get("sha256").is_some_and(|s| *s != digest.sha256) {
        return Err(changed());
    }
    let put = store.put(staged, &id, enc)?;
    Ok(Received {
        digest,
        size,
        media_type: media_type.to_owned(),
        encoding: put.encoding,
        stored_size: put.stored_size,
        put: Some(put),
    })
}

fn checked_path(name: &str) -> PathBuf {
    PathBuf::from(name)
}

/// After a failed import: remove the object files it wrote that no row
/// names (they were never archived).
pub(super) fn discard(archive: &Archive, objects: &BTreeMap<String, Received>) {
    for r in objects.values() {
        let Some(put) = &r.put else { continue };
        if !put.written {
            continue;
        }
        if let (Ok(None), Ok(id)) =
            (archive.db.read().object(&r.digest.blake3), r.digest.blake3.parse::<ObjectId>())
        {
            let _ = archive.store.discard_unrecorded(&id, put.encoding);
        }
    }
}
