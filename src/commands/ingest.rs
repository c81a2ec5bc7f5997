//! `ingest`: walk files and folders (symlinks are reported, never
//! followed) or a checked CSV manifest, store each file's bytes in one
//! streaming pass (BLAKE3 + SHA-256 + optional zstd from the same buffers),
//! read its embedded metadata back from the stored object, then record the
//! object, the item, its signed ingest record, its embedded and collector
//! claims and their custody-log events (ingestion, claim, repair) in one
//! transaction per batch.
//!
//! Workers (default twice the cores, at most 16: they wait on reads) read,
//! hash and stage objects and rename them into place; the calling thread
//! alone writes the database, committing whatever has arrived in one
//! transaction (group commit), after one `syncfs` has made the batch's
//! objects durable. A crash leaves at worst orphan objects that the next
//! run adopts once they hash to their names (or stores again).
//! Re-running the same ingest is idempotent, and cheap: a path whose
//! size, times, device and inode are as when it was last hashed (and whose
//! object is in the store) is not read again; one whose metadata changed
//! is read for BLAKE3 alone first, and only read whole if that is not the
//! object it was (`ingest_paths`, the racy-timestamp rule in `racy`).
//!
//! Must not: follow symlinks, write a row before its object is durable, or
//! let one unreadable file stop the batch.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use serde::Serialize;

use crate::archive::Archive;
use crate::claim::Basis;
use crate::claim::fields::{Fields, Parsed, parse_fields};
use crate::claim::review::Supersessions;
use crate::claim::sign::{NewClaim, Signer, made_by, sign_claim};
use crate::clock::{Clock, rfc3339};
use crate::crypto::{DualHasher, SecretKey};
use crate::custody_log::{self, Event};
use crate::db::{Db, FileStat, NewItem, ObjectRow, PathRow, Tx};
use crate::error::{Error, ErrorKind, Result};
use crate::id::{DigestSet, Encoding, ObjectId, Sha256Digest};
use crate::manifest::RowError;
use crate::media;
use crate::metadata::{self, Embedded};
use crate::progress::{NoProgress, Progress, workers};
use crate::record::{self, IngestPredicate};
use crate::search;
use crate::store::{Put, Store};
use crate::text::{exact, lossy};

const CHUNK: usize = 1 << 20;
/// Commit at most this many items per transaction.
const GROUP: usize = 256;

/// Options for `ingest`.
pub struct IngestOptions<'k> {
    /// Files and folders to ingest (empty with a manifest).
    pub paths: Vec<PathBuf>,
    /// The collector's claims about every file named in `paths` (from flags,
    /// see `collector_claims`).
    pub claims: Parsed,
    /// A CSV manifest: the files to ingest, one row each, with their claims.
    pub manifest: Option<PathBuf>,
    /// Ingest a manifest's good rows even if others are bad.
    pub skip_bad_rows: bool,
    /// The collector's signing key (must be registered and not revoked).
    pub key: &'k SecretKey,
    /// Worker threads (0 = twice the cores, at most 16).
    pub threads: usize,
    /// PEM trust anchors for C2PA content credentials (e.g. a copy of the
    /// C2PA trust list): a signer whose chain ends in one is `trusted`.
    pub c2pa_trust: Option<PathBuf>,
    /// Read every file whole, even one whose metadata says it is unchanged
    /// since it was last hashed here.
    pub rehash: bool,
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
            c2pa_trust: None,
            rehash: false,
        }
    }
}

/// The collector's claims from flag fields (checked before anything is
/// done; relations are made with `custody claim`).
pub fn collector_claims(fields: &Fields) -> Result<Parsed> {
    let no_relations = |_: &str| Err("relations are made with `custody claim`".to_owned());
    parse_fields(fields, None, &no_relations).map_err(|errs| {
        let lines: Vec<String> = errs
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect();
        Error::new(ErrorKind::Usage, format!("invalid claim flags:\n  {}", lines.join("\n  ")))
            .hint("nothing was ingested; fix the flags and run again")
    })
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
        /// How much of it was read to know that.
        read: Reading,
    },
    /// Not ingested.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// How a file's bytes were taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reading {
    /// Read whole: BLAKE3, SHA-256, compression, embedded metadata.
    Whole,
    /// Read again for BLAKE3 alone (its metadata had changed, or was too
    /// close to its last read to prove anything) and recognised as the
    /// object last hashed at this path: no SHA-256, no compression.
    Recognised,
    /// Not read: its size, times, device and inode are as when it was
    /// last hashed at this path, and that object is in the store.
    Unchanged,
}

