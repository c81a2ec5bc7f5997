//! `audit`: re-read every object (decompressing, recomputing BLAKE3 and
//! the size; `deep` adds SHA-256) on worker threads while the calling
//! thread checks the rows — the store's listing, every signed record and
//! claim against its key, object and derived columns, and the custody log
//! — then record the run (a fixity-check event and a signed checkpoint,
//! when the log checks out). Problems are findings (data), never errors;
//! errors are operational failures (the database is gone…).
//!
//! Objects are read by `threads` workers (default twice the cores, at most
//! 16), least recently checked first (all, `limit` of them, or as many as
//! a time `budget` allows: repeated runs cover every object), each
//! streaming through a fixed buffer (bounded memory). Signed records are
//! verified in batches on every core before their rows are checked.
//! `status` reads how far the audits have got.
//!
//! Must not: repair, delete or rewrite anything it checks.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;

use crate::archive::Archive;
use crate::audit::claims::{ClaimContext, check_claim};
use crate::audit::custody_log::{self as log_check, Against};
use crate::audit::items::{check_id_gaps, check_item, check_transfers, check_unnamed};
use crate::audit::objects::{check_listing, check_object};
use crate::audit::rows::{Rows, Tables};
use crate::audit::runs::check_runs;
use crate::audit::search::check_index;
use crate::claim::review::Supersessions;
use crate::crypto::PublicKey;
use crate::custody_log::note::{Checkpoint, Note};
use crate::custody_log::{self, Event, note};
use crate::db::{AuditRun, ObjectRow, Reader};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::Finding;
use crate::progress::{Progress, cores, workers};
use crate::store::Store;
use crate::trust::{Keys, Verdicts};

/// Signed records are verified this many at a time (in batches, on every
/// core) before their rows are checked one by one.
const VERIFY_CHUNK: usize = 8192;

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
    /// Stop re-reading objects once this much time has passed since the
    /// audit began (least recently checked first, as with `limit`; the
    /// objects read are marked checked, so repeated runs cover them all).
    pub budget: Option<std::time::Duration>,
    /// A checkpoint kept outside the archive (a file holding the signed
    /// note): the log must be a consistent extension of it.
    pub against: Option<PathBuf>,
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
    /// True when the time budget ran out before every object of the
    /// sample was read.
    pub budget_reached: bool,
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
    /// What the external checkpoint (`--against`) showed, if one was given.
    pub against: Option<AgainstResult>,
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
    /// The audit run's row id (0 when it could not be recorded).
    pub run_id: i64,
    /// False when the archive is read-only or its disk is full: the audit
    /// ran, but neither its run, its fixity-check event nor a checkpoint
    /// could be recorded.
    pub recorded: bool,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_recorded: Option<String>,
}

impl AuditReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What an external checkpoint showed.
#[derive(Debug, Clone, Serialize)]
pub struct AgainstResult {
    /// Its tree size (when it parsed).
    pub size: u64,
    /// True when the log is a consistent extension of it (signed by the
    /// log's key, not longer than the log, the same first `size` events).
    pub consistent: bool,
}

/// What the object workers found: per object read (its index in the
/// sample), its finding and the bytes read.
type Reads = Vec<(usize, Option<Finding>, u64)>;

/// What the checks of rows (store listing, records, claims, log) found.
struct RowChecks {
    findings: Vec<Finding>,
    against: Option<AgainstResult>,
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
    // Every input is parsed before anything is read or written.
    let pinned = pinned_vkey(opts.against_vkey.as_deref())?;
    let against_note = opts.against.as_deref().map(read_checkpoint).transpose()?;
    let _lock = archive.lock_for_reading()?;
    let started = Instant::now();
    let started_at = archive.now();
    let archive_id = archive.identity()?.archive_id;
    let log_key = custody_log::log_public(archive.root())?;
    let q = archive.db.read();
    let tables = Tables {
        objects: q.objects()?,
        items: q.items()?,
        records: q.record_heads()?,
        claims: q.claims()?,
        keys: q.keys()?,
        exports: q.exports()?,
        transfers: q.transfers()?,
    };
    let sample = &tables.objects[..opts.limit.unwrap_or(usize::MAX).min(tables.objects.len())];
    progress.begin(sample.len() as u64, sample.iter().map(|o| o.size.max(0) as u64).sum());
    let against = against_note.as_ref().map(|note| Against { note, pinned: pinned.as_ref() });
    let reads = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let deadline = opts.budget.map(|b| started + b);
    let (next_ref, reads_ref) = (&next, &reads);
    let rows = std::thread::scope(|s| {
        for _ in 0..workers(opts.threads).min(sample.len().max(1)) {
            let work = Work { store: &archive.store, sample, deep: opts.deep, deadline };
            s.spawn(move || work.read_objects(next_ref, reads_ref, progress));
        }
        let cx = RowContext { q: &q, store: &archive.store, archive_id: &archive_id };
        cx.check(&tables, log_key.as_ref(), against.as_ref())
    });
    progress.finish();
    let rows = rows?;
    let reads = reads.into_inner().unwrap_or_default();
    let run =
        Run { started, started_at: &started_at, archive_id: &archive_id, sample, deep: opts.deep };
    run.record(archive, reads, rows, tables.objects.len() as u64)
}

