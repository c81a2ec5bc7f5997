//! `audit`: re-read every object (decompressing, recomputing BLAKE3 and
//! the size; `deep` adds SHA-256) on worker threads while the calling
//! thread checks the tables — the store's listing, every signed record and
//! claim against its key, object and derived columns — and two more
//! threads, each on its own read-only connection, the search index and
//! the custody log; then record the run (a fixity-check event and a signed
//! checkpoint, when the log checks out). Problems are findings (data),
//! never errors; errors are operational failures (the database is gone…).
//! The archive's shared lock keeps writers out meanwhile, so every
//! connection reads the same archive.
//!
//! Objects are read by `threads` workers (default twice the cores, at most
//! 16), least recently checked first (all, `limit` of them, or as many as
//! a time `budget` allows: repeated runs cover every object), handed to
//! them in that order by a feeder thread reading a second connection, each
//! streaming through a fixed buffer; the rows are checked a page at a
//! time (memory does not grow with the archive). Signed records are
//! verified in batches on every core before their rows are checked.
//! `status` reads how far the audits have got.
//!
//! Must not: repair, delete or rewrite anything it checks.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Instant;

use serde::Serialize;

use crate::archive::Archive;
use crate::audit::claims::{ClaimContext, check_claim};
use crate::audit::custody_log::{self as log_check, Against};
use crate::audit::items::{Gaps, check_item, check_transfers, check_unnamed};
use crate::audit::objects::{check_listing, check_object};
use crate::audit::rows::{Rows, Tables};
use crate::audit::runs::{check_checked_at, check_run_counts};
use crate::audit::search::{IndexChecks, check_index};
use crate::claim::review::Supersessions;
use crate::crypto::PublicKey;
use crate::custody_log::note::{Checkpoint, Note};
use crate::custody_log::{self, Event, note};
use crate::db::{AuditRun, ClaimRow, IdTable, ObjectRow, Reader, ReaderCache, RecordRow};
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

/// What the object workers found: objects read, their original bytes, and
/// each damaged object's BLAKE3 column with its finding.
#[derive(Default)]
struct Reads {
    read: u64,
    bytes: u64,
    damaged: Vec<(String, Finding)>,
}

/// The objects to read, in the audit's order, as a feeder thread streams
/// them (`None` once the time budget is spent: the feeder then stops).
type Queue = Mutex<Option<Receiver<ObjectRow>>>;

/// Objects queued ahead of the workers.
const QUEUE: usize = 1024;

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

/// What the checks of the tables (all but the search index and the log)
/// found and counted.
struct TableChecks {
    findings: Vec<Finding>,
    /// Objects whose items or claims have findings.
    tainted: BTreeSet<String>,
    items: u64,
    records: u64,
    claims: u64,
}

impl TableChecks {
    /// With the search index's findings (but for the tainted objects) and
    /// the log's, in that order, after the tables'.
    fn with(mut self, index: IndexChecks, log: log_check::LogCheck) -> RowChecks {
        self.findings.extend(index.findings(&self.tainted));
        self.findings.extend(log.findings);
        RowChecks {
            findings: self.findings,
            against: log.against.map(|(size, consistent)| AgainstResult { size, consistent }),
            items: self.items,
            records: self.records,
            claims: self.claims,
            events: log.size,
            sound: log.sound,
        }
    }
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
    let tables = Tables { keys: q.keys()?, exports: q.exports()?, transfers: q.transfers()? };
    let limit = opts.limit.map_or(u64::MAX, |l| l as u64);
    let (to_read, to_read_bytes) = q.to_check(limit)?;
    progress.begin(to_read, to_read_bytes);
    let against = against_note.as_ref().map(|note| Against { note, pinned: pinned.as_ref() });
    let feeder_db = archive.db.second_reader(ReaderCache::Streaming)?;
    let log_db = archive.db.second_reader(ReaderCache::Lookups)?;
    let index_db = archive.db.second_reader(ReaderCache::Lookups)?;
    let (send, receive) = sync_channel(QUEUE);
    let queue: Queue = Mutex::new(Some(receive));
    let reads = Mutex::new(Reads::default());
    let deadline = opts.budget.map(|b| started + b);
    let (queue_ref, reads_ref) = (&queue, &reads);
    let rows = Rows::new(&tables);
    let (rows_ref, archive_id_ref) = (&rows, archive_id.as_str());
    let (log_key_ref, against_ref) = (log_key.as_ref(), against.as_ref());
    let store = &archive.store;
    let (checked, index, log, fed) = std::thread::scope(|s| {
        let feeder = s.spawn(move || {
            feeder_db.read().each_object_to_check(limit, |row| send.send(row).is_ok())
        });
        // The search index and the log are checked beside the tables, each
        // on its own connection: each is mostly one thread's work.
        let index = s.spawn(move || check_index(&index_db.read(), store));
        let log = s.spawn(move || {
            log_check::check(&log_db.read(), rows_ref, archive_id_ref, log_key_ref, against_ref)
        });
        for _ in 0..workers(opts.threads).min(to_read.max(1) as usize) {
            let work = Work { store, deep: opts.deep, deadline };
            s.spawn(move || work.read_objects(queue_ref, reads_ref, progress));
        }
        let cx = RowContext { q: &q, store, archive_id: &archive_id };
        (cx.check(&tables), index.join(), log.join(), feeder.join())
    });
    progress.finish();
    let crashed = |what: &str| Error::new(ErrorKind::Io, format!("the audit's {what} crashed"));
    fed.map_err(|_| crashed("object reader"))??;
    let index = index.map_err(|_| crashed("search index check"))??;
    let log = log.map_err(|_| crashed("log check"))??;
    let rows = checked?.with(index, log);
    let reads = reads.into_inner().unwrap_or_default();
    let run =
        Run { started, started_at: &started_at, archive_id: &archive_id, to_read, deep: opts.deep };
    run.record(archive, reads, rows, q.object_count()?)
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
    deep: bool,
    /// No object is begun after this.
    deadline: Option<Instant>,
}

