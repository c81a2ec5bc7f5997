//! The custody log's proofs: `checkpoint` (sign and store the tree head),
//! `prove` (an inclusion proof of an item or event, or a consistency proof
//! between two checkpoints) and `verify_proof` (offline, no archive needed).
//!
//! Must not: append events (the commands that change the archive do), or
//! prove anything against a checkpoint this log does not extend.

use serde::Serialize;

use crate::archive::{Archive, Target};
use crate::crypto::SecretKey;
use crate::custody_log::merkle::{self, Hash};
use crate::custody_log::note::{self, ALG_ED25519, Checkpoint, Note};
use crate::custody_log::proof::{self, Verified};
use crate::custody_log::{self, DbTree};
use crate::error::{Error, ErrorKind, Result};

/// The archive's log verifier key (`name+id+key`), creating the key if the
/// archive has none yet.
fn log_vkey(archive: &Archive) -> Result<(SecretKey, String, String)> {
    let id = archive.identity()?.archive_id;
    let key = custody_log::log_key(&archive.db.read(), archive.root(), &id, &archive.now())?;
    let origin = custody_log::origin(&id);
    let vkey = note::vkey(&origin, ALG_ED25519, &key.public());
    Ok((key, vkey, id))
}

/// The log's verifier key from its public half (nothing is created).
fn public_vkey(archive: &Archive) -> Result<String> {
    let id = archive.identity()?.archive_id;
    let public = custody_log::log_public(archive.root())?.ok_or_else(|| {
        Error::new(ErrorKind::Integrity, "the archive has no log key (log.key.pub)")
            .hint("run `custody checkpoint` where the archive is writable, or restore log.key.pub")
    })?;
    Ok(note::vkey(&custody_log::origin(&id), ALG_ED25519, &public))
}

/// The latest stored checkpoint that this log extends.
fn latest_checkpoint(archive: &Archive, vkey: &str) -> Result<(Note, u64)> {
    let stored = archive.db.read().checkpoints()?;
    let last = stored.last().ok_or_else(|| {
        Error::new(ErrorKind::ReadOnly, "the archive is read-only and has no stored checkpoint")
            .hint("prove against a checkpoint you kept: --checkpoint FILE")
    })?;
    our_checkpoint(archive, &last.note, vkey).map(|(n, cp)| (n, cp.size))
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
            let keyid = crate::trust::signer(&archive.db.read(), k)?;
            Some((format!("custody.invalid/key/{}", &keyid[..16.min(keyid.len())]), k))
        }
        None => None,
    };
    let now = archive.now();
    let _lock = archive.lock_for_writing()?;
    let tx = archive.db.tx()?;
    let size = tx.read().log_size()?;
    let also = also.as_ref().map(|(name, k)| (name.as_str(), *k));
    let (id, note) = custody_log::sign_checkpoint(&tx, &log_key, also, &archive_id, size, &now)?;
    tx.commit()?;
    Ok(CheckpointReport { id, size, note: note.to_text(), vkey })
}

/// A signed note given by the user (not yet checked against any key).
pub(crate) fn checkpoint_note(text: &str) -> Result<Note> {
    Note::parse(text.as_bytes())
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("not a checkpoint: {e}")))
}

fn integrity(why: String) -> Error {
    Error::new(ErrorKind::Integrity, why).hint("run `custody audit`")
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
    let q = archive.db.read();
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
    let vkey = public_vkey(archive)?;
    // The checkpoint to prove against: the one given, or a fresh one (on a
    // read-only archive, the latest one stored).
    let head = |archive: &mut Archive, given: Option<&str>| -> Result<(Note, u64)> {
        match given {
            Some(text) => our_checkpoint(archive, text, &vkey).map(|(n, cp)| (n, cp.size)),
            None if archive.is_read_only() => latest_checkpoint(archive, &vkey),
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
            let q = archive.db.read();
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
            let q = archive.db.read();
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
    let q = archive.db.read();
    let item = match archive.resolve(reference)? {
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
