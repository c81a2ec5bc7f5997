//! The custody log's verbs: `checkpoint` (sign and store the tree head),
//! `log` (the timeline, of the archive or one item), `prove` (inclusion or
//! consistency proof files), `verify_proof` (offline, no archive needed),
//! and the witness side: `witness_cosign` (another organisation cosigns a
//! checkpoint, no archive needed) and `witness_add` (the archive stores a
//! cosignature after checking it).
//!
//! Must not: append events (the commands that change the archive do), or
//! prove anything against a checkpoint this log does not extend.

use serde::Serialize;

use super::inspect::{Target, resolve};
use crate::Archive;
use crate::crypto::SecretKey;
use crate::error::{Error, ErrorKind, Result};
use crate::log::merkle::{self, Hash};
use crate::log::note::{self, ALG_COSIGNATURE_V1, ALG_ED25519, Checkpoint, Note};
use crate::log::proof::{self, Verified};
use crate::log::{self as clog, DbTree, Event};

/// The archive's log verifier key (`name+id+key`), creating the key if the
/// archive has none yet.
fn log_vkey(archive: &Archive) -> Result<(SecretKey, String, String)> {
    let id = archive.identity()?.archive_id;
    let key = clog::log_key(&archive.db.q(), archive.root(), &id, &archive.now())?;
    let origin = clog::origin(&id);
    let vkey = note::vkey(&origin, ALG_ED25519, &key.public());
    Ok((key, vkey, id))
}

/// What `checkpoint` made.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointReport {
    /// Stored checkpoint id.
    pub id: i64,
    /// Tree size.
    pub size: u64,
    /// The signed note (C2SP tlog-checkpoint).
    pub note: String,
    /// The log's verifier key, to check it with.
    pub vkey: String,
}

/// Sign the current tree head with the archive's log key (and, with
/// `key`, also with that registered key) and store it.
pub fn checkpoint(archive: &mut Archive, key: Option<&SecretKey>) -> Result<CheckpointReport> {
    let (log_key, vkey, archive_id) = log_vkey(archive)?;
    let also = match key {
        // A second signature by a person's key, named after it.
        Some(k) => {
            let keyid = super::check_signer(&archive.db.q(), k)?;
            Some((format!("custody.invalid/key/{}", &keyid[..16.min(keyid.len())]), k))
        }
        None => None,
    };
    let now = archive.now();
    let _lock = archive.lock_for_writing()?;
    let tx = archive.db.tx()?;
    let size = tx.q().log_size()?;
    let also = also.as_ref().map(|(name, k)| (name.as_str(), *k));
    let (id, note) = clog::sign_checkpoint(&tx, &log_key, also, &archive_id, size, &now)?;
    tx.commit()?;
    Ok(CheckpointReport { id, size, note: note.to_text(), vkey })
}

/// A signed note given by the user (not yet checked against any key).
fn checkpoint_note(text: &str) -> Result<Note> {
    Note::parse(text.as_bytes())
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("not a checkpoint: {e}")))
}

fn integrity(why: String) -> Error {
    Error::new(ErrorKind::Integrity, why).hint("run `custody audit`")
}

/// One event as shown.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Leaf index.
    pub index: u64,
    /// The event (absent if its bytes do not parse).
    pub event: Option<Event>,
    /// Who, by registered name.
    pub actor_name: Option<String>,
}

/// A stored checkpoint as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    /// Id.
    pub id: i64,
    /// Tree size.
    pub size: i64,
    /// When.
    pub created_at: String,
    /// Witnesses that cosigned it.
    pub cosigned_by: Vec<String>,
}

/// What `log` shows.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    /// Events (all, or those about one item's object), oldest first.
    pub events: Vec<EventView>,
    /// Leaves in the log.
    pub size: u64,
    /// Stored checkpoints (whole-archive view only).
    pub checkpoints: Vec<CheckpointView>,
    /// The log's verifier key.
    pub vkey: String,
}

/// The custody timeline of the archive, or of one item's object.
pub fn timeline(archive: &Archive, reference: Option<&str>) -> Result<LogReport> {
    let q = archive.db.q();
    let owners: std::collections::HashMap<String, String> =
        q.keys()?.into_iter().map(|k| (k.keyid, k.owner)).collect();
    let rows = match reference {
        None => q.log_leaves(0, u64::MAX >> 1)?,
        Some(r) => {
            let (blake3, item_ref) = match resolve(archive, r)? {
                Target::Item(it) => (it.blake3, format!("item:{}", it.item_uuid)),
                Target::Object(o) => (o.blake3.clone(), format!("object:{}", o.blake3)),
            };
            q.log_leaves_about(&item_ref, &blake3)?
        }
    };
    let events = rows
        .into_iter()
        .map(|r| {
            let event = Event::parse(&r.event).ok();
            let actor_name =
                event.as_ref().and_then(|e| e.actor.as_ref()).and_then(|a| owners.get(a).cloned());
            EventView { index: r.idx as u64, event, actor_name }
        })
        .collect();
    let mut checkpoints = Vec::new();
    if reference.is_none() {
        let cos = q.cosignatures()?;
        for c in q.checkpoints()? {
            let cosigned_by =
                cos.iter().filter(|s| s.checkpoint_id == c.id).map(|s| s.witness.clone()).collect();
            checkpoints.push(CheckpointView {
                id: c.id,
                size: c.size,
                created_at: c.created_at,
                cosigned_by,
            });
        }
    }
    let vkey = match clog::log_public(archive.root())? {
        Some(pk) => note::vkey(&clog::origin(&archive.identity()?.archive_id), ALG_ED25519, &pk),
        None => String::new(),
    };
    Ok(LogReport { events, size: q.log_size()?, checkpoints, vkey })
}

