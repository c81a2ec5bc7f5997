//! Checking the custody log, one function per phase: the leaves (each
//! recomputed from the rows it records and the envelope it names, in log
//! order), coverage (every item, claim, key, revocation and audit run has
//! its event), the stored nodes (recomputed from the leaves), the stored
//! checkpoints (signed by the log key, matching the recomputed root at
//! their size) and cosignatures, and, with `--against`, the present log a
//! consistent extension of a checkpoint kept elsewhere.
//!
//! Must not: read stored nodes to compute anything (they are what is
//! checked), or write.

use std::collections::{HashMap, HashSet};

use super::rows::{Page, Rows};
use crate::crypto::PublicKey;
use crate::custody_log::merkle::{self, Hash};
use crate::custody_log::note::{Checkpoint, Note, parse_vkey};
use crate::custody_log::{self, Event, EventKind};
use crate::db::{CheckpointRow, LeafRow, Reader};
use crate::error::Result;
use crate::finding::{Code, Finding};

const REPAIR_LOG: &str = "the log is append-only evidence: restore the archive (database and \
                          log) from a backup or replica, then compare with your external checkpoints";

/// The log's tree, recomputed from the leaves as they stream by in
/// memory that grows with the log's height only: the complete subtrees on
/// its right edge, the nodes completed since they were last compared with
/// the stored ones, and the roots at the sizes checkpoints sign.
#[derive(Default)]
struct Tree {
    size: u64,
    /// `edge[l]`: the complete subtree of 2^l leaves waiting for its right
    /// sibling, if the size has that bit.
    edge: Vec<Option<Hash>>,
    /// Nodes completed since the last comparison: (level, index, hash).
    fresh: Vec<(u32, u64, Hash)>,
    /// The sizes whose roots are wanted, with the root once reached.
    roots: HashMap<u64, Option<Hash>>,
    /// Nodes recomputed, stored nodes equal to them, stored nodes at a
    /// recomputed node's place.
    recomputed: u64,
    matched: u64,
    in_place: u64,
}

impl Tree {
    fn wanting(sizes: impl IntoIterator<Item = u64>) -> Tree {
        let mut t =
            Tree { roots: sizes.into_iter().map(|n| (n, None)).collect(), ..Tree::default() };
        if let Some(r) = t.roots.get_mut(&0) {
            *r = Some(merkle::empty_root());
        }
        t
    }

    /// Add the next leaf hash. This repeats `merkle::append`'s rule on
    /// purpose: the audit does not verify the code with itself.
    fn push(&mut self, leaf: Hash) {
        let (mut h, mut level, mut idx) = (leaf, 0usize, self.size);
        loop {
            self.fresh.push((level as u32, idx, h));
            if self.edge.len() <= level {
                self.edge.push(None);
            }
            match self.edge[level].take() {
                None => {
                    self.edge[level] = Some(h);
                    break;
                }
                Some(left) => {
                    h = merkle::node_hash(&left, &h);
                    level += 1;
                    idx >>= 1;
                }
            }
        }
        self.size += 1;
        if let Some(r) = self.roots.get_mut(&self.size) {
            // RFC 6962's root: the right edge's subtrees folded from the
            // smallest up.
            let mut acc: Option<Hash> = None;
            for s in self.edge.iter().flatten() {
                acc = Some(acc.map_or(*s, |a| merkle::node_hash(s, &a)));
            }
            *r = acc;
        }
    }

    /// The root at `n`, if it was wanted and reached.
    fn root(&self, n: u64) -> Option<Hash> {
        self.roots.get(&n).copied().flatten()
    }

    /// Compare the nodes completed since last time with the stored ones at
    /// their places (one range read per level: a level's new nodes are
    /// consecutive).
    fn compare(&mut self, q: &Reader<'_>) -> Result<()> {
        let mut fresh = std::mem::take(&mut self.fresh);
        fresh.sort_unstable_by_key(|(l, i, _)| (*l, *i));
        self.recomputed += fresh.len() as u64;
        for level in fresh.chunk_by(|a, b| a.0 == b.0) {
            let (l, first) = (level[0].0, level[0].1);
            let last = level[level.len() - 1].1;
            q.each_log_node_in(l, first, last, |i, h| {
                self.in_place += 1;
                let want = (i - first) as usize;
                if level.get(want).is_some_and(|n| n.1 == i && n.2[..] == *h) {
                    self.matched += 1;
                }
            })?;
        }
        Ok(())
    }
}

