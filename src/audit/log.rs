//! Checking the custody log: every leaf recomputed from the rows it records
//! (and the envelope it names); every item, claim, key, revocation and
//! audit run has its event; every complete-subtree node recomputed from the
//! leaves; every stored checkpoint signed by the log key and matching the
//! recomputed root at its size; every cosignature valid for its checkpoint;
//! and, with `--against`, the present log a consistent extension of a
//! checkpoint kept elsewhere.
//!
//! Must not: read stored nodes to compute anything (they are what is
//! checked), or write.

use std::collections::{HashMap, HashSet};

use super::{Code, Finding, finding};
use crate::crypto::PublicKey;
use crate::db::{ClaimRow, ItemRow, KeyRow, ObjectRow, Q, RecordRow};
use crate::error::Result;
use crate::log::merkle::{self, Hash, Subtrees};
use crate::log::note::{Checkpoint, Note, parse_vkey};
use crate::log::{self, Event, EventKind};

const REPAIR_LOG: &str = "the log is append-only evidence: restore the archive (database and \
                          log) from a backup or replica, then compare with your external checkpoints";

/// Every complete subtree, recomputed from the leaves: `levels[l][i]`.
struct Levels(Vec<Vec<Hash>>);

impl Subtrees for Levels {
    type Error = ();
    fn subtree(&self, level: u32, index: u64) -> std::result::Result<Hash, ()> {
        self.0.get(level as usize).and_then(|l| l.get(index as usize)).copied().ok_or(())
    }
}

fn push_leaf(levels: &mut Vec<Vec<Hash>>, h: Hash) {
    let mut level = 0;
    let mut h = h;
    loop {
        if levels.len() <= level {
            levels.push(Vec::new());
        }
        levels[level].push(h);
        let n = levels[level].len();
        if n % 2 == 1 {
            break;
        }
        h = merkle::node_hash(&levels[level][n - 2], &levels[level][n - 1]);
        level += 1;
    }
}

/// What the log check found, and the recomputed tree.
pub(crate) struct LogCheck {
    /// Findings.
    pub findings: Vec<Finding>,
    /// Leaves.
    pub size: u64,
    /// True when the stored log itself checks out (whatever an external
    /// checkpoint says): only then is anything appended to it or signed.
    pub sound: bool,
}

/// The rows the audit already holds, so that recomputing a million events
/// costs lookups in memory, not queries.
pub(crate) struct Rows<'a> {
    /// Every item.
    pub items: &'a [ItemRow],
    /// Every claim.
    pub claims: &'a [ClaimRow],
    /// Every key.
    pub keys: &'a [KeyRow],
    /// Records by id.
    pub records: &'a HashMap<i64, &'a RecordRow>,
    /// Objects by BLAKE3.
    pub objects: &'a HashMap<&'a str, &'a ObjectRow>,
}

/// Rows by the ids events refer to.
struct Lookup<'a> {
    rows: &'a Rows<'a>,
    items: HashMap<&'a str, &'a ItemRow>,
    claims: HashMap<&'a str, &'a ClaimRow>,
    keys: HashMap<&'a str, &'a KeyRow>,
    /// Audit runs by id: (finished_at, report).
    runs: HashMap<String, (String, String)>,
}

