//! The audit: re-reads every object (decompressing, recomputing BLAKE3 and
//! the size; `deep` adds SHA-256), finds files no row knows, verifies every
//! signed record and claim against its key, its object and the derived
//! columns, recomputes the custody log, and records its own result (a
//! fixity-check event and a signed checkpoint, when the log checks out). Problems are `Finding`s (data), never errors;
//! errors are reserved for operational failures (the database is gone…).
//!
//! Objects are checked by `--threads` workers (default twice the cores, at
//! most 16), least recently checked first, each streaming through a fixed
//! buffer (bounded memory); meanwhile the calling thread checks the rows:
//! the store listing, every signed record and claim, and the custody log.
//!
//! Must not: repair, delete or rewrite anything it checks.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

mod claims;
mod log;

pub(crate) use claims::check_claim;

use crate::Archive;
use crate::commands::{Progress, lossy};
use crate::crypto::PublicKey;
use crate::db::{AuditRun, ItemRow, KeyRow, ObjectRow, RecordRow};
use crate::error::Result;
use crate::id::{Encoding, ObjectId};
use crate::record::{self, IngestPredicate, VerifyError};
use crate::store::Store;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Evidence is damaged or cannot be trusted.
    Error,
    /// Something to tidy; no evidence is damaged.
    Warning,
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The object's file is gone.
    ObjectMissing,
    /// The object's bytes do not hash to its name.
    ObjectCorrupt,
    /// The object is shorter than recorded.
    ObjectTruncated,
    /// The zstd frame cannot be decoded.
    ObjectUndecompressable,
    /// A file in the store that no row names.
    OrphanFile,
    /// A record whose signature does not verify.
    BadSignature,
    /// A record signed by a key the archive does not know.
    UnknownKey,
    /// A record's subject digests do not match its object.
    SubjectMismatch,
    /// A database column no longer matches the signed bytes.
    EditedColumn,
    /// A record that is not a valid envelope / statement.
    MalformedRecord,
    /// An item whose record is missing, a record with no item, an object
    /// no item names, or record ids that were deleted.
    MissingRecord,
    /// A directory of the object store that cannot be read.
    StoreUnreadable,
    /// Signed by a key at or after its revocation.
    SignedAfterRevocation,
    /// A claim that supersedes no claim, or one about another object or kind.
    BadSupersedes,
    /// A row with no event in the custody log, or deleted leaves.
    LogEventMissing,
    /// A log event that no longer matches the rows and record it names.
    LogEventMismatch,
    /// A log event whose row is gone.
    LogEventOrphan,
    /// Stored tree nodes that differ from the ones the leaves give.
    LogNodeMismatch,
    /// A checkpoint whose tree the log no longer has.
    CheckpointMismatch,
    /// A checkpoint not signed by the archive's log key.
    CheckpointBadSignature,
    /// A stored cosignature that does not verify for its checkpoint.
    CosignatureInvalid,
    /// The log is shorter than an external checkpoint.
    LogRolledBack,
    /// The log's history differs from an external checkpoint's.
    LogRewritten,
}

impl Code {
    /// The stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ObjectMissing => "object-missing",
            Code::ObjectCorrupt => "object-corrupt",
            Code::ObjectTruncated => "object-truncated",
            Code::ObjectUndecompressable => "object-undecompressable",
            Code::OrphanFile => "orphan-file",
            Code::BadSignature => "bad-signature",
            Code::UnknownKey => "unknown-key",
            Code::SubjectMismatch => "subject-mismatch",
            Code::EditedColumn => "edited-column",
            Code::MalformedRecord => "malformed-record",
            Code::MissingRecord => "missing-record",
            Code::StoreUnreadable => "store-unreadable",
            Code::SignedAfterRevocation => "signed-after-revocation",
            Code::BadSupersedes => "bad-supersedes",
            Code::LogEventMissing => "log-event-missing",
            Code::LogEventMismatch => "log-event-mismatch",
            Code::LogEventOrphan => "log-event-orphan",
            Code::LogNodeMismatch => "log-node-mismatch",
            Code::CheckpointMismatch => "checkpoint-mismatch",
            Code::CheckpointBadSignature => "checkpoint-bad-signature",
            Code::CosignatureInvalid => "cosignature-invalid",
            Code::LogRolledBack => "log-rolled-back",
            Code::LogRewritten => "log-rewritten",
        }
    }
}

