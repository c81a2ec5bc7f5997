//! `ingest`: walk files and folders (symlinks are reported, never
//! followed) or a checked CSV manifest, store each file's bytes in one
//! streaming pass (BLAKE3 + SHA-256 + optional zstd from the same buffers),
//! read its embedded metadata back from the stored object, then record the
//! object, the item, its signed ingest record, its embedded and collector
//! claims and their custody-log events (ingestion, claim, repair) in one
//! transaction per batch.
//!
//! Workers (default twice the cores, at most 16: they wait on fsync) read,
//! hash and stage objects, nudging writeback as they go; the calling thread
//! alone writes the database, committing whatever has arrived in one
//! transaction (group commit). An object is fsynced and renamed into place
//! before its row is written, so a crash leaves at worst an orphan object
//! that the next run adopts. Re-running the same ingest is idempotent.
//!
//! Must not: follow symlinks, write a row before its object is durable, or
//! let one unreadable file stop the batch.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use serde::Serialize;

use super::{Progress, lossy};
use crate::Archive;
use crate::audit::{ReadBack, read_back};
use crate::claim::{Basis, ClaimPredicate, ClaimValue, Parsed};
use crate::clock::{Clock, rfc3339};
use crate::commands::claim::{NewClaim, Signer, add_claim};
use crate::crypto::{DualHasher, SecretKey};
use crate::db::{Db, NewItem, ObjectRow, Tx};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{Encoding, ObjectId, Sha256Digest};
use crate::manifest::RowError;
use crate::media;
use crate::metadata::{self, Embedded};
use crate::record::{self, DigestSet, IngestPredicate, Statement, Subject};
use crate::store::{Put, Store};

const CHUNK: usize = 1 << 20;
/// Commit at most this many items per transaction.
const GROUP: usize = 256;

/// Options for `ingest`.
pub struct IngestOptions<'k> {
    /// Files and folders to ingest (empty with a manifest).
    pub paths: Vec<PathBuf>,
    /// The collector's claims about every file named in `paths` (from flags).
    pub claims: Parsed,
    /// A CSV manifest: the files to ingest, one row each, with their claims.
    pub manifest: Option<PathBuf>,
    /// Ingest a manifest's good rows even if others are bad.
    pub skip_bad_rows: bool,
    /// The collector's signing key (must be registered and not revoked).
    pub key: &'k SecretKey,
    /// Worker threads (0 = twice the cores, at most 16).
    pub threads: usize,
}

