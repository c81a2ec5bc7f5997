//! The evidence tag files of a custody bag, as their own versioned types
//! (schema/FORMAT.md, "Bags"): the item index (`custody/items.json`), the
//! public keys (`custody/keys.json`, each in custody's and in
//! securesystemslib's key format), one custody event with its inclusion
//! proof per line (`custody/events.jsonl`), and the predicate of the bag
//! statement that one signature covers everything with.
//!
//! Must not: be trusted when read — every field is checked against signed
//! bytes by the verifier — or carry anything the archive does not sign or
//! log, except the names and indexes a reader needs to find things.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::id::DigestSet;

/// Format of `custody/items.json`.
pub const ITEMS_FORMAT: &str = "custody-bag-items/v1";
/// Format of `custody/keys.json`.
pub const KEYS_FORMAT: &str = "custody-bag-keys/v1";

/// `custody/items.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemsFile {
    /// `custody-bag-items/v1`.
    pub format: String,
    /// Every item in the bag.
    pub items: Vec<BagItem>,
    /// Claims left out of the bag on purpose (`--withhold`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<Withheld>,
}

/// One item: where its bytes and its evidence are in the bag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagItem {
    /// Its number in the exporting archive.
    pub item: i64,
    /// Its UUID (as its ingest record signs it).
    pub uuid: String,
    /// The archive whose ingest record it has.
    pub archive_id: String,
    /// The object.
    pub digest: DigestSet,
    /// Size in bytes.
    pub size: u64,
    /// Sniffed media type.
    pub media_type: String,
    /// Its payload file.
    pub payload: String,
    /// Original file name (lossily UTF-8).
    pub name: String,
    /// The exact name bytes, hex, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_bytes: Option<String>,
    /// Original path (lossily UTF-8).
    pub path: String,
    /// The exact path bytes, hex, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_bytes: Option<String>,
    /// When it was ingested.
    pub ingested_at: String,
    /// Who ingested it (key id).
    pub collector: String,
    /// The line of `custody/records.intoto.jsonl` holding its ingest record
    /// (0-based).
    pub record: usize,
    /// Its claims in the bag.
    pub claims: Vec<BagClaim>,
    /// The log indexes of its custody events in `custody/events.jsonl`.
    pub events: Vec<u64>,
}

/// A claim in the bag.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagClaim {
    /// Its number in the exporting archive.
    pub claim: i64,
    /// Its UUID.
    pub uuid: String,
    /// Its kind.
    pub kind: String,
    /// Its line of `custody/records.intoto.jsonl` (0-based).
    pub record: usize,
}

/// A claim withheld from the bag: named, not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withheld {
    /// Its number in the exporting archive.
    pub claim: i64,
    /// Its UUID (its custody event, in the bag, names it).
    pub uuid: String,
    /// Its kind.
    pub kind: String,
    /// The item it was made with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// `custody/keys.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// `custody-bag-keys/v1`.
    pub format: String,
    /// Every key that signed something in the bag.
    pub keys: Vec<BagKey>,
}

/// A public key, as the archive registered it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagKey {
    /// Key id (securesystemslib convention).
    pub keyid: String,
    /// Owner's registered name.
    pub owner: String,
    /// Registered at.
    pub added_at: String,
    /// Revoked from (when it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_reason: Option<String>,
    /// The archive it was registered from, when the exporting archive
    /// itself received it in a bag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_archive: Option<String>,
    /// The key in custody's public key file format.
    pub custody: serde_json::Value,
    /// The key in securesystemslib's format (`keytype`, `scheme`, `keyval`).
    pub securesystemslib: serde_json::Value,
}

/// One line of `custody/events.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagEvent {
    /// Its leaf index.
    pub index: u64,
    /// Its inclusion proof against `custody/checkpoint` (C2SP
    /// `tlog-proof@v1`; the event's bytes ride in its `extra` line).
    pub proof: String,
}

/// The checkpoint the statement names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRef {
    /// The log's origin.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
}

/// The predicate of the bag statement (`custody/bag.intoto.jsonl`), whose
/// subjects are every payload file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BagPredicate {
    /// The exporting archive.
    pub archive_id: String,
    /// Its name.
    pub archive_name: String,
    /// The bag (External-Identifier).
    pub bag_id: String,
    /// When it was exported.
    pub exported_at: String,
    /// Who exported it (key id).
    pub exporter: String,
    /// The checkpoint every proof in the bag is against.
    pub checkpoint: CheckpointRef,
    /// The log's verifier key.
    pub log_vkey: String,
    /// Every evidence tag file (all but this statement, the tag manifests
    /// and `bag-info.txt`), by path: its digests.
    pub evidence: BTreeMap<String, DigestSet>,
    /// Claims left out on purpose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<Withheld>,
}

/// The predicate of a transfer record (an import, signed by the receiver).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferPredicate {
    /// The receiving archive.
    pub archive_id: String,
    /// The bag (External-Identifier, or the bag's name for a plain bag).
    pub bag_id: String,
    /// The sending archive (none: a plain bag from another tool).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_archive: Option<String>,
    /// The sender's checkpoint (its signed note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_checkpoint: Option<String>,
    /// SHA-256 of the bag statement envelope (none for a plain bag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The bag's Source-Organization and Bagging-Date as it says them.
    pub source_organization: String,
    /// Bagging-Date.
    pub bagging_date: String,
    /// What was proven beyond fixity: `signed` (a custody bag whose
    /// statement, envelopes and proofs verified) or `fixity-only`.
    pub proven: String,
    /// When it was received.
    pub received_at: String,
    /// The items it brought: (their UUIDs in this archive).
    pub items: Vec<String>,
}
