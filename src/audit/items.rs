//! Checking items and records: every item against its signed ingest record
//! (signature, key status at ingest time, every derived column, the
//! subject against its object), every record named by an item or claim,
//! every object named by an item, and no rows deleted (id gaps).
//!
//! Must not: read the database (the caller hands in rows) or repair.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use super::rows::Rows;
use crate::db::{ItemRow, ObjectRow, RecordRow, TransferRow};
use crate::finding::{Code, Finding};
use crate::record::{INGEST_PREDICATE, IngestPredicate, RecordKind, Verified};
use crate::text::lossy;
use crate::trust::{Keys, RecordOf, Verdicts, open_record, revoked_before};

/// Check an item against its signed ingest record (`rec: None`: the record
/// the item names is missing; `verdicts` may hold its signature's);
/// returns its findings.
pub fn check_item(
    item: &ItemRow,
    rec: Option<&RecordRow>,
    object: Option<&ObjectRow>,
    keys: &Keys,
    verdicts: &Verdicts,
    archive_id: &str,
) -> Vec<Finding> {
    let subject = format!("item {}", item.id);
    let of = RecordOf {
        subject: &subject,
        row: &format!("items row {}", item.id),
        record_id: item.record_id,
        record: "ingest record",
        whose: "an item",
    };
    let v = match open_record::<IngestPredicate>(rec, keys, verdicts, &of) {
        Ok(v) => v,
        Err(f) => return vec![*f],
    };
    let Some(rec) = rec else { return Vec::new() };
    let loc = format!("records row {}", rec.id);
    let mut out = Vec::new();
    if let Some(f) = revoked_before(keys, &v.keyid, &item.ingested_at, &subject, &loc) {
        out.push(f);
    }
    out.extend(edited_columns(item, rec, &v, keys.archive_of(&v.keyid, archive_id)));
    if let Some(m) = subject_mismatch(item, rec, &v, object) {
        out.push(Finding::new(
            Code::SubjectMismatch,
            subject,
            loc,
            m,
            "the signed record is authoritative: restore the item and object rows from a backup",
        ));
    }
    out
}

/// Every derived column of the item and its record against the signed
/// predicate.
fn edited_columns(
    item: &ItemRow,
    rec: &RecordRow,
    v: &Verified<IngestPredicate>,
    archive_id: &str,
) -> Vec<Finding> {
    let st = &v.statement;
    let p = &st.predicate;
    let path = p.path_bytes();
    let signed_name = path.as_deref().and_then(|b| {
        std::path::Path::new(OsStr::from_bytes(b)).file_name().map(|n| n.as_bytes().to_vec())
    });
    // (column, differs, the signed value, the column's value)
    let columns: [(&str, bool, String, String); 11] = [
        ("records.keyid", rec.keyid != v.keyid, v.keyid.clone(), rec.keyid.clone()),
        (
            "records.kind",
            rec.kind != RecordKind::Ingest.name() || st.predicate_type != INGEST_PREDICATE,
            st.predicate_type.clone(),
            rec.kind.clone(),
        ),
        ("items.item_uuid", p.item_id != item.item_uuid, p.item_id.clone(), item.item_uuid.clone()),
        (
            "items.original_path",
            path.as_deref() != Some(&item.original_path[..]),
            p.original_path.clone(),
            lossy(&item.original_path),
        ),
        (
            "items.original_name",
            p.original_name != lossy(&item.original_name)
                || signed_name.as_deref() != Some(&item.original_name[..]),
            p.original_name.clone(),
            lossy(&item.original_name),
        ),
        ("items.size", p.size as i64 != item.size, p.size.to_string(), item.size.to_string()),
        (
            "items.media_type",
            p.media_type != item.media_type,
            p.media_type.clone(),
            item.media_type.clone(),
        ),
        (
            "items.ingested_at",
            p.ingested_at != item.ingested_at,
            p.ingested_at.clone(),
            item.ingested_at.clone(),
        ),
        (
            "items.collector_keyid",
            p.collector != item.collector_keyid || p.collector != v.keyid,
            p.collector.clone(),
            item.collector_keyid.clone(),
        ),
        (
            "items.provenance",
            p.provenance != item.provenance,
            p.provenance.clone(),
            item.provenance.clone(),
        ),
        ("archive.archive_id", p.archive_id != archive_id, p.archive_id.clone(), archive_id.into()),
    ];
    columns
        .into_iter()
        .filter(|c| c.1)
        .map(|(col, _, signed, column)| {
            edited(&format!("item {}", item.id), col, item.id, &signed, &column)
        })
        .collect()
}

/// A column that no longer says what the signed record says.
pub fn edited(subject: &str, col: &str, row: i64, signed: &str, column: &str) -> Finding {
    Finding::new(
        Code::EditedColumn,
        subject,
        format!("{col} (row {row})"),
        format!("column says {column:?}, the signed record says {signed:?}"),
        "the signed record is authoritative: restore the column from it or from a backup",
    )
}