/// One problem found: what, where, and how to repair it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Kind.
    pub code: Code,
    /// What it is about: `object <blake3>`, `item 3`, `record 5`.
    pub subject: String,
    /// Where: a file path or table / row.
    pub location: String,
    /// What is wrong.
    pub message: String,
    /// How to repair it.
    pub repair: String,
}

fn finding(
    code: Code,
    subject: String,
    location: String,
    message: String,
    repair: &str,
) -> Finding {
    let severity = if code == Code::OrphanFile { Severity::Warning } else { Severity::Error };
    Finding { severity, code, subject, location, message, repair: repair.into() }
}

const RESTORE: &str = "move the damaged file out of objects/, then restore it from a replica or \
                       backup (check it with b3sum) or re-run the ingest of the original file";

/// Options for `audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Also recompute SHA-256 of every object.
    pub deep: bool,
    /// Worker threads (0 = twice the cores, at most 16).
    pub threads: usize,
    /// Re-read only this many objects, least recently checked first (every
    /// other check still covers the whole archive). Repeated runs cover
    /// every object in turn.
    pub limit: Option<usize>,
    /// A checkpoint kept outside the archive (signed note text): the log
    /// must be a consistent extension of it.
    pub against: Option<String>,
    /// The log's verifier key to check `against` with (pinned outside the
    /// archive); default: the archive's own log key.
    pub against_vkey: Option<String>,
}

/// The audit's result.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    /// Everything wrong (empty = clean).
    pub findings: Vec<Finding>,
    /// Objects read.
    pub objects_checked: u64,
    /// Objects in the archive (more than `objects_checked` with a limit).
    pub objects_total: u64,
    /// Original bytes hashed.
    pub bytes_checked: u64,
    /// Items checked.
    pub items_checked: u64,
    /// Signed records verified.
    pub records_checked: u64,
    /// Claims checked.
    pub claims_checked: u64,
    /// Custody log events checked.
    pub events_checked: u64,
    /// The checkpoint this audit signed after its fixity-check event, or
    /// `None` when the custody log itself has findings (nothing is appended
    /// to, or signed over, a log that does not check out).
    pub checkpoint: Option<String>,
    /// Whether SHA-256 was recomputed.
    pub deep: bool,
    /// Wall time.
    pub seconds: f64,
    /// Throughput over original bytes.
    pub mb_per_s: f64,
    /// The audit run's row id.
    pub run_id: i64,
}

impl AuditReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What reading an object back found.
pub(crate) enum ReadBack {
    /// All bytes read: their BLAKE3, SHA-256 (if asked) and length.
    Read { blake3: ObjectId, sha256: Option<[u8; 32]>, len: u64 },
    /// The file is not there.
    Missing,
    /// The stored bytes could not be read or decoded.
    Damaged(String, u64),
}

/// Stream an object's original bytes through `sink`, hashing as it goes.
pub(crate) fn read_back(
    store: &Store,
    id: &ObjectId,
    enc: Encoding,
    deep: bool,
    buf: &mut [u8],
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<ReadBack> {
    let file = match store.open(id, enc) {
        Ok(f) => {
            let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::Sequential);
            f
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ReadBack::Missing),
        Err(e) => return Err(e),
    };
    let mut reader: Box<dyn Read> = match enc {
        Encoding::None => Box::new(file),
        Encoding::Zstd => match zstd::stream::Decoder::new(file) {
            // Not `single_frame()`: bytes appended after the frame must fail.
            Ok(d) => Box::new(d),
            Err(e) => return Ok(ReadBack::Damaged(e.to_string(), 0)),
        },
    };
    let mut b3 = blake3::Hasher::new();
    let mut sha = deep.then(Sha256::new);
    let mut len = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if enc == Encoding::Zstd => return Ok(ReadBack::Damaged(e.to_string(), len)),
            Err(e) => return Err(e),
        };
        b3.update(&buf[..n]);
        if let Some(s) = sha.as_mut() {
            s.update(&buf[..n]);
        }
        len += n as u64;
        sink(&buf[..n])?;
    }
    Ok(ReadBack::Read {
        blake3: ObjectId(*b3.finalize().as_bytes()),
        sha256: sha.map(|s| s.finalize().into()),
        len,
    })
}