impl Work<'_> {
    /// One worker: take the next object from the queue until none is left
    /// (or the time budget is spent: then it closes the queue), each read
    /// through one fixed buffer. Objects are taken in the queue's order and
    /// each one taken is read, so those read are the first ones of the
    /// audit's order.
    fn read_objects(self, queue: &Queue, reads: &Mutex<Reads>, progress: &dyn Progress) {
        let mut buf = vec![0u8; 1 << 20];
        let mut mine = Reads::default();
        loop {
            let Ok(mut q) = queue.lock() else { break };
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                *q = None;
            }
            let Some(row) = q.as_ref().and_then(|r| r.recv().ok()) else { break };
            drop(q);
            let (f, n) = check_object(self.store, &row, self.deep, &mut buf);
            progress.advance(row.size.max(0) as u64);
            mine.read += 1;
            mine.bytes += n;
            mine.damaged.extend(f.map(|f| (row.blake3, f)));
        }
        if let Ok(mut all) = reads.lock() {
            all.read += mine.read;
            all.bytes += mine.bytes;
            all.damaged.append(&mut mine.damaged);
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
    /// The store listing, every item, record and claim, no deleted rows
    /// (the search index and the log are checked on their own threads).
    fn check(&self, tables: &Tables) -> Result<TableChecks> {
        let q = self.q;
        let mut findings = check_listing(self.store, q)?;
        let (keys, bad_keys) = Keys::load(&tables.keys);
        findings.extend(bad_keys);
        // Objects whose items or claims have findings: their index rows
        // echo evidence that does not hold, so they are not judged again.
        let mut tainted = std::collections::BTreeSet::new();
        findings.extend(self.items(&keys, &mut tainted)?);
        findings.extend(self.claims(&keys, &mut tainted)?);
        let loose = q.loose_records()?;
        // A claim record whose row is gone (a deleted claim) taints its object too.
        tainted.extend(loose.iter().filter(|r| r.head.claim).map(|r| r.blake3.clone()));
        let unnamed: Vec<_> = loose.iter().filter(|r| !r.by_item).map(|r| r.head).collect();
        findings.extend(check_unnamed(&unnamed, &q.unnamed_objects()?));
        findings.extend(self.checked_at()?);
        findings.extend(check_transfers(&tables.transfers, &keys));
        let (gaps, rows_in) = self.id_gaps()?;
        findings.extend(gaps);
        Ok(TableChecks {
            findings,
            tainted,
            items: rows_in.get(&IdTable::Items).copied().unwrap_or(0),
            records: rows_in.get(&IdTable::Records).copied().unwrap_or(0),
            claims: rows_in.get(&IdTable::Claims).copied().unwrap_or(0),
        })
    }

    /// Every item against its record, a page at a time; the objects of
    /// items with findings are added to `tainted`.
    fn items(&self, keys: &Keys, tainted: &mut BTreeSet<String>) -> Result<Vec<Finding>> {
        let (q, mut findings, mut after) = (self.q, Vec::new(), 0);
        loop {
            let chunk = q.items_after(after, VERIFY_CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.id;
            let (records, objects, verdicts) =
                named_by(q, chunk.iter().map(|i| (i.record_id, i.blake3.as_str())), keys)?;
            for item in &chunk {
                let rec = records.get(&item.record_id);
                let object = objects.get(&item.blake3);
                let f = check_item(item, rec, object, keys, &verdicts, self.archive_id);
                if !f.is_empty() {
                    tainted.insert(item.blake3.clone());
                }
                findings.extend(f);
            }
        }
        Ok(findings)
    }

    /// Every claim against its record, a page at a time; the objects of
    /// claims with findings are added to `tainted`. Supersession is judged
    /// against the claims that claim to supersede another and the claims
    /// they name (corrections: a few among many, held whole).
    fn claims(&self, keys: &Keys, tainted: &mut BTreeSet<String>) -> Result<Vec<Finding>> {
        let (q, mut findings, mut after) = (self.q, Vec::new(), 0);
        let superseding = q.superseding_claims()?;
        let supersessions = Supersessions::of(&superseding);
        let named: Vec<&str> = superseding.iter().filter_map(|c| c.supersedes.as_deref()).collect();
        let targets = q.claims_with_uuids(&named)?;
        let by_uuid: HashMap<&str, &ClaimRow> =
            targets.iter().map(|(uuid, c)| (uuid.as_str(), c)).collect();
        loop {
            let chunk = q.claims_after(after, VERIFY_CHUNK)?;
            let Some(last) = chunk.last() else { break };
            after = last.id;
            let (records, objects, verdicts) =
                named_by(q, chunk.iter().map(|c| (c.record_id, c.blake3.as_str())), keys)?;
            let cx = ClaimContext {
                keys,
                archive_id: self.archive_id,
                by_uuid: &by_uuid,
                supersessions: &supersessions,
                verdicts: &verdicts,
            };
            for c in &chunk {
                let (rec, object) = (records.get(&c.record_id), objects.get(&c.blake3));
                let (signed, mut f) = check_claim(c, rec, object, &cx);
                // A claim whose supersedes column was edited: judged against
                // the claim it signed it supersedes (read now, as it is rare).
                let unseen =
                    signed.and_then(|p| p.supersedes).filter(|t| !by_uuid.contains_key(t.as_str()));
                if let Some(target) = unseen.and_then(|t| q.claim(&t).transpose()).transpose()? {
                    let mut more = by_uuid.clone();
                    more.insert(target.claim_uuid.as_str(), &target);
                    f = check_claim(c, rec, object, &ClaimContext { by_uuid: &more, ..cx }).1;
                }
                if !f.is_empty() {
                    tainted.insert(c.blake3.clone());
                }
                findings.extend(f);
            }
        }
        Ok(findings)
    }

    /// Every object's `last_checked_at` against the audit runs, a page at a
    /// time; every run's findings count.
    fn checked_at(&self) -> Result<Vec<Finding>> {
        let runs = self.q.audit_runs()?;
        let mut out = check_run_counts(&runs);
        let mut after: Option<String> = None;
        loop {
            let page = self.q.objects_after(after.as_deref(), VERIFY_CHUNK)?;
            let Some(last) = page.last() else { break };
            after = Some(last.blake3.clone());
            out.extend(check_checked_at(&page, &runs));
        }
        Ok(out)
    }

    /// Rows deleted from any table whose ids are never reused, and how
    /// many rows each holds.
    fn id_gaps(&self) -> Result<(Vec<Finding>, HashMap<IdTable, u64>)> {
        let (mut out, mut rows) = (Vec::new(), HashMap::new());
        for table in IdTable::ALL {
            let mut gaps = Gaps::default();
            self.q.each_id(table, |id| gaps.push(id))?;
            rows.insert(table, gaps.seen());
            out.extend(gaps.finish(table.name(), self.q.sequence(table.name())?));
        }
        Ok((out, rows))
    }
}

/// A page's records by id, objects by BLAKE3, and the records' verdicts.
type Named = (HashMap<i64, RecordRow>, HashMap<String, ObjectRow>, Verdicts);

/// The records and objects a page of rows names (by record id and object
/// BLAKE3), and the verdicts on the records' signatures (checked together,
/// on every core).
fn named_by<'a>(
    q: &Reader<'_>,
    named: impl Iterator<Item = (i64, &'a str)>,
    keys: &Keys,
) -> Result<Named> {
    let (ids, blake3s): (Vec<i64>, Vec<&str>) = named.unzip();
    let records = q.records_with_ids(&ids)?;
    let objects = q.objects_named(&blake3s)?;
    let verdicts = Verdicts::of(records.values(), keys, cores());
    Ok((records, objects, verdicts))
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
    /// Objects to read (all, or the first `limit`).
    to_read: u64,
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
        let Reads { read, bytes, damaged } = reads;
        let (damaged, mut findings): (Vec<String>, Vec<Finding>) = damaged.into_iter().unzip();
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
        match self.commit(archive, &report_json, counts, &rows, &damaged) {
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

    /// In one transaction: mark the intact objects checked (the first
    /// `counts.read` of the audit's order, but for the damaged ones), insert the run,
    /// log its fixity-check event and sign a checkpoint (when the log is
    /// sound). Returns (the checkpoint, the run's id).
    fn commit(
        &self,
        archive: &mut Archive,
        report_json: &str,
        counts: Counts,
        rows: &RowChecks,
        damaged: &[String],
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
        let damaged: Vec<&str> = damaged.iter().map(String::as_str).collect();
        tx.mark_checked(counts.read, &damaged, &finished_at)?;
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
            budget_reached: counts.read < self.to_read,
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
