//! `claim`: sign a claim about an item's object (an analyst's location, a
//! verdict, a correction that supersedes an earlier claim), plus the one
//! path every claim takes into the archive — ingest's embedded and
//! collector claims included — and the claim view `show` renders.
//!
//! Must not: edit or delete a claim (a correction is a new claim), or let
//! a claim name an object the archive does not hold.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::inspect::{Target, resolve};
use crate::Archive;
use crate::audit::{Keys, check_claim, load_keys};
use crate::claim::review::{self, Discrepancy, Reviewed};
use crate::claim::{
    Basis, CLAIM_PREDICATE, ClaimPredicate, ClaimValue, Confidence, Fields, Kind, basis_name,
    kind_name, parse_fields,
};
use crate::crypto::SecretKey;
use crate::db::{ClaimRow, Q, Tx};
use crate::error::{Error, ErrorKind, Result};
use crate::record::{self, DigestSet, Statement, Subject};

/// Who signs, in which archive, when.
pub(crate) struct Signer<'a> {
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
pub(crate) struct NewClaim {
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

/// Sign a claim about the object `digest` and record it; returns its number.
pub(crate) fn add_claim(
    tx: &Tx<'_>,
    s: &Signer<'_>,
    digest: &DigestSet,
    name: &str,
    c: NewClaim,
) -> Result<i64> {
    // Nothing that breaks the claim rules is ever signed.
    c.value.check().map_err(|why| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the {} claim is not valid: {why}", kind_name(c.value.kind())),
        )
    })?;
    let claim_uuid = uuid::Uuid::new_v4().to_string();
    let kind = kind_name(c.value.kind());
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
    let statement = Statement {
        statement_type: record::STATEMENT_TYPE.into(),
        subject: vec![Subject { name: name.into(), digest: digest.clone() }],
        predicate_type: CLAIM_PREDICATE.into(),
        predicate,
    };
    let envelope = record::sign(&statement, s.key);
    let record_id = tx.add_record("claim", &digest.blake3, s.keyid, &envelope, s.now)?;
    crate::log::append(
        tx,
        &crate::log::Event::claim(s.now, s.keyid, digest, &envelope, &claim_uuid),
    )?;
    tx.add_claim(&ClaimRow {
        id: 0,
        claim_uuid,
        blake3: digest.blake3.clone(),
        kind: kind.into(),
        basis: basis_name(c.basis).into(),
        keyid: s.keyid.into(),
        signed_at: s.now.into(),
        supersedes: c.supersedes,
        item_uuid: c.item_uuid,
        record_id,
    })
}

/// Options for `claim`.
pub struct ClaimOptions<'k> {
    /// Item number / UUID, or object hash (prefix).
    pub target: String,
    /// Kind.
    pub kind: Kind,
    /// Basis (not `embedded`: that is read from the file at ingest).
    pub basis: Basis,
    /// The claim's fields.
    pub fields: Fields,
    /// The claim it corrects (number or UUID).
    pub supersedes: Option<String>,
    /// The author's key.
    pub key: &'k SecretKey,
}

/// What `claim` recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimReport {
    /// The new claim's number.
    pub claim: i64,
    /// Its object.
    pub blake3: String,
    /// The claim it supersedes.
    pub supersedes: Option<i64>,
    /// The object's discrepancies now.
    pub discrepancies: Vec<Discrepancy>,
}

