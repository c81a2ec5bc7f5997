//! `log`: the custody history — every custody event of the archive (or of
//! one item's object) in log order, who did it, the stored checkpoints
//! and who cosigned them, and the log's verifier key. (`timeline`, the
//! chronology of the events the evidence shows, is another verb.)
//!
//! Must not: write to the archive.

use serde::Serialize;

use crate::archive::{Archive, Target};
use crate::custody_log::{self, Event, note};
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

/// The custody history of the archive, or of one item's object.
pub fn history(archive: &Archive, reference: Option<&str>) -> Result<HistoryReport> {
    let q = archive.db.read();
    let owners: std::collections::HashMap<String, String> =
        q.keys()?.into_iter().map(|k| (k.keyid, k.owner)).collect();
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
            let actor_name =
                event.as_ref().and_then(|e| e.actor.as_ref()).and_then(|a| owners.get(a).cloned());
            EventView { index: r.idx as u64, event, actor_name }
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
