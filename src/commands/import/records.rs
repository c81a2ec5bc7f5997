//! The rows and events of one import, in one transaction, in the order
//! the audit needs them: object rows, the sender's keys (foreign, logged
//! as registered from the sender's archive), the sender's items and claims
//! with their original envelopes (each logged with the very event the
//! sender's log holds for it), the revocations the bag proves (of foreign
//! keys only: a bag never revokes this archive's own keys), the
//! receiver's items and, for a plain bag, their source claims, and last
//! the signed transfer record and its event.
//!
//! Must not: take a field from an unsigned file where a signed one says
//! it (item and claim rows come from the verified predicates), or commit
//! part of an import.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::ffi::OsStrExt;

use super::objects::Received;
use crate::archive::Archive;
use crate::bundle::evidence::TransferPredicate;
use crate::bundle::layout;
use crate::bundle::verify::{Checked, CheckedEvidence, Opened};
use crate::claim::sign::{NewClaim, Signer, sign_claim};
use crate::claim::{Acquisition, Basis, ClaimValue, Source};
use crate::commands::ingest::{Acquired, sign_item};
use crate::crypto::SecretKey;
use crate::custody_log::{self, Event, sha256_hex};
use crate::db::{ClaimRow, NewItem, ObjectRow, TransferRow, Tx};
use crate::error::Result;
use crate::id::DigestSet;
use crate::record::{self, RecordKind};
use crate::search;
use crate::text::quoted;

/// The bag being imported, as verification named it.
pub(super) struct Incoming<'a> {
    /// Its id.
    pub bag_id: &'a str,
    /// The sending archive (none: a plain bag).
    pub sender: Option<&'a str>,
    /// `signed` or `fixity-only`.
    pub proven: &'a str,
}

/// What an import added.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Added {
    /// Objects new to this archive.
    pub new_objects: u64,
    /// The sender's items recorded with their own ingest records.
    pub sender_items: u64,
    /// The sender's claims recorded.
    pub sender_claims: u64,
    /// Keys registered (foreign).
    pub keys_registered: u64,
    /// Revocations recorded.
    pub revocations: u64,
    /// This archive's new items, one per payload file received.
    pub received_items: Vec<i64>,
    /// The transfer's custody event.
    pub transfer_event: Option<u64>,
}

/// Record the import (see the module header).
pub(super) fn record(
    archive: &mut Archive,
    checked: &Checked,
    objects: &BTreeMap<String, Received>,
    key: &SecretKey,
    receiver: &str,
    incoming: &Incoming<'_>,
) -> Result<Added> {
    let mut report = Added::default();
    let now = archive.now();
    let archive_id = archive.identity()?.archive_id;
    let tx = archive.db.tx()?;
    for r in objects.values() {
        tx.insert_object(&ObjectRow {
            blake3: r.digest.blake3.clone(),
            sha256: r.digest.sha256.clone(),
            size: r.size as i64,
            encoding: r.encoding.as_str().into(),
            stored_size: r.stored_size as i64,
            stored_at: now.clone(),
            last_checked_at: None,
        })?;
    }
    report.new_objects =
        objects.values().filter(|r| r.put.is_some_and(|p| p.written)).count() as u64;
    let signer = Signer { archive_id: &archive_id, key, keyid: receiver, now: &now };
    let provenance = match &checked.custody {
        Some(c) => {
            sender_records(&tx, c, &now, &mut report)?;
            sha256_hex(&c.statement)
        }
        None => manifest_digest(checked)?,
    };
    let mut received = Vec::new();
    for (path, r) in objects {
        // An item's name is the last part of where it came from: here,
        // its payload file in the bag.
        let name = path.rsplit('/').next().unwrap_or(path).as_bytes().to_vec();
        let from = format!("bag:{}/{path}", incoming.bag_id);
        let acquired = Acquired {
            name: &name,
            path: from.as_bytes(),
            digest: &r.digest,
            size: r.size,
            media_type: &r.media_type,
            provenance: &provenance,
        };
        let (item, uuid) = sign_item(&tx, &signer, &acquired)?;
        if checked.custody.is_none() {
            plain_source_claim(&tx, &signer, checked, &r.digest, &name, &uuid, incoming.bag_id)?;
        }
        report.received_items.push(item);
        received.push((uuid, path.clone(), r.digest.clone()));
    }
    report.transfer_event = Some(transfer(&tx, &signer, checked, &received, incoming)?);
    for r in objects.values() {
        let text = || {
            let id = r.digest.blake3.parse().ok()?;
            search::index::object_text(&archive.store, &id, r.encoding, &r.media_type)
        };
        search::index::object(&tx, &r.digest.blake3, text)?;
    }
    archive.store.sync()?;
    tx.commit()?;
    Ok(report)
}