/// One file's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path (lossily UTF-8).
    pub path: String,
    /// The exact path bytes, as hex, when they are not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    /// Outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Claims recorded for it (embedded and the collector's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<i64>,
    /// Those of them that correct the collector's earlier claim (a changed
    /// manifest or flag value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<i64>,
    /// Problems met reading its embedded metadata (the file is archived).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata_problems: Vec<String>,
}

impl FileReport {
    fn new(path: &Path, outcome: Outcome) -> FileReport {
        let bytes = path.as_os_str().as_bytes();
        FileReport {
            path: lossy(bytes),
            path_bytes: exact(bytes),
            outcome,
            claims: Vec::new(),
            corrections: Vec::new(),
            metadata_problems: Vec::new(),
        }
    }

    fn skipped(path: &Path, reason: String) -> FileReport {
        FileReport::new(path, Outcome::Skipped { reason })
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
    /// Already-archived files not read: unchanged since they were hashed.
    pub unchanged: u64,
    /// Already-archived files read for BLAKE3 alone and recognised.
    pub recognised: u64,
    /// Files skipped (symlinks, unreadable, changed while read…).
    pub skipped: u64,
    /// Claims recorded (embedded and the collector's).
    pub claims: u64,
    /// Of them, corrections from changed manifest or flag values.
    pub corrections: u64,
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
    /// How the path looked when it was last hashed, and as what.
    cached: Option<PathRow>,
}

/// What to ingest: the files, those skipped while walking, the collector's
/// claims (one set per manifest row, or one for every file), bad rows.
struct Plan {
    jobs: Vec<Job>,
    skipped: Vec<FileReport>,
    collector: Vec<Parsed>,
    bad_rows: Vec<RowError>,
}

/// An object staged and stored from one file.
struct Stored {
    id: ObjectId,
    sha256: Sha256Digest,
    size: u64,
    media_type: String,
    put: Put,
    embedded: Embedded,
    /// Its visible text, when it is a text object.
    text: Option<String>,
    read: Reading,
    /// The file as it was when its read began, and when that was (ns):
    /// what the ingest cache keeps (none when it was not read).
    stat: Option<(FileStat, i64)>,
}

impl Stored {
    /// The object last hashed at a path, taken as it is recorded.
    fn cached(
        c: &PathRow,
        id: ObjectId,
        enc: Encoding,
        read: Reading,
        stat: Option<(FileStat, i64)>,
    ) -> Result<Stored> {
        Ok(Stored {
            id,
            sha256: c.object.sha256.parse()?,
            size: c.object.size as u64,
            media_type: c.media_type.clone(),
            put: Put { encoding: enc, stored_size: c.object.stored_size as u64, written: false },
            embedded: Embedded::default(),
            text: None,
            read,
            stat,
        })
    }
}

/// Ingest files and folders into the archive.
pub fn ingest(
    archive: &mut Archive,
    opts: &IngestOptions<'_>,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let started = Instant::now();
    let keyid = crate::trust::signer(&archive.db.read(), opts.key)?;
    let anchors = anchors(opts.c2pa_trust.as_deref())?;
    let mut plan = plan(opts)?;
    add_sidecars(&mut plan);
    let _lock = archive.lock_for_writing()?;
    let archive_id = archive.identity()?.archive_id;
    if !opts.rehash {
        let db = archive.db.read();
        for job in &mut plan.jobs {
            job.cached = db.ingest_path(job.path.as_os_str().as_bytes())?;
        }
    }
    progress.begin(plan.jobs.len() as u64, plan.jobs.iter().map(|j| j.size).sum());
    let mut slots: Vec<Option<FileReport>> = vec![None; plan.jobs.len()];
    let mut summary = IngestSummary::default();
    let (db, store, clock) = archive.parts();
    let ctx = Ctx {
        archive_id: &archive_id,
        key: opts.key,
        keyid: &keyid,
        store,
        clock,
        jobs: &plan.jobs,
        collector: &plan.collector,
        anchors: &anchors,
    };
    let outcome = run(db, &ctx, opts.threads, progress, &mut slots, &mut summary);
    progress.finish();
    outcome?;
    let secs = started.elapsed().as_secs_f64();
    let walk_skipped = plan.skipped.len() as u64;
    let mut files = plan.skipped;
    for (job, slot) in plan.jobs.iter().zip(slots) {
        files.push(slot.unwrap_or_else(|| FileReport::skipped(&job.path, "not processed".into())));
    }
    summary.files = plan.jobs.len() as u64 + walk_skipped;
    summary.skipped =
        files.iter().filter(|f| matches!(f.outcome, Outcome::Skipped { .. })).count() as u64;
    summary.claims = files.iter().map(|f| f.claims.len() as u64).sum();
    summary.corrections = files.iter().map(|f| f.corrections.len() as u64).sum();
    summary.metadata_problems =
        files.iter().filter(|f| !f.metadata_problems.is_empty()).count() as u64;
    summary.seconds = secs;
    summary.mb_per_s = if secs > 0.0 { summary.bytes as f64 / 1e6 / secs } else { 0.0 };
    Ok(IngestReport { files, bad_rows: plan.bad_rows, summary })
}

/// The C2PA trust anchors in `file`, checked before anything is read.
fn anchors(file: Option<&Path>) -> Result<metadata::Anchors> {
    let Some(file) = file else { return Ok(metadata::Anchors::default()) };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::io("cannot read the C2PA trust anchors", file, e))?;
    metadata::Anchors::from_pem(&text).map_err(|why| {
        Error::new(
            ErrorKind::Usage,
            format!("C2PA trust anchors {} {why}", crate::text::shown(file)),
        )
        .hint("give a PEM file of CA certificates (e.g. the C2PA trust list); nothing was ingested")
    })
}