/// Check one object row against its stored bytes.
fn check_object(
    store: &Store,
    row: &ObjectRow,
    deep: bool,
    buf: &mut [u8],
) -> (Option<Finding>, u64) {
    let subject = format!("object {}", row.blake3);
    let edited = |col: &str, why: String| {
        finding(
            Code::EditedColumn,
            subject.clone(),
            format!("objects.{col}"),
            why,
            "restore the database from a backup, or re-derive the row from the signed records",
        )
    };
    let Ok(id) = row.blake3.parse::<ObjectId>() else {
        return (Some(edited("blake3", format!("{:?} is not a blake3 digest", row.blake3))), 0);
    };
    let Some(enc) = Encoding::parse(&row.encoding) else {
        return (Some(edited("encoding", format!("unknown encoding {:?}", row.encoding))), 0);
    };
    let location = store.path_of(&id, enc).display().to_string();
    let result = read_back(store, &id, enc, deep, buf, &mut |_| Ok(()));
    let f =
        |code, msg: String| Some(finding(code, subject.clone(), location.clone(), msg, RESTORE));
    match result {
        Err(e) => (f(Code::ObjectCorrupt, format!("cannot read the object: {e}")), 0),
        Ok(ReadBack::Missing) => match store.find(&id) {
            Some((other, _)) => (
                Some(edited(
                    "encoding",
                    format!(
                        "encoding column says {}, the store holds it as {}",
                        enc.as_str(),
                        other.as_str()
                    ),
                )),
                0,
            ),
            None => (f(Code::ObjectMissing, "the object's file is missing".into()), 0),
        },
        Ok(ReadBack::Damaged(why, n)) => {
            (f(Code::ObjectUndecompressable, format!("the zstd frame cannot be decoded: {why}")), n)
        }
        Ok(ReadBack::Read { blake3, sha256, len }) => {
            let on_disk =
                std::fs::symlink_metadata(&location).map(|m| m.len() as i64).unwrap_or(-1);
            if blake3 != id && (len as i64) < row.size {
                (f(Code::ObjectTruncated, format!("{len} bytes, {} recorded", row.size)), len)
            } else if blake3 != id {
                (
                    f(
                        Code::ObjectCorrupt,
                        format!("the bytes hash to {blake3}, not their name ({len} bytes)"),
                    ),
                    len,
                )
            } else if on_disk != row.stored_size {
                let why = format!(
                    "the stored file is {on_disk} bytes, {} were written: data was added or \
                     removed outside the content (e.g. a zstd skippable frame), or the \
                     stored_size column was edited",
                    row.stored_size
                );
                (f(Code::ObjectCorrupt, why), len)
            } else if len as i64 != row.size {
                (
                    Some(edited(
                        "size",
                        format!("size column says {}, the object has {len} bytes", row.size),
                    )),
                    len,
                )
            } else if let Some(s) = sha256.filter(|s| hex::encode(s) != row.sha256) {
                let why = format!(
                    "sha256 column says {}, the bytes hash to {}",
                    row.sha256,
                    hex::encode(s)
                );
                (Some(edited("sha256", why)), len)
            } else {
                (None, len)
            }
        }
    }
}

/// The archive's keys as the checks need them.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    /// Public keys whose id matches.
    pub public: HashMap<String, PublicKey>,
    /// Revoked keys: (from when, as stored, reason).
    pub revoked: HashMap<String, (time::OffsetDateTime, String, String)>,
}

/// The registered keys usable for verification, and findings about rows
/// whose key id does not match their public key.
pub(crate) fn load_keys(rows: &[KeyRow], findings: &mut Vec<Finding>) -> Keys {
    let mut keys = Keys::default();
    for k in rows {
        if let Some(at) = &k.revoked_at {
            // An unreadable revocation time counts as "revoked forever".
            let t = crate::clock::parse_rfc3339("revocation time", at)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let reason = k.revoke_reason.clone().unwrap_or_default();
            keys.revoked.insert(k.keyid.clone(), (t, at.clone(), reason));
        }
        match PublicKey::from_hex("keys table", &k.public_key) {
            Ok(pk) if pk.keyid() == k.keyid => {
                keys.public.insert(k.keyid.clone(), pk);
            }
            _ => findings.push(finding(
                Code::EditedColumn,
                format!("key {}", k.keyid),
                "keys.public_key".into(),
                "the stored public key does not match its key id".into(),
                "re-register the key from its owner's .pub file after restoring the row",
            )),
        }
    }
    keys
}

