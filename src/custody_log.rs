//! The custody log: every custody event (ingestion, claim, key registration
//! and revocation, fixity check, repair) appended as a leaf of an RFC 6962
//! Merkle tree, in the same transaction as the row it records; checkpoints
//! signed with the archive's own log key (C2SP tlog-checkpoint); inclusion
//! proofs (C2SP tlog-proof) and consistency proofs.
//!
//! Event bytes are a deterministic text encoding (schema/FORMAT.md): the
//! event type (PREMIS names where PREMIS has one), time, actor key, subject
//! digests, the SHA-256 of the signed envelope it refers to, and the row it
//! is about. Appends are serialized by the database's write transaction, so
//! writers can never fork the log.
//!
//! Must not: rewrite or delete a leaf; trust a stored node when verifying
//! (the audit recomputes them).

pub mod merkle;
pub mod note;
pub mod proof;

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::{SecretKey, keyfile};
use crate::db::{Reader, Tx};
use crate::error::{Error, ErrorKind, Result};
use crate::id::DigestSet;
use merkle::Hash;
use note::{Checkpoint, Note};

/// First line of every event.
pub const EVENT_MAGIC: &str = "custody-event/v1";
/// The log key's file inside the archive.
pub const LOG_KEY_FILE: &str = "log.key";

/// What happened. Its name in the event bytes is the PREMIS event type
/// where PREMIS has one, lowercase words (`key registration`); in JSON
/// reports it is kebab-case (`key-registration`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, strum::IntoStaticStr, strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "lowercase")]
pub enum EventKind {
    /// PREMIS "ingestion": an item was recorded.
    Ingestion,
    /// A signed claim was added (custody).
    Claim,
    /// A public key was registered (custody).
    #[strum(serialize = "key registration")]
    KeyRegistration,
    /// A key was revoked (custody).
    #[strum(serialize = "key revocation")]
    KeyRevocation,
    /// PREMIS "fixity check": an audit ran.
    #[strum(serialize = "fixity check")]
    FixityCheck,
    /// A missing object file was stored again from its original (custody).
    Repair,
    /// PREMIS "dissemination": a bag was exported.
    Dissemination,
    /// PREMIS "transfer": a bag from another archive (or tool) was imported.
    Transfer,
}

impl EventKind {
    /// The name written in the event.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// An object.
    Object(DigestSet),
    /// A key.
    Key(String),
    /// The archive as a whole.
    Archive(String),
}

/// One custody event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When (RFC 3339 UTC).
    pub time: String,
    /// Who (key id), if someone signed.
    pub actor: Option<String>,
    /// About what.
    pub subject: Subject,
    /// SHA-256 (hex) of the signed envelope or report it refers to.
    pub record: Option<String>,
    /// The row it records: `item:<uuid>`, `claim:<uuid>`, `key:<keyid>`,
    /// `audit:<run>`, `object:<blake3>`.
    pub reference: String,
}

