//! Checking one claim row against its signed record: signature, key status
//! at signing time, subject digests against the object, the value's rules,
//! supersession (a real, earlier claim about the same object and kind) and
//! every derived column.
//!
//! Must not: read the database (the caller hands in rows) or repair.

use std::collections::HashMap;

use super::{Code, Finding, Keys, finding, open_record, revoked_before};
use crate::claim::{CLAIM_PREDICATE, ClaimPredicate, basis_name, kind_name};
use crate::db::{ClaimRow, ObjectRow, RecordRow};

/// Check a claim; returns the signed predicate when its signature verified
/// (even if other findings were made), and the findings.
pub(crate) fn check_claim(
    c: &ClaimRow,
    rec: Option<&RecordRow>,
    object: Option<&ObjectRow>,
    keys: &Keys,
    archive_id: &str,
    by_uuid: &HashMap<&str, &ClaimRow>,
) -> (Option<ClaimPredicate>, Vec<Finding>) {
    let subject = format!("claim {}", c.id);
    let mut out = Vec::new();
    let Some(rec) = rec else {
        out.push(finding(
            Code::MissingRecord,
            subject,
            format!("claims row {}", c.id),
            format!("its signed record {} is missing", c.record_id),
            "restore the records table from a backup; a claim without its signed record is unproven",
        ));
        return (None, out);
    };
    let loc = format!("records row {}", rec.id);
    let v = match open_record::<ClaimPredicate>(rec, keys, &subject) {
        Ok(v) => v,
        Err(f) => {
            out.push(*f);
            return (None, out);
        }
    };
    let st = &v.statement;
    let p = &st.predicate;
    if let Some(f) = revoked_before(keys, &v.keyid, &p.signed_at, &subject, &loc) {
        out.push(f);
    }
    if let Err(why) = p.claim.check() {
        out.push(finding(
            Code::MalformedRecord,
            subject.clone(),
            loc.clone(),
            format!("the signed claim breaks the claim rules: {why}"),
            "treat the claim as unusable; its author should make a corrected claim that supersedes it",
        ));
    }
    let mut edited = |col: &str, signed: &str, column: &str| {
        out.push(finding(
            Code::EditedColumn,
            subject.clone(),
            format!("{col} (row {})", c.id),
            format!("column says {column:?}, the signed record says {signed:?}"),
            "the signed record is authoritative: restore the column from it or from a backup",
        ));
    };
    let none = String::new();
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let signed_blake3 = st.subject.first().map(|s| s.digest.blake3.as_str()).unwrap_or_default();
    for (col, signed, column) in [
        (
            "records.kind",
            if st.predicate_type == CLAIM_PREDICATE { "claim" } else { &st.predicate_type },
            rec.kind.as_str(),
        ),
        ("records.keyid", v.keyid.as_str(), rec.keyid.as_str()),
        ("records.blake3", signed_blake3, rec.blake3.as_str()),
        ("claims.claim_uuid", p.claim_id.as_str(), c.claim_uuid.as_str()),
        ("claims.blake3", signed_blake3, c.blake3.as_str()),
        ("claims.kind", kind_name(p.claim.kind()), c.kind.as_str()),
        ("claims.basis", basis_name(p.basis), c.basis.as_str()),
        ("claims.keyid", v.keyid.as_str(), c.keyid.as_str()),
        ("claims.signed_at", p.signed_at.as_str(), c.signed_at.as_str()),
        ("claim author", v.keyid.as_str(), p.author.as_str()),
        ("archive.archive_id", p.archive_id.as_str(), archive_id),
    ] {
        if signed != column {
            edited(col, signed, column);
        }
    }
    let (sup, item) = (opt(&p.supersedes), opt(&p.item_id));
    if sup != opt(&c.supersedes) {
        edited("claims.supersedes", &sup, c.supersedes.as_ref().unwrap_or(&none));
    }
    if item != opt(&c.item_uuid) {
        edited("claims.item_uuid", &item, c.item_uuid.as_ref().unwrap_or(&none));
    }
    let mismatch = match (st.subject.first(), object) {
        (None, _) => Some("the claim has no subject".to_owned()),
        (Some(_), None) => Some(format!("no object row for {signed_blake3}")),
        (Some(d), Some(o)) if d.digest.blake3 != o.blake3 || d.digest.sha256 != o.sha256 => {
            Some(format!(
                "signed digests {}/{} but the object row has {}/{}",
                d.digest.blake3, d.digest.sha256, o.blake3, o.sha256
            ))
        }
        _ => None,
    };
    if let Some(m) = mismatch {
        out.push(finding(
            Code::SubjectMismatch,
            subject.clone(),
            loc.clone(),
            m,
            "the signed claim is authoritative: restore the claim and object rows from a backup",
        ));
    }
    if let Some(target) = &p.supersedes {
        let rivals = by_uuid.values().filter(|o| o.supersedes.as_deref() == Some(target)).count();
        let why = match by_uuid.get(target.as_str()) {
            None => Some(format!("it supersedes claim {target}, which is not in the archive")),
            Some(t) if t.basis == "embedded" => {
                Some(format!("it supersedes claim {}, which was read from the file", t.id))
            }
            Some(t) if t.keyid != v.keyid => {
                Some(format!("it supersedes claim {}, another author's", t.id))
            }
            Some(t) if rivals > 1 => {
                Some(format!("claim {} is superseded by {rivals} claims, not one", t.id))
            }
            Some(t) if t.blake3 != signed_blake3 => {
                Some(format!("it supersedes claim {}, which is about another object", t.id))
            }
            Some(t) if t.kind != kind_name(p.claim.kind()) => {
                Some(format!("it supersedes claim {}, a {} claim", t.id, t.kind))
            }
            Some(t) if t.id >= c.id => {
                Some(format!("it supersedes claim {}, which was recorded after it", t.id))
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            out.push(finding(
                Code::BadSupersedes,
                subject,
                loc,
                why,
                "restore the superseded claim from a backup if it was deleted; otherwise the \
                 correction is unanchored: its author should re-issue it against the right claim",
            ));
        }
    }
    (Some(v.statement.predicate), out)
}