/// The C2PA sidecar of a file: the same name with the extension `.c2pa`.
fn sidecar_of(path: &Path) -> Option<PathBuf> {
    let ext = path.extension().and_then(|e| e.to_str());
    (!ext.is_some_and(|e| e.eq_ignore_ascii_case("c2pa"))).then(|| path.with_extension("c2pa"))
}

/// Every C2PA sidecar beside a file to ingest is archived too, as its own
/// item with no collector claims (the file's claims name its BLAKE3).
fn add_sidecars(plan: &mut Plan) {
    let named: std::collections::HashSet<PathBuf> =
        plan.jobs.iter().map(|j| j.path.clone()).collect();
    let mut extra: Vec<(PathBuf, u64)> = Vec::new();
    for job in &plan.jobs {
        let Some(side) = sidecar_of(&job.path) else { continue };
        match std::fs::symlink_metadata(&side) {
            Ok(m)
                if m.is_file() && !named.contains(&side) && !extra.iter().any(|e| e.0 == side) =>
            {
                extra.push((side, m.len()))
            }
            _ => {}
        }
    }
    if extra.is_empty() {
        return;
    }
    let claims = plan.collector.len();
    plan.collector.push(Parsed::default());
    for (path, size) in extra {
        plan.jobs.push(Job { path, size, claims, cached: None });
    }
}

/// The sidecar manifest store beside `path`, if there is one: read whole
/// (bounded), or a problem.
fn read_sidecar(path: &Path, problems: &mut Vec<String>) -> Option<Vec<u8>> {
    let side = sidecar_of(path)?;
    let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&side);
    let mut bytes = Vec::new();
    let read = f.and_then(|f| f.take(metadata::MAX_SIDECAR + 1).read_to_end(&mut bytes));
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            problems.push(format!("the C2PA sidecar {}: {e}", crate::text::shown(&side)));
            None
        }
        Ok(n) if n as u64 > metadata::MAX_SIDECAR => {
            problems.push(format!(
                "the C2PA sidecar {} is larger than {} bytes; not read",
                crate::text::shown(&side),
                metadata::MAX_SIDECAR
            ));
            None
        }
        Ok(_) => Some(bytes),
    }
}

/// The files to ingest, from the paths or the checked manifest.
fn plan(opts: &IngestOptions<'_>) -> Result<Plan> {
    let Some(file) = &opts.manifest else {
        let (jobs, skipped) = walk(&opts.paths)?;
        return Ok(Plan { jobs, skipped, collector: vec![opts.claims.clone()], bad_rows: vec![] });
    };
    if !opts.paths.is_empty() || !opts.claims.values.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "a manifest names the files and their claims")
            .hint("give either --manifest or paths with claim flags, not both"));
    }
    let m = crate::manifest::read(file)?;
    if !m.errors.is_empty() && (!opts.skip_bad_rows || m.rows.is_empty() || m.broken) {
        return Err(crate::manifest::refusal(file, &m, opts.skip_bad_rows));
    }
    let mut jobs = Vec::with_capacity(m.rows.len());
    let mut collector = Vec::with_capacity(m.rows.len());
    for (i, row) in m.rows.into_iter().enumerate() {
        let size = std::fs::metadata(&row.path).map(|md| md.len()).unwrap_or(0);
        jobs.push(Job { path: row.path, size, claims: i, cached: None });
        collector.push(row.claims);
    }
    Ok(Plan { jobs, skipped: Vec::new(), collector, bad_rows: m.errors })
}