/// SHA-256 hex of some bytes (record hashes in events).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Event {
    /// The leaf bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let subject = match &self.subject {
            Subject::Object(d) => format!("blake3:{} sha256:{}", d.blake3, d.sha256),
            Subject::Key(k) => format!("key:{k}"),
            Subject::Archive(a) => format!("archive:{a}"),
        };
        let text = format!(
            "{EVENT_MAGIC}\ntype {}\ntime {}\nactor {}\nsubject {subject}\nrecord {}\nref {}\n",
            self.kind.name(),
            self.time,
            self.actor.as_deref().unwrap_or("-"),
            self.record.as_deref().map_or("-".to_owned(), |r| format!("sha256:{r}")),
            self.reference
        );
        if text.lines().count() != 7 || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("a custody event field holds a line break: {:?}", self.reference),
            ));
        }
        Ok(text.into_bytes())
    }

    /// Parse leaf bytes (untrusted).
    pub fn parse(bytes: &[u8]) -> std::result::Result<Event, String> {
        let s = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
        if s.chars().any(|c| c.is_control() && c != '\n') {
            return Err("control characters".into());
        }
        let mut lines = s.strip_suffix('\n').ok_or("no final newline")?.split('\n');
        let mut field = |name: &str| -> std::result::Result<String, String> {
            let l = lines.next().ok_or_else(|| format!("no {name} line"))?;
            if name == EVENT_MAGIC {
                return if l == EVENT_MAGIC {
                    Ok(String::new())
                } else {
                    Err(format!("first line {l:?}"))
                };
            }
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or_else(|| format!("expected {name}, got {l:?}"))
        };
        field(EVENT_MAGIC)?;
        let kind = field("type")?;
        let kind: EventKind = kind.parse().map_err(|_| format!("unknown event type {kind:?}"))?;
        let time = field("time")?;
        let actor = Some(field("actor")?).filter(|a| a != "-");
        let subject = field("subject")?;
        let subject = if let Some(rest) = subject.strip_prefix("blake3:") {
            let (b, sha) = rest.split_once(" sha256:").ok_or("subject without sha256")?;
            Subject::Object(DigestSet { blake3: b.into(), sha256: sha.into() })
        } else if let Some(k) = subject.strip_prefix("key:") {
            Subject::Key(k.into())
        } else if let Some(a) = subject.strip_prefix("archive:") {
            Subject::Archive(a.into())
        } else {
            return Err(format!("unknown subject {subject:?}"));
        };
        let record = field("record")?;
        let record = match record.as_str() {
            "-" => None,
            r => Some(r.strip_prefix("sha256:").ok_or("record is not sha256:…")?.to_owned()),
        };
        let reference = field("ref")?;
        if lines.next().is_some() {
            return Err("extra lines".into());
        }
        Ok(Event { kind, time, actor, subject, record, reference })
    }

    fn blake3(&self) -> Option<&str> {
        match &self.subject {
            Subject::Object(d) => Some(&d.blake3),
            _ => None,
        }
    }
}

/// Complete subtrees read from the database.
pub(crate) struct DbTree<'a>(pub &'a Reader<'a>);

impl merkle::Subtrees for DbTree<'_> {
    type Error = Error;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash> {
        let h = self.0.log_node(level, index)?.ok_or_else(|| missing_node(level, index))?;
        h.try_into().map_err(|_| missing_node(level, index))
    }
}

fn missing_node(level: u32, index: u64) -> Error {
    Error::new(
        ErrorKind::Integrity,
        format!("custody log node ({level}, {index}) is missing or damaged"),
    )
    .hint("run `custody audit`")
}

/// Append one event inside `tx`; returns its leaf index.
pub(crate) fn append(tx: &Tx<'_>, event: &Event) -> Result<u64> {
    let bytes = event.encode()?;
    let q = tx.read();
    let idx = q.log_size()?;
    let tree = DbTree(&q);
    let nodes = merkle::append(idx, merkle::leaf_hash(&bytes), |l, i| {
        merkle::Subtrees::subtree(&tree, l, i)
    })?;
    tx.insert_log_leaf(idx, &bytes, event.kind.name(), &event.reference, event.blake3())?;
    for (l, i, h) in nodes {
        tx.insert_log_node(l, i, &h)?;
    }
    Ok(idx)
}

/// The origin line of an archive's log.
pub fn origin(archive_id: &str) -> String {
    format!("custody.invalid/archive/{archive_id}")
}

/// The archive's log key: `ARCHIVE/log.key`, made at `init` (mode 0600,
/// unencrypted: the archive signs its checkpoints unattended). It is made
/// later only for an archive that has never signed a checkpoint: a missing
/// key after that is an error, never silently replaced.
pub(crate) fn log_key(
    q: &Reader<'_>,
    root: &Path,
    archive_id: &str,
    now: &str,
) -> Result<SecretKey> {
    let path = root.join(LOG_KEY_FILE);
    if !path.exists() {
        if !q.checkpoints()?.is_empty() {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!("the archive's log key {} is missing", crate::text::shown(&path)),
            )
            .hint("restore log.key and log.key.pub from a backup; a new key would not match the checkpoints already issued"));
        }
        let key = SecretKey::generate()?;
        keyfile::write_new(&path, &origin(archive_id), &key, None, now)?;
    }
    Ok(keyfile::load_secret(&path, None)?.1)
}

/// The log's public key, for verifying (from `log.key.pub`).
pub(crate) fn log_public(root: &Path) -> Result<Option<crate::crypto::PublicKey>> {
    let path: PathBuf = root.join(format!("{LOG_KEY_FILE}.pub"));
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(keyfile::load_public(&path)?.key))
}