impl<'k> IngestOptions<'k> {
    /// Ingest `paths` with no collector claims, default threads.
    pub fn paths(paths: Vec<PathBuf>, key: &'k SecretKey) -> IngestOptions<'k> {
        IngestOptions {
            paths,
            claims: Parsed::default(),
            manifest: None,
            skip_bad_rows: false,
            key,
            threads: 0,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// A new item was recorded.
    Added {
        /// Item number.
        item: i64,
        /// Object id.
        blake3: String,
        /// True if the object was already recorded (its bytes stored once).
        deduplicated: bool,
    },
    /// This file at this path was already archived; nothing was added.
    AlreadyArchived {
        /// Item number.
        item: i64,
        /// Object id.
        blake3: String,
        /// True if the object's file was missing and was stored again.
        restored: bool,
    },
    /// Not ingested.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One file's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path (lossily UTF-8).
    pub path: String,
    /// Outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Claims recorded for it (embedded and the collector's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<i64>,
    /// Problems met reading its embedded metadata (the file is archived).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata_problems: Vec<String>,
}

impl FileReport {
    fn new(path: String, outcome: Outcome) -> FileReport {
        FileReport { path, outcome, claims: Vec::new(), metadata_problems: Vec::new() }
    }
}

/// The closing summary of an ingest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    /// Regular files seen.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// New items.
    pub added: u64,
    /// New objects written to the store.
    pub new_objects: u64,
    /// New items whose bytes were already stored.
    pub deduplicated: u64,
    /// Files already archived at the same path.
    pub already_archived: u64,
    /// Missing object files stored again from an already-archived file.
    pub restored: u64,
    /// Files skipped (symlinks, unreadable, changed while read…).
    pub skipped: u64,
    /// Claims recorded (embedded and the collector's).
    pub claims: u64,
    /// Files whose embedded metadata had problems.
    pub metadata_problems: u64,
    /// Wall time.
    pub seconds: f64,
    /// Throughput.
    pub mb_per_s: f64,
}

/// The report of `ingest`.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Per file, in walk order.
    pub files: Vec<FileReport>,
    /// Manifest rows left out (`skip_bad_rows`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bad_rows: Vec<RowError>,
    /// Totals.
    pub summary: IngestSummary,
}

struct Job {
    path: PathBuf,
    size: u64,
    /// Index of the collector's claims for this file.
    claims: usize,
}

/// An object staged and stored from one file.
struct Stored {
    id: ObjectId,
    sha256: Sha256Digest,
    size: u64,
    media_type: String,
    put: Put,
    embedded: Embedded,
}

/// Ingest files and folders into the archive.
pub fn ingest(
    archive: &mut Archive,
    opts: &IngestOptions<'_>,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let started = Instant::now();
    let keyid = super::check_signer(&archive.db.q(), opts.key)?;
    let (jobs, mut files, collector, bad_rows) = match &opts.manifest {
        None => {
            let (jobs, files) = walk(&opts.paths)?;
            (jobs, files, vec![opts.claims.clone()], Vec::new())
        }
        Some(file) => {
            if !opts.paths.is_empty() || !opts.claims.values.is_empty() {
                return Err(Error::new(
                    ErrorKind::Usage,
                    "a manifest names the files and their claims",
                )
                .hint("give either --manifest or paths with claim flags, not both"));
            }
            let m = crate::manifest::read(file)?;
            if !m.errors.is_empty() && (!opts.skip_bad_rows || m.rows.is_empty()) {
                return Err(crate::manifest::refusal(file, &m.errors));
            }
            let mut jobs = Vec::with_capacity(m.rows.len());
            let mut claims = Vec::with_capacity(m.rows.len());
            for (i, row) in m.rows.into_iter().enumerate() {
                let size = std::fs::metadata(&row.path).map(|md| md.len()).unwrap_or(0);
                jobs.push(Job { path: row.path, size, claims: i });
                claims.push(row.claims);
            }
            (jobs, Vec::new(), claims, m.errors)
        }
    };
    let walk_skipped = files.len() as u64;
    let _lock = archive.lock_for_writing()?;
    let archive_id = archive.identity()?.archive_id;
    progress.begin(jobs.len() as u64, jobs.iter().map(|j| j.size).sum());

    let threads = super::workers(opts.threads).min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Stored>)>(GROUP);
    let mut slots: Vec<Option<FileReport>> = vec![None; jobs.len()];
    let mut summary = IngestSummary::default();
    let (db, store, clock) = archive.parts();
    let outcome: Result<()> = std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (jobs, next) = (&jobs, &next);
            s.spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = store_file(store, &job.path, &mut buf, progress);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results are recorded in walk order, so item numbers are stable.
        let ctx = Ctx {
            archive_id: &archive_id,
            key: opts.key,
            keyid: &keyid,
            store,
            clock,
            jobs: &jobs,
            collector: &collector,
        };
        let mut fatal = None;
        let mut pending = std::collections::BTreeMap::new();
        let mut expected = 0usize;
        let mut batch = Vec::with_capacity(GROUP);
        // Objects first recorded by this run: a second copy that happened to
        // win the rename race is no repair.
        let mut added_here = std::collections::HashSet::new();
        while let Ok((i, r)) = rx.recv() {
            pending.insert(i, r);
            while pending.len() < GROUP {
                match rx.try_recv() {
                    Ok((i, r)) => pending.insert(i, r),
                    Err(_) => break,
                };
            }
            while let Some(r) = pending.remove(&expected) {
                batch.push((expected, r));
                expected += 1;
            }
            if batch.is_empty() || fatal.is_some() {
                batch.clear();
                continue;
            }
            if let Err(e) =
                record_batch(db, &ctx, &mut batch, &mut slots, &mut summary, &mut added_here)
            {
                fatal.get_or_insert(e);
                next.store(usize::MAX / 2, Ordering::Relaxed); // stop handing out work
            }
            batch.clear();
        }
        fatal.map_or(Ok(()), Err)
    });
    progress.finish();
    outcome?;
    let secs = started.elapsed().as_secs_f64();
    for (job, slot) in jobs.iter().zip(slots) {
        if let Some(r) = slot {
            files.push(r);
        } else {
            files.push(FileReport::new(
                lossy(job.path.as_os_str().as_bytes()),
                Outcome::Skipped { reason: "not processed".into() },
            ));
        }
    }
    summary.files = jobs.len() as u64 + walk_skipped;
    summary.skipped =
        files.iter().filter(|f| matches!(f.outcome, Outcome::Skipped { .. })).count() as u64;
    summary.claims = files.iter().map(|f| f.claims.len() as u64).sum();
    summary.metadata_problems =
        files.iter().filter(|f| !f.metadata_problems.is_empty()).count() as u64;
    summary.seconds = secs;
    summary.mb_per_s = if secs > 0.0 { summary.bytes as f64 / 1e6 / secs } else { 0.0 };
    Ok(IngestReport { files, bad_rows, summary })
}

