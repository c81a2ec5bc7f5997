//! Read-only views: `list` (every item), `show ITEM|HASH` (one item or
//! every item of an object, with its record and signature status, and the
//! object's claims — the claim view — and discrepancies), `show
//! --envelopes` (the signed records themselves, byte-exact, for any DSSE
//! verifier) and `cat
//! ITEM|HASH` (stream the original bytes back, verifying as it goes).
//! Items are named by number or UUID, objects by BLAKE3 or an 8+ digit
//! prefix (`Archive::resolve`).
//!
//! Must not: write to the archive.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;
use strum::IntoEnumIterator;

use crate::archive::{Archive, Target};
use crate::audit::claims::{ClaimContext, check_claim};
use crate::audit::items::check_item;
use crate::claim::review::{self, Discrepancy, Reviewed, Supersessions};
use crate::claim::{Basis, ClaimValue, Confidence, Kind};
use crate::db::{ClaimRow, ItemRow, ObjectRow};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{Encoding, ObjectId};
use crate::store::ReadBack;
use crate::text::{exact, lossy};
use crate::trust::{Keys, Verdicts};

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
    /// File name (lossily UTF-8).
    pub name: String,
    /// The exact name bytes, as hex, when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_bytes: Option<String>,
    /// Original path (lossily UTF-8).
    pub path: String,
    /// The exact path bytes, as hex, when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
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

/// What the views check records with: the keys (with their owners) and
/// the archive's id, read once per view.
struct Viewer<'a> {
    archive: &'a Archive,
    keys: Keys,
    archive_id: String,
}