/// Open a record's envelope with the archive's keys; a failure is the
/// finding that describes it.
pub(crate) fn open_record<P: serde::de::DeserializeOwned>(
    rec: &RecordRow,
    keys: &Keys,
    subject: &str,
) -> std::result::Result<record::Verified<P>, Box<Finding>> {
    record::open::<P>(&rec.envelope, |k| keys.public.get(k).copied()).map_err(|e| {
        let (code, repair) = match &e {
            VerifyError::UnknownKey(_) => (
                Code::UnknownKey,
                "register the signer's public key with `custody key add` if you trust it; \
                 otherwise treat what it signed as unproven",
            ),
            VerifyError::BadSignature(_) => (
                Code::BadSignature,
                "the signed record was altered: restore it from a backup or replica",
            ),
            VerifyError::Malformed(_) => {
                (Code::MalformedRecord, "restore the record from a backup or replica")
            }
        };
        Box::new(finding(
            code,
            subject.into(),
            format!("records row {}", rec.id),
            e.to_string(),
            repair,
        ))
    })
}

/// A finding if `keyid` was revoked at or before `signed_at`.
pub(crate) fn revoked_before(
    keys: &Keys,
    keyid: &str,
    signed_at: &str,
    subject: &str,
    loc: &str,
) -> Option<Finding> {
    let revoked = keys.revoked.get(keyid)?;
    let signed = crate::clock::parse_rfc3339("signing time", signed_at).ok();
    let after = signed.is_none_or(|t| t >= revoked.0);
    after.then(|| {
        finding(
            Code::SignedAfterRevocation,
            subject.into(),
            loc.into(),
            format!(
                "signed at {signed_at} by key {keyid}, which was revoked at {} ({})",
                revoked.1, revoked.2
            ),
            "treat it as unproven: whoever holds the revoked key could have made it; \
             have a current key holder re-examine and re-sign what is true",
        )
    })
}