/// What the log check found.
pub struct LogCheck {
    /// Findings.
    pub findings: Vec<Finding>,
    /// Leaves.
    pub size: u64,
    /// True when the stored log itself checks out (whatever an external
    /// checkpoint says): only then is anything appended to it or signed.
    pub sound: bool,
    /// The external checkpoint's size and whether the log extends it.
    pub against: Option<(u64, bool)>,
}

/// An external checkpoint to check the log against, and the log key
/// pinned to check it with (default: the archive's own).
pub struct Against<'a> {
    /// The signed note (parsed: a malformed one is a usage error).
    pub note: &'a Note,
    /// The pinned key.
    pub pinned: Option<&'a PublicKey>,
}

/// Check the log. `log_key`: the archive's log key, if it has one.
pub fn check(
    q: &Reader<'_>,
    rows: &Rows<'_>,
    archive_id: &str,
    log_key: Option<&PublicKey>,
    against: Option<&Against<'_>>,
) -> Result<LogCheck> {
    let runs: HashMap<String, (String, String)> = q
        .audit_runs()?
        .into_iter()
        .map(|r| (r.id.to_string(), (r.finished_at, r.report)))
        .collect();
    let checkpoints = q.checkpoints()?;
    // The sizes whose roots are checked: every stored checkpoint's, and
    // the external one's.
    let sizes = checkpoints
        .iter()
        .filter_map(|c| Note::parse(c.note.as_bytes()).ok())
        .chain(against.map(|a| a.note.clone()))
        .filter_map(|n| Checkpoint::parse(&n.text).ok())
        .map(|c| c.size);
    let leaves = Leaves { rows, runs: &runs, archive_id };
    let mut replay = leaves.replay(q, Tree::wanting(sizes))?;
    let mut out = std::mem::take(&mut replay.findings);
    out.extend(coverage(q, rows, &runs, &replay.refs)?);
    out.extend(owners(rows, &replay, &out));
    out.extend(check_nodes(q, &replay.tree)?);
    let origin = custody_log::origin(archive_id);
    let notes = Notes { origin: &origin, tree: &replay.tree, size: replay.size };
    for c in &checkpoints {
        out.extend(notes.stored(c, log_key));
    }
    out.extend(check_cosignatures(q, &checkpoints)?);
    let sound = out.is_empty();
    let against = against.map(|a| {
        let (found, size) = notes.against(a, log_key);
        let consistent = found.is_empty();
        out.extend(found);
        (size, consistent)
    });
    Ok(LogCheck { findings: out, size: replay.size, sound, against })
}

/// What replaying the leaves gave.
struct Replay {
    findings: Vec<Finding>,
    tree: Tree,
    /// What the events other than ingestions and claims refer to (those
    /// two, one per item or claim, are matched with their rows in SQL).
    refs: HashSet<(EventKind, String)>,
    /// Keys whose owner a registration event names (as the row has it).
    owned: HashSet<String>,
    size: u64,
}

/// The leaves, checked against the rows they record.
struct Leaves<'a> {
    rows: &'a Rows<'a>,
    /// Audit runs by id: (finished_at, report).
    runs: &'a HashMap<String, (String, String)>,
    archive_id: &'a str,
}

