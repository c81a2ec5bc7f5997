//! `log`: the custody history — every custody event of the archive (or of
//! one item's object) in log order, who did it, the stored checkpoints
//! and who cosigned them, and the log's verifier key. (`timeline`, the
//! chronology of the events the evidence shows, is another verb.)
//!
//! Must not: write to the archive.

use std::collections::HashMap;

use serde::Serialize;

use crate::archive::{Archive, Target};
use crate::custody_log::{self, Event, EventKind, note};
use crate::db::Reader;
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

/// What `log` shows.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// Events (all, or those about one item's object), oldest first.
    pub events: Vec<EventView>,
    /// Leaves in the log.
    pub size: u64,
    /// Stored checkpoints (whole-archive view only).
    pub checkpoints: Vec<CheckpointView>,
    /// The log's verifier key.
    pub vkey: String,
}

/// The rows events refer to, by the ids events name them by.
struct Names {
    items: HashMap<String, i64>,
    claims: HashMap<String, (i64, String)>,
    keys: HashMap<String, (String, Option<String>)>,
    runs: HashMap<String, u64>,
}

impl Names {
    fn read(q: &Reader<'_>) -> Result<Names> {
        Ok(Names {
            items: q.items()?.into_iter().map(|i| (i.item_uuid, i.id)).collect(),
            claims: q.claims()?.into_iter().map(|c| (c.claim_uuid, (c.id, c.kind))).collect(),
            keys: q.keys()?.into_iter().map(|k| (k.keyid, (k.owner, k.revoke_reason))).collect(),
            runs: q
                .audit_runs()?
                .into_iter()
                .map(|r| {
                    // The logged report, not the column, says how many.
                    let n = serde_json::from_str::<Vec<serde_json::Value>>(&r.report)
                        .map_or(0, |v| v.len() as u64);
                    (r.id.to_string(), n)
                })
                .collect(),
        })
    }

    fn about(&self, e: &Event) -> About {
        let (kind, id) = e.reference.split_once(':').unwrap_or(("", ""));
        let mut a = About::default();
        match (kind, e.kind) {
            ("item", _) => a.item = self.items.get(id).copied(),
            ("claim", _) => {
                if let Some((n, k)) = self.claims.get(id) {
                    a.claim = Some(*n);
                    a.claim_kind = Some(k.clone());
                }
            }
            ("key", kind) => {
                if let Some((owner, reason)) = self.keys.get(id) {
                    a.key_owner = Some(owner.clone());
                    if kind == EventKind::KeyRevocation {
                        a.revoke_reason = reason.clone();
                    }
                }
            }
            ("audit", _) => a.findings = self.runs.get(id).copied(),
            _ => {}
        }
        a
    }
}

/// The custody history of the archive, or of one item's object.
pub fn history(archive: &Archive, reference: Option<&str>) -> Result<HistoryReport> {
    let q = archive.db.read();
    let names = Names::read(&q)?;
    let rows = match reference {
        None => q.log_leaves(0, u64::MAX >> 1)?,
        Some(r) => {
            let (blake3, item_ref) = match archive.resolve(r)? {
                Target::Item(it) => (it.blake3, format!("item:{}", it.item_uuid)),
                Target::Object(o) => (o.blake3.clone(), format!("object:{}", o.blake3)),
            };
            q.log_leaves_about(&item_ref, &blake3)?
        }
    };
    let events = rows
        .into_iter()
        .map(|r| {
            let event = Event::parse(&r.event).ok();
            let actor_name = event
                .as_ref()
                .and_then(|e| e.actor.as_ref())
                .and_then(|a| names.keys.get(a))
                .map(|k| k.0.clone());
            let about = event.as_ref().map(|e| names.about(e)).unwrap_or_default();
            EventView { index: r.idx as u64, event, actor_name, about }
        })
        .collect();
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
    Ok(HistoryReport { events, size: q.log_size()?, checkpoints, vkey })
}
