//! Sealing a bag whose payload is written and verified: in one write
//! transaction, log the export (a dissemination event naming the payload
//! manifest), sign a checkpoint, prove every event of the bag against it,
//! and write the tag files — the evidence, the proofs, the witnessed
//! checkpoint, the READMEs, the statement signed by the exporter and the
//! log key over every payload and evidence file, bag-info and the tag
//! manifests. The transaction commits only after every tag file is in the
//! bag, and before the bag is renamed into place: a bag never carries a
//! checkpoint the log does not have, and a failed export logs nothing.
//!
//! Must not: write a tag file that is not spooled and hashed first (the
//! manifests name what was written, never a second rendering of it).

use std::collections::BTreeMap;

use base64::Engine;

use std::path::PathBuf;

use super::gather::Gathered;
use super::payload::PayloadFile;
use crate::archive::Archive;
use crate::bundle::bagit::{self, BagInfo};
use crate::bundle::evidence::{
    self, BagEvent, BagItem, BagKey, BagPredicate, CheckpointRef, ItemsFile, KeysFile,
};
use crate::bundle::hashing::{Digests, Spool};
use crate::bundle::layout;
use crate::bundle::readme::{self, Readme};
use crate::bundle::sink::Sink;
use crate::crypto::{PublicKey, SecretKey, keyfile};
use crate::custody_log::merkle;
use crate::custody_log::note::{self, Checkpoint, Note};
use crate::custody_log::{self, DbTree, Event, proof};
use crate::db::{ExportRow, Reader};
use crate::error::{Error, Result};
use crate::id::DigestSet;
use crate::record;
use crate::text::{exact, lossy};

/// Seals one bag.
pub(super) struct Seal<'a> {
    pub bag: &'a Gathered,
    pub exporter: &'a str,
    pub key: &'a SecretKey,
    /// Where tag files are spooled (beside the bag).
    pub spool_dir: PathBuf,
}

/// What sealing the bag gave.
pub(super) struct Sealed {
    pub bag_id: String,
    pub size: u64,
    pub event_index: u64,
    pub events: u64,
    pub vkey: String,
}

/// A tag file to add: its name, spooled bytes and digests.
struct TagFile {
    name: String,
    file: tempfile::NamedTempFile,
    digests: Digests,
}

/// A witnessed checkpoint in the bag: its tag files, its size, who
/// cosigned it.
struct Witnessed {
    files: Vec<TagFile>,
    size: u64,
    names: Vec<String>,
}

impl TagFile {
    fn digest_set(&self) -> DigestSet {
        DigestSet { blake3: self.digests.blake3.clone(), sha256: self.digests.sha256.clone() }
    }
}

