//! Checking one claim row against its signed record: signature, key status
//! at signing time, subject digests against the object, the value's rules,
//! supersession (`review::may_supersede`, the rule the write path applies)
//! and every derived column.
//!
//! Must not: read the database (the caller hands in rows) or repair.

use std::collections::HashMap;

use super::items::edited;
use crate::claim::review::{Party, Refusal, Supersessions, may_supersede};
use crate::claim::{CLAIM_PREDICATE, ClaimPredicate};
use crate::db::{ClaimRow, ObjectRow, RecordRow};
use crate::finding::{Code, Finding};
use crate::record::{RecordKind, Verified};
use crate::trust::{Keys, RecordOf, Verdicts, open_record, revoked_before};

/// What every claim is checked against.
pub struct ClaimContext<'a> {
    /// The archive's keys.
    pub keys: &'a Keys,
    /// The archive's id.
    pub archive_id: &'a str,
    /// Claims by UUID (of the object, or of the archive).
    pub by_uuid: &'a HashMap<&'a str, &'a ClaimRow>,
    /// Who supersedes whom among them.
    pub supersessions: &'a Supersessions<'a, ClaimRow>,
    /// Verdicts on records' signatures reached beforehand.
    pub verdicts: &'a Verdicts,
}

/// Check a claim; returns the signed predicate when its signature verified
/// (even if other findings were made), and the findings.
pub fn check_claim(
    c: &ClaimRow,
    rec: Option<&RecordRow>,
    object: Option<&ObjectRow>,
    cx: &ClaimContext<'_>,
) -> (Option<ClaimPredicate>, Vec<Finding>) {
    let subject = format!("claim {}", c.id);
    let of = RecordOf {
        subject: &subject,
        row: &format!("claims row {}", c.id),
        record_id: c.record_id,
        record: "signed record",
        whose: "a claim",
    };
    let v = match open_record::<ClaimPredicate>(rec, cx.keys, cx.verdicts, &of) {
        Ok(v) => v,
        Err(f) => return (None, vec![*f]),
    };
    let Some(rec) = rec else { return (None, Vec::new()) };
    let loc = format!("records row {}", rec.id);
    let p = &v.statement.predicate;
    let mut out = Vec::new();
    if let Some(f) = revoked_before(cx.keys, &v.keyid, &p.signed_at, &subject, &loc) {
        out.push(f);
    }
    if let Err(why) = p.claim.check() {
        out.push(Finding::new(
            Code::MalformedRecord,
            &subject,
            &loc,
            format!("the signed claim breaks the claim rules: {why}"),
            "treat the claim as unusable; its author should make a corrected claim that supersedes it",
        ));
    }
    out.extend(edited_columns(c, rec, &v, cx.keys.archive_of(&v.keyid, cx.archive_id)));
    if let Some(m) = subject_mismatch(&v, object) {
        out.push(Finding::new(
            Code::SubjectMismatch,
            &subject,
            &loc,
            m,
            "the signed claim is authoritative: restore the claim and object rows from a backup",
        ));
    }
    if let Some(why) = bad_supersedes(c, &v, cx) {
        out.push(Finding::new(
            Code::BadSupersedes,
            &subject,
            &loc,
            why,
            "restore the superseded claim from a backup if it was deleted; otherwise the \
             correction is unanchored: its author should re-issue it against the right claim",
        ));
    }
    (Some(v.statement.predicate), out)
}

fn signed_blake3(v: &Verified<ClaimPredicate>) -> &str {
    v.statement.subject.first().map(|s| s.digest.blake3.as_str()).unwrap_or_default()
}