/// Store the files on worker threads while this thread records them in
/// walk order (so item numbers are stable), a batch per transaction.
fn run(
    db: &mut Db,
    ctx: &Ctx<'_>,
    threads: usize,
    progress: &dyn Progress,
    slots: &mut [Option<FileReport>],
    summary: &mut IngestSummary,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::sync_channel::<(usize, Result<Stored>)>(GROUP);
    std::thread::scope(|s| {
        for _ in 0..workers(threads).min(ctx.jobs.len().max(1)) {
            let (tx, next) = (tx.clone(), &next);
            s.spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = ctx.jobs.get(i) else { break };
                    let r = acquire(ctx, job, &mut buf, progress);
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut fatal = None;
        let mut pending = BTreeMap::new();
        let mut expected = 0usize;
        let mut batch = Vec::with_capacity(GROUP);
        let mut seen = Seen::default();
        // Object files this process renamed into place: if the ingest
        // fails, those no row came to name were never archived.
        let mut written = Vec::new();
        let mut note = |r: &Result<Stored>| {
            if let Ok(st) = r
                && st.put.written
            {
                written.push((st.id, st.put.encoding));
            }
        };
        while let Ok((i, r)) = rx.recv() {
            note(&r);
            pending.insert(i, r);
            while pending.len() < GROUP {
                match rx.try_recv() {
                    Ok((i, r)) => {
                        note(&r);
                        pending.insert(i, r)
                    }
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
            match record_batch(db, ctx, &mut batch, &mut seen) {
                Ok(done) => tally(done, slots, summary),
                Err(e) => {
                    fatal.get_or_insert(e);
                    next.store(usize::MAX / 2, Ordering::Relaxed); // stop handing out work
                }
            }
            batch.clear();
        }
        match fatal {
            None => Ok(()),
            Some(e) => {
                discard_unrecorded(db, ctx.store, &written);
                Err(e)
            }
        }
    })
}

/// After a failed ingest, still under its exclusive lock: remove the
/// object files this process wrote that no row names (the batch that
/// would have named them was never committed, e.g. on a full disk). They
/// were never archived, so the store's never-delete rule does not cover
/// them, and the audit after a failed ingest stays clean. A file a row
/// names — committed by an earlier batch — is never touched.
fn discard_unrecorded(db: &Db, store: &Store, written: &[(ObjectId, Encoding)]) {
    for (id, enc) in written {
        if let Ok(None) = db.read().object(&id.to_hex()) {
            let _ = store.discard_unrecorded(id, *enc);
        }
    }
}

struct Ctx<'a> {
    archive_id: &'a str,
    key: &'a SecretKey,
    keyid: &'a str,
    store: &'a Store,
    clock: &'a dyn Clock,
    jobs: &'a [Job],
    collector: &'a [Parsed],
    anchors: &'a metadata::Anchors,
}

/// One file recorded: (its index, its report, the bytes it counts).
type Done = (usize, FileReport, u64);

/// Record one batch of stored files in a single transaction. A file that
/// could not be stored for want of space (or of the database) makes the
/// whole ingest stop once the rest of its batch is committed; any other
/// error only skips its file.
fn record_batch(
    db: &mut Db,
    ctx: &Ctx<'_>,
    batch: &mut Vec<(usize, Result<Stored>)>,
    seen: &mut Seen,
) -> Result<Vec<Done>> {
    let now = rfc3339(ctx.clock.now());
    let tx = db.tx()?;
    let mut fatal = None;
    let mut done = Vec::with_capacity(batch.len());
    // Whether a file was read whole, and so put into the store.
    let mut put = false;
    for (i, r) in batch.drain(..) {
        let path = &ctx.jobs[i].path;
        match r {
            Ok(st) => {
                put |= st.read == Reading::Whole;
                done.push(record_file(&tx, ctx, &now, i, st, seen)?)
            }
            Err(e) if matches!(e.kind(), ErrorKind::NoSpace | ErrorKind::Database) => {
                fatal.get_or_insert(e);
            }
            Err(e) => {
                let reason = match e.hint_text() {
                    Some(h) => format!("{e} (hint: {h})"),
                    None => e.to_string(),
                };
                done.push((i, FileReport::skipped(path, reason), 0));
            }
        }
    }
    // The objects this batch put were renamed into place by the workers
    // (or just now, see `adopt`): none is durable yet. A batch of files
    // not read again names only objects an earlier commit made durable.
    if put {
        ctx.store.sync()?;
    }
    tx.commit()?;
    fatal.map_or(Ok(done), Err)
}

/// Count a committed batch into the summary and the report slots.
fn tally(done: Vec<Done>, slots: &mut [Option<FileReport>], summary: &mut IngestSummary) {
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
            Outcome::AlreadyArchived { restored, read, .. } => {
                summary.already_archived += 1;
                summary.restored += u64::from(*restored);
                summary.unchanged += u64::from(*read == Reading::Unchanged);
                summary.recognised += u64::from(*read == Reading::Recognised);
            }
            Outcome::Skipped { .. } => {}
        }
        slots[i] = Some(report);
    }
}

