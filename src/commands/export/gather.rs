//! What a bag will carry, read and checked before a byte is written: the
//! items and their objects, every ingest record and claim envelope (each
//! verified as the audit verifies it), the claims left out on purpose,
//! the keys that signed, the custody events of all of them, the payload
//! names, and what the READMEs tell about each item.
//!
//! Must not: write anything; let a record that does not verify through.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::archive::Archive;
use crate::audit::claims::{ClaimContext, check_claim};
use crate::audit::items::check_item;
use crate::bundle::evidence::{BagClaim, Withheld};
use crate::bundle::layout;
use crate::bundle::readme::ReadmeItem;
use crate::claim::review::Supersessions;
use crate::claim::{Basis, Kind};
use crate::commands::inspect::claims_of;
use crate::custody_log::Event;
use crate::db::{ClaimRow, ItemRow, KeyRow, ObjectRow, Reader};
use crate::error::{Error, ErrorKind, Result};
use crate::text::lossy;
use crate::trust::{Keys, Verdicts};

use crate::finding::Finding;

/// Everything a bag carries but its proofs.
pub(super) struct Gathered {
    pub archive_id: String,
    pub archive_name: String,
    /// "Owner (keyid)".
    pub exporter_name: String,
    pub items: Vec<ItemRow>,
    pub objects: BTreeMap<String, ObjectRow>,
    /// Envelope bytes, in `records.intoto.jsonl` order.
    pub records: Vec<Vec<u8>>,
    /// Each item's line there.
    pub item_record: HashMap<i64, usize>,
    /// Claims in the bag: (row, line of its envelope).
    pub claims: Vec<(ClaimRow, usize)>,
    pub withheld: Vec<Withheld>,
    /// Each withheld claim's object (by claim UUID).
    pub withheld_object: HashMap<String, String>,
    pub keys: Vec<KeyRow>,
    /// The archive each signer's records belong to.
    pub key_archive: HashMap<String, String>,
    /// Custody events in the bag, by reference: their log indexes.
    pub events: BTreeMap<String, Vec<u64>>,
    /// Each event of the bag, by log index (as the log holds it).
    pub logged: BTreeMap<u64, Event>,
    /// The claims of each object (indexes into `claims`).
    pub claims_by_object: HashMap<String, Vec<usize>>,
    /// The UUIDs of the exported items.
    pub exported: HashSet<String>,
    /// Each object's payload path.
    pub names: HashMap<String, String>,
    /// What the READMEs tell of each item.
    pub readme: Vec<ReadmeItem>,
}

impl Gathered {
    /// Every event index in the bag, once.
    pub fn event_indexes(&self) -> BTreeSet<u64> {
        self.events.values().flatten().copied().collect()
    }

    /// The claims in the bag told with an item: those made with it, and
    /// those about its object made with no exported item.
    pub fn claims_of(&self, it: &ItemRow) -> Vec<BagClaim> {
        let of_object =
            self.claims_by_object.get(&it.blake3).map(Vec::as_slice).unwrap_or_default();
        of_object
            .iter()
            .map(|i| &self.claims[*i])
            .filter(|(c, _)| match c.item_uuid.as_deref() {
                Some(u) => u == it.item_uuid || !self.exported.contains(u),
                None => true,
            })
            .map(|(c, line)| BagClaim {
                claim: c.id,
                uuid: c.claim_uuid.clone(),
                kind: c.kind.clone(),
                record: *line,
            })
            .collect()
    }

    /// The event indexes told with an item: its own, its claims' (withheld
    /// ones too: an event names a claim, it does not say it), its object's.
    pub fn events_of(&self, it: &ItemRow) -> Vec<u64> {
        let mut refs = vec![format!("item:{}", it.item_uuid), format!("object:{}", it.blake3)];
        refs.extend(self.claims_of(it).into_iter().map(|c| format!("claim:{}", c.uuid)));
        refs.extend(
            self.withheld
                .iter()
                .filter(|w| w.item.as_deref().is_none_or(|u| u == it.item_uuid))
                .filter(|w| self.withheld_object.get(&w.uuid) == Some(&it.blake3))
                .map(|w| format!("claim:{}", w.uuid)),
        );
        let set: BTreeSet<u64> =
            refs.iter().filter_map(|r| self.events.get(r)).flatten().copied().collect();
        set.into_iter().collect()
    }
}

/// The objects of the items, and each one's payload path (the first step:
/// the payload can be written from these while the rest is gathered).
pub(super) fn objects(archive: &Archive, items: &[ItemRow]) -> Result<Objects> {
    let q = archive.db.read();
    let mut objects = BTreeMap::new();
    let mut firsts = Vec::new();
    for it in items {
        if objects.contains_key(&it.blake3) {
            continue;
        }
        let o = q.object(&it.blake3)?.ok_or_else(|| {
            Error::new(ErrorKind::Integrity, format!("item {} names no object row", it.id))
                .hint("run `custody audit`")
        })?;
        firsts.push((it.blake3.clone(), lossy(&it.original_name)));
        objects.insert(it.blake3.clone(), o);
    }
    Ok(Objects { names: layout::payload_names(&firsts), objects })
}