impl<'a> Viewer<'a> {
    fn new(archive: &'a Archive) -> Result<Viewer<'a>> {
        let keys = Keys::read(&archive.db.read())?;
        Ok(Viewer { archive, keys, archive_id: archive.identity()?.archive_id })
    }

    fn item(&self, it: ItemRow, object: Option<&ObjectRow>) -> Result<ItemView> {
        let record = self.archive.db.read().record(it.record_id)?;
        let problems: Vec<String> = check_item(
            &it,
            record.as_ref(),
            object,
            &self.keys,
            &Verdicts::default(),
            &self.archive_id,
        )
        .into_iter()
        .map(|f| format!("{}: {}", f.code.as_str(), f.message))
        .collect();
        Ok(ItemView {
            item: it.id,
            uuid: it.item_uuid,
            name: lossy(&it.original_name),
            name_bytes: exact(&it.original_name),
            path: lossy(&it.original_path),
            path_bytes: exact(&it.original_path),
            size: it.size,
            media_type: it.media_type,
            ingested_at: it.ingested_at,
            collector: self.keys.owners.get(&it.collector_keyid).cloned(),
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
    let q = archive.db.read();
    let objects: HashMap<String, ObjectRow> =
        q.objects()?.into_iter().map(|o| (o.blake3.clone(), o)).collect();
    q.items()?
        .into_iter()
        .map(|it| {
            let o = objects.get(&it.blake3);
            viewer.item(it, o)
        })
        .collect()
}

/// Show one item, or an object and all its items.
pub fn show(archive: &Archive, reference: &str) -> Result<ShowReport> {
    let viewer = Viewer::new(archive)?;
    let q = archive.db.read();
    let (object, items) = match archive.resolve(reference)? {
        Target::Item(it) => {
            let o = q.object(&it.blake3)?;
            let view = viewer.item(it, o.as_ref())?;
            (o, vec![view])
        }
        Target::Object(o) => {
            let items = q
                .items_of(&o.blake3)?
                .into_iter()
                .map(|it| viewer.item(it, Some(&o)))
                .collect::<Result<Vec<_>>>()?;
            (Some(o), items)
        }
    };
    let blake3 = object.as_ref().map_or_else(
        || items.first().map(|i| i.blake3.clone()).unwrap_or_default(),
        |o| o.blake3.clone(),
    );
    let (claims, discrepancies) = viewer.claims(&blake3)?;
    Ok(ShowReport { object: object.map(|o| object_view(archive, o)), items, claims, discrepancies })
}

/// A claim as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    /// Claim number.
    pub claim: i64,
    /// UUID.
    pub uuid: String,
    /// Kind.
    pub kind: String,
    /// Basis.
    pub basis: String,
    /// Author key id.
    pub author_keyid: String,
    /// Author's registered name.
    pub author: Option<String>,
    /// Signing time.
    pub signed_at: String,
    /// Confidence.
    pub confidence: Option<Confidence>,
    /// The claim it supersedes (number).
    pub supersedes: Option<i64>,
    /// The claim that supersedes it (number).
    pub superseded_by: Option<i64>,
    /// True if nothing supersedes it.
    pub current: bool,
    /// The item it was made with.
    pub item_uuid: Option<String>,
    /// That item's number.
    pub item: Option<i64>,
    /// The signed value (absent if the signature does not verify).
    pub value: Option<ClaimValue>,
    /// Raw embedded values.
    pub raw: BTreeMap<String, String>,
    /// True when the signature verifies and every check passes.
    pub verified: bool,
    /// What is wrong, if anything.
    pub problems: Vec<String>,
}

/// Every claim about an object (by kind, then age) and its discrepancies
/// (among verified claims only).
pub(crate) fn claims_of(
    archive: &Archive,
    blake3: &str,
) -> Result<(Vec<ClaimView>, Vec<Discrepancy>)> {
    Viewer::new(archive)?.claims(blake3)
}

impl Viewer<'_> {
    fn claims(&self, blake3: &str) -> Result<(Vec<ClaimView>, Vec<Discrepancy>)> {
        let q = self.archive.db.read();
        let object = q.object(blake3)?;
        let rows = q.claims_of(blake3)?;
        let by_uuid: HashMap<&str, &ClaimRow> =
            rows.iter().map(|c| (c.claim_uuid.as_str(), c)).collect();
        let supersessions = Supersessions::of(&rows);
        let items: HashMap<String, i64> =
            q.items_of(blake3)?.into_iter().map(|i| (i.item_uuid, i.id)).collect();
        let cx = ClaimContext {
            keys: &self.keys,
            archive_id: &self.archive_id,
            by_uuid: &by_uuid,
            supersessions: &supersessions,
            verdicts: &Verdicts::default(),
        };
        let mut views = Vec::new();
        for c in &rows {
            let rec = q.record(c.record_id)?;
            let (p, findings) = check_claim(c, rec.as_ref(), object.as_ref(), &cx);
            let superseded_by = supersessions.superseded_by(&c.claim_uuid).map(|o| o.id);
            views.push(ClaimView {
                claim: c.id,
                uuid: c.claim_uuid.clone(),
                kind: c.kind.clone(),
                basis: c.basis.clone(),
                author_keyid: c.keyid.clone(),
                author: self.keys.owners.get(&c.keyid).cloned(),
                signed_at: c.signed_at.clone(),
                confidence: p.as_ref().and_then(|p| p.confidence),
                supersedes: c.supersedes.as_deref().and_then(|u| by_uuid.get(u)).map(|o| o.id),
                superseded_by,
                current: superseded_by.is_none(),
                item_uuid: c.item_uuid.clone(),
                item: c.item_uuid.as_ref().and_then(|u| items.get(u).copied()),
                raw: p.as_ref().map(|p| p.raw.clone()).unwrap_or_default(),
                value: p.map(|p| p.claim),
                verified: findings.is_empty(),
                problems: findings
                    .iter()
                    .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                    .collect(),
            });
        }
        let kind_rank = |k: &str| Kind::iter().position(|x| x.name() == k).unwrap_or(usize::MAX);
        views.sort_by_key(|v| (kind_rank(&v.kind), v.claim));
        let supersedes: HashMap<i64, Option<&str>> =
            rows.iter().map(|r| (r.id, r.supersedes.as_deref())).collect();
        let reviewed: Vec<Reviewed<'_>> = views
            .iter()
            .filter(|v| v.verified)
            .filter_map(|v| {
                Some(Reviewed {
                    id: v.claim,
                    uuid: &v.uuid,
                    author: &v.author_keyid,
                    basis: v.basis.parse::<Basis>().ok()?,
                    signed_at: &v.signed_at,
                    supersedes: supersedes.get(&v.claim).copied().flatten(),
                    value: v.value.as_ref()?,
                })
            })
            .collect();
        let discrepancies = review::discrepancies(&reviewed, self.archive.now_utc());
        Ok((views, discrepancies))
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
    let o = archive.resolve_object(reference)?;
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
    let rb = archive.store.read_back(&id, enc, false, &mut buf, &mut sink).map_err(|e| {
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

/// The signed records of an item (or of every item of an object), as
/// stored: its ingest record(s), then every claim about its object.
#[derive(Debug, Clone, Serialize)]
pub struct EnvelopesReport {
    /// The public keys that signed them (key id → owner, public key hex).
    pub keys: BTreeMap<String, (String, String)>,
    /// The DSSE envelopes, each as its exact bytes (compact JSON).
    pub envelopes: Vec<serde_json::Value>,
    /// The same bytes, one envelope per line (what `--envelopes` prints).
    #[serde(skip)]
    pub lines: Vec<u8>,
}

/// The DSSE envelopes of one item or object, byte-exact.
pub fn envelopes(archive: &Archive, reference: &str) -> Result<EnvelopesReport> {
    let q = archive.db.read();
    let (items, blake3) = match archive.resolve(reference)? {
        Target::Item(it) => {
            let b = it.blake3.clone();
            (vec![it], b)
        }
        Target::Object(o) => (q.items_of(&o.blake3)?, o.blake3),
    };
    let mut ids: Vec<i64> = items.iter().map(|i| i.record_id).collect();
    ids.extend(q.claims_of(&blake3)?.iter().map(|c| c.record_id));
    let mut r = EnvelopesReport { keys: BTreeMap::new(), envelopes: Vec::new(), lines: Vec::new() };
    for id in ids {
        let Some(rec) = q.record(id)? else { continue };
        if let Some(k) = q.key(&rec.keyid)? {
            r.keys.insert(k.keyid, (k.owner, k.public_key));
        }
        r.envelopes.push(serde_json::from_slice(&rec.envelope).unwrap_or(serde_json::Value::Null));
        r.lines.extend_from_slice(&rec.envelope);
        r.lines.push(b'\n');
    }
    Ok(r)
}
