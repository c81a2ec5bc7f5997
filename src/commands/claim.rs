//! `claim`: sign a claim about an item's object (an analyst's location, a
//! verdict, a correction that supersedes an earlier claim), through the one
//! signing path (`claim::sign`), with the supersession rule
//! (`claim::review::may_supersede`) checked inside the write transaction.
//!
//! Must not: edit or delete a claim (a correction is a new claim), or let
//! a claim name an object the archive does not hold.

use std::collections::BTreeMap;

use serde::Serialize;

use super::inspect::claims_of;
use crate::archive::{Archive, Target};
use crate::claim::fields::{Fields, Related, parse_fields};
use crate::claim::review::{Discrepancy, Party, Refusal, Supersessions, may_supersede};
use crate::claim::sign::{NewClaim, Signer, made_by, sign_claim};
use crate::claim::{Basis, ClaimValue, Kind};
use crate::crypto::SecretKey;
use crate::db::ClaimRow;
use crate::error::{Error, ErrorKind, Result};
use crate::id::DigestSet;
use crate::text::{lossy, quoted};

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
    /// The new claim's number (or, when `recorded_now` is false, that of
    /// the identical claim the author had already made).
    pub claim: i64,
    /// False when the author's current claim already said exactly this (a
    /// re-run): nothing was signed.
    pub recorded_now: bool,
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
    let keyid = crate::trust::signer(&archive.db.read(), opts.key)?;
    let (digest, name, item_uuid) = match archive.resolve(&opts.target)? {
        Target::Item(it) => {
            let o = archive.db.read().object(&it.blake3)?.ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("no object row for {}", it.blake3))
                    .hint("run `custody audit`")
            })?;
            (o.digest(), lossy(&it.original_name), Some(it.item_uuid))
        }
        Target::Object(o) => (o.digest(), o.blake3.clone(), None),
    };
    let value = claim_value(archive, opts, &digest, item_uuid.as_ref())?;
    let now = archive.now();
    let archive_id = archive.identity()?.archive_id;
    let _lock = archive.lock_for_writing()?;
    let tx = archive.db.tx()?;
    let signer = Signer { archive_id: &archive_id, key: opts.key, keyid: &keyid, now: &now };
    let target = match &opts.supersedes {
        None => None,
        Some(r) => Some(tx.read().claim(r.trim())?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no claim {} in this archive", quoted(r)))
                .hint("use a claim number or UUID from `custody show`")
        })?),
    };
    // A re-run: the author's current claim already says exactly this.
    let mine = made_by(&tx, &signer, &digest.blake3, item_uuid.as_deref(), opts.kind, opts.basis)?;
    let siblings = tx.read().claims_of(&digest.blake3)?;
    let by = Supersessions::of(&siblings);
    let same = mine.iter().find(|m| {
        m.asserts(&value.0, value.1)
            && by.superseded_by(&m.row.claim_uuid).is_none()
            && m.predicate.supersedes.as_deref() == target.as_ref().map(|t| t.claim_uuid.as_str())
    });
    if let Some(same) = same.map(|m| m.row.id) {
        drop(tx); // nothing was written
        let (_, discrepancies) = claims_of(archive, &digest.blake3)?;
        return Ok(ClaimReport {
            claim: same,
            recorded_now: false,
            blake3: digest.blake3,
            supersedes: target.map(|t| t.id),
            discrepancies,
        });
    }
    // Checked inside the write transaction: two corrections cannot both
    // supersede the same claim.
    let new = Party {
        id: i64::MAX,
        object: &digest.blake3,
        kind: opts.kind.name(),
        basis: opts.basis.name(),
        author: &keyid,
    };
    let supersedes = match target {
        None => None,
        Some(t) => Some(superseded(t, &siblings, &new)?),
    };
    let new = NewClaim {
        value: value.0,
        basis: opts.basis,
        confidence: value.1,
        supersedes: supersedes.as_ref().map(|c| c.claim_uuid.clone()),
        item_uuid,
        raw: BTreeMap::new(),
    };
    let id = sign_claim(&tx, &signer, &digest, &name, new)?;
    crate::search::index::refresh(&tx, &digest.blake3)?;
    tx.commit()?;
    let (_, discrepancies) = claims_of(archive, &digest.blake3)?;
    Ok(ClaimReport {
        claim: id,
        recorded_now: true,
        blake3: digest.blake3,
        supersedes: supersedes.map(|c| c.id),
        discrepancies,
    })
}