/// What this run has recorded so far, for the one rule of what is a
/// repair.
#[derive(Default)]
struct Seen {
    /// Objects whose row this run inserted.
    added: HashSet<String>,
    /// Objects this run logged a repair of.
    repaired: HashSet<String>,
}

impl Seen {
    /// Whether storing `blake3` (its file `written` by this process) was a
    /// repair: the object's row existed before this run, its file was
    /// missing (this process renamed one into place), and no repair of it
    /// was logged yet. The same bytes twice in one run — two workers racing
    /// for one rename — is never a repair.
    fn is_repair(&mut self, blake3: &str, written: bool) -> bool {
        written && !self.added.contains(blake3) && self.repaired.insert(blake3.to_owned())
    }
}

/// Record one stored file: an already-archived item (restoring its object
/// if it was missing), or a new item with its object and signed record;
/// then its claims.
fn record_file(
    tx: &Tx<'_>,
    ctx: &Ctx<'_>,
    now: &str,
    i: usize,
    mut st: Stored,
    seen: &mut Seen,
) -> Result<Done> {
    let path = &ctx.jobs[i].path;
    let digest = DigestSet { blake3: st.id.to_hex(), sha256: st.sha256.to_hex() };
    let blake3 = digest.blake3.clone();
    let path_bytes = path.as_os_str().as_bytes();
    let (outcome, item_uuid) =
        if let Some(existing) = tx.read().find_item(&blake3, path_bytes, "")? {
            let restored = seen.is_repair(&blake3, st.put.written);
            if restored {
                custody_log::append(tx, &Event::repair(now, ctx.keyid, &digest))?;
            }
            let outcome =
                Outcome::AlreadyArchived { item: existing.id, blake3, restored, read: st.read };
            (outcome, existing.item_uuid)
        } else {
            let object_known = tx.read().object(&blake3)?.is_some();
            if !object_known && !st.put.written {
                match adopt(ctx, path, st) {
                    Ok(adopted) => st = adopted,
                    Err(reason) => return Ok((i, FileReport::skipped(path, reason), 0)),
                }
            }
            let (item, item_uuid) = record_item(tx, ctx, now, path, &st, &digest)?;
            if !object_known {
                seen.added.insert(blake3.clone());
            } else if seen.is_repair(&blake3, st.put.written) {
                // The object's file was missing and this file brought it back.
                custody_log::append(tx, &Event::repair(now, ctx.keyid, &digest))?;
            }
            // Deduplicated means the object row existed before this item, whichever
            // worker happened to move the bytes into place first.
            (Outcome::Added { item, blake3, deduplicated: object_known }, item_uuid)
        };
    let item = match &outcome {
        Outcome::Added { item, .. } | Outcome::AlreadyArchived { item, .. } => *item,
        Outcome::Skipped { .. } => 0,
    };
    if let Some((stat, hashed_ns)) = &st.stat {
        tx.put_ingest_path(path_bytes, item, stat, *hashed_ns)?;
    }
    let untouched = matches!(outcome, Outcome::AlreadyArchived { restored: false, .. });
    let mut report = FileReport::new(path, outcome);
    let signer = Signer { archive_id: ctx.archive_id, key: ctx.key, keyid: ctx.keyid, now };
    let name = path.file_name().map(|n| n.as_bytes()).unwrap_or_default();
    let claims =
        ItemClaims { signer: &signer, digest: &digest, name: &lossy(name), item_uuid: &item_uuid };
    let collector = &ctx.collector[ctx.jobs[i].claims];
    report.metadata_problems = st.embedded.problems.clone();
    (report.claims, report.corrections) = claims.record(tx, st.embedded, collector)?;
    // An item already archived, with its object in place and no new claim,
    // changes nothing the search index derives from.
    if !(untouched && report.claims.is_empty()) {
        search::index::object(tx, &digest.blake3, || st.text)?;
    }
    let read = if st.read == Reading::Unchanged { 0 } else { st.size };
    Ok((i, report, read))
}

/// Record a new item: its object row (no-op if known), its signed ingest
/// record, its ingestion event and its row; returns (number, UUID).
fn record_item(
    tx: &Tx<'_>,
    ctx: &Ctx<'_>,
    now: &str,
    path: &Path,
    st: &Stored,
    digest: &DigestSet,
) -> Result<(i64, String)> {
    tx.insert_object(&ObjectRow {
        blake3: digest.blake3.clone(),
        sha256: digest.sha256.clone(),
        size: st.size as i64,
        encoding: st.put.encoding.as_str().into(),
        stored_size: st.put.stored_size as i64,
        stored_at: now.into(),
        last_checked_at: None,
    })?;
    let signer = Signer { archive_id: ctx.archive_id, key: ctx.key, keyid: ctx.keyid, now };
    let acquired = Acquired {
        name: path.file_name().map(|n| n.as_bytes()).unwrap_or_default(),
        path: path.as_os_str().as_bytes(),
        digest,
        size: st.size,
        media_type: &st.media_type,
        provenance: "",
    };
    sign_item(tx, &signer, &acquired)
}

