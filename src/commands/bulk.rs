//! Recording generated items in bulk, for benchmarks and tools that build
//! large archives (bench/million.rs builds a million items): each item's
//! bytes are stored as an object (durable before its row, as ingest does),
//! then its rows go through the archive's own write path — its signed
//! ingest record and custody event (`ingest::sign_item`), its signed claims
//! (`sign_claim`), the search index (`search::index::object`) — many items
//! per transaction. Claims are generated, not read from the bytes: never
//! use it for evidence.
//!
//! Must not: be used by any other command.

use crate::archive::Archive;
use crate::claim::sign::{NewClaim, Signer, sign_claim};
use crate::claim::{Basis, ClaimValue};
use crate::commands::ingest::{Acquired, sign_item};
use crate::crypto::{DualHasher, SecretKey};
use crate::db::ObjectRow;
use crate::error::{Error, Result};
use crate::id::{DigestSet, Encoding};
use crate::search;
use crate::store::{Put, Store};
use crate::trust::signer;

/// One generated item.
pub struct Generated {
    /// Its bytes (stored as they are, uncompressed).
    pub bytes: Vec<u8>,
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Its text, for text items (indexed as an object's own text).
    pub text: Option<String>,
    /// Its claims.
    pub claims: Vec<(ClaimValue, Basis)>,
}

/// Store one item's bytes (durable once `Store::sync` has run).
fn store_bytes(store: &Store, g: &Generated) -> Result<(DigestSet, Put)> {
    let mut h = DualHasher::new();
    h.update(&g.bytes);
    let (id, sha256, _) = h.finish();
    let staged = store.stage()?;
    let err =
        |e| Error::io("cannot write a generated object for", std::path::Path::new(&g.name), e);
    let mut w = staged.writer(Encoding::None).map_err(err)?;
    w.write(&g.bytes).map_err(err)?;
    w.finish().map_err(err)?;
    let put = store.put(staged, &id, Encoding::None)?;
    Ok((DigestSet { blake3: id.to_hex(), sha256: sha256.to_hex() }, put))
}

/// Store every item's bytes, on two threads a core.
fn store_all(store: &Store, items: &[Generated]) -> Result<Vec<(DigestSet, Put)>> {
    let per = items.len().div_ceil(crate::progress::workers(0)).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(|g| store_bytes(store, g)).collect()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for p in parts {
            let part: Result<Vec<_>> = p.join().unwrap_or_else(|_| {
                Err(Error::new(crate::error::ErrorKind::Io, "a bulk writer thread panicked"))
            });
            out.extend(part?);
        }
        Ok(out)
    })
}

/// Record `items` in one transaction (objects first, then rows,
/// signatures, events, index); returns the item numbers.
pub fn record(archive: &mut Archive, key: &SecretKey, items: Vec<Generated>) -> Result<Vec<i64>> {
    let _lock = archive.lock_for_writing()?;
    let keyid = signer(&archive.db.read(), key)?;
    let archive_id = archive.identity()?.archive_id;
    let now = archive.now();
    let stored = store_all(&archive.store, &items)?;
    archive.store.sync()?;
    let tx = archive.db.tx()?;
    let s = Signer { archive_id: &archive_id, key, keyid: &keyid, now: &now };
    let mut out = Vec::with_capacity(items.len());
    for (g, (digest, put)) in items.into_iter().zip(stored) {
        let size = g.bytes.len() as u64;
        tx.insert_object(&ObjectRow {
            blake3: digest.blake3.clone(),
            sha256: digest.sha256.clone(),
            size: size as i64,
            encoding: <&str>::from(put.encoding).into(),
            stored_size: put.stored_size as i64,
            stored_at: now.clone(),
            last_checked_at: None,
        })?;
        let acquired = Acquired {
            name: g.name.as_bytes(),
            path: g.name.as_bytes(),
            digest: &digest,
            size,
            media_type: &g.media_type,
            provenance: "",
        };
        let (item, uuid) = sign_item(&tx, &s, &acquired)?;
        for (value, basis) in g.claims {
            let c = NewClaim {
                value,
                basis,
                confidence: None,
                supersedes: None,
                item_uuid: Some(uuid.clone()),
                raw: Default::default(),
            };
            sign_claim(&tx, &s, &digest, &g.name, c)?;
        }
        search::index::object(&tx, &digest.blake3, || g.text)?;
        out.push(item);
    }
    tx.commit()?;
    Ok(out)
}