struct Ctx<'a> {
    archive_id: &'a str,
    key: &'a SecretKey,
    keyid: &'a str,
    store: &'a Store,
    clock: &'a dyn Clock,
    jobs: &'a [Job],
    collector: &'a [Parsed],
}

/// Record one batch of stored files in a single transaction.
fn record_batch(
    db: &mut Db,
    ctx: &Ctx<'_>,
    batch: &mut Vec<(usize, Result<Stored>)>,
    slots: &mut [Option<FileReport>],
    summary: &mut IngestSummary,
    added_here: &mut std::collections::HashSet<String>,
) -> Result<()> {
    let now = rfc3339(ctx.clock.now());
    let mut buf = Vec::new();
    let tx = db.tx()?;
    let mut fatal = None;
    let mut done = Vec::with_capacity(batch.len());
    for (i, r) in batch.drain(..) {
        let path = &ctx.jobs[i].path;
        let shown = lossy(path.as_os_str().as_bytes());
        let st = match r {
            Ok(st) => st,
            Err(e) if matches!(e.kind(), ErrorKind::NoSpace | ErrorKind::Database) => {
                fatal.get_or_insert(e);
                continue;
            }
            Err(e) => {
                let reason = match e.hint_text() {
                    Some(h) => format!("{e} (hint: {h})"),
                    None => e.to_string(),
                };
                done.push((i, FileReport::new(shown, Outcome::Skipped { reason }), 0));
                continue;
            }
        };
        let signer =
            Signer { archive_id: ctx.archive_id, key: ctx.key, keyid: ctx.keyid, now: &now };
        let digest = DigestSet { blake3: st.id.to_hex(), sha256: st.sha256.to_hex() };
        let name = path.file_name().map(|n| n.as_bytes().to_vec()).unwrap_or_default();
        let blake3 = st.id.to_hex();
        let path_bytes = path.as_os_str().as_bytes();
        // The item's embedded and collector claims, in this transaction.
        let claims_for = |report: &mut FileReport, item_uuid: &str, embedded: Embedded| {
            let collector = &ctx.collector[ctx.jobs[i].claims];
            report.claims = add_claims(
                &tx,
                &signer,
                &digest,
                &name,
                item_uuid,
                embedded,
                collector,
                &mut report.metadata_problems,
            )?;
            Ok::<_, Error>(())
        };
        if let Some(existing) = tx.q().find_item(&blake3, path_bytes, "")? {
            if st.put.written {
                crate::log::append(&tx, &crate::log::Event::repair(&now, ctx.keyid, &digest))?;
            }
            let outcome =
                Outcome::AlreadyArchived { item: existing.id, blake3, restored: st.put.written };
            let mut report = FileReport::new(shown, outcome);
            claims_for(&mut report, &existing.item_uuid, st.embedded)?;
            done.push((i, report, st.size));
            continue;
        }
        let object_known = tx.q().object(&blake3)?.is_some();
        if !object_known && !st.put.written {
            // Adopting a file no row names (left by a crash, or planted):
            // it must hash to its name before anything is signed over it.
            if let Err(why) = verify_existing(ctx.store, &st, &mut buf) {
                let reason = format!(
                    "the store already holds an unrecorded file for {blake3} and it is damaged \
                     ({why}); move it out of objects/ and ingest again"
                );
                done.push((i, FileReport::new(shown, Outcome::Skipped { reason }), 0));
                continue;
            }
        }
        tx.add_object(&ObjectRow {
            blake3: blake3.clone(),
            sha256: st.sha256.to_hex(),
            size: st.size as i64,
            encoding: st.put.encoding.as_str().into(),
            stored_size: st.put.stored_size as i64,
            stored_at: now.clone(),
            last_checked_at: None,
        })?;
        let (original_path, original_path_base64) = IngestPredicate::path_fields(path_bytes);
        let item_uuid = uuid::Uuid::new_v4().to_string();
        let predicate = IngestPredicate {
            archive_id: ctx.archive_id.into(),
            item_id: item_uuid.clone(),
            original_name: lossy(&name),
            original_path,
            original_path_base64,
            size: st.size,
            media_type: st.media_type.clone(),
            ingested_at: now.clone(),
            collector: ctx.keyid.into(),
            provenance: String::new(),
        };
        let statement = Statement {
            statement_type: record::STATEMENT_TYPE.into(),
            subject: vec![Subject {
                name: lossy(&name),
                digest: DigestSet { blake3: blake3.clone(), sha256: st.sha256.to_hex() },
            }],
            predicate_type: record::INGEST_PREDICATE.into(),
            predicate,
        };
        let envelope = record::sign(&statement, ctx.key);
        let record_id = tx.add_record("ingest", &blake3, ctx.keyid, &envelope, &now)?;
        crate::log::append(
            &tx,
            &crate::log::Event::ingestion(&now, ctx.keyid, &digest, &envelope, &item_uuid),
        )?;
        let item = tx.add_item(
            &NewItem {
                item_uuid: &item_uuid,
                blake3: &blake3,
                original_name: &name,
                original_path: path_bytes,
                size: st.size,
                media_type: &st.media_type,
                ingested_at: &now,
                collector_keyid: ctx.keyid,
                provenance: "",
            },
            record_id,
        )?;
        // Deduplicated means the object row existed before this item, whichever
        // worker happened to move the bytes into place first.
        let dedup = object_known;
        if !object_known {
            added_here.insert(blake3.clone());
        }
        if object_known && st.put.written && !added_here.contains(&blake3) {
            // The object's file was missing and this file brought it back.
            crate::log::append(&tx, &crate::log::Event::repair(&now, ctx.keyid, &digest))?;
        }
        let outcome = Outcome::Added { item, blake3, deduplicated: dedup };
        let mut report = FileReport::new(shown, outcome);
        claims_for(&mut report, &item_uuid, st.embedded)?;
        done.push((i, report, st.size));
    }
    tx.commit()?;
    for (i, report, bytes) in done {
        summary.bytes += bytes;
        match &report.outcome {
            Outcome::Added { deduplicated, .. } => {
                summary.added += 1;
                if *deduplicated {
                    summary.deduplicated += 1;
                } else {
                    summary.new_objects += 1;
                }
            }
            Outcome::AlreadyArchived { restored, .. } => {
                summary.already_archived += 1;
                summary.restored += u64::from(*restored);
            }
            Outcome::Skipped { .. } => {}
        }
        slots[i] = Some(report);
    }
    fatal.map_or(Ok(()), Err)
}