impl Leaves<'_> {
    /// Read every leaf in order (in batches), recompute the tree, and check
    /// each leaf.
    fn replay(&self, q: &Reader<'_>, tree: Tree) -> Result<Replay> {
        let mut r = Replay {
            findings: Vec::new(),
            tree,
            refs: HashSet::new(),
            owned: HashSet::new(),
            size: 0,
        };
        let mut revoked: HashSet<String> = HashSet::new();
        loop {
            let batch = q.log_leaves(r.size, 10_000)?;
            if batch.is_empty() {
                break;
            }
            let events: Vec<_> = batch.iter().map(|l| Event::parse(&l.event)).collect();
            let page = page_of(q, &events)?;
            for (leaf, event) in batch.iter().zip(events) {
                let idx = leaf.idx as u64;
                if idx != r.size {
                    r.findings.push(Finding::new(
                        Code::LogEventMissing,
                        "custody log",
                        format!("log_leaves {}..{idx}", r.size),
                        format!("leaves {} to {} were deleted", r.size, idx - 1),
                        REPAIR_LOG,
                    ));
                }
                r.size = idx + 1;
                r.tree.push(merkle::leaf_hash(&leaf.event));
                self.leaf(leaf, event, &page, &mut revoked, &mut r)?;
            }
            r.tree.compare(q)?;
        }
        Ok(r)
    }

    /// Check one leaf: it parses, it is not logged after its key's
    /// revocation, its columns match its bytes, and it is the event its
    /// rows give.
    fn leaf(
        &self,
        leaf: &LeafRow,
        event: std::result::Result<Event, String>,
        page: &Page,
        revoked: &mut HashSet<String>,
        r: &mut Replay,
    ) -> Result<()> {
        let subject = format!("log event {}", leaf.idx);
        let loc = format!("log_leaves row {}", leaf.idx);
        let e = match event {
            Ok(e) => e,
            Err(why) => {
                let m = format!("the event is malformed: {why}");
                r.findings.push(Finding::new(Code::LogEventMismatch, subject, loc, m, REPAIR_LOG));
                return Ok(());
            }
        };
        if !matches!(e.kind, EventKind::Ingestion | EventKind::Claim) {
            r.refs.insert((e.kind, e.reference.clone()));
        }
        // Log order is the archive's own clock: nothing a key signed may
        // be logged after its revocation, whatever time it claims.
        match (&e.kind, &e.subject, &e.actor) {
            (EventKind::KeyRevocation, custody_log::Subject::Key(k), _) => {
                revoked.insert(k.clone());
            }
            (EventKind::Ingestion | EventKind::Claim, _, Some(k)) if revoked.contains(k) => {
                r.findings.push(Finding::new(
                    Code::SignedAfterRevocation,
                    &subject,
                    &loc,
                    format!("{} was logged after key {k} was revoked", e.reference),
                    "treat it as unproven: whoever holds the revoked key could have made it",
                ));
            }
            _ => {}
        }
        if leaf.kind != e.kind.name() || leaf.reference != e.reference {
            r.findings.push(Finding::new(
                Code::EditedColumn,
                &subject,
                &loc,
                format!(
                    "columns say {} {}, the event says {} {}",
                    leaf.kind,
                    leaf.reference,
                    e.kind.name(),
                    e.reference
                ),
                "the event bytes are authoritative: restore the columns from them",
            ));
        }
        let want = match self.expected(&e, &leaf.event, page) {
            Ok(want) => want,
            Err(why) => {
                r.findings.push(Finding::new(
                    Code::LogEventOrphan,
                    subject,
                    loc,
                    format!("the log records a {} of {} but {why}", e.kind.name(), e.reference),
                    "rows the log records were deleted or edited: restore them from a backup",
                ));
                return Ok(());
            }
        };
        if want.encode()? != leaf.event {
            r.findings.push(Finding::new(
                Code::LogEventMismatch,
                subject,
                loc,
                format!(
                    "the {} event of {} no longer matches its rows or record",
                    e.kind.name(),
                    e.reference
                ),
                "the row or its signed record was changed after it was logged: restore it from a backup",
            ));
        } else if let (EventKind::KeyRegistration, custody_log::Subject::Key(k)) =
            (e.kind, &e.subject)
            && let Some(row) = self.rows.keys.get(k.as_str())
            && want
                == Event::key_registration(
                    &row.added_at,
                    k,
                    &row.public_key,
                    &row.owner,
                    row.foreign_archive.as_deref(),
                )
        {
            r.owned.insert(k.clone());
        }
        Ok(())
    }

    /// The event the rows say `e` (whose bytes are `bytes`) should be, or
    /// why there is none; `page` holds the records its batch names.
    fn expected(&self, e: &Event, bytes: &[u8], page: &Page) -> std::result::Result<Event, String> {
        let l = self.rows;
        let (kind, id) = e.reference.split_once(':').unwrap_or(("", ""));
        let object = |blake3: &str| page.objects.get(blake3).map(|o| o.digest());
        let envelope = |record_id: i64| page.records.get(&record_id).map(|r| &r.envelope);
        match (e.kind, kind) {
            (EventKind::Ingestion, "item") => {
                let it = page.items.get(id).ok_or_else(|| format!("item {id} is gone"))?;
                let env = envelope(it.record_id)
                    .ok_or_else(|| format!("the record of item {} is gone", it.id))?;
                let d =
                    object(&it.blake3).ok_or_else(|| format!("object {} is gone", it.blake3))?;
                Ok(Event::ingestion(&it.ingested_at, &it.collector_keyid, &d, env, id))
            }
            (EventKind::Claim, "claim") => {
                let c = page.claims.get(id).ok_or_else(|| format!("claim {id} is gone"))?;
                let env = envelope(c.record_id)
                    .ok_or_else(|| format!("the record of claim {} is gone", c.id))?;
                let d = object(&c.blake3).ok_or_else(|| format!("object {} is gone", c.blake3))?;
                Ok(Event::claim(&c.signed_at, &c.keyid, &d, env, id))
            }
            (EventKind::KeyRegistration, "key") => match l.keys.get(id) {
                None => Err(format!("key {id} is gone")),
                Some(k) => {
                    // Archives before schema 4 logged registrations without
                    // the owner; a later event names it (coverage checks).
                    let unowned = Event::key_registration_unowned(&k.added_at, id, &k.public_key);
                    Ok(match unowned.encode() {
                        Ok(b) if b == bytes => unowned,
                        _ => Event::key_registration(
                            &k.added_at,
                            id,
                            &k.public_key,
                            &k.owner,
                            k.foreign_archive.as_deref(),
                        ),
                    })
                }
            },
            (EventKind::KeyRevocation, "key") => match l.keys.get(id) {
                None => Err(format!("key {id} is gone")),
                Some(k) => match &k.revoked_at {
                    None => Err(format!("key {id} is no longer marked revoked")),
                    Some(at) => {
                        Ok(Event::key_revocation(at, id, k.revoke_reason.as_deref().unwrap_or("")))
                    }
                },
            },
            (EventKind::FixityCheck, "audit") => match (self.runs.get(id), id.parse::<i64>()) {
                (Some((at, report)), Ok(n)) => {
                    Ok(Event::fixity_check(at, self.archive_id, n, report))
                }
                _ => Err(format!("audit run {id} is gone")),
            },
            // A repair's time is recorded nowhere else: its object and its
            // actor (a registered key) are what can be checked.
            (EventKind::Repair, "object") => match (object(id), &e.actor) {
                (None, _) => Err(format!("object {id} is gone")),
                (Some(_), None) => Err("a repair must name the key that made it".into()),
                (Some(d), Some(k)) => match l.keys.get(k.as_str()) {
                    None => Err(format!("its actor {k} is not a registered key")),
                    Some(_) => Ok(Event { subject: custody_log::Subject::Object(d), ..e.clone() }),
                },
            },
            (EventKind::Dissemination, "export") => match l.exports.get(id) {
                None => Err(format!("export {id} is gone")),
                Some(x) => Ok(Event::dissemination(
                    &x.exported_at,
                    &x.exporter_keyid,
                    self.archive_id,
                    &x.payload_digest,
                    id,
                )),
            },
            (EventKind::Transfer, "transfer") => match l.transfers.get(id) {
                None => Err(format!("transfer {id} is gone")),
                Some(x) => Ok(Event::transfer(
                    &x.received_at,
                    &x.keyid,
                    x.sender_archive.as_deref(),
                    &x.envelope,
                    id,
                )),
            },
            _ => Err(format!("a {} event cannot refer to {:?}", e.kind.name(), e.reference)),
        }
    }
}

