//! Recording generated items in bulk, for benchmarks and tools that build
//! large archives (bench/search.rs builds a million items): each item goes
//! through the archive's own write path — its signed ingest record and
//! custody event (`ingest::sign_item`), its signed claims (`sign_claim`),
//! the search index (`search::index::object`) — many items per
//! transaction. The objects' bytes are NOT stored: only their rows, so an
//! audit of such an archive reports every object missing. Never use it for
//! evidence.
//!
//! Must not: write to the object store; be used by any other command.

use crate::archive::Archive;
use crate::claim::sign::{NewClaim, Signer, sign_claim};
use crate::claim::{Basis, ClaimValue};
use crate::commands::ingest::{Acquired, sign_item};
use crate::crypto::SecretKey;
use crate::db::ObjectRow;
use crate::error::Result;
use crate::id::DigestSet;
use crate::search;
use crate::trust::signer;

/// One generated item.
pub struct Generated {
    /// Its (invented) object digests.
    pub digest: DigestSet,
    /// File name.
    pub name: String,
    /// Size it claims.
    pub size: u64,
    /// Media type.
    pub media_type: String,
    /// Its text, for text items (indexed as an object's own text).
    pub text: Option<String>,
    /// Its claims.
    pub claims: Vec<(ClaimValue, Basis)>,
}

/// Record `items` in one transaction (rows, signatures, events, index);
/// returns the item numbers.
pub fn record_without_bytes(
    archive: &mut Archive,
    key: &SecretKey,
    items: Vec<Generated>,
) -> Result<Vec<i64>> {
    let _lock = archive.lock_for_writing()?;
    let keyid = signer(&archive.db.read(), key)?;
    let archive_id = archive.identity()?.archive_id;
    let now = archive.now();
    let tx = archive.db.tx()?;
    let s = Signer { archive_id: &archive_id, key, keyid: &keyid, now: &now };
    let mut out = Vec::with_capacity(items.len());
    for g in items {
        tx.insert_object(&ObjectRow {
            blake3: g.digest.blake3.clone(),
            sha256: g.digest.sha256.clone(),
            size: g.size as i64,
            encoding: "none".into(),
            stored_size: g.size as i64,
            stored_at: now.clone(),
            last_checked_at: None,
        })?;
        let acquired = Acquired {
            name: g.name.as_bytes(),
            path: g.name.as_bytes(),
            digest: &g.digest,
            size: g.size,
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
            sign_claim(&tx, &s, &g.digest, &g.name, c)?;
        }
        search::index::object(&tx, &g.digest.blake3, || g.text)?;
        out.push(item);
    }
    tx.commit()?;
    Ok(out)
}