/// The objects of a bag and their payload paths.
#[derive(Clone)]
pub(super) struct Objects {
    pub objects: BTreeMap<String, ObjectRow>,
    pub names: HashMap<String, String>,
}

/// Read every record, claim, key and event the bag will carry, and check
/// each as the audit does: nothing that does not verify is exported.
pub(super) fn gather(
    archive: &Archive,
    items: Vec<ItemRow>,
    objects: Objects,
    withhold: &[Kind],
    exporter: &str,
) -> Result<Gathered> {
    let q = archive.db.read();
    let identity = archive.identity()?;
    let keys = Keys::read(&q)?;
    let mut g = Gathered {
        exporter_name: format!(
            "{} ({exporter})",
            keys.owners.get(exporter).map_or("?", String::as_str)
        ),
        archive_id: identity.archive_id,
        archive_name: identity.name,
        items: Vec::new(),
        objects: objects.objects,
        records: Vec::new(),
        item_record: HashMap::new(),
        claims: Vec::new(),
        withheld: Vec::new(),
        withheld_object: HashMap::new(),
        keys: Vec::new(),
        key_archive: HashMap::new(),
        events: BTreeMap::new(),
        logged: BTreeMap::new(),
        claims_by_object: HashMap::new(),
        exported: HashSet::new(),
        names: objects.names,
        readme: Vec::new(),
    };
    for it in &items {
        let o = g.objects.get(&it.blake3);
        let rec = q.record(it.record_id)?;
        if let Some(f) =
            check_item(it, rec.as_ref(), o, &keys, &Verdicts::default(), &g.archive_id).first()
        {
            return Err(unverifiable(format!("item {}", it.id), f));
        }
        g.item_record.insert(it.id, g.records.len());
        g.records.push(rec.map(|r| r.envelope).unwrap_or_default());
    }
    g.exported = items.iter().map(|i| i.item_uuid.clone()).collect();
    g.items = items;
    gather_claims(&q, &mut g, &keys, withhold)?;
    for (i, (c, _)) in g.claims.iter().enumerate() {
        g.claims_by_object.entry(c.blake3.clone()).or_default().push(i);
    }
    gather_keys_and_events(&q, &mut g, &keys)?;
    g.readme = readme_items(archive, &g, &keys)?;
    Ok(g)
}

/// The claims about the exported objects made with an exported item, with
/// no item, or read from the file — and every claim they supersede, so a
/// chain is never cut; withheld kinds are named, not given.
fn gather_claims(q: &Reader<'_>, g: &mut Gathered, keys: &Keys, withhold: &[Kind]) -> Result<()> {
    let uuids: BTreeSet<String> = g.items.iter().map(|i| i.item_uuid.clone()).collect();
    for (blake3, o) in &g.objects {
        let rows = q.claims_of(blake3)?;
        let by_uuid: HashMap<&str, &ClaimRow> =
            rows.iter().map(|c| (c.claim_uuid.as_str(), c)).collect();
        let sup = Supersessions::of(&rows);
        let cx = ClaimContext {
            keys,
            archive_id: &g.archive_id,
            by_uuid: &by_uuid,
            supersessions: &sup,
            verdicts: &Verdicts::default(),
        };
        let mut wanted: BTreeSet<i64> = rows
            .iter()
            .filter(|c| {
                c.item_uuid.as_deref().is_none_or(|u| uuids.contains(u))
                    || c.basis == Basis::Embedded.name()
            })
            .map(|c| c.id)
            .collect();
        // Every claim a wanted claim supersedes, transitively.
        let mut todo: Vec<i64> = wanted.iter().copied().collect();
        while let Some(id) = todo.pop() {
            let target = rows
                .iter()
                .find(|c| c.id == id)
                .and_then(|c| c.supersedes.as_deref())
                .and_then(|u| by_uuid.get(u));
            if let Some(t) = target
                && wanted.insert(t.id)
            {
                todo.push(t.id);
            }
        }
        for c in rows.iter().filter(|c| wanted.contains(&c.id)) {
            if withhold.iter().any(|k| k.name() == c.kind) {
                g.withheld.push(Withheld {
                    claim: c.id,
                    uuid: c.claim_uuid.clone(),
                    kind: c.kind.clone(),
                    item: c.item_uuid.clone(),
                });
                g.withheld_object.insert(c.claim_uuid.clone(), c.blake3.clone());
                continue;
            }
            let rec = q.record(c.record_id)?;
            if let Some(f) = check_claim(c, rec.as_ref(), Some(o), &cx).1.first() {
                return Err(unverifiable(format!("claim {}", c.id), f));
            }
            g.claims.push((c.clone(), g.records.len()));
            g.records.push(rec.map(|r| r.envelope).unwrap_or_default());
        }
    }
    Ok(())
}