/// One acquisition of an object to sign for.
pub(crate) struct Acquired<'a> {
    /// File name bytes.
    pub name: &'a [u8],
    /// Where it came from (path bytes, or a name such as `bag:ID/data/x`).
    pub path: &'a [u8],
    /// The object (its row must exist).
    pub digest: &'a DigestSet,
    /// Size.
    pub size: u64,
    /// Sniffed media type.
    pub media_type: &'a str,
    /// Digest of the provenance it came with ('' = none).
    pub provenance: &'a str,
}

/// Sign an ingest record for a new item, log its ingestion and insert its
/// row; returns (number, UUID).
pub(crate) fn sign_item(tx: &Tx<'_>, s: &Signer<'_>, a: &Acquired<'_>) -> Result<(i64, String)> {
    let (original_path, original_path_base64) = IngestPredicate::path_fields(a.path);
    let item_uuid = uuid::Uuid::new_v4().to_string();
    let predicate = IngestPredicate {
        archive_id: s.archive_id.into(),
        item_id: item_uuid.clone(),
        original_name: lossy(a.name),
        original_path,
        original_path_base64,
        size: a.size,
        media_type: a.media_type.into(),
        ingested_at: s.now.into(),
        collector: s.keyid.into(),
        provenance: a.provenance.into(),
    };
    let statement =
        record::statement(&lossy(a.name), a.digest, record::INGEST_PREDICATE, predicate);
    let envelope = record::sign(&statement, s.key);
    let record_id =
        tx.insert_record(record::RecordKind::Ingest, &a.digest.blake3, s.keyid, &envelope, s.now)?;
    custody_log::append(tx, &Event::ingestion(s.now, s.keyid, a.digest, &envelope, &item_uuid))?;
    let item = tx.insert_item(
        &NewItem {
            item_uuid: &item_uuid,
            blake3: &a.digest.blake3,
            original_name: a.name,
            original_path: a.path,
            size: a.size,
            media_type: a.media_type,
            ingested_at: s.now,
            collector_keyid: s.keyid,
            provenance: a.provenance,
        },
        record_id,
    )?;
    Ok((item, item_uuid))
}