/// What to prove.
pub enum ProveTarget {
    /// An item's ingestion event (item number, UUID or object hash prefix:
    /// for an object, its first item).
    Item(String),
    /// A leaf by index.
    Event(u64),
    /// Consistency from an old checkpoint (note text) to a new one (note
    /// text; `None`: the current tree, freshly signed).
    Consistency(String, Option<String>),
}

/// A proof file.
#[derive(Debug, Clone, Serialize)]
pub struct ProveReport {
    /// The proof text (tlog-proof, or custody consistency proof).
    pub proof: String,
    /// The log's verifier key.
    pub vkey: String,
}

/// A checkpoint note given by the user, checked against this log: signed
/// by its key and matching its tree at that size.
fn our_checkpoint(archive: &Archive, text: &str, vkey: &str) -> Result<(Note, Checkpoint)> {
    let bad = |why: String| {
        Error::new(ErrorKind::Integrity, format!("the checkpoint is not one of this log's: {why}"))
            .hint("run `custody audit --against` it to see what differs")
    };
    let note = checkpoint_note(text)?;
    let v = note::parse_vkey(vkey).map_err(bad)?;
    let cp = proof::verify_checkpoint(&note, &v).map_err(bad)?;
    let q = archive.db.q();
    if cp.size > q.log_size()? || merkle::root(&DbTree(&q), cp.size)? != cp.root {
        return Err(bad(format!("this log's tree of size {} has another root", cp.size)));
    }
    Ok((note, cp))
}

/// Produce a proof.
pub fn prove(
    archive: &mut Archive,
    target: ProveTarget,
    checkpoint: Option<&str>,
) -> Result<ProveReport> {
    let (_, vkey, _) = log_vkey(archive)?;
    // The checkpoint to prove against: the one given, or a fresh one.
    let head = |archive: &mut Archive, given: Option<&str>| -> Result<(Note, u64)> {
        match given {
            Some(text) => our_checkpoint(archive, text, &vkey).map(|(n, cp)| (n, cp.size)),
            None => {
                let fresh = self::checkpoint(archive, None)?;
                Ok((checkpoint_note(&fresh.note)?, fresh.size))
            }
        }
    };
    let text = match target {
        ProveTarget::Consistency(old, new) => {
            let (old_note, old_cp) = our_checkpoint(archive, &old, &vkey)?;
            let (new_note, new_size) = head(archive, new.as_deref())?;
            if old_cp.size > new_size {
                return Err(Error::new(
                    ErrorKind::Usage,
                    format!(
                        "the old checkpoint ({}) is larger than the new one ({new_size})",
                        old_cp.size
                    ),
                )
                .hint("give the older checkpoint first"));
            }
            let q = archive.db.q();
            // Empty from size 0 (everything extends the empty tree).
            let hashes: Vec<Hash> = merkle::consistency_proof(&DbTree(&q), old_cp.size, new_size)?;
            proof::consistency_text(&old_note, &new_note, old_cp.size, new_size, &hashes)
        }
        ProveTarget::Item(_) | ProveTarget::Event(_) => {
            let index = match &target {
                ProveTarget::Event(i) => *i,
                ProveTarget::Item(r) => item_event(archive, r)?,
                ProveTarget::Consistency(..) => 0,
            };
            let (note, size) = head(archive, checkpoint)?;
            let q = archive.db.q();
            if index >= size {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("event {index} is not in the tree of size {size}"),
                )
                .hint("prove against a later checkpoint (or none: a fresh one is signed)"));
            }
            let leaf = q
                .log_leaf(index)?
                .ok_or_else(|| integrity(format!("custody log event {index} is missing")))?;
            let path = merkle::inclusion_proof(&DbTree(&q), index, size)?;
            proof::inclusion_text(&leaf.event, index, &path, &note)
        }
    };
    Ok(ProveReport { proof: text, vkey })
}

/// The leaf index of an item's ingestion event.
fn item_event(archive: &Archive, reference: &str) -> Result<u64> {
    let q = archive.db.q();
    let item = match resolve(archive, reference)? {
        Target::Item(it) => it,
        Target::Object(o) => q.items_of(&o.blake3)?.into_iter().next().ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no item names object {}", o.blake3))
        })?,
    };
    let r = format!("item:{}", item.item_uuid);
    q.log_leaves_about(&r, "")?
        .into_iter()
        .find(|l| l.reference == r)
        .map(|l| l.idx as u64)
        .ok_or_else(|| {
            integrity(format!("item {} has no ingestion event in the custody log", item.id))
        })
}