/// How far the audits have got: what `custody audit --status` shows. A
/// read only: nothing is checked, nothing recorded.
#[derive(Debug, Clone, Serialize)]
pub struct AuditStatus {
    /// Objects in the archive.
    pub objects: u64,
    /// Objects no audit has found intact yet (new since the last audit):
    /// read first by the next one. A damaged or missing object keeps the
    /// time it was last found intact, so it is among the oldest next time.
    pub never_checked: u64,
    /// The least recent time an object was found intact.
    pub oldest_check: Option<String>,
    /// The most recent.
    pub newest_check: Option<String>,
    /// The last recorded audit run.
    pub last_run: Option<LastRun>,
}

/// The last audit run, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct LastRun {
    /// Its row id.
    pub run_id: i64,
    /// When it finished.
    pub finished_at: String,
    /// Its findings, still open until an audit finds them gone.
    pub findings: u64,
    /// How many of each kind.
    pub by_code: std::collections::BTreeMap<String, u64>,
}

impl AuditStatus {
    /// True when every object has been found intact and the last run had
    /// no findings.
    pub fn is_clean(&self) -> bool {
        self.never_checked == 0 && self.last_run.as_ref().is_some_and(|r| r.findings == 0)
    }
}

/// How far the audits have got.
pub fn status(archive: &Archive) -> Result<AuditStatus> {
    let q = archive.db.read();
    let (objects, never, oldest, newest) = q.check_coverage()?;
    let last_run = q.last_audit_run()?.map(|r| {
        let mut by_code = std::collections::BTreeMap::new();
        let findings: Vec<serde_json::Value> = serde_json::from_str(&r.report).unwrap_or_default();
        for f in &findings {
            let code = f["code"].as_str().unwrap_or("unreadable").to_owned();
            *by_code.entry(code).or_insert(0) += 1;
        }
        LastRun {
            run_id: r.id,
            finished_at: r.finished_at,
            findings: r.findings.max(0) as u64,
            by_code,
        }
    });
    Ok(AuditStatus {
        objects: objects.max(0) as u64,
        never_checked: never.max(0) as u64,
        oldest_check: oldest,
        newest_check: newest,
        last_run,
    })
}

/// A checkpoint file given by the user: a signed note holding a checkpoint
/// (whether its signature holds is the audit's finding, not an error).
fn read_checkpoint(path: &Path) -> Result<Note> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::io("cannot read the checkpoint", path, e).hint("check the --against path")
    })?;
    let parsed = Note::parse(&bytes).and_then(|n| Checkpoint::parse(&n.text).map(|_| n));
    parsed.map_err(|why| {
        Error::new(ErrorKind::Usage, format!("{} is not a checkpoint: {why}", crate::text::shown(path)))
            .hint("give a checkpoint file exactly as `custody checkpoint` printed it; nothing was audited")
    })
}

/// The pinned log verifier key, parsed before anything else is done.
fn pinned_vkey(vkey: Option<&str>) -> Result<Option<PublicKey>> {
    let Some(v) = vkey else { return Ok(None) };
    note::parse_vkey(v)
        .and_then(|k| match k.alg {
            note::ALG_ED25519 => Ok(Some(k.public)),
            _ => Err("that is a witness (cosigner) key, not the log's key".into()),
        })
        .map_err(|e| {
            Error::new(ErrorKind::Usage, format!("--vkey: {e}")).hint(
                "pass the log's verifier key as `custody log` printed it when you kept the checkpoint",
            )
        })
}

/// The objects to re-read, shared by the workers.
#[derive(Clone, Copy)]
struct Work<'a> {
    store: &'a Store,
    sample: &'a [ObjectRow],
    deep: bool,
    /// No object is begun after this.
    deadline: Option<Instant>,
}

