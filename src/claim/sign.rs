//! The one path by which a claim enters the archive — an analyst's claim,
//! a collector's at ingest, a value read from the file: check it against
//! the claim rules, sign it as a DSSE envelope around an in-toto
//! statement, and record the envelope, its custody-log event and its claim
//! row inside the caller's transaction. Beside it, `made_by`: what a
//! signer already recorded, so that re-running a command never signs the
//! same assertion twice.
//!
//! Must not: decide whether a claim may supersede another (the caller
//! checks `review::may_supersede` inside the same transaction), or commit.

use std::collections::BTreeMap;

use super::{Basis, CLAIM_PREDICATE, ClaimPredicate, ClaimValue, Confidence, Kind};
use crate::crypto::SecretKey;
use crate::custody_log::{self, Event};
use crate::db::{ClaimRow, Tx};
use crate::error::{Error, ErrorKind, Result};
use crate::id::DigestSet;
use crate::record;

/// Who signs, in which archive, when.
pub struct Signer<'a> {
    /// The archive's id.
    pub archive_id: &'a str,
    /// The signing key.
    pub key: &'a SecretKey,
    /// Its id.
    pub keyid: &'a str,
    /// Signing time (RFC 3339 UTC).
    pub now: &'a str,
}

/// A claim to sign.
pub struct NewClaim {
    /// The value.
    pub value: ClaimValue,
    /// Basis.
    pub basis: Basis,
    /// Confidence.
    pub confidence: Option<Confidence>,
    /// UUID of the claim it supersedes.
    pub supersedes: Option<String>,
    /// The item it is made with.
    pub item_uuid: Option<String>,
    /// Raw values (embedded metadata).
    pub raw: BTreeMap<String, String>,
}

/// Sign a claim about the object `digest` (subject `name`) and record it
/// in `tx`; returns its number.
pub fn sign_claim(
    tx: &Tx<'_>,
    s: &Signer<'_>,
    digest: &DigestSet,
    name: &str,
    c: NewClaim,
) -> Result<i64> {
    let kind = c.value.kind().name();
    // Nothing that breaks the claim rules is ever signed.
    c.value.check().map_err(|why| {
        Error::new(ErrorKind::InvalidInput, format!("the {kind} claim is not valid: {why}"))
    })?;
    let claim_uuid = uuid::Uuid::new_v4().to_string();
    let predicate = ClaimPredicate {
        archive_id: s.archive_id.into(),
        claim_id: claim_uuid.clone(),
        signed_at: s.now.into(),
        author: s.keyid.into(),
        basis: c.basis,
        confidence: c.confidence,
        supersedes: c.supersedes.clone(),
        item_id: c.item_uuid.clone(),
        claim: c.value,
        raw: c.raw,
    };
    let statement = record::statement(name, digest, CLAIM_PREDICATE, predicate);
    let envelope = record::sign(&statement, s.key);
    let record_id =
        tx.insert_record(record::RecordKind::Claim, &digest.blake3, s.keyid, &envelope, s.now)?;
    custody_log::append(tx, &Event::claim(s.now, s.keyid, digest, &envelope, &claim_uuid))?;
    tx.insert_claim(&ClaimRow {
        id: 0,
        claim_uuid,
        blake3: digest.blake3.clone(),
        kind: kind.into(),
        basis: c.basis.name().into(),
        keyid: s.keyid.into(),
        signed_at: s.now.into(),
        supersedes: c.supersedes,
        item_uuid: c.item_uuid,
        record_id,
    })
}

/// A claim a signer made, with its signed predicate.
pub struct Made {
    /// Its row.
    pub row: ClaimRow,
    /// What it signed.
    pub predicate: ClaimPredicate,
}

impl Made {
    /// Whether it asserts `value` with `confidence`.
    pub fn asserts(&self, value: &ClaimValue, confidence: Option<Confidence>) -> bool {
        self.predicate.claim == *value && self.predicate.confidence == confidence
    }
}

/// The claims of `kind` on `basis` that `signer` made about the object
/// `blake3` (with `item_uuid`, or with no item), oldest first, each opened
/// with the signer's key (one that does not verify is left out: the audit
/// reports it).
pub fn made_by(
    tx: &Tx<'_>,
    signer: &Signer<'_>,
    blake3: &str,
    item_uuid: Option<&str>,
    kind: Kind,
    basis: Basis,
) -> Result<Vec<Made>> {
    let public = signer.key.public();
    let mut out = Vec::new();
    for row in tx.read().claims_of(blake3)? {
        if row.keyid != signer.keyid
            || row.kind != kind.name()
            || row.basis != basis.name()
            || row.item_uuid.as_deref() != item_uuid
        {
            continue;
        }
        let Some(rec) = tx.read().record(row.record_id)? else { continue };
        let opened = record::open::<ClaimPredicate>(&rec.envelope, |k| {
            (k == signer.keyid).then_some(public)
        });
        if let Ok(v) = opened {
            out.push(Made { row, predicate: v.statement.predicate });
        }
    }
    Ok(out)
}