/// Sign the tree head of size `size` (≤ the log's size) with the log key,
/// and with `also` (a key name and key) when given, and store it.
pub(crate) fn sign_checkpoint(
    tx: &Tx<'_>,
    key: &SecretKey,
    also: Option<(&str, &SecretKey)>,
    archive_id: &str,
    size: u64,
    now: &str,
) -> Result<(i64, Note)> {
    let q = tx.read();
    let root = merkle::root(&DbTree(&q), size)?;
    let origin = origin(archive_id);
    let cp = Checkpoint { origin: origin.clone(), size, root };
    let mut note = Note { text: cp.text(), sigs: Vec::new() };
    note.sign(&origin, key);
    if let Some((name, k)) = also {
        note.sign(name, k);
    }
    let id = tx.insert_checkpoint(size, &root, &note.to_text(), now)?;
    Ok((id, note))
}

impl Event {
    /// An item was recorded: its ingest record's envelope.
    pub fn ingestion(
        time: &str,
        actor: &str,
        object: &DigestSet,
        envelope: &[u8],
        item_uuid: &str,
    ) -> Event {
        Event {
            kind: EventKind::Ingestion,
            time: time.into(),
            actor: Some(actor.into()),
            subject: Subject::Object(object.clone()),
            record: Some(sha256_hex(envelope)),
            reference: format!("item:{item_uuid}"),
        }
    }

    /// A claim was added: its envelope.
    pub fn claim(
        time: &str,
        actor: &str,
        object: &DigestSet,
        envelope: &[u8],
        claim_uuid: &str,
    ) -> Event {
        Event {
            kind: EventKind::Claim,
            time: time.into(),
            actor: Some(actor.into()),
            subject: Subject::Object(object.clone()),
            record: Some(sha256_hex(envelope)),
            reference: format!("claim:{claim_uuid}"),
        }
    }

    /// A key was registered to `owner` (`foreign`: from another archive's
    /// bag): the hash of its public key (hex text, 64 characters), a
    /// newline and the owner's name, and for a foreign key a newline and
    /// `foreign archive <id>`.
    pub fn key_registration(
        time: &str,
        keyid: &str,
        public_hex: &str,
        owner: &str,
        foreign: Option<&str>,
    ) -> Event {
        let text = match foreign {
            None => format!("{public_hex}\n{owner}"),
            Some(a) => format!("{public_hex}\n{owner}\nforeign archive {a}"),
        };
        Event {
            record: Some(sha256_hex(text.as_bytes())),
            ..Event::key_registration_unowned(time, keyid, public_hex)
        }
    }

    /// A bag was exported by `actor`: the SHA-256 of its payload manifest.
    pub fn dissemination(
        time: &str,
        actor: &str,
        archive_id: &str,
        payload_digest: &str,
        bag_id: &str,
    ) -> Event {
        Event {
            kind: EventKind::Dissemination,
            time: time.into(),
            actor: Some(actor.into()),
            subject: Subject::Archive(archive_id.into()),
            record: Some(payload_digest.into()),
            reference: format!("export:{bag_id}"),
        }
    }

    /// A bag was imported by `actor` (from archive `sender`, or a plain
    /// bag): the hash of the signed transfer record.
    pub fn transfer(
        time: &str,
        actor: &str,
        sender: Option<&str>,
        envelope: &[u8],
        bag_id: &str,
    ) -> Event {
        Event {
            kind: EventKind::Transfer,
            time: time.into(),
            actor: Some(actor.into()),
            subject: Subject::Archive(sender.unwrap_or("-").into()),
            record: Some(sha256_hex(envelope)),
            reference: format!("transfer:{bag_id}"),
        }
    }

    /// A key registration as archives before schema 4 logged it: the hash
    /// of the public key alone (the owner is named by a later event, see
    /// `own_keys`).
    pub fn key_registration_unowned(time: &str, keyid: &str, public_hex: &str) -> Event {
        Event {
            kind: EventKind::KeyRegistration,
            time: time.into(),
            actor: None,
            subject: Subject::Key(keyid.into()),
            record: Some(sha256_hex(public_hex.as_bytes())),
            reference: format!("key:{keyid}"),
        }
    }

