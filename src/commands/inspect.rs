//! Read-only views: `list` (every item), `show ITEM|HASH` (one item or
//! every item of an object, with its record and signature status, and the
//! object's claims and discrepancies) and
//! `cat ITEM|HASH` (stream the original bytes back, verifying as it goes).
//! Items are named by number or UUID, objects by BLAKE3 or an 8+ digit prefix.
//!
//! Must not: write to the archive.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use super::claim::{ClaimView, claims_of};
use super::lossy;
use crate::Archive;
use crate::audit::{Keys, ReadBack, check_item, load_keys, read_back};
use crate::claim::review::Discrepancy;
use crate::db::{ItemRow, ObjectRow};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{Encoding, ObjectId};

/// An object as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectView {
    /// BLAKE3 (the name).
    pub blake3: String,
    /// SHA-256.
    pub sha256: String,
    /// Original size.
    pub size: i64,
    /// `none` or `zstd`.
    pub encoding: String,
    /// Size on disk.
    pub stored_size: i64,
    /// Where the file is.
    pub path: String,
    /// When an audit last found it intact.
    pub last_checked_at: Option<String>,
}

/// An item as shown, with its record's verification status.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// Item number.
    pub item: i64,
    /// UUID.
    pub uuid: String,
    /// File name.
    pub name: String,
    /// Original path.
    pub path: String,
    /// Size.
    pub size: i64,
    /// Media type.
    pub media_type: String,
    /// Ingest time.
    pub ingested_at: String,
    /// Collector key id.
    pub collector_keyid: String,
    /// Collector's registered name, if the key is known.
    pub collector: Option<String>,
    /// Object id.
    pub blake3: String,
    /// The object's SHA-256.
    pub sha256: Option<String>,
    /// Bytes on disk (after compression).
    pub stored_size: Option<i64>,
    /// The ingest record's row id.
    pub record: i64,
    /// True when the record's signature verifies and every column matches it.
    pub verified: bool,
    /// What is wrong, if anything.
    pub problems: Vec<String>,
}

/// What `show` returns.
#[derive(Debug, Clone, Serialize)]
pub struct ShowReport {
    /// The object.
    pub object: Option<ObjectView>,
    /// Its items (or the one item asked for).
    pub items: Vec<ItemView>,
    /// Every claim about the object, by kind, oldest first.
    pub claims: Vec<ClaimView>,
    /// What an investigator must look at.
    pub discrepancies: Vec<Discrepancy>,
}

struct Viewer {
    keys: Keys,
    owners: HashMap<String, String>,
    archive_id: String,
}

impl Viewer {
    fn new(archive: &Archive) -> Result<Viewer> {
        let rows = archive.db.q().keys()?;
        let mut ignored = Vec::new();
        let keys = load_keys(&rows, &mut ignored);
        let owners = rows.into_iter().map(|k| (k.keyid, k.owner)).collect();
        Ok(Viewer { keys, owners, archive_id: archive.identity()?.archive_id })
    }

    fn item(&self, archive: &Archive, it: ItemRow, object: Option<&ObjectRow>) -> Result<ItemView> {
        let record = archive.db.q().record(it.record_id)?;
        let problems: Vec<String> =
            check_item(&it, record.as_ref(), object, &self.keys, &self.archive_id)
                .into_iter()
                .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                .collect();
        Ok(ItemView {
            item: it.id,
            uuid: it.item_uuid,
            name: lossy(&it.original_name),
            path: lossy(&it.original_path),
            size: it.size,
            media_type: it.media_type,
            ingested_at: it.ingested_at,
            collector: self.owners.get(&it.collector_keyid).cloned(),
            collector_keyid: it.collector_keyid,
            blake3: it.blake3,
            sha256: object.map(|o| o.sha256.clone()),
            stored_size: object.map(|o| o.stored_size),
            record: it.record_id,
            verified: problems.is_empty(),
            problems,
        })
    }
}

fn object_view(archive: &Archive, o: ObjectRow) -> ObjectView {
    let path = match (o.blake3.parse::<ObjectId>(), Encoding::parse(&o.encoding)) {
        (Ok(id), Some(enc)) => archive.store.path_of(&id, enc).display().to_string(),
        _ => String::new(),
    };
    ObjectView {
        blake3: o.blake3,
        sha256: o.sha256,
        size: o.size,
        encoding: o.encoding,
        stored_size: o.stored_size,
        path,
        last_checked_at: o.last_checked_at,
    }
}

/// Every item, with its signature status.
pub fn list(archive: &Archive) -> Result<Vec<ItemView>> {
    let viewer = Viewer::new(archive)?;
    let objects: HashMap<String, ObjectRow> =
        archive.db.q().objects()?.into_iter().map(|o| (o.blake3.clone(), o)).collect();
    archive
        .db
        .q()
        .items()?
        .into_iter()
        .map(|it| {
            let o = objects.get(&it.blake3);
            viewer.item(archive, it, o)
        })
        .collect()
}