/// Sign and record one claim.
pub fn claim(archive: &mut Archive, opts: &ClaimOptions<'_>) -> Result<ClaimReport> {
    if opts.basis == Basis::Embedded {
        return Err(Error::new(
            ErrorKind::Usage,
            "basis `embedded` is reserved for metadata read from the file at ingest",
        )
        .hint("use --basis analyst, claimed or device"));
    }
    let keyid = super::check_signer(&archive.db.q(), opts.key)?;
    let (digest, name, item_uuid) = match resolve(archive, &opts.target)? {
        Target::Item(it) => {
            let o = archive.db.q().object(&it.blake3)?.ok_or_else(|| missing_object(&it.blake3))?;
            let name = super::lossy(&it.original_name);
            (o.digest(), name, Some(it.item_uuid))
        }
        Target::Object(o) => (o.digest(), o.blake3, None),
    };
    let relate = |r: &str| match resolve(archive, r) {
        Ok(Target::Item(it)) => archive
            .db
            .q()
            .object(&it.blake3)
            .ok()
            .flatten()
            .map(|o| o.digest())
            .ok_or_else(|| format!("item {} names a missing object", it.id)),
        Ok(Target::Object(o)) => Ok(o.digest()),
        Err(e) => Err(e.to_string()),
    };
    let parsed = parse_fields(&opts.fields, Some(opts.kind), &relate).map_err(|errs| {
        let lines: Vec<String> = errs
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect();
        Error::new(
            ErrorKind::Usage,
            format!("the {} claim is not valid:\n  {}", kind_name(opts.kind), lines.join("\n  ")),
        )
        .hint("nothing was recorded; fix the flags and run again")
    })?;
    let Some(value) = parsed.values.into_iter().next() else {
        return Err(Error::new(ErrorKind::Usage, "no claim value was given"));
    };
    if let ClaimValue::Relation(r) = &value
        && r.object.blake3 == digest.blake3
    {
        return Err(Error::new(ErrorKind::Usage, "an object cannot be related to itself")
            .hint("name the other item with --related-to"));
    }
    let now = archive.now();
    let archive_id = archive.identity()?.archive_id;
    let _lock = archive.lock_for_writing()?;
    let tx = archive.db.tx()?;
    // Checked inside the write transaction: two corrections cannot both
    // supersede the same claim.
    let supersedes = match &opts.supersedes {
        None => None,
        Some(r) => Some(superseded(&tx.q(), r, &digest.blake3, opts.kind, &keyid)?),
    };
    let signer = Signer { archive_id: &archive_id, key: opts.key, keyid: &keyid, now: &now };
    let id = add_claim(
        &tx,
        &signer,
        &digest,
        &name,
        NewClaim {
            value,
            basis: opts.basis,
            confidence: parsed.confidence,
            supersedes: supersedes.as_ref().map(|c| c.claim_uuid.clone()),
            item_uuid,
            raw: BTreeMap::new(),
        },
    )?;
    tx.commit()?;
    let (_, discrepancies) = claims_of(archive, &digest.blake3)?;
    Ok(ClaimReport {
        claim: id,
        blake3: digest.blake3,
        supersedes: supersedes.map(|c| c.id),
        discrepancies,
    })
}

fn missing_object(blake3: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no object row for {blake3}"))
        .hint("run `custody audit`")
}

/// The claim `reference` names, if a new `kind` claim about `blake3` by
/// `author` may supersede it: same object, same kind, same author, not
/// embedded, not already superseded. (Another author who disagrees makes
/// their own claim: the disagreement stays visible.)
fn superseded(
    q: &Q<'_>,
    reference: &str,
    blake3: &str,
    kind: Kind,
    author: &str,
) -> Result<ClaimRow> {
    let c = q.claim(reference.trim())?.ok_or_else(|| {
        Error::new(ErrorKind::NotFound, format!("no claim {reference:?} in this archive"))
            .hint("use a claim number or UUID from `custody show`")
    })?;
    if c.blake3 != blake3 {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("claim {} is about another object", c.id),
        )
        .hint("a correction supersedes a claim about the same item"));
    }
    if c.kind != kind_name(kind) {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("claim {} is a {} claim, not {}", c.id, c.kind, kind_name(kind)),
        )
        .hint("a correction is a claim of the same kind"));
    }
    if c.basis == "embedded" {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("claim {} was read from the file itself and cannot be superseded", c.id),
        )
        .hint("make your own claim; show will flag where it disagrees with the file"));
    }
    if c.keyid != author {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("claim {} is another author's ({})", c.id, c.keyid),
        )
        .hint("only its author can correct a claim; make your own claim instead"));
    }
    if let Some(later) =
        q.claims_of(blake3)?.iter().find(|o| o.supersedes.as_deref() == Some(&c.claim_uuid))
    {
        return Err(Error::new(
            ErrorKind::Usage,
            format!("claim {} was already superseded by claim {}", c.id, later.id),
        )
        .hint(format!("supersede the current claim instead: --supersedes {}", later.id)));
    }
    Ok(c)
}