/// The rows a batch of events names, read in one go.
fn page_of(q: &Reader<'_>, events: &[std::result::Result<Event, String>]) -> Result<Page> {
    let (mut items, mut claims, mut objects) = (Vec::new(), Vec::new(), Vec::new());
    for e in events.iter().filter_map(|e| e.as_ref().ok()) {
        match (e.kind, e.reference.split_once(':')) {
            (EventKind::Ingestion, Some(("item", id))) => items.push(id),
            (EventKind::Claim, Some(("claim", id))) => claims.push(id),
            (EventKind::Repair, Some(("object", id))) => objects.push(id),
            _ => {}
        }
    }
    Page::read(q, &items, &claims, &objects)
}

/// A finding for a row no event records.
fn unlogged(kind: EventKind, reference: &str, what: String) -> Finding {
    let m = format!("no {} event records {reference}", kind.name());
    Finding::new(Code::LogEventMissing, what, "custody log", m, REPAIR_LOG)
}

/// Every row the log must record has its event: items and claims by the
/// leaves' reference columns (which the replay found to match their
/// bytes, or reported), the rest by the replayed events.
fn coverage(
    q: &Reader<'_>,
    rows: &Rows<'_>,
    runs: &HashMap<String, (String, String)>,
    refs: &HashSet<(EventKind, String)>,
) -> Result<Vec<Finding>> {
    let t = rows.t;
    let mut out = Vec::new();
    for (id, uuid) in q.unlogged_items(EventKind::Ingestion.name())? {
        out.push(unlogged(EventKind::Ingestion, &format!("item:{uuid}"), format!("item {id}")));
    }
    for (id, uuid) in q.unlogged_claims(EventKind::Claim.name())? {
        out.push(unlogged(EventKind::Claim, &format!("claim:{uuid}"), format!("claim {id}")));
    }
    // One row at a time: a finding when no event records it.
    let mut want = |kind: EventKind, reference: String, what: String| {
        if !refs.contains(&(kind, reference.clone())) {
            out.push(unlogged(kind, &reference, what));
        }
    };
    for k in &t.keys {
        let (r, what) = (format!("key:{}", k.keyid), format!("key {}", k.keyid));
        want(EventKind::KeyRegistration, r.clone(), what.clone());
        if k.revoked_at.is_some() {
            want(EventKind::KeyRevocation, r, what);
        }
    }
    for id in runs.keys() {
        want(EventKind::FixityCheck, format!("audit:{id}"), format!("audit run {id}"));
    }
    for x in &t.exports {
        let what = format!("export {}", x.id);
        want(EventKind::Dissemination, format!("export:{}", x.bag_id), what);
    }
    for x in &t.transfers {
        let what = format!("transfer {}", x.id);
        want(EventKind::Transfer, format!("transfer:{}", x.bag_id), what);
    }
    Ok(out)
}

