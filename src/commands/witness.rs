//! The witness side of the custody log: `witness_cosign` (another
//! organisation cosigns a checkpoint after checking the log's signature;
//! no archive needed) and `witness_add` (the archive stores a cosignature
//! of one of its own checkpoints after checking it).
//!
//! Must not: store a cosignature that does not verify, or one of a
//! checkpoint this archive never issued.

use serde::Serialize;

use super::proof::checkpoint_note;
use crate::archive::Archive;
use crate::crypto::SecretKey;
use crate::custody_log::note::{self, ALG_COSIGNATURE_V1, ALG_ED25519, Note};
use crate::custody_log::proof;
use crate::error::{Error, ErrorKind, Result};

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
    /// False when this very cosignature was already stored (a re-run).
    pub stored_now: bool,
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
        .read()
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
    let known = tx.read().cosignatures()?;
    let again = known.iter().any(|c| c.checkpoint_id == stored.id && c.line == line.trim_end());
    if !again {
        tx.insert_cosignature(stored.id, &v.name, witness_vkey.trim(), line.trim_end(), ts, &now)?;
        tx.commit()?;
    }
    Ok(WitnessAddReport {
        checkpoint: stored.id,
        witness: v.name,
        timestamp: ts,
        stored_now: !again,
    })
}