/// What `verify-proof` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyProofReport {
    /// True if the proof holds.
    pub valid: bool,
    /// What it established.
    pub verified: Option<Verified>,
    /// Why it does not hold.
    pub problem: Option<String>,
}

/// Verify a proof file offline against the log's verifier key.
pub fn verify_proof(proof_text: &str, vkey: &str) -> Result<VerifyProofReport> {
    let v = note::parse_vkey(vkey).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("the verifier key is not valid: {e}"))
            .hint("pass the log's vkey as `custody log` or `custody checkpoint` print it")
    })?;
    if v.alg != ALG_ED25519 {
        return Err(Error::new(
            ErrorKind::Usage,
            "that is a witness (cosigner) key, not the log's key",
        ));
    }
    Ok(match proof::verify(proof_text, &v) {
        Ok(verified) => VerifyProofReport { valid: true, verified: Some(verified), problem: None },
        Err(problem) => VerifyProofReport { valid: false, verified: None, problem: Some(problem) },
    })
}

/// What `witness cosign` made.
#[derive(Debug, Clone, Serialize)]
pub struct CosignReport {
    /// The checkpoint with the cosignature line added.
    pub cosigned: String,
    /// The witness's verifier key (type 0x04), for `witness add`.
    pub witness_vkey: String,
}

/// Cosign a checkpoint as witness `name` (tlog-cosignature, cosignature/v1),
/// after checking that the log's key signed it.
pub fn witness_cosign(
    checkpoint_text: &str,
    key: &SecretKey,
    name: &str,
    log_vkey: &str,
    now: time::OffsetDateTime,
) -> Result<CosignReport> {
    if !note::valid_name(name) {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("witness name {name:?} has spaces or '+'"),
        )
        .hint("use a schema-less URL such as witness.example.org/custody"));
    }
    let v = note::parse_vkey(log_vkey)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("--log-vkey: {e}")))?;
    if v.alg != ALG_ED25519 {
        return Err(Error::new(ErrorKind::Usage, "--log-vkey is a cosigner key, not a log key"));
    }
    let mut note = checkpoint_note(checkpoint_text)?;
    proof::verify_checkpoint(&note, &v)
        .map_err(|e| Error::new(ErrorKind::Integrity, format!("refusing to cosign: {e}")))?;
    let ts = u64::try_from(now.unix_timestamp()).unwrap_or(0);
    note.cosign(name, key, ts);
    Ok(CosignReport {
        cosigned: note.to_text(),
        witness_vkey: note::vkey(name, ALG_COSIGNATURE_V1, &key.public()),
    })
}

/// What `witness add` stored.
#[derive(Debug, Clone, Serialize)]
pub struct WitnessAddReport {
    /// The checkpoint cosigned.
    pub checkpoint: i64,
    /// The witness.
    pub witness: String,
    /// Cosignature time (POSIX seconds).
    pub timestamp: u64,
}

/// Store a witness's cosignature of one of this archive's checkpoints,
/// after verifying it under the witness's key.
pub fn witness_add(
    archive: &mut Archive,
    cosigned: &str,
    witness_vkey: &str,
) -> Result<WitnessAddReport> {
    let v = note::parse_vkey(witness_vkey)
        .map_err(|e| Error::new(ErrorKind::Usage, format!("--vkey: {e}")))?;
    if v.alg != ALG_COSIGNATURE_V1 {
        return Err(Error::new(ErrorKind::Usage, "that is not a cosigner key (type 0x04)")
            .hint("use the witness_vkey `custody witness cosign` printed"));
    }
    let note = checkpoint_note(cosigned)?;
    let stored = archive
        .db
        .q()
        .checkpoints()?
        .into_iter()
        .find(|c| Note::parse(c.note.as_bytes()).is_ok_and(|n| n.text == note.text));
    let Some(stored) = stored else {
        return Err(Error::new(ErrorKind::NotFound, "this archive never issued that checkpoint")
            .hint("a witness can only cosign checkpoints made by this archive"));
    };
    let (ts, line) = note.cosigned_by(&v.name, &v.public).ok_or_else(|| {
        Error::new(
            ErrorKind::Integrity,
            format!("no valid cosignature by {} on this checkpoint", v.name),
        )
        .hint("check the witness key, and that the cosignature is over this very checkpoint")
    })?;
    let line = line.to_line();
    let now = archive.now();
    let tx = archive.db.tx()?;
    tx.add_cosignature(stored.id, &v.name, witness_vkey.trim(), line.trim_end(), ts, &now)?;
    tx.commit()?;
    Ok(WitnessAddReport { checkpoint: stored.id, witness: v.name, timestamp: ts })
}