/// Every key's owner, as the keys table names it, is named by one of its
/// registration events (unless it has no registration event at all, or
/// one was already found not to match its row).
fn owners(rows: &Rows<'_>, replay: &Replay, found: &[Finding]) -> Vec<Finding> {
    let mismatched: HashSet<&str> = found
        .iter()
        .filter(|f| f.code == Code::LogEventMismatch || f.code == Code::LogEventOrphan)
        .map(|f| f.message.as_str())
        .collect();
    rows.t
        .keys
        .iter()
        .filter(|k| !replay.owned.contains(&k.keyid))
        .filter(|k| replay.refs.contains(&(EventKind::KeyRegistration, format!("key:{}", k.keyid))))
        .filter(|k| !mismatched.iter().any(|m| m.contains(&format!("key:{}", k.keyid))))
        .map(|k| {
            Finding::new(
                Code::EditedColumn,
                format!("key {}", k.keyid),
                format!("keys.owner (key {})", k.keyid),
                format!(
                    "no key registration event names {:?} as this key's owner: the owner \
                     column was edited",
                    k.owner
                ),
                "restore the owner from the key's registration (its owner's .pub file) or a backup",
            )
        })
        .collect()
}

/// Stored nodes against the recomputed ones (compared as the leaves were
/// replayed): a node no recomputed one matches, or one in no place of the
/// tree, is bad; so is a recomputed node none matches.
fn check_nodes(q: &Reader<'_>, tree: &Tree) -> Result<Option<Finding>> {
    let misplaced = q.log_node_count()?.saturating_sub(tree.in_place);
    let bad_nodes = tree.recomputed - tree.matched + misplaced;
    Ok((bad_nodes > 0).then(|| {
        Finding::new(
            Code::LogNodeMismatch,
            "custody log",
            "log_nodes",
            format!(
                "{bad_nodes} stored tree nodes differ from the ones recomputed from the leaves"
            ),
            "the nodes are derived data: if the leaves are intact, rebuild them from the leaves; \
             otherwise restore the log from a backup",
        )
    }))
}

/// Checkpoints checked against the recomputed tree.
struct Notes<'a> {
    origin: &'a str,
    tree: &'a Tree,
    size: u64,
}