/// Check an item against its signed ingest record (`None`: the row the item
/// names is missing); returns its findings.
pub(crate) fn check_item(
    item: &ItemRow,
    rec: Option<&RecordRow>,
    object: Option<&ObjectRow>,
    keys: &Keys,
    archive_id: &str,
) -> Vec<Finding> {
    let subject = format!("item {}", item.id);
    let mut out = Vec::new();
    let Some(rec) = rec else {
        out.push(finding(
            Code::MissingRecord,
            subject,
            format!("items row {}", item.id),
            format!("its ingest record {} is missing", item.record_id),
            "restore the records table from a backup; an item without its signed record is unproven",
        ));
        return out;
    };
    let loc = format!("records row {}", rec.id);
    let v = match open_record::<IngestPredicate>(rec, keys, &subject) {
        Ok(v) => v,
        Err(f) => {
            out.push(*f);
            return out;
        }
    };
    if let Some(f) = revoked_before(keys, &v.keyid, &item.ingested_at, &subject, &loc) {
        out.push(f);
    }
    let st = &v.statement;
    let p = &st.predicate;
    let mut edited = |col: &str, signed: String, column: String| {
        out.push(finding(
            Code::EditedColumn,
            subject.clone(),
            format!("{col} (row {})", item.id),
            format!("column says {column:?}, the signed record says {signed:?}"),
            "the signed record is authoritative: restore the column from it or from a backup",
        ));
    };
    if rec.keyid != v.keyid {
        edited("records.keyid", v.keyid.clone(), rec.keyid.clone());
    }
    if rec.kind != "ingest" || st.predicate_type != record::INGEST_PREDICATE {
        edited("records.kind", st.predicate_type.clone(), rec.kind.clone());
    }
    if p.item_id != item.item_uuid {
        edited("items.item_uuid", p.item_id.clone(), item.item_uuid.clone());
    }
    if p.path_bytes().as_deref() != Some(&item.original_path[..]) {
        edited("items.original_path", p.original_path.clone(), lossy(&item.original_path));
    }
    let signed_name = p.path_bytes().and_then(|b| {
        std::path::Path::new(std::ffi::OsStr::from_bytes(&b))
            .file_name()
            .map(|n| n.as_bytes().to_vec())
    });
    if p.original_name != lossy(&item.original_name)
        || signed_name.as_deref() != Some(&item.original_name[..])
    {
        edited("items.original_name", p.original_name.clone(), lossy(&item.original_name));
    }
    if p.size as i64 != item.size {
        edited("items.size", p.size.to_string(), item.size.to_string());
    }
    if p.media_type != item.media_type {
        edited("items.media_type", p.media_type.clone(), item.media_type.clone());
    }
    if p.ingested_at != item.ingested_at {
        edited("items.ingested_at", p.ingested_at.clone(), item.ingested_at.clone());
    }
    if p.collector != item.collector_keyid || p.collector != v.keyid {
        edited("items.collector_keyid", p.collector.clone(), item.collector_keyid.clone());
    }
    if p.provenance != item.provenance {
        edited("items.provenance", p.provenance.clone(), item.provenance.clone());
    }
    if p.archive_id != archive_id {
        edited("archive.archive_id", p.archive_id.clone(), archive_id.to_owned());
    }
    let digest = st.subject.first().map(|s| s.digest.clone());
    let mismatch = match (&digest, object) {
        (None, _) => Some("the record has no subject".to_owned()),
        (Some(d), _) if d.blake3 != item.blake3 || d.blake3 != rec.blake3 => Some(format!(
            "signed blake3 {} but the item names {} and the record row {}",
            d.blake3, item.blake3, rec.blake3
        )),
        (Some(_), None) => Some(format!("no object row for {}", item.blake3)),
        (Some(d), Some(o)) if d.sha256 != o.sha256 => {
            Some(format!("signed sha256 {} but the object row has {}", d.sha256, o.sha256))
        }
        (Some(d), Some(o)) if p.size as i64 != o.size => {
            Some(format!("signed size {} but object {} has {}", p.size, d.blake3, o.size))
        }
        _ => None,
    };
    if let Some(m) = mismatch {
        out.push(finding(
            Code::SubjectMismatch,
            subject,
            loc,
            m,
            "the signed record is authoritative: restore the item and object rows from a backup",
        ));
    }
    out
}

/// Describe the ids missing from `1..=max(sequence, last id)`, if any.
fn id_gaps(sorted_ids: &[i64], sequence: Option<i64>) -> Option<String> {
    let top = sorted_ids.last().copied().unwrap_or(0).max(sequence.unwrap_or(0));
    let present: HashSet<i64> = sorted_ids.iter().copied().collect();
    let missing: Vec<i64> = (1..=top).filter(|i| !present.contains(i)).collect();
    if missing.is_empty() {
        return None;
    }
    let shown: Vec<String> = missing.iter().take(10).map(i64::to_string).collect();
    let more = if missing.len() > 10 {
        format!(" and {} more", missing.len() - 10)
    } else {
        String::new()
    };
    Some(format!("ids {}{more} are missing (highest id given out: {top})", shown.join(", ")))
}

/// What the checks of rows (store listing, records, claims, log) found.
struct RowChecks {
    findings: Vec<Finding>,
    items: u64,
    records: u64,
    claims: u64,
    events: u64,
    sound: bool,
}

