//! The rows an audit holds in memory while it checks them, with the
//! lookups the checks share (object by BLAKE3, claim and item by UUID, key
//! by id), so that checking a million events costs lookups, not queries.
//! Of the records only their ids and kinds are held: their envelopes (most
//! of an archive's bytes) are read a page at a time by the checks that
//! need them.
//!
//! Must not: query the database (the caller reads the rows once).

use std::collections::HashMap;

use crate::db::{ClaimRow, ExportRow, ItemRow, KeyRow, ObjectRow, RecordHead, TransferRow};

/// Every row of the tables the audit checks.
pub struct Tables {
    /// Objects, least recently checked first.
    pub objects: Vec<ObjectRow>,
    /// Items.
    pub items: Vec<ItemRow>,
    /// Signed records: their ids and kinds.
    pub records: Vec<RecordHead>,
    /// Claims.
    pub claims: Vec<ClaimRow>,
    /// Keys.
    pub keys: Vec<KeyRow>,
    /// Exports.
    pub exports: Vec<ExportRow>,
    /// Imports.
    pub transfers: Vec<TransferRow>,
}

/// The rows, and lookups into them.
pub struct Rows<'a> {
    /// The tables.
    pub t: &'a Tables,
    /// Objects by BLAKE3.
    pub objects: HashMap<&'a str, &'a ObjectRow>,
    /// Items by UUID.
    pub items: HashMap<&'a str, &'a ItemRow>,
    /// Claims by UUID.
    pub claims: HashMap<&'a str, &'a ClaimRow>,
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
            objects: t.objects.iter().map(|o| (o.blake3.as_str(), o)).collect(),
            items: t.items.iter().map(|i| (i.item_uuid.as_str(), i)).collect(),
            claims: t.claims.iter().map(|c| (c.claim_uuid.as_str(), c)).collect(),
            keys: t.keys.iter().map(|k| (k.keyid.as_str(), k)).collect(),
            exports: t.exports.iter().map(|e| (e.bag_id.as_str(), e)).collect(),
            transfers: t.transfers.iter().map(|x| (x.bag_id.as_str(), x)).collect(),
        }
    }
}