/// The event the rows say leaf `e` should be, or why there is none.
fn expected(l: &Lookup<'_>, e: &Event, archive_id: &str) -> std::result::Result<Event, String> {
    let (kind, id) = e.reference.split_once(':').unwrap_or(("", ""));
    let object = |blake3: &str| l.rows.objects.get(blake3).map(|o| o.digest());
    let envelope = |record_id: i64| l.rows.records.get(&record_id).map(|r| &r.envelope);
    match (e.kind, kind) {
        (EventKind::Ingestion, "item") => {
            let it = l.items.get(id).ok_or_else(|| format!("item {id} is gone"))?;
            let env = envelope(it.record_id)
                .ok_or_else(|| format!("the record of item {} is gone", it.id))?;
            let d = object(&it.blake3).ok_or_else(|| format!("object {} is gone", it.blake3))?;
            Ok(Event::ingestion(&it.ingested_at, &it.collector_keyid, &d, env, id))
        }
        (EventKind::Claim, "claim") => {
            let c = l.claims.get(id).ok_or_else(|| format!("claim {id} is gone"))?;
            let env = envelope(c.record_id)
                .ok_or_else(|| format!("the record of claim {} is gone", c.id))?;
            let d = object(&c.blake3).ok_or_else(|| format!("object {} is gone", c.blake3))?;
            Ok(Event::claim(&c.signed_at, &c.keyid, &d, env, id))
        }
        (EventKind::KeyRegistration, "key") => match l.keys.get(id) {
            None => Err(format!("key {id} is gone")),
            Some(k) => Ok(Event::key_registration(&k.added_at, id, &k.public_key)),
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
        (EventKind::FixityCheck, "audit") => match (l.runs.get(id), id.parse::<i64>()) {
            (Some((at, report)), Ok(n)) => Ok(Event::fixity_check(at, archive_id, n, report)),
            _ => Err(format!("audit run {id} is gone")),
        },
        // A repair's time is recorded nowhere else: its object and its actor
        // (a registered key) are what can be checked.
        (EventKind::Repair, "object") => match (object(id), &e.actor) {
            (None, _) => Err(format!("object {id} is gone")),
            (Some(_), None) => Err("a repair must name the key that made it".into()),
            (Some(d), Some(k)) => match l.keys.get(k.as_str()) {
                None => Err(format!("its actor {k} is not a registered key")),
                Some(_) => Ok(Event { subject: log::Subject::Object(d), ..e.clone() }),
            },
        },
        _ => Err(format!("a {} event cannot refer to {:?}", e.kind.name(), e.reference)),
    }
}

/// Check the log. `log_key`: the archive's log key, if it has one;
/// `against`: an external checkpoint, and the key pinned to check it with
/// (default: the archive's own).
pub(crate) fn check(
    q: &Q<'_>,
    rows: &Rows<'_>,
    archive_id: &str,
    log_key: Option<&PublicKey>,
    against: Option<(&str, Option<&PublicKey>)>,
) -> Result<LogCheck> {
    let mut out = Vec::new();
    let lookup = Lookup {
        rows,
        items: rows.items.iter().map(|i| (i.item_uuid.as_str(), i)).collect(),
        claims: rows.claims.iter().map(|c| (c.claim_uuid.as_str(), c)).collect(),
        keys: rows.keys.iter().map(|k| (k.keyid.as_str(), k)).collect(),
        runs: q.audit_runs()?.into_iter().map(|(id, at, r)| (id.to_string(), (at, r))).collect(),
    };
    let mut levels = Vec::new();
    let mut refs: HashSet<(EventKind, String)> = HashSet::new();
    let mut revoked: HashSet<String> = HashSet::new();
    let mut next = 0u64;
    let batch = 10_000;
    loop {
        let rows = q.log_leaves(next, batch)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let idx = r.idx as u64;
            if idx != next {
                out.push(finding(
                    Code::LogEventMissing,
                    "custody log".into(),
                    format!("log_leaves {next}..{idx}"),
                    format!("leaves {next} to {} were deleted", idx - 1),
                    REPAIR_LOG,
                ));
            }
            next = idx + 1;
            push_leaf(&mut levels, merkle::leaf_hash(&r.event));
            let subject = format!("log event {idx}");
            let loc = format!("log_leaves row {idx}");
            let e = match Event::parse(&r.event) {
                Ok(e) => e,
                Err(why) => {
                    out.push(finding(
                        Code::LogEventMismatch,
                        subject,
                        loc,
                        format!("the event is malformed: {why}"),
                        REPAIR_LOG,
                    ));
                    continue;
                }
            };
            refs.insert((e.kind, e.reference.clone()));
            // Log order is the archive's own clock: nothing a key signed may
            // be logged after its revocation, whatever time it claims.
            match (&e.kind, &e.subject, &e.actor) {
                (EventKind::KeyRevocation, log::Subject::Key(k), _) => {
                    revoked.insert(k.clone());
                }
                (EventKind::Ingestion | EventKind::Claim, _, Some(k)) if revoked.contains(k) => {
                    out.push(finding(
                        Code::SignedAfterRevocation,
                        subject.clone(),
                        loc.clone(),
                        format!("{} was logged after key {k} was revoked", e.reference),
                        "treat it as unproven: whoever holds the revoked key could have made it",
                    ));
                }
                _ => {}
            }
            if r.kind != e.kind.name() || r.reference != e.reference {
                out.push(finding(
                    Code::EditedColumn,
                    subject.clone(),
                    loc.clone(),
                    format!(
                        "columns say {} {}, the event says {} {}",
                        r.kind,
                        r.reference,
                        e.kind.name(),
                        e.reference
                    ),
                    "the event bytes are authoritative: restore the columns from them",
                ));
            }
            match expected(&lookup, &e, archive_id) {
                Err(why) => out.push(finding(
                    Code::LogEventOrphan,
                    subject,
                    loc,
                    format!("the log records a {} of {} but {why}", e.kind.name(), e.reference),
                    "rows the log records were deleted or edited: restore them from a backup",
                )),
                Ok(want) => {
                    if want.encode()? != r.event {
                        out.push(finding(
                            Code::LogEventMismatch,
                            subject,
                            loc,
                            format!("the {} event of {} no longer matches its rows or record", e.kind.name(), e.reference),
                            "the row or its signed record was changed after it was logged: restore it from a backup",
                        ));
                    }
                }
            }
        }
    }
    let size = next;

    // Every row the log must record has its event.
    let mut missing = |kind: EventKind, reference: String, what: String| {
        if !refs.contains(&(kind, reference.clone())) {
            out.push(finding(
                Code::LogEventMissing,
                what,
                "custody log".into(),
                format!("no {} event records {reference}", kind.name()),
                REPAIR_LOG,
            ));
        }
    };
    for it in rows.items {
        missing(EventKind::Ingestion, format!("item:{}", it.item_uuid), format!("item {}", it.id));
    }
    for c in rows.claims {
        missing(EventKind::Claim, format!("claim:{}", c.claim_uuid), format!("claim {}", c.id));
    }
    for k in rows.keys {
        missing(EventKind::KeyRegistration, format!("key:{}", k.keyid), format!("key {}", k.keyid));
        if k.revoked_at.is_some() {
            missing(
                EventKind::KeyRevocation,
                format!("key:{}", k.keyid),
                format!("key {}", k.keyid),
            );
        }
    }
    for id in lookup.runs.keys() {
        missing(EventKind::FixityCheck, format!("audit:{id}"), format!("audit run {id}"));
    }

    // Stored nodes against the recomputed ones.
    let tree = Levels(levels);
    let mut stored: HashMap<(u32, u64), Vec<u8>> = HashMap::new();
    for (l, i, h) in q.log_nodes()? {
        stored.insert((l, i), h);
    }
    let mut bad_nodes = 0u64;
    for (l, level) in tree.0.iter().enumerate() {
        for (i, h) in level.iter().enumerate() {
            if stored.remove(&(l as u32, i as u64)).as_deref() != Some(&h[..]) {
                bad_nodes += 1;
            }
        }
    }
    bad_nodes += stored.len() as u64;
    if bad_nodes > 0 {
        out.push(finding(
            Code::LogNodeMismatch,
            "custody log".into(),
            "log_nodes".into(),
            format!(
                "{bad_nodes} stored tree nodes differ from the ones recomputed from the leaves"
            ),
            "the nodes are derived data: if the leaves are intact, rebuild them from the leaves; \
             otherwise restore the log from a backup",
        ));
    }

    // Checkpoints: signature, origin, root at their size.
    let origin = log::origin(archive_id);
    let root_at = |n: u64| merkle::root(&tree, n).ok();
    let check_note = |note: &Note,
                      key: Option<&PublicKey>,
                      subject: String,
                      loc: String,
                      out: &mut Vec<Finding>|
     -> Option<Checkpoint> {
        let signed = key.is_some_and(|k| note.verified_by(&origin, k));
        if !signed {
            out.push(finding(
                Code::CheckpointBadSignature,
                subject,
                loc,
                format!("the checkpoint is not signed by the log key of {origin}"),
                "either it is not this log's checkpoint, or the archive's log key was replaced: \
                 check it against the log's original verifier key (audit --against FILE --vkey VKEY)",
            ));
            return None;
        }
        match Checkpoint::parse(&note.text) {
            Ok(cp) if cp.origin == origin => Some(cp),
            Ok(cp) => {
                out.push(finding(
                    Code::CheckpointMismatch,
                    subject,
                    loc,
                    format!("origin {} is not this log's", cp.origin),
                    REPAIR_LOG,
                ));
                None
            }
            Err(e) => {
                out.push(finding(Code::CheckpointMismatch, subject, loc, e, REPAIR_LOG));
                None
            }
        }
    };
    let checkpoints = q.checkpoints()?;
    for c in &checkpoints {
        let subject = format!("checkpoint {}", c.id);
        let loc = format!("checkpoints row {}", c.id);
        let note = match Note::parse(c.note.as_bytes()) {
            Ok(n) => n,
            Err(e) => {
                out.push(finding(
                    Code::CheckpointMismatch,
                    subject,
                    loc,
                    format!("the stored note is malformed: {e}"),
                    REPAIR_LOG,
                ));
                continue;
            }
        };
        let Some(cp) = check_note(&note, log_key, subject.clone(), loc.clone(), &mut out) else {
            continue;
        };
        if cp.size as i64 != c.size || cp.root[..] != c.root[..] {
            out.push(finding(
                Code::EditedColumn,
                subject.clone(),
                loc.clone(),
                "the size / root columns differ from the signed note".into(),
                "restore them from the note",
            ));
        }
        if cp.size > size || root_at(cp.size) != Some(cp.root) {
            out.push(finding(
                Code::CheckpointMismatch,
                subject,
                loc,
                format!("the log no longer has the tree this checkpoint signed (size {}, log now {size})", cp.size),
                REPAIR_LOG,
            ));
        }
    }
    for s in q.cosignatures()? {
        let subject = format!("cosignature {}", s.id);
        let loc = format!("cosignatures row {}", s.id);
        if parse_vkey(&s.vkey).is_ok_and(|v| v.name != s.witness) {
            out.push(finding(
                Code::EditedColumn,
                subject.clone(),
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
            out.push(finding(
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

    let sound = out.is_empty();

    // A checkpoint kept elsewhere: the present log must extend it.
    if let Some((text, pinned)) = against {
        let subject = "external checkpoint".to_owned();
        let loc = "--against".to_owned();
        if let (Some(p), Some(k)) = (pinned, log_key)
            && p != k
        {
            out.push(finding(
                Code::CheckpointBadSignature,
                "log key".into(),
                "ARCHIVE/log.key.pub".into(),
                "the archive's log key is not the one pinned with --vkey: it was replaced".into(),
                REPAIR_LOG,
            ));
        }
        match Note::parse(text.as_bytes()) {
            Err(e) => out.push(finding(
                Code::CheckpointMismatch,
                subject,
                loc,
                format!("it is not a signed note: {e}"),
                "check the file",
            )),
            Ok(note) => {
                let key = pinned.or(log_key);
                if let Some(cp) = check_note(&note, key, subject.clone(), loc.clone(), &mut out) {
                    if cp.size > size {
                        out.push(finding(
                            Code::LogRolledBack,
                            subject,
                            loc,
                            format!("the checkpoint has {} events, the log only {size}: the archive was rolled back or truncated", cp.size),
                            REPAIR_LOG,
                        ));
                    } else if root_at(cp.size) != Some(cp.root) {
                        out.push(finding(
                            Code::LogRewritten,
                            subject,
                            loc,
                            format!("the log's first {} events are not the ones the checkpoint signed: history was rewritten", cp.size),
                            REPAIR_LOG,
                        ));
                    }
                }
            }
        }
    }
    Ok(LogCheck { findings: out, size, sound })
}