/// The claim's value and confidence from its fields; `related_to` is
/// resolved in the archive.
fn claim_value(
    archive: &Archive,
    opts: &ClaimOptions<'_>,
    digest: &DigestSet,
    item_uuid: Option<&String>,
) -> Result<(ClaimValue, Option<crate::claim::Confidence>)> {
    let relate = |r: &str| match archive.resolve(r) {
        Ok(Target::Item(it)) => match archive.db.read().object(&it.blake3) {
            Ok(Some(o)) => Ok(Related { object: o.digest(), item: Some(it.item_uuid) }),
            _ => Err(format!("item {} names a missing object", it.id)),
        },
        Ok(Target::Object(o)) => Ok(Related { object: o.digest(), item: None }),
        Err(e) => Err(e.to_string()),
    };
    let parsed = parse_fields(&opts.fields, Some(opts.kind), &relate).map_err(|errs| {
        let lines: Vec<String> = errs
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect();
        Error::new(
            ErrorKind::Usage,
            format!("the {} claim is not valid:\n  {}", opts.kind.name(), lines.join("\n  ")),
        )
        .hint("nothing was recorded; fix the flags and run again")
    })?;
    let Some(value) = parsed.values.into_iter().next() else {
        return Err(Error::new(ErrorKind::Usage, "no claim value was given"));
    };
    // Items are what a relation links: two items of the same bytes may be
    // duplicates of each other, but nothing is related to itself.
    if let ClaimValue::Relation(r) = &value {
        let same_item = r.item.is_some() && r.item.as_ref() == item_uuid;
        let same_object =
            r.object.blake3 == digest.blake3 && (r.item.is_none() || item_uuid.is_none());
        if same_item || same_object {
            let what = if same_item { "an item" } else { "an object" };
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{what} cannot be related to itself"),
            )
            .hint("name the other item with --related-to (an item number or UUID)"));
        }
    }
    Ok((value, parsed.confidence))
}

/// The claim `c`, if the claim `new` may supersede it (`siblings`: the
/// claims about `new`'s object).
fn superseded(c: ClaimRow, siblings: &[ClaimRow], new: &Party<'_>) -> Result<ClaimRow> {
    let by = Supersessions::of(siblings);
    let others: Vec<i64> = by.of_claim(&c.claim_uuid).iter().map(|o| o.id).collect();
    let target =
        Party { id: c.id, object: &c.blake3, kind: &c.kind, basis: &c.basis, author: &c.keyid };
    let Err(refusal) = may_supersede(new, &target, &others) else { return Ok(c) };
    let usage = |m: String, h: String| Err(Error::new(ErrorKind::Usage, m).hint(h));
    match refusal {
        Refusal::OtherObject => usage(
            format!("claim {} is about another object", c.id),
            "a correction supersedes a claim about the same item".into(),
        ),
        Refusal::OtherKind(kind) => usage(
            format!("claim {} is a {kind} claim, not {}", c.id, new.kind),
            "a correction is a claim of the same kind".into(),
        ),
        Refusal::Embedded => usage(
            format!("claim {} was read from the file itself and cannot be superseded", c.id),
            "make your own claim; show will flag where it disagrees with the file".into(),
        ),
        Refusal::OtherAuthor(author) => usage(
            format!("claim {} is another author's ({author})", c.id),
            "only its author can correct a claim; make your own claim instead".into(),
        ),
        Refusal::AlreadySuperseded(by) => {
            let later = by.first().copied().unwrap_or_default();
            usage(
                format!("claim {} was already superseded by claim {later}", c.id),
                format!("supersede the current claim instead: --supersedes {later}"),
            )
        }
        Refusal::NotEarlier => usage(
            format!("claim {} was recorded after this one", c.id),
            "supersede an earlier claim".into(),
        ),
    }
}