impl Notes<'_> {
    /// A note's signature by `key` and its origin; the checkpoint it signs.
    fn signed(
        &self,
        note: &Note,
        key: Option<&PublicKey>,
        subject: &str,
        loc: &str,
        out: &mut Vec<Finding>,
    ) -> Option<Checkpoint> {
        if !key.is_some_and(|k| note.verified_by(self.origin, k)) {
            out.push(Finding::new(
                Code::CheckpointBadSignature,
                subject,
                loc,
                format!("the checkpoint is not signed by the log key of {}", self.origin),
                "either it is not this log's checkpoint, or the archive's log key was replaced: \
                 check it against the log's original verifier key (audit --against FILE --vkey VKEY)",
            ));
            return None;
        }
        let why = match Checkpoint::parse(&note.text) {
            Ok(cp) if cp.origin == self.origin => return Some(cp),
            Ok(cp) => format!("origin {} is not this log's", cp.origin),
            Err(e) => e,
        };
        out.push(Finding::new(Code::CheckpointMismatch, subject, loc, why, REPAIR_LOG));
        None
    }

    /// A stored checkpoint: its note, its columns, its tree.
    fn stored(&self, c: &CheckpointRow, log_key: Option<&PublicKey>) -> Vec<Finding> {
        let subject = format!("checkpoint {}", c.id);
        let loc = format!("checkpoints row {}", c.id);
        let mut out = Vec::new();
        let note = match Note::parse(c.note.as_bytes()) {
            Ok(n) => n,
            Err(e) => {
                let m = format!("the stored note is malformed: {e}");
                out.push(Finding::new(Code::CheckpointMismatch, subject, loc, m, REPAIR_LOG));
                return out;
            }
        };
        let Some(cp) = self.signed(&note, log_key, &subject, &loc, &mut out) else {
            return out;
        };
        if cp.size as i64 != c.size || cp.root[..] != c.root[..] {
            out.push(Finding::new(
                Code::EditedColumn,
                &subject,
                &loc,
                "the size / root columns differ from the signed note",
                "restore them from the note",
            ));
        }
        if cp.size > self.size || self.tree.root(cp.size) != Some(cp.root) {
            let m = format!(
                "the log no longer has the tree this checkpoint signed (size {}, log now {})",
                cp.size, self.size
            );
            out.push(Finding::new(Code::CheckpointMismatch, subject, loc, m, REPAIR_LOG));
        }
        out
    }

    /// A checkpoint kept elsewhere: the present log must extend it.
    /// Returns the findings and the checkpoint's size.
    fn against(&self, a: &Against<'_>, log_key: Option<&PublicKey>) -> (Vec<Finding>, u64) {
        let (subject, loc) = ("external checkpoint", "--against");
        let mut out = Vec::new();
        if let (Some(p), Some(k)) = (a.pinned, log_key)
            && p != k
        {
            out.push(Finding::new(
                Code::CheckpointBadSignature,
                "log key",
                "ARCHIVE/log.key.pub",
                "the archive's log key is not the one pinned with --vkey: it was replaced",
                REPAIR_LOG,
            ));
        }
        let size = Checkpoint::parse(&a.note.text).map_or(0, |c| c.size);
        let Some(cp) = self.signed(a.note, a.pinned.or(log_key), subject, loc, &mut out) else {
            return (out, size);
        };
        if cp.size > self.size {
            let m = format!(
                "the checkpoint has {} events, the log only {}: the archive was rolled back or \
                 truncated",
                cp.size, self.size
            );
            out.push(Finding::new(Code::LogRolledBack, subject, loc, m, REPAIR_LOG));
        } else if self.tree.root(cp.size) != Some(cp.root) {
            let m = format!(
                "the log's first {} events are not the ones the checkpoint signed: history was \
                 rewritten",
                cp.size
            );
            out.push(Finding::new(Code::LogRewritten, subject, loc, m, REPAIR_LOG));
        }
        (out, cp.size)
    }
}

/// Every stored cosignature verifies for its checkpoint under its
/// witness key, and its witness column names that key.
fn check_cosignatures(q: &Reader<'_>, checkpoints: &[CheckpointRow]) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for s in q.cosignatures()? {
        let subject = format!("cosignature {}", s.id);
        let loc = format!("cosignatures row {}", s.id);
        if parse_vkey(&s.vkey).is_ok_and(|v| v.name != s.witness) {
            out.push(Finding::new(
                Code::EditedColumn,
                &subject,
                format!("cosignatures.witness (row {})", s.id),
                format!("column says {:?}, the witness key is named otherwise", s.witness),
                "restore the column from the stored verifier key",
            ));
        }
        let ok = checkpoints.iter().find(|c| c.id == s.checkpoint_id).and_then(|c| {
            let vkey = parse_vkey(&s.vkey).ok()?;
            let mut note = Note::parse(c.note.as_bytes()).ok()?;
            note.sigs = Note::parse(format!("{}\n{}\n", note.text, s.line).as_bytes()).ok()?.sigs;
            note.cosigned_by(&vkey.name, &vkey.public)
                .map(|c| c.0)
                .filter(|t| *t as i64 == s.timestamp)
        });
        if ok.is_none() {
            out.push(Finding::new(
                Code::CosignatureInvalid,
                subject,
                loc,
                format!(
                    "the cosignature by {} does not verify for checkpoint {}",
                    s.witness, s.checkpoint_id
                ),
                "ask the witness for its cosignature again (custody witness add)",
            ));
        }
    }
    Ok(out)
}