/// Re-read an existing stored copy and check it is the object `st` names.
fn verify_existing(
    store: &Store,
    st: &Stored,
    buf: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    buf.resize(CHUNK, 0);
    match read_back(store, &st.id, st.put.encoding, false, buf, &mut |_| Ok(())) {
        Ok(ReadBack::Read { blake3, len, .. }) if blake3 == st.id && len == st.size => Ok(()),
        Ok(ReadBack::Read { blake3, len, .. }) => {
            Err(format!("it hashes to {blake3}, {len} bytes"))
        }
        Ok(ReadBack::Missing) => Err("it vanished".into()),
        Ok(ReadBack::Damaged(why, _)) => Err(why),
        Err(e) => Err(e.to_string()),
    }
}

/// Expand the arguments into regular files; symlinks and special files are
/// reported as skipped. A missing argument is an error before anything runs.
fn walk(paths: &[PathBuf]) -> Result<(Vec<Job>, Vec<FileReport>)> {
    if paths.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "nothing to ingest").hint("name files or folders"));
    }
    let mut roots = Vec::new();
    for p in paths {
        let meta = std::fs::symlink_metadata(p).map_err(|e| {
            Error::io("cannot ingest", p, e).hint("check the path; nothing was ingested")
        })?;
        roots.push((p.clone(), meta));
    }
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    let skip = |path: &Path, reason: &str| {
        FileReport::new(
            lossy(path.as_os_str().as_bytes()),
            Outcome::Skipped { reason: reason.into() },
        )
    };
    for (p, meta) in roots {
        if meta.file_type().is_symlink() {
            skipped.push(skip(&p, "symbolic link not followed"));
            continue;
        }
        let root = std::fs::canonicalize(&p).map_err(|e| Error::io("cannot resolve", &p, e))?;
        for entry in walkdir::WalkDir::new(&root).follow_links(false).sort_by_file_name() {
            match entry {
                Err(e) => {
                    let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                    skipped.push(skip(&path, &format!("cannot read: {e}")));
                }
                Ok(e) => {
                    let ft = e.file_type();
                    if ft.is_dir() {
                        continue;
                    } else if ft.is_symlink() {
                        skipped.push(skip(e.path(), "symbolic link not followed"));
                    } else if !ft.is_file() {
                        skipped.push(skip(e.path(), "not a regular file"));
                    } else {
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        jobs.push(Job { path: e.into_path(), size, claims: 0 });
                    }
                }
            }
        }
    }
    Ok((jobs, skipped))
}