/// Adopt a store file that no row names but that has the name of the
/// object `st` (left by a crash, or planted): it must hash to its name
/// before anything is signed over it. One that does not — an object a
/// crash tore before its batch was made durable — was never archived: it
/// is removed, and the file at `path` stored again. Errs with why the file
/// is skipped.
fn adopt(ctx: &Ctx<'_>, path: &Path, st: Stored) -> std::result::Result<Stored, String> {
    let Err(why) = ctx.store.verify(&st.id, st.put.encoding, st.size) else { return Ok(st) };
    let damaged = |e: &dyn std::fmt::Display| {
        format!(
            "the store already holds an unrecorded file for {} and it is damaged ({why}); it \
             could not be replaced ({e}): move it out of objects/ and ingest again",
            st.id.to_hex()
        )
    };
    ctx.store.discard_unrecorded(&st.id, st.put.encoding).map_err(|e| damaged(&e))?;
    let mut buf = vec![0u8; CHUNK];
    let again =
        store_file(ctx.store, path, &mut buf, &NoProgress, ctx.anchors).map_err(|e| damaged(&e))?;
    if again.id != st.id {
        return Err(damaged(&"the file changed since it was read"));
    }
    Ok(again)
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
    for (p, meta) in roots {
        if meta.file_type().is_symlink() {
            skipped.push(FileReport::skipped(&p, "symbolic link not followed".into()));
            continue;
        }
        let root = std::fs::canonicalize(&p).map_err(|e| Error::io("cannot resolve", &p, e))?;
        for entry in walkdir::WalkDir::new(&root).follow_links(false).sort_by_file_name() {
            let e = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                    skipped.push(FileReport::skipped(&path, format!("cannot read: {e}")));
                    continue;
                }
            };
            let ft = e.file_type();
            if ft.is_dir() {
                continue;
            } else if ft.is_symlink() {
                skipped.push(FileReport::skipped(e.path(), "symbolic link not followed".into()));
            } else if !ft.is_file() {
                skipped.push(FileReport::skipped(e.path(), "not a regular file".into()));
            } else {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                jobs.push(Job { path: e.into_path(), size, claims: 0, cached: None });
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

/// Timestamps this close to (or after) the start of a file's last read
/// cannot prove it unchanged since: a write within the same tick of a
/// coarse file-system clock (FAT's is 2 s) leaves them as they were (git's
/// "racily clean" rule). Such a file is read again, for BLAKE3 alone.
const RACY_NS: i64 = 2_000_000_000;

/// Whether a file's cached times are too close to its read to trust.
fn racy(stat: &FileStat, hashed_ns: i64) -> bool {
    stat.mtime_ns.max(stat.ctime_ns) > hashed_ns.saturating_sub(RACY_NS)
}

/// A file's `stat` as the ingest cache keeps it.
fn file_stat(m: &std::fs::Metadata) -> FileStat {
    FileStat {
        dev: m.dev(),
        ino: m.ino(),
        size: m.len(),
        mtime_ns: m.mtime().saturating_mul(1_000_000_000).saturating_add(m.mtime_nsec()),
        ctime_ns: m.ctime().saturating_mul(1_000_000_000).saturating_add(m.ctime_nsec()),
    }
}

/// Wall-clock time in ns since 1970 (compared with file times, which the
/// archive's clock knows nothing of).
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Take one file in: the object last hashed at its path when the file
/// still is that object, else one whole read.
fn acquire(ctx: &Ctx<'_>, job: &Job, buf: &mut [u8], progress: &dyn Progress) -> Result<Stored> {
    if let Some(c) = &job.cached
        && let Some(st) = cached_copy(ctx.store, &job.path, c, buf, progress)?
    {
        return Ok(st);
    }
    store_file(ctx.store, &job.path, buf, progress, ctx.anchors)
}

/// The object `c` names, when `path` still holds it: unchanged on disk
/// (not read), or read for BLAKE3 alone and hashing to it. `None` (read it
/// whole) when the object is not in the store as recorded — a skip must
/// never stand in the way of a repair — when a C2PA sidecar is beside it
/// (what it says is read with the file), or when the bytes differ.
fn cached_copy(
    store: &Store,
    path: &Path,
    c: &PathRow,
    buf: &mut [u8],
    progress: &dyn Progress,
) -> Result<Option<Stored>> {
    let (Ok(id), Some(enc)) =
        (c.object.blake3.parse::<ObjectId>(), Encoding::parse(&c.object.encoding))
    else {
        return Ok(None);
    };
    if store.find(&id) != Some((enc, c.object.stored_size as u64))
        || sidecar_of(path).is_some_and(|s| std::fs::symlink_metadata(s).is_ok())
    {
        return Ok(None);
    }
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io("cannot stat", path, e))?;
    if !meta.is_file() || meta.len() != c.object.size as u64 {
        return Ok(None);
    }
    if file_stat(&meta) == c.stat && !racy(&c.stat, c.hashed_ns) {
        progress.advance(meta.len());
        return Stored::cached(c, id, enc, Reading::Unchanged, None).map(Some);
    }
    let hashed_ns = now_ns();
    let mut f = open_file(path)?;
    let before = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    loop {
        let n = fill(&mut f, buf).map_err(|e| Error::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    unchanged_while_read(path, &f, &before, size)?;
    if ObjectId(*hasher.finalize().as_bytes()) != id {
        return Ok(None);
    }
    progress.advance(size);
    Stored::cached(c, id, enc, Reading::Recognised, Some((file_stat(&before), hashed_ns))).map(Some)
}

/// Open a file to ingest: never through a symlink, only a regular file.
fn open_file(path: &Path) -> Result<File> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Error::io("cannot read", path, e))?;
    let m = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    if !m.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("{} is not a regular file", crate::text::shown(path)),
        ));
    }
    Ok(f)
}

/// The file must be as it was when its read began (`before`), and `size`
/// bytes long: else it was being written, and what was read is no copy.
fn unchanged_while_read(
    path: &Path,
    f: &File,
    before: &std::fs::Metadata,
    size: u64,
) -> Result<()> {
    let after = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    if size != before.len()
        || after.len() != before.len()
        || after.modified().ok() != before.modified().ok()
    {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} changed while it was read ({} bytes at start, {} read, {} now)",
                crate::text::shown(path),
                before.len(),
                size,
                after.len()
            ),
        )
        .hint("ingest it again once nothing is writing to it"));
    }
    Ok(())
}