/// Audit the whole archive and record the result.
pub fn audit(
    archive: &mut Archive,
    opts: &AuditOptions,
    progress: &dyn Progress,
) -> Result<AuditReport> {
    let _lock = archive.lock_for_reading()?;
    let started = Instant::now();
    let started_at = archive.now();
    let archive_id = archive.identity()?.archive_id;
    let q = archive.db.q();
    let objects = q.objects()?;
    let sample = &objects[..opts.limit.unwrap_or(objects.len()).min(objects.len())];
    let mut findings = Vec::new();
    progress.begin(sample.len() as u64, sample.iter().map(|o| o.size.max(0) as u64).sum());

    // 1. Every object's bytes, in parallel, one fixed buffer per worker.
    let threads = crate::commands::workers(opts.threads);
    let next = AtomicUsize::new(0);
    // (index into `sample`, finding, bytes read)
    let results: Mutex<Vec<(usize, Option<Finding>, u64)>> = Mutex::new(Vec::new());
    let store = &archive.store;
    // 2–5 run on this thread while the workers read the objects.
    let rows = std::thread::scope(|s| -> Result<RowChecks> {
        for _ in 0..threads.min(sample.len().max(1)) {
            s.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(row) = sample.get(i) else { break };
                    let (f, n) = check_object(store, row, opts.deep, &mut buf);
                    progress.advance(row.size.max(0) as u64);
                    mine.push((i, f, n));
                }
                if let Ok(mut all) = results.lock() {
                    all.extend(mine);
                }
            });
        }
        let mut findings = Vec::new();
        // 2. Files in the store that no row knows.
        // Each row accounts for exactly one file: the one its encoding names,
        // or (when that column was edited, reported above) the copy that exists.
        let known: HashSet<std::path::PathBuf> = objects
            .iter()
            .filter_map(|o| {
                let id = o.blake3.parse().ok()?;
                let named = Encoding::parse(&o.encoding).map(|enc| store.path_of(&id, enc));
                match named {
                    Some(p) if p.exists() => Some(p),
                    _ => store.find(&id).map(|(enc, _)| store.path_of(&id, enc)),
                }
            })
            .collect();
        let listing = store.list()?;
        for (dir, err) in listing.unreadable {
            findings.push(finding(
                Code::StoreUnreadable,
                "object store".into(),
                dir.display().to_string(),
                format!("cannot read this directory of the store: {err}"),
                "fix its permissions (custody needs to read every directory of objects/) and audit again",
            ));
        }
        for l in listing.files {
            let is_known = l.name.is_some() && known.contains(&l.path);
            if !is_known {
                findings.push(finding(
                    Code::OrphanFile,
                    match l.name {
                        Some((id, _)) => format!("object {id}"),
                        None => "stray file".into(),
                    },
                    l.path.display().to_string(),
                    "a file in the object store that no database row names".into(),
                    "if it is an object from an interrupted ingest, re-run that ingest to adopt it; \
                     otherwise move it out of the store",
                ));
            }
        }

        // 3. Every item against its signed record; every record has an item.
        let key_rows = q.keys()?;
        let keys = load_keys(&key_rows, &mut findings);
        let by_id: HashMap<&str, &ObjectRow> =
            objects.iter().map(|o| (o.blake3.as_str(), o)).collect();
        let items = q.items()?;
        let records = q.records()?;
        let record_by_id: HashMap<i64, &RecordRow> = records.iter().map(|r| (r.id, r)).collect();
        for item in &items {
            findings.extend(check_item(
                item,
                record_by_id.get(&item.record_id).copied(),
                by_id.get(item.blake3.as_str()).copied(),
                &keys,
                &archive_id,
            ));
        }
        // 4. Every claim against its signed record.
        let claims = q.claims()?;
        let by_uuid: HashMap<&str, &crate::db::ClaimRow> =
            claims.iter().map(|c| (c.claim_uuid.as_str(), c)).collect();
        for c in &claims {
            let (_, f) = check_claim(
                c,
                record_by_id.get(&c.record_id).copied(),
                by_id.get(c.blake3.as_str()).copied(),
                &keys,
                &archive_id,
                &by_uuid,
            );
            findings.extend(f);
        }
        let referenced: HashSet<i64> =
            items.iter().map(|i| i.record_id).chain(claims.iter().map(|c| c.record_id)).collect();
        for r in records.iter().filter(|r| !referenced.contains(&r.id)) {
            let what = if r.kind == "claim" { "claim" } else { "item" };
            findings.push(finding(
                Code::MissingRecord,
                format!("record {}", r.id),
                format!("records row {}", r.id),
                format!("a signed record that no {what} row refers to (was the row deleted?)"),
                &format!("restore the {what}s table from a backup"),
            ));
        }

        let named: HashSet<&str> = items.iter().map(|i| i.blake3.as_str()).collect();
        for o in objects.iter().filter(|o| !named.contains(o.blake3.as_str())) {
            findings.push(finding(
                Code::MissingRecord,
                format!("object {}", o.blake3),
                format!("objects row {}", o.blake3),
                "no item names this object (were its item and record rows deleted?)".into(),
                "restore the items and records tables from a backup",
            ));
        }
        for (table, ids) in [
            ("records", records.iter().map(|r| r.id).collect::<Vec<_>>()),
            ("items", items.iter().map(|i| i.id).collect()),
            ("claims", claims.iter().map(|c| c.id).collect()),
            ("checkpoints", q.checkpoints()?.iter().map(|c| c.id).collect()),
            ("cosignatures", q.cosignatures()?.iter().map(|c| c.id).collect()),
        ] {
            if let Some(gap) = id_gaps(&ids, q.sequence(table)?) {
                findings.push(finding(
                    Code::MissingRecord,
                    format!("{table} table"),
                    table.into(),
                    format!("rows were deleted: {gap}"),
                    "restore the table from a backup; ids are never reused, so a gap means deletion",
                ));
            }
        }

        // 5. The custody log and its checkpoints.
        let pinned = match &opts.against_vkey {
            None => None,
            Some(v) => Some(
                crate::log::note::parse_vkey(v)
                    .and_then(|k| match k.alg {
                        crate::log::note::ALG_ED25519 => Ok(k),
                        _ => Err("that is a witness (cosigner) key, not the log's key".into()),
                    })
                    .map_err(|e| {
                        crate::Error::new(crate::ErrorKind::Usage, format!("--vkey: {e}")).hint(
                            "pass the log's verifier key as `custody log` printed it when you kept the checkpoint",
                        )
                    })?
                    .public,
            ),
        };
        let rows = log::Rows {
            items: &items,
            claims: &claims,
            keys: &key_rows,
            records: &record_by_id,
            objects: &by_id,
        };
        let log_check = log::check(
            &q,
            &rows,
            &archive_id,
            crate::log::log_public(archive.root())?.as_ref(),
            opts.against.as_deref().map(|a| (a, pinned.as_ref())),
        )?;
        let log_sound = log_check.sound;
        findings.extend(log_check.findings);

        Ok(RowChecks {
            findings,
            items: items.len() as u64,
            records: records.len() as u64,
            claims: claims.len() as u64,
            events: log_check.size,
            sound: log_sound,
        })
    });
    progress.finish();
    let rows = rows?;
    let mut bytes = 0;
    let mut damaged = HashSet::new();
    for (i, f, n) in results.into_inner().unwrap_or_default() {
        bytes += n;
        if let Some(f) = f {
            damaged.insert(i);
            findings.push(f);
        }
    }

    findings.extend(rows.findings);

    // 6. Record the run and its fixity-check event; sign a checkpoint; mark
    // intact objects as checked.
    let report_json = serde_json::to_string(&findings).unwrap_or_default();
    let finished_at = archive.now();
    let clean: Vec<String> = sample
        .iter()
        .enumerate()
        .filter(|(i, _)| !damaged.contains(i))
        .map(|(_, o)| o.blake3.clone())
        .collect();
    let key = if rows.sound {
        Some(crate::log::log_key(&archive.db.q(), archive.root(), &archive_id, &finished_at)?)
    } else {
        None
    };
    let tx = archive.db.tx()?;
    tx.mark_checked(&clean, &finished_at)?;
    let run_id = tx.add_audit_run(&AuditRun {
        started_at: &started_at,
        finished_at: &finished_at,
        deep: opts.deep,
        objects_checked: sample.len() as u64,
        bytes_checked: bytes,
        records_checked: rows.records,
        findings: findings.len() as u64,
        report: &report_json,
    })?;
    let mut checkpoint = None;
    if let Some(key) = key {
        crate::log::append(
            &tx,
            &crate::log::Event::fixity_check(&finished_at, &archive_id, run_id, &report_json),
        )?;
        let size = tx.q().log_size()?;
        let (_, note) =
            crate::log::sign_checkpoint(&tx, &key, None, &archive_id, size, &finished_at)?;
        checkpoint = Some(note.to_text());
    }
    tx.commit()?;
    let secs = started.elapsed().as_secs_f64();
    Ok(AuditReport {
        findings,
        objects_checked: sample.len() as u64,
        objects_total: objects.len() as u64,
        bytes_checked: bytes,
        items_checked: rows.items,
        records_checked: rows.records,
        claims_checked: rows.claims,
        events_checked: rows.events,
        checkpoint,
        deep: opts.deep,
        seconds: secs,
        mb_per_s: if secs > 0.0 { bytes as f64 / 1e6 / secs } else { 0.0 },
        run_id,
    })
}