/// Every derived column of the claim and its record against the signed
/// predicate.
fn edited_columns(
    c: &ClaimRow,
    rec: &RecordRow,
    v: &Verified<ClaimPredicate>,
    archive_id: &str,
) -> Vec<Finding> {
    let st = &v.statement;
    let p = &st.predicate;
    let blake3 = signed_blake3(v);
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let claim = RecordKind::Claim.name();
    let kind = if st.predicate_type == CLAIM_PREDICATE { claim } else { &st.predicate_type };
    let columns: [(&str, String, String); 13] = [
        ("records.kind", kind.into(), rec.kind.clone()),
        ("records.keyid", v.keyid.clone(), rec.keyid.clone()),
        ("records.blake3", blake3.into(), rec.blake3.clone()),
        ("claims.claim_uuid", p.claim_id.clone(), c.claim_uuid.clone()),
        ("claims.blake3", blake3.into(), c.blake3.clone()),
        ("claims.kind", p.claim.kind().name().into(), c.kind.clone()),
        ("claims.basis", p.basis.name().into(), c.basis.clone()),
        ("claims.keyid", v.keyid.clone(), c.keyid.clone()),
        ("claims.signed_at", p.signed_at.clone(), c.signed_at.clone()),
        ("claim author", v.keyid.clone(), p.author.clone()),
        ("archive.archive_id", p.archive_id.clone(), archive_id.into()),
        ("claims.supersedes", opt(&p.supersedes), opt(&c.supersedes)),
        ("claims.item_uuid", opt(&p.item_id), opt(&c.item_uuid)),
    ];
    let subject = format!("claim {}", c.id);
    columns
        .into_iter()
        .filter(|(_, signed, column)| signed != column)
        .map(|(col, signed, column)| edited(&subject, col, c.id, &signed, &column))
        .collect()
}

/// Why the signed subject is not the claim's object, if it is not.
fn subject_mismatch(v: &Verified<ClaimPredicate>, object: Option<&ObjectRow>) -> Option<String> {
    match (v.statement.subject.first(), object) {
        (None, _) => Some("the claim has no subject".to_owned()),
        (Some(_), None) => Some(format!("no object row for {}", signed_blake3(v))),
        (Some(d), Some(o)) if d.digest.blake3 != o.blake3 || d.digest.sha256 != o.sha256 => {
            Some(format!(
                "signed digests {}/{} but the object row has {}/{}",
                d.digest.blake3, d.digest.sha256, o.blake3, o.sha256
            ))
        }
        _ => None,
    }
}

/// Why the claim's signed `supersedes` breaks the supersession rule.
fn bad_supersedes(
    c: &ClaimRow,
    v: &Verified<ClaimPredicate>,
    cx: &ClaimContext<'_>,
) -> Option<String> {
    let p = &v.statement.predicate;
    let target = p.supersedes.as_deref()?;
    let Some(t) = cx.by_uuid.get(target) else {
        return Some(format!("it supersedes claim {target}, which is not in the archive"));
    };
    let new = Party {
        id: c.id,
        object: signed_blake3(v),
        kind: p.claim.kind().name(),
        basis: p.basis.name(),
        author: &v.keyid,
    };
    let old =
        Party { id: t.id, object: &t.blake3, kind: &t.kind, basis: &t.basis, author: &t.keyid };
    let others: Vec<i64> =
        cx.supersessions.of_claim(target).iter().map(|o| o.id).filter(|id| *id != c.id).collect();
    let refusal = may_supersede(&new, &old, &others).err()?;
    Some(match refusal {
        Refusal::OtherObject => {
            format!("it supersedes claim {}, which is about another object", t.id)
        }
        Refusal::OtherKind(kind) => format!("it supersedes claim {}, a {kind} claim", t.id),
        Refusal::Embedded => format!("it supersedes claim {}, which was read from the file", t.id),
        Refusal::OtherAuthor(_) => format!("it supersedes claim {}, another author's", t.id),
        Refusal::AlreadySuperseded(by) => {
            format!("claim {} is superseded by {} claims, not one", t.id, by.len() + 1)
        }
        Refusal::NotEarlier => {
            format!("it supersedes claim {}, which was recorded after it", t.id)
        }
    })
}