/// One streaming pass over one file: hash both digests, write plain or
/// zstd into a staged file, check the file did not change, store it.
fn store_file(
    store: &Store,
    path: &Path,
    buf: &mut [u8],
    progress: &dyn Progress,
    anchors: &metadata::Anchors,
) -> Result<Stored> {
    let hashed_ns = now_ns();
    let mut f = open_file(path)?;
    let before = f.metadata().map_err(|e| Error::io("cannot stat", path, e))?;
    let read_err = |e| Error::io("cannot read", path, e);
    let mut n = fill(&mut f, buf).map_err(read_err)?;
    let media_type = media::sniff(&buf[..n.min(8192)]);
    let enc = if media::should_compress(&media_type, &buf[..n]) {
        Encoding::Zstd
    } else {
        Encoding::None
    };
    let staged = store.stage()?;
    let mut hasher = DualHasher::new();
    let tmp_err = |e| Error::io("cannot write staged object for", path, e);
    let mut out = staged.writer(enc).map_err(tmp_err)?;
    while n > 0 {
        hasher.update(&buf[..n]);
        out.write(&buf[..n]).map_err(tmp_err)?;
        progress.advance(n as u64);
        n = fill(&mut f, buf).map_err(read_err)?;
    }
    out.finish().map_err(tmp_err)?;
    let (id, sha256, size) = hasher.finish();
    unchanged_while_read(path, &f, &before, size)?;
    let put = store.put(staged, &id, enc)?;
    let mut problems = Vec::new();
    let sidecar = read_sidecar(path, &mut problems);
    let mut embedded =
        metadata::read_object(store, &id, put.encoding, &media_type, anchors, sidecar.as_deref());
    embedded.problems.append(&mut problems);
    let text = search::index::object_text(store, &id, put.encoding, &media_type);
    let stat = Some((file_stat(&before), hashed_ns));
    Ok(Stored { id, sha256, size, media_type, put, embedded, text, read: Reading::Whole, stat })
}

/// The claims one ingested file gets, signed for one item.
struct ItemClaims<'a> {
    signer: &'a Signer<'a>,
    digest: &'a DigestSet,
    name: &'a str,
    item_uuid: &'a str,
}

impl ItemClaims<'_> {
    /// Record the embedded claims (unless the object already has some) and
    /// the collector's claims (unless the manifest or flags asserted the
    /// same value with this item before); returns the new claim numbers and
    /// those of them that correct an earlier collector's claim.
    fn record(
        &self,
        tx: &Tx<'_>,
        embedded: Embedded,
        collector: &Parsed,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let mut corrections = Vec::new();
        if embedded.values.is_empty() && embedded.device.is_empty() && collector.values.is_empty() {
            return Ok((Vec::new(), corrections));
        }
        let existing = tx.read().claims_of(&self.digest.blake3)?;
        let mut added = Vec::new();
        let item_uuid = Some(self.item_uuid.to_owned());
        // What the file says, and what its device signed, once per object.
        for (basis, values) in
            [(Basis::Embedded, embedded.values), (Basis::Device, embedded.device)]
        {
            if existing.iter().any(|c| c.basis == basis.name()) {
                continue;
            }
            for (value, raw) in values {
                let c = NewClaim {
                    value,
                    basis,
                    confidence: None,
                    supersedes: None,
                    item_uuid: item_uuid.clone(),
                    raw,
                };
                added.push(sign_claim(tx, self.signer, self.digest, self.name, c)?);
            }
        }
        let by = Supersessions::of(&existing);
        for value in &collector.values {
            let (kind, conf) = (value.kind(), collector.confidence);
            let mine = made_by(
                tx,
                self.signer,
                &self.digest.blake3,
                Some(self.item_uuid),
                kind,
                Basis::Claimed,
            )?;
            // What the manifest asserted last for this item: asserted again
            // (superseded since or not), it adds nothing.
            let last = mine.last();
            if last.is_some_and(|m| m.asserts(value, conf)) {
                continue;
            }
            // A changed value corrects the collector's earlier claim — unless
            // a later claim (a hand-made correction, anyone's) superseded it:
            // that one stays current, and the new value stands beside it.
            let supersedes = last
                .filter(|m| by.superseded_by(&m.row.claim_uuid).is_none())
                .map(|m| m.row.claim_uuid.clone());
            let corrects = supersedes.is_some();
            let c = NewClaim {
                value: value.clone(),
                basis: Basis::Claimed,
                confidence: conf,
                supersedes,
                item_uuid: item_uuid.clone(),
                raw: BTreeMap::new(),
            };
            let id = sign_claim(tx, self.signer, self.digest, self.name, c)?;
            added.push(id);
            if corrects {
                corrections.push(id);
            }
        }
        Ok((added, corrections))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_missing_object_brought_back_is_a_repair() {
        let mut seen = Seen::default();
        // Added by this run, then the same bytes again whose rename won
        // the race: no repair.
        seen.added.insert("a".into());
        assert!(!seen.is_repair("a", true));
        // Known before the run, not written: the file was there.
        assert!(!seen.is_repair("b", false));
        // Known before the run and written: its file was missing. Once.
        assert!(seen.is_repair("b", true));
        assert!(!seen.is_repair("b", true));
    }
}