/// Read as much as fits into `buf` (short only at end of file).
fn fill(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// One streaming pass over one file: hash both digests, write plain or
/// zstd into a staged file, check the file did not change, store it.
fn store_file(
    store: &Store,
    path: &Path,
    buf: &mut [u8],
    progress: &dyn Progress,
) -> Result<Stored> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io("cannot read", path, e))?;
    let before = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    if !before.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    let read_err = |e| Error::io("cannot read", path, e);
    let mut n = fill(&mut f, buf).map_err(read_err)?;
    let media_type = media::sniff(&buf[..n.min(8192)]);
    let compress = media::should_compress(&media_type, &buf[..n]);
    let mut staged = store.stage()?;
    let mut hasher = DualHasher::new();
    let tmp_err = |e| Error::io("cannot write staged object for", path, e);
    {
        let out = staged.file();
        let mut zstd = if compress {
            let mut z =
                zstd::stream::Encoder::new(out.try_clone().map_err(tmp_err)?, media::ZSTD_LEVEL)
                    .map_err(tmp_err)?;
            // The frame's own XXH64 content checksum: `zstd -d` verifies it too.
            z.include_checksum(true).map_err(tmp_err)?;
            Some(z)
        } else {
            None
        };
        while n > 0 {
            hasher.update(&buf[..n]);
            match zstd.as_mut() {
                Some(z) => z.write_all(&buf[..n]),
                None => out.write_all(&buf[..n]),
            }
            .map_err(tmp_err)?;
            progress.advance(n as u64);
            // Start writeback of what is written so far (and drop what is
            // already clean from the page cache): the final fsync then finds
            // little left, and disk writes overlap hashing.
            let _ = rustix::fs::fadvise(&*out, 0, None, rustix::fs::Advice::DontNeed);
            n = fill(&mut f, buf).map_err(read_err)?;
        }
        if let Some(z) = zstd {
            // finish() writes the frame's end; its error must not be lost.
            z.finish().map_err(tmp_err)?.flush().map_err(tmp_err)?;
        }
    }
    let (id, sha256, size) = hasher.finish();
    let after = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    if size != before.len()
        || after.len() != before.len()
        || after.modified().ok() != before.modified().ok()
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} changed while it was read ({} bytes at start, {} read, {} now)",
                path.display(),
                before.len(),
                size,
                after.len()
            ),
        )
        .hint("ingest it again once nothing is writing to it"));
    }
    let enc = if compress { Encoding::Zstd } else { Encoding::None };
    let put = store.put(staged, &id, enc)?;
    let embedded = read_embedded(store, &id, enc, &media_type);
    Ok(Stored { id, sha256, size, media_type, put, embedded })
}

