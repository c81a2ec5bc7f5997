//! The rows an audit checks, and how it holds them: the small tables
//! (keys, exports, imports — they grow with the archive's operations, not
//! its items) whole, with lookups; the large ones (objects, items, claims,
//! records) one page at a time, with the lookups a page's checks share
//! (object by BLAKE3, item and claim by UUID, record by id), so that the
//! audit's memory does not grow with the archive.
//!
//! Must not: check anything, or query the database but through the
//! `Reader` handed in.

use std::collections::HashMap;

use crate::db::{ClaimRow, ExportRow, ItemRow, KeyRow, ObjectRow, Reader, RecordRow, TransferRow};
use crate::error::Result;

/// Every row of the small tables the audit checks.
pub struct Tables {
    /// Keys.
    pub keys: Vec<KeyRow>,
    /// Exports.
    pub exports: Vec<ExportRow>,
    /// Imports.
    pub transfers: Vec<TransferRow>,
}

/// The small tables, and lookups into them.
pub struct Rows<'a> {
    /// The tables.
    pub t: &'a Tables,
    /// Keys by id.
    pub keys: HashMap<&'a str, &'a KeyRow>,
    /// Exports by bag id.
    pub exports: HashMap<&'a str, &'a ExportRow>,
    /// Imports by bag id.
    pub transfers: HashMap<&'a str, &'a TransferRow>,
}

impl<'a> Rows<'a> {
    /// Index the tables.
    pub fn new(t: &'a Tables) -> Rows<'a> {
        Rows {
            t,
            keys: t.keys.iter().map(|k| (k.keyid.as_str(), k)).collect(),
            exports: t.exports.iter().map(|e| (e.bag_id.as_str(), e)).collect(),
            transfers: t.transfers.iter().map(|x| (x.bag_id.as_str(), x)).collect(),
        }
    }
}

/// The rows one page of checks names, by their keys.
#[derive(Default)]
pub struct Page {
    /// Items by UUID.
    pub items: HashMap<String, ItemRow>,
    /// Claims by UUID.
    pub claims: HashMap<String, ClaimRow>,
    /// Objects by BLAKE3.
    pub objects: HashMap<String, ObjectRow>,
    /// Records by id.
    pub records: HashMap<i64, RecordRow>,
}

impl Page {
    /// Read the items and claims with these UUIDs, the records they name,
    /// and the objects they and `objects` name (four queries).
    pub fn read(q: &Reader<'_>, items: &[&str], claims: &[&str], objects: &[&str]) -> Result<Page> {
        let items = q.items_with_uuids(items)?;
        let claims = q.claims_with_uuids(claims)?;
        let ids: Vec<i64> = items
            .values()
            .map(|i| i.record_id)
            .chain(claims.values().map(|c| c.record_id))
            .collect();
        let named: Vec<&str> = items
            .values()
            .map(|i| i.blake3.as_str())
            .chain(claims.values().map(|c| c.blake3.as_str()))
            .chain(objects.iter().copied())
            .collect();
        let objects = q.objects_named(&named)?;
        let records = q.records_with_ids(&ids)?;
        Ok(Page { items, claims, objects, records })
    }
}