impl Seal<'_> {
    fn spool(
        &self,
        name: &str,
        write: &mut dyn FnMut(&mut Spool) -> std::io::Result<()>,
    ) -> Result<TagFile> {
        let err = |e| Error::io(&format!("cannot write the bag's {name} in"), &self.spool_dir, e);
        let mut s = Spool::new(&self.spool_dir).map_err(err)?;
        write(&mut s).map_err(err)?;
        let (file, digests) = s.finish().map_err(err)?;
        Ok(TagFile { name: name.into(), file, digests })
    }

    fn text(&self, name: &str, text: &str) -> Result<TagFile> {
        self.spool(name, &mut |s| s.write(text.as_bytes()))
    }

    fn json(&self, name: &str, value: &impl serde::Serialize) -> Result<TagFile> {
        // Plain structs of strings and numbers always serialize.
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        self.text(name, &text)
    }

    /// Log the export, sign its checkpoint, prove every event against it
    /// and write every tag file, in one write transaction.
    pub(super) fn seal(
        &self,
        archive: &mut Archive,
        sink: &mut Sink,
        payload: &[PayloadFile],
    ) -> Result<Sealed> {
        let bag_id = uuid::Uuid::new_v4().to_string();
        let now = archive.now();
        let archive_id = self.bag.archive_id.clone();
        let log_key = custody_log::log_key(&archive.db.read(), archive.root(), &archive_id, &now)?;
        let vkey =
            note::vkey(&custody_log::origin(&archive_id), note::ALG_ED25519, &log_key.public());
        let manifest256: String =
            payload.iter().map(|p| bagit::manifest_line(&p.digests.sha256, &p.path)).collect();
        let manifest512: String =
            payload.iter().map(|p| bagit::manifest_line(&p.digests.sha512, &p.path)).collect();
        let mut evidence = vec![
            self.text("bagit.txt", bagit::BAGIT_TXT)?,
            self.text("manifest-sha256.txt", &manifest256)?,
            self.text("manifest-sha512.txt", &manifest512)?,
        ];
        let payload_digest = custody_log::sha256_hex(manifest256.as_bytes());
        evidence.extend(self.evidence(payload)?);
        let _lock = archive.lock_for_writing()?;
        let tx = archive.db.tx()?;
        tx.insert_export(&ExportRow {
            id: 0,
            bag_id: bag_id.clone(),
            payload_digest: payload_digest.clone(),
            exported_at: now.clone(),
            exporter_keyid: self.exporter.into(),
            items: self.bag.items.len() as i64,
            withheld: self.bag.withheld.len() as i64,
        })?;
        let dissemination =
            Event::dissemination(&now, self.exporter, &archive_id, &payload_digest, &bag_id);
        let event_index = custody_log::append(&tx, &dissemination)?;
        let size = tx.read().log_size()?;
        let (_, cp_note) =
            custody_log::sign_checkpoint(&tx, &log_key, None, &archive_id, size, &now)?;
        let mut events: Vec<u64> = self.bag.event_indexes().into_iter().collect();
        events.push(event_index);
        let q = tx.read();
        evidence.push(self.proofs(&q, &cp_note, &events, size)?);
        let witnessed = self.witnessed(&q, &cp_note, size)?;
        let witnesses = witnessed.as_ref().map(|w| (w.size, w.names.clone()));
        evidence.extend(witnessed.map(|w| w.files).unwrap_or_default());
        evidence.push(self.text(layout::CHECKPOINT, &cp_note.to_text())?);
        evidence.push(self.text(layout::LOG_VKEY, &format!("{vkey}\n"))?);
        let told = self.readme(&bag_id, &now, size, &vkey, witnesses);
        evidence.push(self.text(layout::README_TXT, &readme::text(&told))?);
        evidence.push(self.text(layout::README_HTML, &readme::html(&told))?);
        let cp = Checkpoint::parse(&cp_note.text)
            .map_err(|e| Error::new(crate::error::ErrorKind::Integrity, e))?;
        let statement = self.statement(payload, &evidence, &bag_id, &cp, &vkey, &log_key, &now);
        evidence.push(
            self.text(layout::STATEMENT, &format!("{}\n", String::from_utf8_lossy(&statement)))?,
        );
        let info = self.bag_info(payload, &bag_id, &cp, &vkey, &now, &evidence);
        evidence.push(self.text("bag-info.txt", &info.render())?);
        let t256: String =
            evidence.iter().map(|t| bagit::manifest_line(&t.digests.sha256, &t.name)).collect();
        let t512: String =
            evidence.iter().map(|t| bagit::manifest_line(&t.digests.sha512, &t.name)).collect();
        evidence.push(self.text("tagmanifest-sha256.txt", &t256)?);
        evidence.push(self.text("tagmanifest-sha512.txt", &t512)?);
        for mut t in evidence {
            sink.add(&t.name, t.digests.size, t.file.as_file_mut())?;
        }
        tx.commit()?;
        Ok(Sealed { bag_id, size, event_index, events: events.len() as u64, vkey })
    }

    /// The records, the item index, the keys and the BLAKE3 manifest.
    fn evidence(&self, payload: &[PayloadFile]) -> Result<Vec<TagFile>> {
        let g = self.bag;
        let records = self.spool(layout::RECORDS, &mut |s| {
            for r in &g.records {
                // Envelopes are compact JSON: one per line.
                if r.contains(&b'\n') {
                    return Err(std::io::Error::other("a stored envelope spans lines"));
                }
                s.write(r)?;
                s.write(b"\n")?;
            }
            Ok(())
        })?;
        let items = ItemsFile {
            format: evidence::ITEMS_FORMAT.into(),
            items: g.items.iter().map(|it| self.bag_item(it)).collect(),
            withheld: g.withheld.clone(),
        };
        let keys = KeysFile {
            format: evidence::KEYS_FORMAT.into(),
            keys: g.keys.iter().map(bag_key).collect::<Result<_>>()?,
        };
        let blake3: String =
            payload.iter().map(|p| bagit::manifest_line(&p.digests.blake3, &p.path)).collect();
        Ok(vec![
            records,
            self.json(layout::ITEMS, &items)?,
            self.json(layout::KEYS, &keys)?,
            self.text(layout::BLAKE3_MANIFEST, &blake3)?,
        ])
    }

    fn bag_item(&self, it: &crate::db::ItemRow) -> BagItem {
        let g = self.bag;
        let o = &g.objects[&it.blake3];
        BagItem {
            item: it.id,
            uuid: it.item_uuid.clone(),
            archive_id: g
                .key_archive
                .get(&it.collector_keyid)
                .cloned()
                .unwrap_or_else(|| g.archive_id.clone()),
            digest: o.digest(),
            size: o.size.max(0) as u64,
            media_type: it.media_type.clone(),
            payload: g.names[&it.blake3].clone(),
            name: lossy(&it.original_name),
            name_bytes: exact(&it.original_name),
            path: lossy(&it.original_path),
            path_bytes: exact(&it.original_path),
            ingested_at: it.ingested_at.clone(),
            collector: it.collector_keyid.clone(),
            record: g.item_record.get(&it.id).copied().unwrap_or_default(),
            claims: g.claims_of(it),
            events: g.events_of(it),
        }
    }

    /// `custody/events.jsonl`: every event with its inclusion proof.
    fn proofs(&self, q: &Reader<'_>, cp: &Note, events: &[u64], size: u64) -> Result<TagFile> {
        let tree = DbTree(q);
        let mut lines = Vec::with_capacity(events.len());
        for &index in events {
            let leaf = q.log_leaf(index)?.ok_or_else(|| {
                Error::new(
                    crate::error::ErrorKind::Integrity,
                    format!("custody log event {index} is missing"),
                )
                .hint("run `custody audit`")
            })?;
            let path = merkle::inclusion_proof(&tree, index, size)?;
            let proof = proof::inclusion_text(&leaf.event, index, &path, cp);
            lines.push(BagEvent { index, proof });
        }
        self.spool(layout::EVENTS, &mut |s| {
            for e in &lines {
                s.write(serde_json::to_string(e).unwrap_or_default().as_bytes())?;
                s.write(b"\n")?;
            }
            Ok(())
        })
    }

    /// The latest cosigned checkpoint (with its cosignatures), the
    /// witnesses' keys and the consistency proof from it to `cp`.
    fn witnessed(&self, q: &Reader<'_>, cp: &Note, size: u64) -> Result<Option<Witnessed>> {
        let cosigs = q.cosignatures()?;
        let Some(stored) = q
            .checkpoints()?
            .into_iter()
            .rev()
            .find(|c| c.size as u64 <= size && cosigs.iter().any(|s| s.checkpoint_id == c.id))
        else {
            return Ok(None);
        };
        let mine: Vec<_> = cosigs.iter().filter(|s| s.checkpoint_id == stored.id).collect();
        let mut text = stored.note.clone();
        for s in &mine {
            text.push_str(s.line.trim_end());
            text.push('\n');
        }
        let note = Note::parse(text.as_bytes()).map_err(|e| {
            Error::new(
                crate::error::ErrorKind::Integrity,
                format!("stored checkpoint {} with its cosignatures is malformed: {e}", stored.id),
            )
            .hint("run `custody audit`")
        })?;
        let old = stored.size as u64;
        let hashes = merkle::consistency_proof(&DbTree(q), old, size)?;
        let consistency = proof::consistency_text(&note, cp, old, size, &hashes);
        let vkeys: String = mine.iter().map(|s| format!("{}\n", s.vkey)).collect();
        let names = mine.iter().map(|s| s.witness.clone()).collect();
        Ok(Some(Witnessed {
            files: vec![
                self.text(layout::WITNESSED, &note.to_text())?,
                self.text(layout::WITNESSES, &vkeys)?,
                self.text(layout::CONSISTENCY, &consistency)?,
            ],
            size: old,
            names,
        }))
    }

    fn readme(
        &self,
        bag_id: &str,
        now: &str,
        size: u64,
        vkey: &str,
        witnessed: Option<(u64, Vec<String>)>,
    ) -> Readme {
        let g = self.bag;
        Readme {
            archive_name: g.archive_name.clone(),
            archive_id: g.archive_id.clone(),
            bag_id: bag_id.into(),
            exported_at: now.into(),
            exporter: g.exporter_name.clone(),
            checkpoint_size: size,
            log_vkey: vkey.into(),
            witnessed,
            items: g.readme.clone(),
            withheld: g.withheld.clone(),
        }
    }

    /// The bag statement: every payload file a subject (SHA-256, BLAKE3),
    /// every evidence file named with its digests; signed by the exporter
    /// and by the log key.
    #[allow(clippy::too_many_arguments)]
    fn statement(
        &self,
        payload: &[PayloadFile],
        evidence: &[TagFile],
        bag_id: &str,
        cp: &Checkpoint,
        vkey: &str,
        log_key: &SecretKey,
        now: &str,
    ) -> Vec<u8> {
        let g = self.bag;
        let predicate = BagPredicate {
            archive_id: g.archive_id.clone(),
            archive_name: g.archive_name.clone(),
            bag_id: bag_id.into(),
            exported_at: now.into(),
            exporter: self.exporter.into(),
            checkpoint: CheckpointRef {
                origin: cp.origin.clone(),
                size: cp.size,
                root: base64(&cp.root),
            },
            log_vkey: vkey.into(),
            evidence: evidence
                .iter()
                .map(|t| (t.name.clone(), t.digest_set()))
                .collect::<BTreeMap<_, _>>(),
            withheld: g.withheld.clone(),
        };
        let statement = record::Statement {
            statement_type: record::STATEMENT_TYPE.into(),
            subject: payload
                .iter()
                .map(|p| record::Subject {
                    name: p.path.clone(),
                    digest: DigestSet {
                        blake3: p.digests.blake3.clone(),
                        sha256: p.digests.sha256.clone(),
                    },
                })
                .collect(),
            predicate_type: layout::BAG_PREDICATE.into(),
            predicate,
        };
        record::sign_by(&statement, &[self.key, log_key])
    }

    /// `bag-info.txt`, as the profile requires it.
    fn bag_info(
        &self,
        payload: &[PayloadFile],
        bag_id: &str,
        cp: &Checkpoint,
        vkey: &str,
        now: &str,
        tags: &[TagFile],
    ) -> BagInfo {
        let bytes: u64 = payload.iter().map(|p| p.digests.size).sum();
        let tag_bytes: u64 = tags.iter().map(|t| t.digests.size).sum();
        let mut i = BagInfo::default();
        i.push("Source-Organization", one_line(&self.bag.archive_name));
        i.push("External-Identifier", bag_id);
        i.push(
            "External-Description",
            format!(
                "Evidence bag of {} item(s) exported by custody; see README.txt",
                self.bag.items.len()
            ),
        );
        i.push("Bagging-Date", now.get(..10).unwrap_or(now));
        i.push("Payload-Oxum", bagit::payload_oxum(bytes, payload.len() as u64));
        i.push("Bag-Size", bagit::human_size(bytes + tag_bytes));
        i.push(
            "Bag-Software-Agent",
            format!("custody {} <https://custody.invalid>", env!("CARGO_PKG_VERSION")),
        );
        i.push("BagIt-Profile-Identifier", layout::PROFILE_ID);
        i.push("Custody-Archive-Id", self.bag.archive_id.clone());
        i.push("Custody-Exporter", self.exporter);
        i.push("Custody-Checkpoint-Size", cp.size.to_string());
        i.push("Custody-Checkpoint-Root", base64(&cp.root));
        i.push("Custody-Log-Vkey", vkey);
        i
    }
}

/// A value on one line (bag-info continues values on further lines; a
/// name must not start a field of its own).
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn base64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn bag_key(k: &crate::db::KeyRow) -> Result<BagKey> {
    let public = PublicKey::from_hex("a registered key", &k.public_key)?;
    Ok(BagKey {
        keyid: k.keyid.clone(),
        owner: k.owner.clone(),
        added_at: k.added_at.clone(),
        revoked_at: k.revoked_at.clone(),
        revoke_reason: k.revoke_reason.clone(),
        foreign_archive: k.foreign_archive.clone(),
        custody: keyfile::public_file_json(&k.owner, &public),
        securesystemslib: serde_json::json!({
            "keytype": "ed25519",
            "scheme": "ed25519",
            "keyval": {"public": public.to_hex()},
        }),
    })
}