/// Why the signed subject is not the item's object, if it is not.
fn subject_mismatch(
    item: &ItemRow,
    rec: &RecordRow,
    v: &Verified<IngestPredicate>,
    object: Option<&ObjectRow>,
) -> Option<String> {
    let p = &v.statement.predicate;
    match (v.statement.subject.first().map(|s| &s.digest), object) {
        (None, _) => Some("the record has no subject".to_owned()),
        (Some(d), _) if d.blake3 != item.blake3 || d.blake3 != rec.blake3 => Some(format!(
            "signed blake3 {} but the item names {} and the record row {}",
            d.blake3, item.blake3, rec.blake3
        )),
        (Some(_), None) => Some(format!("no object row for {}", item.blake3)),
        (Some(d), Some(o)) if d.sha256 != o.sha256 => {
            Some(format!("signed sha256 {} but the object row has {}", d.sha256, o.sha256))
        }
        (Some(d), Some(o)) if p.size as i64 != o.size => {
            Some(format!("signed size {} but object {} has {}", p.size, d.blake3, o.size))
        }
        _ => None,
    }
}

/// Records no item or claim names, and objects no item names.
pub fn check_unnamed(rows: &Rows<'_>) -> Vec<Finding> {
    let t = rows.t;
    let mut out = Vec::new();
    let referenced: HashSet<i64> =
        t.items.iter().map(|i| i.record_id).chain(t.claims.iter().map(|c| c.record_id)).collect();
    for r in t.records.iter().filter(|r| !referenced.contains(&r.id)) {
        let what = if r.claim { "claim" } else { "item" };
        out.push(Finding::new(
            Code::MissingRecord,
            format!("record {}", r.id),
            format!("records row {}", r.id),
            format!("a signed record that no {what} row refers to (was the row deleted?)"),
            &format!("restore the {what}s table from a backup"),
        ));
    }
    let named: HashSet<&str> = t.items.iter().map(|i| i.blake3.as_str()).collect();
    for o in t.objects.iter().filter(|o| !named.contains(o.blake3.as_str())) {
        out.push(Finding::new(
            Code::MissingRecord,
            format!("object {}", o.blake3),
            format!("objects row {}", o.blake3),
            "no item names this object (were its item and record rows deleted?)",
            "restore the items and records tables from a backup",
        ));
    }
    out
}

/// A finding if ids are missing from `1..=max(sequence, last id)` of
/// `table` (ids are never reused, so a gap means deletion).
pub fn check_id_gaps(table: &str, sorted_ids: &[i64], sequence: Option<i64>) -> Option<Finding> {
    let top = sorted_ids.last().copied().unwrap_or(0).max(sequence.unwrap_or(0));
    let present: HashSet<i64> = sorted_ids.iter().copied().collect();
    let missing: Vec<i64> = (1..=top).filter(|i| !present.contains(i)).collect();
    if missing.is_empty() {
        return None;
    }
    let shown: Vec<String> = missing.iter().take(10).map(i64::to_string).collect();
    let more = if missing.len() > 10 {
        format!(" and {} more", missing.len() - 10)
    } else {
        String::new()
    };
    Some(Finding::new(
        Code::MissingRecord,
        format!("{table} table"),
        table,
        format!(
            "rows were deleted: ids {}{more} are missing (highest id given out: {top})",
            shown.join(", ")
        ),
        "restore the table from a backup; ids are never reused, so a gap means deletion",
    ))
}

/// Every import's signed transfer record verifies under a registered key
/// and names its own bag.
pub fn check_transfers(transfers: &[TransferRow], keys: &Keys) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in transfers {
        let subject = format!("transfer {}", t.id);
        let row = format!("transfers row {}", t.id);
        let rec = RecordRow {
            id: t.id,
            kind: "transfer".into(),
            blake3: String::new(),
            keyid: t.keyid.clone(),
            envelope: t.envelope.clone(),
        };
        let of = RecordOf {
            subject: &subject,
            row: &row,
            record_id: t.id,
            record: "transfer record",
            whose: "an import",
        };
        match open_record::<serde_json::Value>(Some(&rec), keys, &Verdicts::default(), &of) {
            Err(f) => out.push(*f),
            Ok(v) => {
                let bag = v.statement.predicate.get("bag_id").and_then(|b| b.as_str());
                if v.keyid != t.keyid || bag != Some(t.bag_id.as_str()) {
                    out.push(edited(
                        &subject,
                        "transfers.bag_id / keyid",
                        t.id,
                        bag.unwrap_or(""),
                        &t.bag_id,
                    ));
                }
            }
        }
    }
    out
}