/// A claim as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    /// Claim number.
    pub claim: i64,
    /// UUID.
    pub uuid: String,
    /// Kind.
    pub kind: String,
    /// Basis.
    pub basis: String,
    /// Author key id.
    pub author_keyid: String,
    /// Author's registered name.
    pub author: Option<String>,
    /// Signing time.
    pub signed_at: String,
    /// Confidence.
    pub confidence: Option<Confidence>,
    /// The claim it supersedes (number).
    pub supersedes: Option<i64>,
    /// The claim that supersedes it (number).
    pub superseded_by: Option<i64>,
    /// True if nothing supersedes it.
    pub current: bool,
    /// The item it was made with.
    pub item_uuid: Option<String>,
    /// The signed value (absent if the signature does not verify).
    pub value: Option<ClaimValue>,
    /// Raw embedded values.
    pub raw: BTreeMap<String, String>,
    /// True when the signature verifies and every check passes.
    pub verified: bool,
    /// What is wrong, if anything.
    pub problems: Vec<String>,
}

/// Every claim about an object (by kind, then age) and its discrepancies
/// (among verified claims only).
pub(crate) fn claims_of(
    archive: &Archive,
    blake3: &str,
) -> Result<(Vec<ClaimView>, Vec<Discrepancy>)> {
    let q = archive.db.q();
    let mut ignored = Vec::new();
    let key_rows = q.keys()?;
    let keys: Keys = load_keys(&key_rows, &mut ignored);
    let owners: HashMap<&str, &str> =
        key_rows.iter().map(|k| (k.keyid.as_str(), k.owner.as_str())).collect();
    let archive_id = archive.identity()?.archive_id;
    let object = q.object(blake3)?;
    let rows = q.claims_of(blake3)?;
    let by_uuid: HashMap<&str, &ClaimRow> =
        rows.iter().map(|c| (c.claim_uuid.as_str(), c)).collect();
    let mut views = Vec::new();
    for c in &rows {
        let rec = q.record(c.record_id)?;
        let (p, findings) =
            check_claim(c, rec.as_ref(), object.as_ref(), &keys, &archive_id, &by_uuid);
        let superseded_by =
            rows.iter().find(|o| o.supersedes.as_deref() == Some(&c.claim_uuid)).map(|o| o.id);
        views.push(ClaimView {
            claim: c.id,
            uuid: c.claim_uuid.clone(),
            kind: c.kind.clone(),
            basis: c.basis.clone(),
            author_keyid: c.keyid.clone(),
            author: owners.get(c.keyid.as_str()).map(|s| (*s).to_owned()),
            signed_at: c.signed_at.clone(),
            confidence: p.as_ref().and_then(|p| p.confidence),
            supersedes: c.supersedes.as_deref().and_then(|u| by_uuid.get(u)).map(|o| o.id),
            superseded_by,
            current: superseded_by.is_none(),
            item_uuid: c.item_uuid.clone(),
            raw: p.as_ref().map(|p| p.raw.clone()).unwrap_or_default(),
            value: p.map(|p| p.claim),
            verified: findings.is_empty(),
            problems: findings
                .iter()
                .map(|f| format!("{}: {}", f.code.as_str(), f.message))
                .collect(),
        });
    }
    let kind_rank =
        |k: &str| crate::claim::KINDS.iter().position(|x| kind_name(*x) == k).unwrap_or(usize::MAX);
    views.sort_by_key(|v| (kind_rank(&v.kind), v.claim));
    let basis_of =
        |b: &str| serde_json::from_value::<Basis>(serde_json::Value::String(b.into())).ok();
    let reviewed: Vec<Reviewed<'_>> = views
        .iter()
        .filter(|v| v.verified)
        .filter_map(|v| {
            Some(Reviewed {
                id: v.claim,
                uuid: &v.uuid,
                author: &v.author_keyid,
                basis: basis_of(&v.basis)?,
                supersedes: rows
                    .iter()
                    .find(|r| r.id == v.claim)
                    .and_then(|r| r.supersedes.as_deref()),
                value: v.value.as_ref()?,
            })
        })
        .collect();
    let discrepancies = review::discrepancies(&reviewed, archive.now_utc());
    Ok((views, discrepancies))
}