/// Read embedded metadata from the stored object (the archived bytes, not
/// the source file, which could have changed since).
fn read_embedded(store: &Store, id: &ObjectId, enc: Encoding, media_type: &str) -> Embedded {
    if !metadata::reads(media_type) {
        return Embedded::default();
    }
    let problem = |why: String| Embedded { values: Vec::new(), problems: vec![why] };
    let file = match store.open(id, enc) {
        Ok(f) => f,
        Err(e) => return problem(format!("cannot reopen the stored object: {e}")),
    };
    match enc {
        Encoding::None => metadata::extract(media_type, file),
        Encoding::Zstd => {
            // Only the head the reader looks at is decoded.
            let limit =
                if media_type == "text/html" { metadata::HTML_HEAD } else { metadata::PHOTO_HEAD };
            let mut bytes = Vec::new();
            let read = zstd::stream::Decoder::new(file)
                .and_then(|d| d.take(limit).read_to_end(&mut bytes));
            match read {
                Ok(_) => metadata::extract(media_type, std::io::Cursor::new(bytes)),
                Err(e) => problem(format!("cannot decode the stored object: {e}")),
            }
        }
    }
}

/// Record the embedded claims (unless the object already has some) and the
/// collector's claims (unless the same claim was already made with this
/// item); returns the new claim numbers.
#[allow(clippy::too_many_arguments)]
fn add_claims(
    tx: &Tx<'_>,
    signer: &Signer<'_>,
    digest: &DigestSet,
    name: &[u8],
    item_uuid: &str,
    embedded: Embedded,
    collector: &Parsed,
    problems: &mut Vec<String>,
) -> Result<Vec<i64>> {
    if embedded.values.is_empty() && collector.values.is_empty() {
        *problems = embedded.problems;
        return Ok(Vec::new());
    }
    let existing = tx.q().claims_of(&digest.blake3)?;
    let mut added = Vec::new();
    let name = lossy(name);
    *problems = embedded.problems;
    if !existing.iter().any(|c| c.basis == "embedded") {
        for (value, raw) in embedded.values {
            let c = NewClaim {
                value,
                basis: Basis::Embedded,
                confidence: None,
                supersedes: None,
                item_uuid: Some(item_uuid.to_owned()),
                raw,
            };
            added.push(add_claim(tx, signer, digest, &name, c)?);
        }
    }
    for value in &collector.values {
        let earlier = current_claim(tx, signer, &existing, item_uuid, value)?;
        if let Some((_, same)) = &earlier
            && same.claim == *value
            && same.confidence == collector.confidence
        {
            continue; // a re-run of the same ingest adds nothing
        }
        // A changed value from the same collector for the same item is a
        // correction: it supersedes the earlier claim, which stays as history.
        let c = NewClaim {
            value: value.clone(),
            basis: Basis::Claimed,
            confidence: collector.confidence,
            supersedes: earlier.map(|(uuid, _)| uuid),
            item_uuid: Some(item_uuid.to_owned()),
            raw: Default::default(),
        };
        added.push(add_claim(tx, signer, digest, &name, c)?);
    }
    Ok(added)
}

/// This signer's current `claimed` claim of `value`'s kind made with this
/// item, if any: (its UUID, its signed predicate).
fn current_claim(
    tx: &Tx<'_>,
    signer: &Signer<'_>,
    existing: &[crate::db::ClaimRow],
    item_uuid: &str,
    value: &ClaimValue,
) -> Result<Option<(String, ClaimPredicate)>> {
    let public = signer.key.public();
    let superseded = |uuid: &str| existing.iter().any(|o| o.supersedes.as_deref() == Some(uuid));
    for c in existing.iter().filter(|c| {
        c.keyid == signer.keyid
            && c.basis == "claimed"
            && c.item_uuid.as_deref() == Some(item_uuid)
            && c.kind == crate::claim::kind_name(value.kind())
            && !superseded(&c.claim_uuid)
    }) {
        let Some(rec) = tx.q().record(c.record_id)? else { continue };
        let opened = record::open::<ClaimPredicate>(&rec.envelope, |k| {
            (k == signer.keyid).then_some(public)
        });
        if let Ok(v) = opened {
            return Ok(Some((c.claim_uuid.clone(), v.statement.predicate)));
        }
    }
    Ok(None)
}