impl Work<'_> {
    /// One worker: take the next object of the sample until none is left
    /// (or the time budget is spent), each read through one fixed buffer.
    fn read_objects(self, next: &AtomicUsize, reads: &Mutex<Reads>, progress: &dyn Progress) {
        let mut buf = vec![0u8; 1 << 20];
        let mut mine = Vec::new();
        loop {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(row) = self.sample.get(i) else { break };
            let (f, n) = check_object(self.store, row, self.deep, &mut buf);
            progress.advance(row.size.max(0) as u64);
            mine.push((i, f, n));
        }
        if let Ok(mut all) = reads.lock() {
            all.extend(mine);
        }
    }
}

/// What the row checks read from.
struct RowContext<'a> {
    q: &'a Reader<'a>,
    store: &'a Store,
    archive_id: &'a str,
}

impl RowContext<'_> {
    /// The store listing, every item, record and claim, no deleted rows,
    /// and the custody log.
    fn check(
        &self,
        tables: &Tables,
        log_key: Option<&PublicKey>,
        against: Option<&Against<'_>>,
    ) -> Result<RowChecks> {
        let mut findings = check_listing(self.store, &tables.objects)?;
        let (keys, bad_keys) = Keys::load(&tables.keys);
        findings.extend(bad_keys);
        let rows = Rows::new(tables);
        // Objects whose items or claims have findings: their index rows
        // echo evidence that does not hold, so they are not judged again.
        let mut tainted = std::collections::BTreeSet::new();
        for chunk in tables.items.chunks(VERIFY_CHUNK) {
            let page =
                self.q.records_with_ids(&chunk.iter().map(|i| i.record_id).collect::<Vec<_>>())?;
            let verdicts = Verdicts::of(page.values(), &keys, cores());
            for item in chunk {
                let object = rows.objects.get(item.blake3.as_str()).copied();
                let f = check_item(
                    item,
                    page.get(&item.record_id),
                    object,
                    &keys,
                    &verdicts,
                    self.archive_id,
                );
                if !f.is_empty() {
                    tainted.insert(item.blake3.clone());
                }
                findings.extend(f);
            }
        }
        let supersessions = Supersessions::of(&tables.claims);
        for chunk in tables.claims.chunks(VERIFY_CHUNK) {
            let page =
                self.q.records_with_ids(&chunk.iter().map(|c| c.record_id).collect::<Vec<_>>())?;
            let verdicts = Verdicts::of(page.values(), &keys, cores());
            let cx = ClaimContext {
                keys: &keys,
                archive_id: self.archive_id,
                by_uuid: &rows.claims,
                supersessions: &supersessions,
                verdicts: &verdicts,
            };
            for c in chunk {
                let object = rows.objects.get(c.blake3.as_str()).copied();
                let f = check_claim(c, page.get(&c.record_id), object, &cx).1;
                if !f.is_empty() {
                    tainted.insert(c.blake3.clone());
                }
                findings.extend(f);
            }
        }
        // A claim record whose row is gone (a deleted claim) taints its object too.
        let claimed: std::collections::HashSet<i64> =
            tables.claims.iter().map(|c| c.record_id).collect();
        let orphans: Vec<i64> = tables
            .records
            .iter()
            .filter(|r| r.claim && !claimed.contains(&r.id))
            .map(|r| r.id)
            .collect();
        tainted.extend(self.q.records_with_ids(&orphans)?.into_values().map(|r| r.blake3));
        findings.extend(check_unnamed(&rows));
        findings.extend(check_runs(&tables.objects, &self.q.audit_runs()?));
        findings.extend(check_transfers(&tables.transfers, &keys));
        findings.extend(self.id_gaps(tables)?);
        findings.extend(check_index(self.q, self.store, &tainted)?);
        let log = log_check::check(self.q, &rows, self.archive_id, log_key, against)?;
        findings.extend(log.findings);
        Ok(RowChecks {
            findings,
            against: log.against.map(|(size, consistent)| AgainstResult { size, consistent }),
            items: tables.items.len() as u64,
            records: tables.records.len() as u64,
            claims: tables.claims.len() as u64,
            events: log.size,
            sound: log.sound,
        })
    }

    /// Rows deleted from any table whose ids are never reused.
    fn id_gaps(&self, t: &Tables) -> Result<Vec<Finding>> {
        let q = self.q;
        let mut out = Vec::new();
        for (table, ids) in [
            ("records", t.records.iter().map(|r| r.id).collect::<Vec<_>>()),
            ("items", t.items.iter().map(|i| i.id).collect()),
            ("claims", t.claims.iter().map(|c| c.id).collect()),
            ("checkpoints", q.checkpoints()?.iter().map(|c| c.id).collect()),
            ("cosignatures", q.cosignatures()?.iter().map(|c| c.id).collect()),
            ("exports", t.exports.iter().map(|e| e.id).collect()),
            ("transfers", t.transfers.iter().map(|x| x.id).collect()),
        ] {
            out.extend(check_id_gaps(table, &ids, q.sequence(table)?));
        }
        Ok(out)
    }
}