/// The keys, items, claims and revocations the sender's bag brings.
fn sender_records(tx: &Tx<'_>, c: &CheckedEvidence, now: &str, report: &mut Added) -> Result<()> {
    let q = tx.read();
    let known: BTreeSet<String> = q.keys()?.into_iter().map(|k| k.keyid).collect();
    for k in &c.ev.keys.keys {
        if known.contains(&k.keyid) {
            continue;
        }
        let public = k.custody["public_key"].as_str().unwrap_or_default();
        let from = k.foreign_archive.as_deref().unwrap_or(&c.sender);
        tx.insert_key(&k.keyid, public, &k.owner, now, Some(from))?;
        custody_log::append(
            tx,
            &Event::key_registration(now, &k.keyid, public, &k.owner, Some(from)),
        )?;
        report.keys_registered += 1;
    }
    for (rec, opened) in c.ev.records.iter().zip(&c.opened) {
        match opened {
            Some(Opened::Ingest(v)) => {
                report.sender_items += u64::from(sender_item(tx, rec, v, now)?)
            }
            Some(Opened::Claim(v)) => {
                report.sender_claims += u64::from(sender_claim(tx, rec, v, now)?)
            }
            None => {}
        }
    }
    for k in &c.ev.keys.keys {
        let (Some(at), Some(row)) = (&k.revoked_at, q.key(&k.keyid)?) else { continue };
        if row.foreign_archive.is_none() || row.revoked_at.is_some() {
            continue;
        }
        let reason = k.revoke_reason.clone().unwrap_or_default();
        tx.revoke_key(&k.keyid, at, &reason)?;
        custody_log::append(tx, &Event::key_revocation(at, &k.keyid, &reason))?;
        report.revocations += 1;
    }
    Ok(())
}

/// One of the sender's items, with its own envelope (unless this archive
/// has it already); whether it was new.
fn sender_item(
    tx: &Tx<'_>,
    rec: &[u8],
    v: &record::Verified<record::IngestPredicate>,
    now: &str,
) -> Result<bool> {
    let p = &v.statement.predicate;
    if tx.read().item_by_uuid(&p.item_id)?.is_some() {
        return Ok(false);
    }
    let Some(subject) = v.statement.subject.first() else { return Ok(false) };
    let d = &subject.digest;
    let path = p.path_bytes().unwrap_or_else(|| p.original_path.as_bytes().to_vec());
    // The exact name bytes are the last part of the exact path (as the
    // audit holds an item's name to).
    let name = std::path::Path::new(std::ffi::OsStr::from_bytes(&path))
        .file_name()
        .map_or_else(|| p.original_name.as_bytes().to_vec(), |n| n.as_bytes().to_vec());
    let record_id = tx.insert_record(RecordKind::Ingest, &d.blake3, &v.keyid, rec, now)?;
    custody_log::append(tx, &Event::ingestion(&p.ingested_at, &p.collector, d, rec, &p.item_id))?;
    tx.insert_item(
        &NewItem {
            item_uuid: &p.item_id,
            blake3: &d.blake3,
            original_name: &name,
            original_path: &path,
            size: p.size,
            media_type: &p.media_type,
            ingested_at: &p.ingested_at,
            collector_keyid: &p.collector,
            provenance: &p.provenance,
        },
        record_id,
    )?;
    Ok(true)
}

