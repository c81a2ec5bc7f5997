//! Checking items and records: every item against its signed ingest record
//! (signature, key status at ingest time, every derived column, the
//! subject against its object), every record named by an item or claim,
//! every object named by an item, and no rows deleted (id gaps).
//!
//! Must not: read the database (the caller hands in rows) or repair.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use crate::db::{ItemRow, ObjectRow, RecordHead, RecordRow, TransferRow};
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

/// Records no item or claim names, and objects no item names (as the
/// database found them).
pub fn check_unnamed(records: &[RecordHead], objects: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in records {
        let what = if r.claim { "claim" } else { "item" };
        out.push(Finding::new(
            Code::MissingRecord,
            format!("record {}", r.id),
            format!("records row {}", r.id),
            format!("a signed record that no {what} row refers to (was the row deleted?)"),
            &format!("restore the {what}s table from a backup"),
        ));
    }
    for o in objects {
        out.push(Finding::new(
            Code::MissingRecord,
            format!("object {o}"),
            format!("objects row {o}"),
            "no item names this object (were its item and record rows deleted?)",
            "restore the items and records tables from a backup",
        ));
    }
    out
}

/// The ids of a table whose ids are never reused, taken in ascending
/// order, and the ones missing between them (a gap means deletion).
#[derive(Debug, Default)]
pub struct Gaps {
    last: i64,
    /// The first few missing ids.
    shown: Vec<i64>,
    missing: u64,
    seen: u64,
}

impl Gaps {
    /// The next id (ascending).
    pub fn push(&mut self, id: i64) {
        self.seen += 1;
        if id > self.last + 1 {
            let first = self.last + 1;
            self.missing += (id - first) as u64;
            let room = 10usize.saturating_sub(self.shown.len());
            self.shown.extend((first..id).take(room));
        }
        self.last = self.last.max(id);
    }

    /// How many ids were pushed (the table's rows).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// A finding if ids are missing from `1..=max(sequence, last id)` of
    /// `table`.
    pub fn finish(mut self, table: &str, sequence: Option<i64>) -> Option<Finding> {
        let top = self.last.max(sequence.unwrap_or(0));
        self.push(top + 1);
        if self.missing == 0 {
            return None;
        }
        let shown: Vec<String> = self.shown.iter().map(i64::to_string).collect();
        let more = if self.missing > 10 {
            format!(" and {} more", self.missing - 10)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps(ids: &[i64], sequence: Option<i64>) -> Option<String> {
        let mut g = Gaps::default();
        ids.iter().for_each(|id| g.push(*id));
        g.finish("items", sequence).map(|f| f.message)
    }

    #[test]
    fn gaps_name_the_missing_ids_and_count_the_rest() {
        assert_eq!(gaps(&[], None), None);
        assert_eq!(gaps(&[1, 2, 3], Some(3)), None);
        let m = gaps(&[1, 4, 5], Some(5)).unwrap();
        assert!(m.contains("ids 2, 3 are missing (highest id given out: 5)"), "{m}");
        // Deleted at the end: only the sequence knows.
        let m = gaps(&[1, 2], Some(4)).unwrap();
        assert!(m.contains("ids 3, 4 are missing"), "{m}");
        // Everything deleted.
        let m = gaps(&[], Some(2)).unwrap();
        assert!(m.contains("ids 1, 2 are missing"), "{m}");
        let many: Vec<i64> = vec![1, 40];
        let m = gaps(&many, None).unwrap();
        assert!(m.contains("ids 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 28 more"), "{m}");
    }
}