    /// A key was revoked from `time`: the hash of the reason.
    pub fn key_revocation(time: &str, keyid: &str, reason: &str) -> Event {
        Event {
            kind: EventKind::KeyRevocation,
            time: time.into(),
            actor: None,
            subject: Subject::Key(keyid.into()),
            record: Some(sha256_hex(reason.as_bytes())),
            reference: format!("key:{keyid}"),
        }
    }

    /// An audit ran: the hash of its findings (JSON, as stored).
    pub fn fixity_check(time: &str, archive_id: &str, run_id: i64, report: &str) -> Event {
        Event {
            kind: EventKind::FixityCheck,
            time: time.into(),
            actor: None,
            subject: Subject::Archive(archive_id.into()),
            record: Some(sha256_hex(report.as_bytes())),
            reference: format!("audit:{run_id}"),
        }
    }

    /// A missing object file was stored again from its original.
    pub fn repair(time: &str, actor: &str, object: &DigestSet) -> Event {
        Event {
            kind: EventKind::Repair,
            time: time.into(),
            actor: Some(actor.into()),
            subject: Subject::Object(object.clone()),
            record: None,
            reference: format!("object:{}", object.blake3),
        }
    }
}

/// Give an archive that predates the log (schema < 3) its events: keys,
/// then every signed record in order, then audit runs, then revocations.
/// Called only by the migration to schema 3, in its transaction.
pub(crate) fn backfill(tx: &Tx<'_>) -> Result<u64> {
    let q = tx.read();
    let nothing = q.sequence("records")?.is_none()
        && q.keys_before_bundles()?.is_empty()
        && q.audit_runs()?.is_empty();
    if q.log_size()? > 0 || nothing {
        return Ok(0);
    }
    let (archive_id, _, _) = q.identity()?;
    let archive_id = archive_id.as_str();
    let mut events = Vec::new();
    let keys = q.keys_before_bundles()?;
    for k in &keys {
        events.push(Event::key_registration(&k.added_at, &k.keyid, &k.public_key, &k.owner, None));
    }
    let items: std::collections::HashMap<i64, crate::db::ItemRow> =
        q.items()?.into_iter().map(|i| (i.record_id, i)).collect();
    let claims: std::collections::HashMap<i64, crate::db::ClaimRow> =
        q.claims()?.into_iter().map(|c| (c.record_id, c)).collect();
    for r in q.records()? {
        let Some(o) = q.object(&r.blake3)? else { continue };
        let digest = o.digest();
        if let Some(i) = items.get(&r.id) {
            events.push(Event::ingestion(
                &i.ingested_at,
                &i.collector_keyid,
                &digest,
                &r.envelope,
                &i.item_uuid,
            ));
        } else if let Some(c) = claims.get(&r.id) {
            events.push(Event::claim(&c.signed_at, &c.keyid, &digest, &r.envelope, &c.claim_uuid));
        }
    }
    for run in q.audit_runs()? {
        events.push(Event::fixity_check(&run.finished_at, archive_id, run.id, &run.report));
    }
    // Revocations last: in the log, nothing a key signed may follow its
    // revocation (the audit checks that order).
    for k in &keys {
        if let Some(at) = &k.revoked_at {
            let reason = k.revoke_reason.as_deref().unwrap_or("");
            events.push(Event::key_revocation(at, &k.keyid, reason));
        }
    }
    for e in &events {
        append(tx, e)?;
    }
    Ok(events.len() as u64)
}

/// Name the owner of every key registered before key registration events
/// named owners (schema < 4): one owned registration event each, at the
/// key's registration time. Called only by the migration to schema 4, in
/// its transaction.
pub(crate) fn own_keys(tx: &Tx<'_>) -> Result<u64> {
    let q = tx.read();
    let mut n = 0;
    for k in q.keys_before_bundles()? {
        let owned = Event::key_registration(&k.added_at, &k.keyid, &k.public_key, &k.owner, None);
        let bytes = owned.encode()?;
        let logged = q.log_leaves_about(&owned.reference, "")?;
        if !logged.iter().any(|l| l.event == bytes) {
            append(tx, &owned)?;
            n += 1;
        }
    }
    Ok(n)
}