/// Every key that signed something in the bag, and the custody events of
/// the items, their claims (withheld ones included), their objects and
/// those keys.
fn gather_keys_and_events(q: &Reader<'_>, g: &mut Gathered, keys: &Keys) -> Result<()> {
    let mut signers: BTreeSet<String> = g.items.iter().map(|i| i.collector_keyid.clone()).collect();
    signers.extend(g.claims.iter().map(|(c, _)| c.keyid.clone()));
    let mut refs: Vec<String> = g.items.iter().map(|i| format!("item:{}", i.item_uuid)).collect();
    refs.extend(g.claims.iter().map(|(c, _)| format!("claim:{}", c.claim_uuid)));
    refs.extend(g.withheld.iter().map(|w| format!("claim:{}", w.uuid)));
    refs.extend(g.objects.keys().map(|b| format!("object:{b}")));
    for k in &signers {
        g.keys.extend(q.key(k)?);
        g.key_archive.insert(k.clone(), keys.archive_of(k, &g.archive_id).to_owned());
        refs.push(format!("key:{k}"));
    }
    leaves_about(q, g, refs)?;
    for idx in g.event_indexes() {
        let leaf = q.log_leaf(idx)?.and_then(|l| Event::parse(&l.event).ok()).ok_or_else(|| {
            Error::new(
                ErrorKind::Integrity,
                format!("custody log event {idx} is missing or malformed"),
            )
            .hint("run `custody audit`")
        })?;
        g.logged.insert(idx, leaf);
    }
    Ok(())
}

/// The log indexes of the events about each reference.
fn leaves_about(q: &Reader<'_>, g: &mut Gathered, refs: Vec<String>) -> Result<()> {
    for r in refs {
        let leaves: Vec<u64> = q
            .log_leaves_about(&r, "")?
            .into_iter()
            .filter(|l| l.reference == r)
            .map(|l| l.idx as u64)
            .collect();
        g.events.entry(r).or_default().extend(leaves);
    }
    Ok(())
}

/// What the READMEs say of each item: its claims in the bag (described),
/// the discrepancies among them, and its custody events in the bag.
fn readme_items(archive: &Archive, g: &Gathered, keys: &Keys) -> Result<Vec<ReadmeItem>> {
    let owner = |k: &str| format!("{} ({k})", keys.owners.get(k).map_or("?", String::as_str));
    let mut out = Vec::new();
    let mut viewed = HashMap::new();
    for it in &g.items {
        let in_bag: BTreeSet<i64> = g.claims_of(it).iter().map(|c| c.claim).collect();
        if !viewed.contains_key(&it.blake3) {
            viewed.insert(it.blake3.clone(), claims_of(archive, &it.blake3)?);
        }
        let (views, discrepancies) = &viewed[&it.blake3];
        let claims = views
            .iter()
            .filter(|v| in_bag.contains(&v.claim))
            .map(|v| {
                let value = v.value.as_ref().map(|x| x.describe()).unwrap_or_default();
                let sup = v
                    .superseded_by
                    .map(|n| format!("; superseded by claim {n}"))
                    .unwrap_or_default();
                format!(
                    "claim {} {}: {value} ({}; signed by {} at {}{sup})",
                    v.claim,
                    v.kind,
                    v.basis,
                    owner(&v.author_keyid),
                    v.signed_at
                )
            })
            .collect();
        let discrepancies = discrepancies
            .iter()
            .filter(|d| d.claims.iter().all(|c| in_bag.contains(c)))
            .map(|d| format!("{} (claims {:?}): {}", d.rule, d.claims, d.message))
            .collect();
        let timeline = g
            .events_of(it)
            .into_iter()
            .filter_map(|i| g.logged.get(&i).map(|e| (i, e)))
            .map(|(i, e)| {
                let by =
                    e.actor.as_deref().map(|a| format!(" by {}", owner(a))).unwrap_or_default();
                format!("event {i}: {} {} {}{by}", e.time, e.kind.name(), e.reference)
            })
            .collect();
        let object = &g.objects[&it.blake3];
        out.push(ReadmeItem {
            item: it.id,
            name: lossy(&it.original_name),
            payload: g.names[&it.blake3].clone(),
            blake3: it.blake3.clone(),
            sha256: object.sha256.clone(),
            size: it.size.max(0) as u64,
            media_type: it.media_type.clone(),
            ingested: format!("by {} at {}", owner(&it.collector_keyid), it.ingested_at),
            claims,
            discrepancies,
            timeline,
        });
    }
    Ok(out)
}

/// A failed check, as the error that stops an export.
pub(super) fn unverifiable(what: String, f: &Finding) -> Error {
    Error::new(
        ErrorKind::Integrity,
        format!("{what} cannot be exported: {}: {}", f.code.as_str(), f.message),
    )
    .hint(format!("{}; then export again", f.repair))
}