/// One of the sender's claims, with its own envelope (unless this archive
/// has it already); whether it was new.
fn sender_claim(
    tx: &Tx<'_>,
    rec: &[u8],
    v: &record::Verified<crate::claim::ClaimPredicate>,
    now: &str,
) -> Result<bool> {
    let p = &v.statement.predicate;
    if tx.read().claim(&p.claim_id)?.is_some() {
        return Ok(false);
    }
    let Some(subject) = v.statement.subject.first() else { return Ok(false) };
    let d = &subject.digest;
    let record_id = tx.insert_record(RecordKind::Claim, &d.blake3, &v.keyid, rec, now)?;
    custody_log::append(tx, &Event::claim(&p.signed_at, &v.keyid, d, rec, &p.claim_id))?;
    tx.insert_claim(&ClaimRow {
        id: 0,
        claim_uuid: p.claim_id.clone(),
        blake3: d.blake3.clone(),
        kind: p.claim.kind().name().into(),
        basis: p.basis.name().into(),
        keyid: v.keyid.clone(),
        signed_at: p.signed_at.clone(),
        supersedes: p.supersedes.clone(),
        item_uuid: p.item_id.clone(),
        record_id,
    })?;
    Ok(true)
}

/// SHA-256 of a plain bag's strongest manifest.
fn manifest_digest(checked: &Checked) -> Result<String> {
    for alg in ["sha512", "sha256", "sha1", "md5"] {
        let name = format!("manifest-{alg}.txt");
        if checked.src.has(&name) {
            return Ok(sha256_hex(&checked.src.read_tag(&name)?));
        }
    }
    Ok(String::new())
}

/// A plain bag's item gets a source claim: where it came from, and that
/// only its fixity was proven.
fn plain_source_claim(
    tx: &Tx<'_>,
    signer: &Signer<'_>,
    checked: &Checked,
    digest: &DigestSet,
    name: &[u8],
    item_uuid: &str,
    bag_id: &str,
) -> Result<i64> {
    let field =
        |label: &str| checked.info.get(label).map_or_else(|| "not given".to_owned(), quoted);
    let notes = format!(
        "received in the BagIt bag {bag_id} (Source-Organization: {}; External-Identifier: {}; \
         Bagging-Date: {}); only its fixity was proven — nothing about who made or sent it",
        field("Source-Organization"),
        field("External-Identifier"),
        field("Bagging-Date"),
    );
    let value = ClaimValue::Source(Source {
        acquisition: Some(Acquisition::Handover),
        notes: Some(notes),
        ..Source::default()
    });
    let c = NewClaim {
        value,
        basis: Basis::Claimed,
        confidence: None,
        supersedes: None,
        item_uuid: Some(item_uuid.into()),
        raw: BTreeMap::new(),
    };
    sign_claim(tx, signer, digest, &crate::text::lossy(name), c)
}

/// The receiver's signed transfer record, stored and logged; returns the
/// event's index.
fn transfer(
    tx: &Tx<'_>,
    s: &Signer<'_>,
    checked: &Checked,
    received: &[(String, String, DigestSet)],
    incoming: &Incoming<'_>,
) -> Result<u64> {
    let info = |label: &str| checked.info.get(label).unwrap_or_default().to_owned();
    let predicate = TransferPredicate {
        archive_id: s.archive_id.into(),
        bag_id: incoming.bag_id.into(),
        sender_archive: incoming.sender.map(str::to_owned),
        sender_checkpoint: checked.custody.as_ref().map(|c| c.checkpoint.clone()),
        statement: checked.custody.as_ref().map(|c| sha256_hex(&c.statement)),
        source_organization: info("Source-Organization"),
        bagging_date: info("Bagging-Date"),
        proven: incoming.proven.into(),
        received_at: s.now.into(),
        items: received.iter().map(|(u, _, _)| u.clone()).collect(),
    };
    let statement = record::Statement {
        statement_type: record::STATEMENT_TYPE.into(),
        subject: received
            .iter()
            .map(|(_, path, d)| record::Subject { name: path.clone(), digest: d.clone() })
            .collect(),
        predicate_type: layout::TRANSFER_PREDICATE.into(),
        predicate,
    };
    let envelope = record::sign(&statement, s.key);
    tx.insert_transfer(&TransferRow {
        id: 0,
        bag_id: incoming.bag_id.into(),
        sender_archive: incoming.sender.map(str::to_owned),
        envelope: envelope.clone(),
        keyid: s.keyid.into(),
        received_at: s.now.into(),
    })?;
    custody_log::append(
        tx,
        &Event::transfer(s.now, s.keyid, incoming.sender, &envelope, incoming.bag_id),
    )
}
