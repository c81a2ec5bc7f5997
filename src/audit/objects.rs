//! Checking the object store: one object row against its stored bytes
//! (present, decodes, hashes to its name, sizes and SHA-256 as recorded),
//! and the store's listing against the rows (files no row names,
//! directories that cannot be read).
//!
//! Must not: repair, move or delete anything; trust the row's columns
//! (each is checked against the bytes).

use std::collections::HashSet;
use std::path::PathBuf;

use crate::db::{ObjectRow, Reader};
use crate::error::Result;
use crate::finding::{Code, Finding};
use crate::id::{Encoding, ObjectId};
use crate::store::{Listing, ReadBack, Store};

/// How to repair a damaged object.
pub const RESTORE: &str = "move the damaged file out of objects/, then restore it from a replica \
                           or backup (check it with b3sum) or re-run the ingest of the original \
                           file";

fn edited(row: &ObjectRow, col: &str, why: String) -> Finding {
    Finding::new(
        Code::EditedColumn,
        format!("object {}", row.blake3),
        format!("objects.{col}"),
        why,
        "restore the database from a backup, or re-derive the row from the signed records",
    )
}

/// Check one object row against its stored bytes (re-read through `buf`;
/// `deep` also recomputes SHA-256); returns the finding, if any, and the
/// original bytes read.
pub fn check_object(
    store: &Store,
    row: &ObjectRow,
    deep: bool,
    buf: &mut [u8],
) -> (Option<Finding>, u64) {
    let Ok(id) = row.blake3.parse::<ObjectId>() else {
        let why = format!("{:?} is not a blake3 digest", row.blake3);
        return (Some(edited(row, "blake3", why)), 0);
    };
    let Some(enc) = Encoding::parse(&row.encoding) else {
        let why = format!("unknown encoding {:?}", row.encoding);
        return (Some(edited(row, "encoding", why)), 0);
    };
    let location = store.path_of(&id, enc).display().to_string();
    let damaged = |code, msg: String| {
        Some(Finding::new(code, format!("object {}", row.blake3), location.clone(), msg, RESTORE))
    };
    match store.read_back(&id, enc, deep, buf, &mut |_| Ok(())) {
        Err(e) => (damaged(Code::ObjectCorrupt, format!("cannot read the object: {e}")), 0),
        Ok(ReadBack::Missing) => match store.find(&id) {
            Some((other, _)) => {
                let why = format!(
                    "encoding column says {}, the store holds it as {}",
                    enc.as_str(),
                    other.as_str()
                );
                (Some(edited(row, "encoding", why)), 0)
            }
            None => (damaged(Code::ObjectMissing, "the object's file is missing".into()), 0),
        },
        Ok(ReadBack::Damaged(why, n)) => {
            let why = format!("the zstd frame cannot be decoded: {why}");
            (damaged(Code::ObjectUndecompressable, why), n)
        }
        Ok(ReadBack::Read { blake3, sha256, len }) => {
            let on_disk =
                std::fs::symlink_metadata(&location).map(|m| m.len() as i64).unwrap_or(-1);
            let f = if blake3 != id && (len as i64) < row.size {
                damaged(Code::ObjectTruncated, format!("{len} bytes, {} recorded", row.size))
            } else if blake3 != id {
                let why = format!("the bytes hash to {blake3}, not their name ({len} bytes)");
                damaged(Code::ObjectCorrupt, why)
            } else if on_disk != row.stored_size {
                let why = format!(
                    "the stored file is {on_disk} bytes, {} were written: data was added or \
                     removed outside the content (e.g. a zstd skippable frame), or the \
                     stored_size column was edited",
                    row.stored_size
                );
                damaged(Code::ObjectCorrupt, why)
            } else if len as i64 != row.size {
                let why = format!("size column says {}, the object has {len} bytes", row.size);
                Some(edited(row, "size", why))
            } else if let Some(s) = sha256.filter(|s| hex::encode(s) != row.sha256) {
                let why = format!(
                    "sha256 column says {}, the bytes hash to {}",
                    row.sha256,
                    hex::encode(s)
                );
                Some(edited(row, "sha256", why))
            } else {
                None
            };
            (f, len)
        }
    }
}

/// Files in the store that no row names, and directories that cannot be
/// read, one fan-out directory at a time (with the rows of its objects).
/// Each row accounts for exactly one file: the one its encoding names, or
/// (when that column was edited, reported by `check_object`) the copy that
/// exists.
pub fn check_listing(store: &Store, q: &Reader<'_>) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    store.list_each(|dir, listing| {
        let rows = match dir {
            Some(d) if listing.files.iter().any(|l| l.name.is_some()) => q.objects_in_dir(d)?,
            _ => Vec::new(),
        };
        findings.extend(dir_findings(store, &rows, listing));
        Ok(())
    })?;
    Ok(findings)
}

/// The findings of one listed directory whose objects' rows are `rows`.
fn dir_findings(store: &Store, rows: &[ObjectRow], listing: Listing) -> Vec<Finding> {
    let known: HashSet<PathBuf> = rows
        .iter()
        .filter_map(|o| {
            let id = o.blake3.parse().ok()?;
            let named = Encoding::parse(&o.encoding).map(|enc| store.path_of(&id, enc));
            match named {
                Some(p) if p.exists() => Some(p),
                _ => store.find(&id).map(|(enc, _)| store.path_of(&id, enc)),
            }
        })
        .collect();
    let mut findings = Vec::new();
    for (dir, err) in listing.unreadable {
        findings.push(Finding::new(
            Code::StoreUnreadable,
            "object store",
            dir.display().to_string(),
            format!("cannot read this directory of the store: {err}"),
            "fix its permissions (custody needs to read every directory of objects/) and audit again",
        ));
    }
    for l in listing.files {
        if l.name.is_some() && known.contains(&l.path) {
            continue;
        }
        findings.push(Finding::new(
            Code::OrphanFile,
            match l.name {
                Some((id, _)) => format!("object {id}"),
                None => "stray file".into(),
            },
            l.path.display().to_string(),
            "a file in the object store that no database row names",
            "if it is an object from an interrupted ingest, re-run that ingest to adopt it; \
             otherwise move it out of the store",
        ));
    }
    findings
}