/// What a user-typed reference names.
pub(crate) enum Target {
    Item(ItemRow),
    Object(ObjectRow),
}

/// Resolve an item number, item UUID, full BLAKE3 or unique BLAKE3 prefix
/// (at least 8 hex digits).
pub(crate) fn resolve(archive: &Archive, reference: &str) -> Result<Target> {
    let q = archive.db.q();
    let r = reference.trim();
    let not_found = || {
        Error::new(ErrorKind::NotFound, format!("no item or object {r:?} in this archive")).hint(
            "use an item number or a blake3 hash (or its first 8+ hex digits) from `custody list`",
        )
    };
    if let Ok(n) = r.parse::<i64>()
        && r.len() < 8
    {
        return q.item(n)?.map(Target::Item).ok_or_else(not_found);
    }
    if let Some(it) = q.item_by_uuid(r)? {
        return Ok(Target::Item(it));
    }
    let lower = r.to_ascii_lowercase();
    if lower.len() >= 8 && lower.len() <= 64 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut found = q.objects_with_prefix(&lower)?;
        if found.len() > 1 {
            return Err(Error::new(ErrorKind::Usage, format!("{r:?} matches several objects"))
                .hint("type more hex digits"));
        }
        return found.pop().map(Target::Object).ok_or_else(not_found);
    }
    Err(not_found())
}

/// Show one item, or an object and all its items.
pub fn show(archive: &Archive, reference: &str) -> Result<ShowReport> {
    let viewer = Viewer::new(archive)?;
    let q = archive.db.q();
    match resolve(archive, reference)? {
        Target::Item(it) => {
            let o = q.object(&it.blake3)?;
            let view = viewer.item(archive, it, o.as_ref())?;
            let (claims, discrepancies) = claims_of(archive, &view.blake3)?;
            Ok(ShowReport {
                object: o.map(|o| object_view(archive, o)),
                items: vec![view],
                claims,
                discrepancies,
            })
        }
        Target::Object(o) => {
            let items = q
                .items_of(&o.blake3)?
                .into_iter()
                .map(|it| viewer.item(archive, it, Some(&o)))
                .collect::<Result<Vec<_>>>()?;
            let (claims, discrepancies) = claims_of(archive, &o.blake3)?;
            Ok(ShowReport { object: Some(object_view(archive, o)), items, claims, discrepancies })
        }
    }
}

/// What `cat` streamed.
#[derive(Debug, Clone, Serialize)]
pub struct CatReport {
    /// The object.
    pub blake3: String,
    /// Bytes written.
    pub bytes: u64,
}

/// Stream an object's original bytes to `out`, verifying BLAKE3 and size as
/// it goes. On a mismatch the error says the output must not be trusted.
pub fn cat(archive: &Archive, reference: &str, out: &mut dyn Write) -> Result<CatReport> {
    let o = match resolve(archive, reference)? {
        Target::Object(o) => o,
        Target::Item(it) => archive.db.q().object(&it.blake3)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("item {} names a missing object row", it.id))
                .hint("run `custody audit`")
        })?,
    };
    let untrusted = |why: String| {
        Error::new(
            ErrorKind::Integrity,
            format!(
                "object {} failed verification: {why}; the output is NOT to be trusted",
                o.blake3
            ),
        )
        .hint("discard what was written and run `custody audit`")
    };
    let id: ObjectId = o.blake3.parse()?;
    let enc = Encoding::parse(&o.encoding)
        .ok_or_else(|| untrusted(format!("unknown encoding {:?}", o.encoding)))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut sink = |b: &[u8]| out.write_all(b);
    let rb = read_back(&archive.store, &id, enc, false, &mut buf, &mut sink).map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::new(ErrorKind::Io, "output closed before the end").source_err(e)
        } else {
            untrusted(format!("read error: {e}"))
        }
    })?;
    match rb {
        ReadBack::Missing => Err(untrusted("its file is missing from the store".into())),
        ReadBack::Damaged(why, _) => {
            Err(untrusted(format!("the zstd frame cannot be decoded: {why}")))
        }
        ReadBack::Read { blake3, len, .. } => {
            if blake3 != id {
                Err(untrusted(format!("the bytes hash to {blake3}")))
            } else if len as i64 != o.size {
                Err(untrusted(format!("{len} bytes, {} recorded", o.size)))
            } else {
                out.flush()
                    .map_err(|e| Error::new(ErrorKind::Io, "cannot flush output").source_err(e))?;
                Ok(CatReport { blake3: o.blake3, bytes: len })
            }
        }
    }
}