/// Objects re-read, their original bytes, objects in the archive, and
/// the run's findings.
#[derive(Clone, Copy)]
struct Counts {
    read: u64,
    bytes: u64,
    total: u64,
    findings: u64,
}

/// An audit run, to be recorded.
struct Run<'a> {
    started: Instant,
    started_at: &'a str,
    archive_id: &'a str,
    sample: &'a [ObjectRow],
    deep: bool,
}

impl Run<'_> {
    /// Record the run and its fixity-check event, sign a checkpoint (when
    /// the log checks out) and mark intact objects as checked.
    fn record(
        &self,
        archive: &mut Archive,
        reads: Reads,
        mut rows: RowChecks,
        objects_total: u64,
    ) -> Result<AuditReport> {
        let mut findings = Vec::new();
        let mut bytes = 0;
        let read = reads.len() as u64;
        let mut clean = Vec::with_capacity(reads.len());
        for (i, f, n) in reads {
            bytes += n;
            match f {
                Some(f) => findings.push(f),
                None => clean.extend(self.sample.get(i).map(|o| o.blake3.clone())),
            }
        }
        findings.append(&mut rows.findings);
        let counts = Counts { read, bytes, total: objects_total, findings: findings.len() as u64 };
        let unrecorded = |findings, why: String| AuditReport {
            recorded: false,
            not_recorded: Some(why),
            ..self.report(findings, counts, &rows, None, 0)
        };
        if archive.is_read_only() {
            return Ok(unrecorded(findings, "the archive is read-only".into()));
        }
        let report_json = serde_json::to_string(&findings).unwrap_or_default();
        match self.commit(archive, &report_json, counts, &rows, &clean) {
            Ok((checkpoint, run_id)) => {
                Ok(self.report(findings, counts, &rows, checkpoint, run_id))
            }
            // The findings stand; only their record could not be written.
            Err(e) if e.kind() == ErrorKind::NoSpace => {
                Ok(unrecorded(findings, format!("{e}: free some space and audit again")))
            }
            Err(e) => Err(e),
        }
    }

    /// In one transaction: mark the intact objects checked, insert the run,
    /// log its fixity-check event and sign a checkpoint (when the log is
    /// sound). Returns (the checkpoint, the run's id).
    fn commit(
        &self,
        archive: &mut Archive,
        report_json: &str,
        counts: Counts,
        rows: &RowChecks,
        clean: &[String],
    ) -> Result<(Option<String>, i64)> {
        let finished_at = archive.now();
        let key = match rows.sound {
            true => Some(custody_log::log_key(
                &archive.db.read(),
                archive.root(),
                self.archive_id,
                &finished_at,
            )?),
            false => None,
        };
        let tx = archive.db.tx()?;
        tx.mark_checked(clean, &finished_at)?;
        let run_id = tx.insert_audit_run(&AuditRun {
            started_at: self.started_at,
            finished_at: &finished_at,
            deep: self.deep,
            objects_checked: counts.read,
            bytes_checked: counts.bytes,
            records_checked: rows.records,
            findings: counts.findings,
            report: report_json,
        })?;
        let mut checkpoint = None;
        if let Some(key) = key {
            let event = Event::fixity_check(&finished_at, self.archive_id, run_id, report_json);
            custody_log::append(&tx, &event)?;
            let size = tx.read().log_size()?;
            let (_, note) =
                custody_log::sign_checkpoint(&tx, &key, None, self.archive_id, size, &finished_at)?;
            checkpoint = Some(note.to_text());
        }
        tx.commit()?;
        Ok((checkpoint, run_id))
    }

    fn report(
        &self,
        findings: Vec<Finding>,
        counts: Counts,
        rows: &RowChecks,
        checkpoint: Option<String>,
        run_id: i64,
    ) -> AuditReport {
        let secs = self.started.elapsed().as_secs_f64();
        let bytes = counts.bytes;
        AuditReport {
            findings,
            objects_checked: counts.read,
            objects_total: counts.total,
            budget_reached: counts.read < self.sample.len() as u64,
            bytes_checked: bytes,
            items_checked: rows.items,
            records_checked: rows.records,
            claims_checked: rows.claims,
            events_checked: rows.events,
            against: rows.against.clone(),
            checkpoint,
            deep: self.deep,
            seconds: secs,
            mb_per_s: if secs > 0.0 { bytes as f64 / 1e6 / secs } else { 0.0 },
            run_id,
            recorded: true,
            not_recorded: None,
        }
    }
}
