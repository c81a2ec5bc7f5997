//! `log`: the custody history — every custody event of the archive (or of
//! one item's object) in log order, who did it, the stored checkpoints
//! and who cosigned them, and the log's verifier key, streamed a page of
//! leaves at a time. (`timeline`, the chronology of the events the
//! evidence shows, is another verb.)
//!
//! Must not: write to the archive.

use std::collections::HashMap;

use serde::Serialize;

use crate::archive::{Archive, Target};
use crate::custody_log::{self, Event, EventKind, note};
use crate::db::NamedLeaf;
use crate::error::Result;

/// One event as shown.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Leaf index.
    pub index: u64,
    /// The event (absent if its bytes do not parse).
    pub event: Option<Event>,
    /// Who, by registered name.
    pub actor_name: Option<String>,
    /// What the event is about, as the other views name it.
    pub about: About,
}

/// What an event refers to, by the numbers and names the other views use
/// (the event itself names rows by UUID).
#[derive(Debug, Clone, Default, Serialize)]
pub struct About {
    /// The item's number (ingestion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<i64>,
    /// The claim's number (claim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<i64>,
    /// The claim's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_kind: Option<String>,
    /// The key's owner (key registration and revocation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_owner: Option<String>,
    /// Why the key was revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_reason: Option<String>,
    /// How many findings the audit made (fixity check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<u64>,
}

/// A stored checkpoint as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointView {
    /// Id.
    pub id: i64,
    /// Tree size.
    pub size: i64,
    /// When.
    pub created_at: String,
    /// Witnesses that cosigned it.
    pub cosigned_by: Vec<String>,
}

/// What `log` shows besides its events, which it hands over one at a time.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// Events shown (all, or those about one item's object).
    pub shown: u64,
    /// Leaves in the log.
    pub size: u64,
    /// Stored checkpoints (whole-archive view only).
    pub checkpoints: Vec<CheckpointView>,
    /// The log's verifier key.
    pub vkey: String,
}

/// Leaves read per query: what the history holds in memory at once.
const PAGE: u64 = 2048;

/// Registered keys by id: (owner, why revoked). Keys are few.
type KeyNames = HashMap<String, (String, Option<String>)>;

fn view(leaf: NamedLeaf, keys: &KeyNames) -> EventView {
    let event = Event::parse(&leaf.leaf.event).ok();
    let actor_name = event
        .as_ref()
        .and_then(|e| e.actor.as_ref())
        .and_then(|a| keys.get(a))
        .map(|k| k.0.clone());
    let mut about = About {
        item: leaf.item,
        claim: leaf.claim.as_ref().map(|c| c.0),
        claim_kind: leaf.claim.map(|c| c.1),
        findings: leaf.findings.map(|n| n.max(0) as u64),
        ..About::default()
    };
    if let Some(e) = &event
        && let Some(("key", id)) = e.reference.split_once(':')
        && let Some((owner, reason)) = keys.get(id)
    {
        about.key_owner = Some(owner.clone());
        if e.kind == EventKind::KeyRevocation {
            about.revoke_reason = reason.clone();
        }
    }
    EventView { index: leaf.leaf.idx as u64, event, actor_name, about }
}

/// The custody history of the archive, or of one item's object: each event
/// in log order is handed to `each` (read a page at a time, so memory does
/// not grow with the log); an error from `each` stops it.
pub fn history(
    archive: &Archive,
    reference: Option<&str>,
    each: &mut dyn FnMut(EventView) -> Result<()>,
) -> Result<HistoryReport> {
    let q = archive.db.read();
    let keys: KeyNames =
        q.keys()?.into_iter().map(|k| (k.keyid, (k.owner, k.revoke_reason))).collect();
    let mut shown = 0u64;
    match reference {
        None => {
            let mut start = 0;
            loop {
                let page = q.named_leaves(start, PAGE)?;
                let Some(last) = page.last() else { break };
                start = last.leaf.idx as u64 + 1;
                for leaf in page {
                    each(view(leaf, &keys))?;
                    shown += 1;
                }
            }
        }
        Some(r) => {
            let (blake3, item_ref) = match archive.resolve(r)? {
                Target::Item(it) => (it.blake3, format!("item:{}", it.item_uuid)),
                Target::Object(o) => (o.blake3.clone(), format!("object:{}", o.blake3)),
            };
            for leaf in q.named_leaves_about(&item_ref, &blake3)? {
                each(view(leaf, &keys))?;
                shown += 1;
            }
        }
    }
    let mut checkpoints = Vec::new();
    if reference.is_none() {
        let cos = q.cosignatures()?;
        for c in q.checkpoints()? {
            let cosigned_by =
                cos.iter().filter(|s| s.checkpoint_id == c.id).map(|s| s.witness.clone()).collect();
            checkpoints.push(CheckpointView {
                id: c.id,
                size: c.size,
                created_at: c.created_at,
                cosigned_by,
            });
        }
    }
    let vkey = match custody_log::log_public(archive.root())? {
        Some(pk) => note::vkey(
            &custody_log::origin(&archive.identity()?.archive_id),
            note::ALG_ED25519,
            &pk,
        ),
        None => String::new(),
    };
    Ok(HistoryReport { shown, size: q.log_size()?, checkpoints, vkey })
}
