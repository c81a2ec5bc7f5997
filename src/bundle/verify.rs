//! Verifying a bag offline, with no archive at hand, fail-closed, in
//! numbered steps; every problem is a finding naming the file, the check
//! and what to do:
//!
//! 1. the entries are safe to read (`source`);
//! 2. BagIt: `bagit.txt` 1.0, `bag-info.txt`, no `fetch.txt`, every
//!    manifest listing every payload file and no other, `Payload-Oxum`;
//! 3. fixity: every payload file hashed once (every manifest's algorithm,
//!    and BLAKE3), every tag manifest's entries;
//! 4. for a custody bag (its profile named in bag-info): the profile's
//!    required fields and files, the keys to trust (pinned, or the bag's
//!    own when asked — never silently), the checkpoint, the bag statement
//!    over every payload and evidence file, every custody event's
//!    inclusion proof, every signed record (its signer trusted, its
//!    subject a payload file, its custody event in the bag, its key not
//!    revoked before it by log position), the withheld claims absent, the
//!    witnessed checkpoint and its consistency proof.
//!
//! A plain bag (another tool's) gets steps 1–3: the report says that only
//! fixity was proven.
//!
//! Must not: trust any field of the bag before it is checked; pass a step
//! it could not perform.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::bagit::{self, BagInfo};
use super::evidence::{BagEvent, BagPredicate, ItemsFile, KeysFile, Withheld};
use super::layout;
use super::source::BagSource;
use crate::claim::ClaimPredicate;
use crate::crypto::{PublicKey, keyfile};
use crate::custody_log::note::{self, Checkpoint, Note, Vkey};
use crate::custody_log::proof::{self, Verified};
use crate::custody_log::{Event, EventKind, sha256_hex};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding};
use crate::record::{self, IngestPredicate};

/// Options for verifying a bag.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The bag: a directory, a zip or a tar.
    pub bag: PathBuf,
    /// The log's verifier key, pinned outside the bag.
    pub vkey: Option<String>,
    /// Public key files (custody `.pub` or securesystemslib JSON) of the
    /// signers to trust.
    pub trust_keys: Vec<PathBuf>,
    /// Trust the keys the bag carries (the report says so).
    pub trust_bag_keys: bool,
    /// Worker threads for hashing (0: twice the cores, at most 16).
    pub threads: usize,
}

/// What a verified bag proves about one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemProof {
    /// Its number in the exporting archive.
    pub item: i64,
    /// Its name.
    pub name: String,
    /// Its object.
    pub blake3: String,
    /// Its payload file hashes to its object's digests.
    pub bytes: bool,
    /// Who signed its ingest record (owner, key id), when that verified.
    pub ingested_by: Option<String>,
    /// The log index of its ingestion event, when its proof verified.
    pub included_at: Option<u64>,
    /// Its claims that verified: "kind (basis) by owner".
    pub signed_claims: Vec<String>,
}

/// The result of verifying a bag.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The bag.
    pub bag: String,
    /// Its External-Identifier.
    pub bag_id: Option<String>,
    /// A custody bag (its profile) or a plain BagIt bag.
    pub custody: bool,
    /// Everything wrong (empty: the bag holds).
    pub findings: Vec<Finding>,
    /// Payload files.
    pub payload_files: u64,
    /// Payload bytes hashed.
    pub payload_bytes: u64,
    /// The checkpoint the proofs are against: its size.
    pub checkpoint_size: Option<u64>,
    /// Who cosigned a checkpoint this one extends.
    pub witnessed_by: Vec<String>,
    /// What each item proves.
    pub items: Vec<ItemProof>,
    /// Claims the sender withheld.
    pub withheld: Vec<Withheld>,
    /// What the report must make plain (keys from the bag, fixity only).
    pub notes: Vec<String>,
    /// Wall time.
    pub seconds: f64,
}

impl VerifyReport {
    /// True when nothing was found.
    pub fn holds(&self) -> bool {
        self.findings.is_empty()
    }
}

fn f(code: Code, subject: &str, location: &str, message: String, repair: &str) -> Finding {
    Finding::new(code, subject, location, message, repair)
}

const ASK: &str = "the bag was altered or is incomplete: ask the sender for the bag again";

/// Verify a bag. Only a bag that cannot be read at all is an error.
pub fn verify(opts: &VerifyOptions) -> Result<VerifyReport> {
    verify_bag(opts).map(|(report, _)| report)
}

/// A bag verified, with what import takes from it: every byte here was
/// checked (the payload is re-read, and re-hashed, as it is imported).
pub(crate) struct Checked {
    /// The bag, as listed.
    pub src: BagSource,
    /// Its bag-info.
    pub info: BagInfo,
    /// Every payload file's digests (sha256 and blake3 among them).
    pub payload: BTreeMap<String, FileDigests>,
    /// A custody bag's evidence (none for a plain bag).
    pub custody: Option<CheckedEvidence>,
}

/// A custody bag's evidence, verified.
pub(crate) struct CheckedEvidence {
    /// The tag files as read.
    pub ev: Evidence,
    /// Each line of the records file, opened (every one verified when the
    /// bag holds).
    pub opened: Vec<Option<Opened>>,
    /// The exporting archive.
    pub sender: String,
    /// The bag statement's envelope bytes.
    pub statement: Vec<u8>,
    /// The checkpoint, as signed.
    pub checkpoint: String,
}

/// Verify a bag, keeping what import needs.
pub(crate) fn verify_bag(opts: &VerifyOptions) -> Result<(VerifyReport, Checked)> {
    let started = std::time::Instant::now();
    // Inputs first: the pinned keys must parse before anything is read.
    let pinned_log = opts.vkey.as_deref().map(parse_log_vkey).transpose()?;
    let trusted = opts.trust_keys.iter().map(|p| read_trusted(p)).collect::<Result<Vec<_>>>()?;
    let src = BagSource::open(&opts.bag)?;
    let mut v = Verifier { src: &src, findings: src.refused.clone(), notes: Vec::new() };
    let info = v.structure();
    let payload = v.fixity(&info, opts.threads);
    let custody =
        info.as_ref().and_then(|i| i.get("BagIt-Profile-Identifier")) == Some(layout::PROFILE_ID);
    let mut report = VerifyReport {
        bag: crate::text::shown(&opts.bag),
        bag_id: info.as_ref().and_then(|i| i.get("External-Identifier")).map(str::to_owned),
        custody,
        findings: Vec::new(),
        payload_files: payload.len() as u64,
        payload_bytes: payload.values().map(|d| d.size).sum(),
        checkpoint_size: None,
        witnessed_by: Vec::new(),
        items: Vec::new(),
        withheld: Vec::new(),
        notes: Vec::new(),
        seconds: 0.0,
    };
    let evidence = match (&info, custody) {
        (Some(info), true) => {
            let trust = Trust { pinned_log, trusted, bag_keys: opts.trust_bag_keys };
            v.custody(info, &payload, &trust, &mut report)
        }
        _ => {
            v.notes.push(
                "a plain BagIt bag (not custody's profile): only its completeness and fixity were \
                 checked; nothing about who made or sent it is proven"
                    .into(),
            );
            None
        }
    };
    report.findings = v.findings;
    report.notes = v.notes;
    report.seconds = started.elapsed().as_secs_f64();
    let checked = Checked { info: info.unwrap_or_default(), payload, custody: evidence, src };
    Ok((report, checked))
}

/// The log verifier key given on the command line.
fn parse_log_vkey(s: &str) -> Result<Vkey> {
    let v = note::parse_vkey(s).map_err(|e| {
        Error::new(ErrorKind::Usage, format!("--vkey: {e}"))
            .hint("pass the log's verifier key as the sender gave it to you")
    })?;
    if v.alg != note::ALG_ED25519 {
        return Err(Error::new(
            ErrorKind::Usage,
            "--vkey is a witness (cosigner) key, not a log's key",
        ));
    }
    Ok(v)
}

/// A public key file to trust.
fn read_trusted(path: &Path) -> Result<PublicKey> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::io("cannot read the key to trust", path, e))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        Error::new(
            ErrorKind::Usage,
            format!("{} is not a public key file", crate::text::shown(path)),
        )
        .hint("give a custody .pub file or a securesystemslib ed25519 key")
    })?;
    Ok(keyfile::parse_public_json(&v, &crate::text::shown(path))?.0)
}

/// Which keys to trust.
struct Trust {
    pinned_log: Option<Vkey>,
    trusted: Vec<PublicKey>,
    bag_keys: bool,
}

/// A payload file's digests, by algorithm name.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileDigests {
    /// Hex digest by algorithm (`sha256`, `blake3`, …).
    pub by_alg: BTreeMap<String, String>,
    /// Bytes.
    pub size: u64,
}

struct Verifier<'a> {
    src: &'a BagSource,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl Verifier<'_> {
    fn find(&mut self, code: Code, subject: &str, location: &str, message: String, repair: &str) {
        self.findings.push(f(code, subject, location, message, repair));
    }

    fn tag_text(&mut self, name: &str) -> Option<String> {
        if !self.src.has(name) {
            return None;
        }
        match self.src.read_tag(name).map(String::from_utf8) {
            Ok(Ok(t)) => Some(t),
            Ok(Err(_)) => {
                self.find(Code::BagStructure, name, name, "is not UTF-8".into(), ASK);
                None
            }
            Err(e) => {
                self.find(Code::BagStructure, name, name, format!("cannot be read: {e}"), ASK);
                None
            }
        }
    }

    /// Step 2: `bagit.txt`, `bag-info.txt`, no `fetch.txt`.
    fn structure(&mut self) -> Option<BagInfo> {
        match self.tag_text("bagit.txt") {
            None => self.find(
                Code::BagStructure,
                "bagit.txt",
                "bagit.txt",
                "the bag has no readable bagit.txt: it is not a BagIt bag".into(),
                ASK,
            ),
            Some(t) => {
                let version =
                    t.lines().find_map(|l| l.strip_prefix("BagIt-Version:")).map(str::trim);
                if version != Some("1.0") && version != Some("0.97") {
                    self.find(
                        Code::BagStructure,
                        "bagit.txt",
                        "bagit.txt",
                        format!("BagIt-Version {version:?}: this verifier reads 1.0 (and 0.97)"),
                        "re-make the bag as BagIt 1.0",
                    );
                }
            }
        }
        if self.src.has("fetch.txt") {
            self.find(
                Code::BagProfile,
                "fetch.txt",
                "fetch.txt",
                "the bag fetches files from elsewhere: what it proves is not all in it".into(),
                "ask for a complete bag (no fetch.txt)",
            );
        }
        let text = self.tag_text("bag-info.txt")?;
        match BagInfo::parse(&text) {
            Ok(i) => Some(i),
            Err(e) => {
                self.find(Code::BagStructure, "bag-info.txt", "bag-info.txt", e, ASK);
                None
            }
        }
    }

    /// Steps 2–3: the manifests list exactly the payload files, every
    /// file hashes to every manifest's digest, Payload-Oxum holds, and
    /// every tag manifest entry holds.
    fn fixity(&mut self, info: &Option<BagInfo>, threads: usize) -> BTreeMap<String, FileDigests> {
        let manifests = self.manifests("manifest-");
        if manifests.is_empty() {
            self.find(
                Code::BagStructure,
                "manifests",
                "manifest-*.txt",
                "the bag has no payload manifest".into(),
                ASK,
            );
        }
        let payload: Vec<String> =
            self.src.files.keys().filter(|n| n.starts_with("data/")).cloned().collect();
        let algs: BTreeSet<String> =
            manifests.keys().cloned().chain(["blake3".to_owned()]).collect();
        let digests = self.hash_all(&payload, &algs, threads);
        for (alg, entries) in &manifests {
            let listed: BTreeMap<&str, &str> =
                entries.iter().map(|(h, p)| (p.as_str(), h.as_str())).collect();
            let file = format!("manifest-{alg}.txt");
            for p in &payload {
                match (listed.get(p.as_str()), digests.get(p)) {
                    (None, _) => self.find(Code::BagFileUnlisted, p, &file, format!("a payload file {file} does not list"), "a payload file every manifest does not list is not part of the bag: remove it, or ask for the bag again"),
                    (Some(want), Some(d)) if d.by_alg.get(alg).map(String::as_str) != Some(*want) => {
                        self.find(Code::BagFixity, p, &file, format!("its {alg} is {}, {file} says {want}", d.by_alg.get(alg).map_or("unreadable", String::as_str)), ASK)
                    }
                    _ => {}
                }
            }
            for p in listed.keys() {
                if !self.src.has(p) {
                    self.find(
                        Code::BagFileMissing,
                        p,
                        &file,
                        format!("{file} lists it, the bag does not have it"),
                        ASK,
                    );
                }
            }
        }
        self.oxum(info, &digests);
        self.tag_manifests();
        digests
    }

    /// Every `PREFIX<alg>.txt` manifest, parsed.
    fn manifests(&mut self, prefix: &str) -> BTreeMap<String, Vec<(String, String)>> {
        let names: Vec<String> = self
            .src
            .files
            .keys()
            .filter(|n| n.starts_with(prefix) && n.ends_with(".txt") && !n.contains('/'))
            .cloned()
            .collect();
        let mut out = BTreeMap::new();
        for n in names {
            let alg = n[prefix.len()..n.len() - 4].to_owned();
            if !matches!(alg.as_str(), "md5" | "sha1" | "sha256" | "sha512") {
                self.find(
                    Code::BagStructure,
                    &n,
                    &n,
                    format!("checksum algorithm {alg:?} is not one this verifier computes"),
                    "re-make the bag with sha256 and sha512 manifests",
                );
                continue;
            }
            let Some(text) = self.tag_text(&n) else { continue };
            match bagit::parse_manifest(&text) {
                Ok(e) => {
                    out.insert(alg, e);
                }
                Err(e) => self.find(Code::BagStructure, &n, &n, e, ASK),
            }
        }
        out
    }

    /// Hash every payload file once, with every algorithm, on `threads`
    /// workers.
    fn hash_all(
        &mut self,
        files: &[String],
        algs: &BTreeSet<String>,
        threads: usize,
    ) -> BTreeMap<String, FileDigests> {
        let next = AtomicUsize::new(0);
        let out = Mutex::new(BTreeMap::new());
        let failed = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..crate::progress::workers(threads).min(files.len().max(1)) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(name) = files.get(i) else { break };
                        match hash_file(self.src, name, algs) {
                            Ok(d) => {
                                if let Ok(mut o) = out.lock() {
                                    o.insert(name.clone(), d);
                                }
                            }
                            Err(e) => {
                                if let Ok(mut fl) = failed.lock() {
                                    fl.push((name.clone(), e.to_string()));
                                }
                            }
                        }
                    }
                });
            }
        });
        for (name, e) in failed.into_inner().unwrap_or_default() {
            self.find(Code::BagFixity, &name, &name, format!("cannot be read: {e}"), ASK);
        }
        out.into_inner().unwrap_or_default()
    }

    fn oxum(&mut self, info: &Option<BagInfo>, digests: &BTreeMap<String, FileDigests>) {
        let Some(oxum) = info.as_ref().and_then(|i| i.get("Payload-Oxum")) else { return };
        let bytes: u64 = digests.values().map(|d| d.size).sum();
        let actual = bagit::payload_oxum(bytes, digests.len() as u64);
        if oxum != actual {
            self.find(
                Code::BagFixity,
                "Payload-Oxum",
                "bag-info.txt",
                format!("says {oxum}, the payload is {actual} (octets.files)"),
                ASK,
            );
        }
    }

    /// Every tag manifest's entries hash as they say.
    fn tag_manifests(&mut self) {
        for (alg, entries) in self.manifests("tagmanifest-") {
            let file = format!("tagmanifest-{alg}.txt");
            for (want, p) in entries {
                if !self.src.has(&p) {
                    self.find(
                        Code::BagFileMissing,
                        &p,
                        &file,
                        format!("{file} lists it, the bag does not have it"),
                        ASK,
                    );
                    continue;
                }
                let size = self.src.files.get(&p).map_or(0, |e| e.size);
                if size > super::source::MAX_TAG_FILE {
                    let m = format!(
                        "{size} bytes: more than a tag file may be ({} bytes); not read",
                        super::source::MAX_TAG_FILE
                    );
                    self.find(Code::BagStructure, &p, &file, m, ASK);
                    continue;
                }
                let algs = BTreeSet::from([alg.clone()]);
                match hash_file(self.src, &p, &algs) {
                    Ok(d) if d.by_alg.get(&alg) == Some(&want) => {}
                    Ok(_) => self.find(
                        Code::BagTagFixity,
                        &p,
                        &file,
                        format!("its {alg} is not the one {file} lists"),
                        ASK,
                    ),
                    Err(e) => self.find(
                        Code::BagTagFixity,
                        &p,
                        &file,
                        format!("cannot be read: {e}"),
                        ASK,
                    ),
                }
            }
        }
    }
}

/// One file's digests with every algorithm in `algs`, in one pass.
fn hash_file(src: &BagSource, name: &str, algs: &BTreeSet<String>) -> Result<FileDigests> {
    use sha2::Digest;
    let mut md5 = algs.contains("md5").then(md5::Md5::new);
    let mut sha1 = algs.contains("sha1").then(sha1::Sha1::new);
    let mut h = super::hashing::Hashers::with(algs.contains("sha256"), algs.contains("sha512"));
    let mut buf = vec![0u8; 1 << 20];
    src.read(name, &mut |r| loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        h.update(&buf[..n]);
        if let Some(m) = md5.as_mut() {
            m.update(&buf[..n]);
        }
        if let Some(s) = sha1.as_mut() {
            s.update(&buf[..n]);
        }
    })?;
    let d = h.finish();
    let mut by_alg = BTreeMap::new();
    for (alg, v) in [("sha256", d.sha256), ("sha512", d.sha512), ("blake3", d.blake3)] {
        if !v.is_empty() {
            by_alg.insert(alg.to_owned(), v);
        }
    }
    if let Some(m) = md5 {
        by_alg.insert("md5".into(), hex::encode(m.finalize()));
    }
    if let Some(s) = sha1 {
        by_alg.insert("sha1".into(), hex::encode(s.finalize()));
    }
    Ok(FileDigests { by_alg, size: d.size })
}

/// The custody evidence as read from the bag (not yet trusted).
pub(crate) struct Evidence {
    /// `custody/items.json`.
    pub items: ItemsFile,
    /// `custody/keys.json`.
    pub keys: KeysFile,
    /// The lines of `custody/records.intoto.jsonl`.
    pub records: Vec<Vec<u8>>,
    events: Vec<BagEvent>,
    checkpoint: Option<Note>,
    statement: Vec<u8>,
    log_vkey: String,
}

impl Verifier<'_> {
    /// Step 4.
    fn custody(
        &mut self,
        info: &BagInfo,
        payload: &BTreeMap<String, FileDigests>,
        trust: &Trust,
        report: &mut VerifyReport,
    ) -> Option<CheckedEvidence> {
        self.profile(info);
        let ev = self.evidence()?;
        let (log, bag_keys) = self.keys(info, &ev, trust)?;
        let cp = self.checkpoint(info, &ev, &log)?;
        report.checkpoint_size = Some(cp.size);
        self.statement(info, &ev, payload, &log, &bag_keys, trust);
        let events = self.events(&ev, &log, &cp);
        self.keys_logged(&ev, &events);
        let (items, opened) = self.records(&ev, payload, &bag_keys, trust, &events);
        report.items = items;
        report.withheld = self.withheld(&ev);
        report.witnessed_by = self.witnessed(&log, &cp);
        self.dissemination(info, &events);
        let sender = info.get("Custody-Archive-Id").unwrap_or_default().to_owned();
        let checkpoint = ev.checkpoint.as_ref().map(Note::to_text).unwrap_or_default();
        let statement = ev.statement.clone();
        Some(CheckedEvidence { ev, opened, sender, statement, checkpoint })
    }

    /// What the profile requires: bag-info fields, tag files, manifests,
    /// every tag file in both tag manifests.
    fn profile(&mut self, info: &BagInfo) {
        let profile: serde_json::Value =
            serde_json::from_str(layout::PROFILE_JSON).unwrap_or_default();
        let fields = profile["Bag-Info"].as_object().cloned().unwrap_or_default();
        for (field, rule) in fields {
            if rule["required"] == true && info.get(&field).is_none() {
                self.find(
                    Code::BagProfile,
                    &field,
                    "bag-info.txt",
                    format!("the custody bag profile requires {field}"),
                    ASK,
                );
            }
        }
        let required = |k: &str| -> Vec<String> {
            profile[k]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        for tag in required("Tag-Files-Required") {
            if !self.src.has(&tag) {
                self.find(
                    Code::BagProfile,
                    &tag,
                    &tag,
                    "a tag file the custody bag profile requires is missing".into(),
                    ASK,
                );
            }
        }
        for (prefix, key) in
            [("manifest-", "Manifests-Required"), ("tagmanifest-", "Tag-Manifests-Required")]
        {
            for alg in required(key) {
                let file = format!("{prefix}{alg}.txt");
                if !self.src.has(&file) {
                    self.find(
                        Code::BagProfile,
                        &file,
                        &file,
                        "a manifest the custody bag profile requires is missing".into(),
                        ASK,
                    );
                }
            }
        }
        let tags: Vec<String> = self
            .src
            .files
            .keys()
            .filter(|n| !n.starts_with("data/") && !n.starts_with("tagmanifest-"))
            .cloned()
            .collect();
        for alg in ["sha256", "sha512"] {
            let file = format!("tagmanifest-{alg}.txt");
            let listed: BTreeSet<String> = self
                .tag_text(&file)
                .and_then(|t| bagit::parse_manifest(&t).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|(_, p)| p)
                .collect();
            for t in &tags {
                if !listed.contains(t) {
                    self.find(
                        Code::BagFileUnlisted,
                        t,
                        &file,
                        format!("a tag file {file} does not list"),
                        ASK,
                    );
                }
            }
        }
    }

    fn json<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        let text = self.tag_text(name)?;
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.find(
                    Code::BagStructure,
                    name,
                    name,
                    format!("is not what custody writes: {e}"),
                    ASK,
                );
                None
            }
        }
    }

    /// Read the evidence tag files.
    fn evidence(&mut self) -> Option<Evidence> {
        let items: ItemsFile = self.json(layout::ITEMS)?;
        let keys: KeysFile = self.json(layout::KEYS)?;
        let records: Vec<Vec<u8>> =
            self.tag_text(layout::RECORDS)?.lines().map(|l| l.as_bytes().to_vec()).collect();
        let mut events = Vec::new();
        for (n, line) in self.tag_text(layout::EVENTS)?.lines().enumerate() {
            match serde_json::from_str::<BagEvent>(line) {
                Ok(e) => events.push(e),
                Err(e) => self.find(
                    Code::BagStructure,
                    layout::EVENTS,
                    &format!("{} line {}", layout::EVENTS, n + 1),
                    format!("not an event: {e}"),
                    ASK,
                ),
            }
        }
        let checkpoint =
            self.tag_text(layout::CHECKPOINT).and_then(|t| Note::parse(t.as_bytes()).ok());
        let statement = self.tag_text(layout::STATEMENT)?.trim_end().as_bytes().to_vec();
        let log_vkey = self.tag_text(layout::LOG_VKEY)?.trim().to_owned();
        Some(Evidence { items, keys, records, events, checkpoint, statement, log_vkey })
    }

    /// The log key and the signers' keys to check with.
    fn keys(
        &mut self,
        info: &BagInfo,
        ev: &Evidence,
        trust: &Trust,
    ) -> Option<(Vkey, HashMap<String, PublicKey>)> {
        let in_bag = match note::parse_vkey(&ev.log_vkey) {
            Ok(v) => v,
            Err(e) => {
                self.find(
                    Code::BagCheckpoint,
                    layout::LOG_VKEY,
                    layout::LOG_VKEY,
                    format!("the log's verifier key is malformed: {e}"),
                    ASK,
                );
                return None;
            }
        };
        if info.get("Custody-Log-Vkey") != Some(ev.log_vkey.as_str()) {
            self.find(
                Code::BagCheckpoint,
                "Custody-Log-Vkey",
                "bag-info.txt",
                "bag-info and custody/log.vkey name different log keys".into(),
                ASK,
            );
        }
        let log = match &trust.pinned_log {
            Some(p) if *p != in_bag => {
                self.find(
                    Code::BagCheckpoint,
                    "log key",
                    layout::LOG_VKEY,
                    "the bag's log key is not the one pinned with --vkey".into(),
                    "the bag comes from another log than the one you expect: do not rely on it",
                );
                p.clone()
            }
            Some(p) => p.clone(),
            None => in_bag,
        };
        let mut bag_keys = HashMap::new();
        for k in &ev.keys.keys {
            match PublicKey::from_hex(
                "custody/keys.json",
                k.custody["public_key"].as_str().unwrap_or_default(),
            ) {
                Ok(pk) if pk.keyid() == k.keyid => {
                    bag_keys.insert(k.keyid.clone(), pk);
                }
                _ => self.find(
                    Code::BagEnvelope,
                    &format!("key {}", k.keyid),
                    layout::KEYS,
                    "the key's id does not match its public key".into(),
                    ASK,
                ),
            }
        }
        let pinned_signers = !trust.trusted.is_empty();
        if !trust.bag_keys && (trust.pinned_log.is_none() || !pinned_signers) {
            self.find(Code::BagKeysNotPinned, "keys", "--vkey / --trust-key", "no key was pinned: the signatures were checked only with the keys the bag itself carries".into(), "pin the log's verifier key (--vkey) and the signers' keys (--trust-key FILE.pub) as you received them from the sender, or accept the bag's own keys with --trust-bag-keys");
        }
        if trust.bag_keys {
            self.notes.push(
                "signatures are consistent, but the signers' keys were taken from the bag itself"
                    .into(),
            );
        }
        Some((log, bag_keys))
    }

    /// The export's checkpoint: signed by the log key, as bag-info says.
    fn checkpoint(&mut self, info: &BagInfo, ev: &Evidence, log: &Vkey) -> Option<Checkpoint> {
        let Some(note) = &ev.checkpoint else {
            self.find(
                Code::BagCheckpoint,
                layout::CHECKPOINT,
                layout::CHECKPOINT,
                "the bag's checkpoint is missing or malformed".into(),
                ASK,
            );
            return None;
        };
        match proof::verify_checkpoint(note, log) {
            Err(e) => {
                self.find(
                    Code::BagCheckpoint,
                    layout::CHECKPOINT,
                    layout::CHECKPOINT,
                    e,
                    "it is not this log's checkpoint: do not rely on the bag",
                );
                None
            }
            Ok(cp) => {
                let root = base64_root(&cp.root);
                if info.get("Custody-Checkpoint-Size") != Some(cp.size.to_string().as_str())
                    || info.get("Custody-Checkpoint-Root") != Some(root.as_str())
                {
                    self.find(
                        Code::BagCheckpoint,
                        layout::CHECKPOINT,
                        "bag-info.txt",
                        "bag-info's checkpoint size or root is not the checkpoint's".into(),
                        ASK,
                    );
                }
                Some(cp)
            }
        }
    }
}

fn base64_root(root: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(root)
}

impl Verifier<'_> {
    /// The bag statement: signed by the log key and by a trusted exporter,
    /// naming exactly the payload files (with their SHA-256 and BLAKE3),
    /// the evidence files, the checkpoint and the bag.
    fn statement(
        &mut self,
        info: &BagInfo,
        ev: &Evidence,
        payload: &BTreeMap<String, FileDigests>,
        log: &Vkey,
        keys: &HashMap<String, PublicKey>,
        trust: &Trust,
    ) {
        let st = layout::STATEMENT;
        let lookup =
            |k: &str| keys.get(k).copied().or((k == log.public.keyid()).then_some(log.public));
        let v = match record::open::<BagPredicate>(&ev.statement, lookup) {
            Ok(v) => v,
            Err(e) => {
                return self.find(
                    Code::BagStatement,
                    st,
                    st,
                    format!("the bag statement does not verify: {e}"),
                    ASK,
                );
            }
        };
        let p = &v.statement.predicate;
        if !record::signed_by(&ev.statement, &log.public.keyid(), &log.public) {
            self.find(
                Code::BagStatement,
                st,
                st,
                "the bag statement is not signed by the log's key".into(),
                ASK,
            );
        }
        match keys.get(&p.exporter) {
            Some(k) if record::signed_by(&ev.statement, &p.exporter, k) => {
                self.trusted(&p.exporter, k, trust, st)
            }
            _ => self.find(
                Code::BagStatement,
                st,
                st,
                format!("the bag statement is not signed by its exporter {}", p.exporter),
                ASK,
            ),
        }
        self.subjects(&v.statement.subject, payload);
        self.evidence_signed(p);
        self.names(info, ev, p);
    }

    /// The statement's subjects are exactly the payload files, with their
    /// digests.
    fn subjects(&mut self, subject: &[record::Subject], payload: &BTreeMap<String, FileDigests>) {
        let st = layout::STATEMENT;
        let subjects: BTreeMap<&str, _> =
            subject.iter().map(|s| (s.name.as_str(), &s.digest)).collect();
        for (name, d) in payload {
            let ok = subjects.get(name.as_str()).is_some_and(|s| {
                Some(&s.sha256) == d.by_alg.get("sha256")
                    && Some(&s.blake3) == d.by_alg.get("blake3")
            });
            if !ok {
                self.find(
                    Code::BagStatement,
                    name,
                    st,
                    "the signed bag statement does not name this payload file with these digests"
                        .into(),
                    ASK,
                );
            }
        }
        for name in subjects.keys().filter(|n| !payload.contains_key(**n)) {
            self.find(
                Code::BagFileMissing,
                name,
                st,
                "the signed bag statement names it, the bag does not have it".into(),
                ASK,
            );
        }
    }

    /// Every evidence file is the one signed, and no tag file is unsigned.
    fn evidence_signed(&mut self, p: &BagPredicate) {
        let st = layout::STATEMENT;
        for (name, want) in &p.evidence {
            let got = self.src.read_tag(name).ok().map(|b| super::hashing::of(&b));
            if got.as_ref().is_none_or(|g| g.sha256 != want.sha256 || g.blake3 != want.blake3) {
                self.find(
                    Code::BagStatement,
                    name,
                    st,
                    "this evidence file is not the one the bag statement signed".into(),
                    ASK,
                );
            }
        }
        // Every other tag file is evidence the statement must cover: an
        // unsigned file beside signed ones would pass for evidence.
        let unsigned: Vec<String> = self
            .src
            .files
            .keys()
            .filter(|n| !n.starts_with("data/") && !n.starts_with("tagmanifest-"))
            .filter(|n| !matches!(n.as_str(), "bag-info.txt" | layout::STATEMENT))
            .filter(|n| !p.evidence.contains_key(*n))
            .cloned()
            .collect();
        for name in unsigned {
            self.find(
                Code::BagStatement,
                &name,
                st,
                "a tag file the signed bag statement does not cover: it proves nothing".into(),
                "ignore it, or ask the sender for the bag again",
            );
        }
    }

    /// The statement names the checkpoint, bag and archive bag-info names.
    fn names(&mut self, info: &BagInfo, ev: &Evidence, p: &BagPredicate) {
        let st = layout::STATEMENT;
        let cp_ok =
            ev.checkpoint.as_ref().and_then(|n| Checkpoint::parse(&n.text).ok()).is_some_and(|c| {
                c.size == p.checkpoint.size && base64_root(&c.root) == p.checkpoint.root
            });
        if !cp_ok
            || info.get("External-Identifier") != Some(p.bag_id.as_str())
            || info.get("Custody-Archive-Id") != Some(p.archive_id.as_str())
        {
            self.find(
                Code::BagStatement,
                st,
                st,
                "the statement's bag, archive or checkpoint is not the one bag-info names".into(),
                ASK,
            );
        }
    }

    /// A signer must be trusted: pinned, or the bag's own when asked.
    fn trusted(&mut self, keyid: &str, key: &PublicKey, trust: &Trust, what: &str) {
        if !trust.bag_keys && !trust.trusted.is_empty() && !trust.trusted.contains(key) {
            self.find(
                Code::BagUntrustedKey,
                &format!("key {keyid}"),
                what,
                "signed by a key you did not pin".into(),
                "if you trust this signer, pin their key with --trust-key FILE.pub",
            );
        }
    }

    /// Every event's inclusion proof against the checkpoint; the events by
    /// reference (with their log index).
    fn events(
        &mut self,
        ev: &Evidence,
        log: &Vkey,
        cp: &Checkpoint,
    ) -> HashMap<String, Vec<(u64, Event)>> {
        let mut out: HashMap<String, Vec<(u64, Event)>> = HashMap::new();
        for e in &ev.events {
            let loc = format!("{} index {}", layout::EVENTS, e.index);
            match proof::verify(&e.proof, log) {
                Ok(Verified::Inclusion { index, tree_size, event, root, .. })
                    if index == e.index
                        && tree_size == cp.size
                        && root == base64_root(&cp.root) =>
                {
                    out.entry(event.reference.clone()).or_default().push((index, event));
                }
                Ok(_) => self.find(
                    Code::BagProof,
                    &format!("event {}", e.index),
                    &loc,
                    "the proof is not of this event against the bag's checkpoint".into(),
                    ASK,
                ),
                Err(why) => self.find(
                    Code::BagProof,
                    &format!("event {}", e.index),
                    &loc,
                    format!("the inclusion proof does not verify: {why}"),
                    ASK,
                ),
            }
        }
        out
    }
}

/// An envelope's statement read without checking its signature: only to
/// learn which type to open it as, or what a statement already judged
/// says.
fn unverified<P: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<record::Statement<P>> {
    use base64::Engine;
    let e: record::Envelope = serde_json::from_slice(bytes).ok()?;
    let payload = base64::engine::general_purpose::STANDARD.decode(e.payload).ok()?;
    serde_json::from_slice(&payload).ok()
}

/// What one signed record in the bag is.
pub(crate) enum Opened {
    /// An ingest record.
    Ingest(crate::record::Verified<IngestPredicate>),
    /// A claim.
    Claim(crate::record::Verified<ClaimPredicate>),
}

impl Verifier<'_> {
    /// Every signed record: signer trusted, subject a payload file, its
    /// custody event in the bag, its key not revoked before it (by log
    /// position). Returns what each item proves.
    fn records(
        &mut self,
        ev: &Evidence,
        payload: &BTreeMap<String, FileDigests>,
        keys: &HashMap<String, PublicKey>,
        trust: &Trust,
        events: &HashMap<String, Vec<(u64, Event)>>,
    ) -> (Vec<ItemProof>, Vec<Option<Opened>>) {
        let by_blake3: HashMap<&str, &FileDigests> = payload
            .values()
            .filter_map(|d| d.by_alg.get("blake3").map(|b| (b.as_str(), d)))
            .collect();
        let revoked: HashMap<&str, u64> = events
            .values()
            .flatten()
            .filter(|(_, e)| e.kind == EventKind::KeyRevocation)
            .filter_map(|(i, e)| e.reference.strip_prefix("key:").map(|k| (k, *i)))
            .collect();
        let owners: HashMap<&str, &str> =
            ev.keys.keys.iter().map(|k| (k.keyid.as_str(), k.owner.as_str())).collect();
        let mut opened: Vec<Option<Opened>> = Vec::new();
        for (n, rec) in ev.records.iter().enumerate() {
            let loc = format!("{} line {}", layout::RECORDS, n + 1);
            opened.push(self.record(rec, &loc, keys, trust, &by_blake3, events, &revoked));
        }
        let proofs = ev
            .items
            .items
            .iter()
            .map(|it| {
                let ingest = match opened.get(it.record) {
                    Some(Some(Opened::Ingest(v))) if v.statement.predicate.item_id == it.uuid => {
                        Some(v)
                    }
                    _ => {
                        self.find(
                            Code::BagEnvelope,
                            &format!("item {}", it.item),
                            layout::ITEMS,
                            "its ingest record is not in the bag or is not this item's".into(),
                            ASK,
                        );
                        None
                    }
                };
                let bytes = payload.get(&it.payload).is_some_and(|d| {
                    d.by_alg.get("blake3") == Some(&it.digest.blake3)
                        && d.by_alg.get("sha256") == Some(&it.digest.sha256)
                });
                let included_at = events
                    .get(&format!("item:{}", it.uuid))
                    .and_then(|v| v.first())
                    .map(|(i, _)| *i);
                let signed_claims = it
                    .claims
                    .iter()
                    .filter_map(|c| match opened.get(c.record) {
                        Some(Some(Opened::Claim(v))) => Some(format!(
                            "{} ({}) by {}",
                            c.kind,
                            v.statement.predicate.basis.name(),
                            owners.get(v.keyid.as_str()).unwrap_or(&"?")
                        )),
                        _ => None,
                    })
                    .collect();
                ItemProof {
                    item: it.item,
                    name: it.name.clone(),
                    blake3: it.digest.blake3.clone(),
                    bytes,
                    ingested_by: ingest.map(|v| {
                        format!("{} ({})", owners.get(v.keyid.as_str()).unwrap_or(&"?"), v.keyid)
                    }),
                    included_at,
                    signed_claims,
                }
            })
            .collect();
        (proofs, opened)
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        rec: &[u8],
        loc: &str,
        keys: &HashMap<String, PublicKey>,
        trust: &Trust,
        by_blake3: &HashMap<&str, &FileDigests>,
        events: &HashMap<String, Vec<(u64, Event)>>,
        revoked: &HashMap<&str, u64>,
    ) -> Option<Opened> {
        let lookup = |k: &str| keys.get(k).copied();
        let opened = match unverified::<serde_json::Value>(rec).map(|s| s.predicate_type) {
            Some(t) if t == record::INGEST_PREDICATE => {
                record::open::<IngestPredicate>(rec, lookup).map(Opened::Ingest)
            }
            _ => record::open::<ClaimPredicate>(rec, lookup).map(Opened::Claim),
        };
        let opened = match opened {
            Ok(o) => o,
            Err(e) => {
                self.find(
                    Code::BagEnvelope,
                    loc,
                    loc,
                    format!("the signed record does not verify: {e}"),
                    ASK,
                );
                return None;
            }
        };
        let (keyid, subject, reference) = match &opened {
            Opened::Ingest(v) => (
                &v.keyid,
                v.statement.subject.first(),
                format!("item:{}", v.statement.predicate.item_id),
            ),
            Opened::Claim(v) => (
                &v.keyid,
                v.statement.subject.first(),
                format!("claim:{}", v.statement.predicate.claim_id),
            ),
        };
        if let Some(k) = keys.get(keyid) {
            self.trusted(keyid, k, trust, loc);
        }
        let subject_ok = subject.is_some_and(|s| {
            by_blake3
                .get(s.digest.blake3.as_str())
                .is_some_and(|f| f.by_alg.get("sha256") == Some(&s.digest.sha256))
        });
        if !subject_ok {
            self.find(
                Code::BagEnvelope,
                loc,
                loc,
                "its subject is no payload file of the bag (digests differ)".into(),
                "the records were swapped or the payload changed: ask for the bag again",
            );
        }
        let hash = sha256_hex(rec);
        let event = events
            .get(&reference)
            .and_then(|v| v.iter().find(|(_, e)| e.record.as_deref() == Some(hash.as_str())));
        match event {
            None => self.find(
                Code::BagProof,
                loc,
                loc,
                format!("no custody event in the bag records it ({reference})"),
                ASK,
            ),
            Some((i, _)) => {
                if let Some(r) = revoked.get(keyid.as_str()).filter(|r| *r < i) {
                    let m = format!(
                        "logged at index {i}, after its key {keyid} was revoked at index {r}"
                    );
                    self.find(
                        Code::SignedAfterRevocation,
                        loc,
                        loc,
                        m,
                        "treat it as unproven: whoever holds the revoked key could have made it",
                    );
                }
            }
        }
        Some(opened)
    }

    /// The claims the statement says were withheld are not in the bag
    /// (the statement's signature was judged in `statement`).
    fn withheld(&mut self, ev: &Evidence) -> Vec<Withheld> {
        let stated: Vec<Withheld> = unverified::<BagPredicate>(&ev.statement)
            .map(|s| s.predicate.withheld)
            .unwrap_or_default();
        if stated != ev.items.withheld {
            self.find(
                Code::BagStatement,
                layout::ITEMS,
                layout::ITEMS,
                "the withheld claims listed are not the ones the bag statement signed".into(),
                ASK,
            );
        }
        let present: BTreeSet<String> = ev
            .records
            .iter()
            .filter_map(|r| unverified::<serde_json::Value>(r))
            .filter_map(|s| s.predicate.get("claim_id").and_then(|c| c.as_str()).map(str::to_owned))
            .collect();
        for w in &stated {
            if present.contains(&w.uuid) {
                self.find(
                    Code::BagStatement,
                    &format!("claim {}", w.claim),
                    layout::RECORDS,
                    "a claim the statement says was withheld is in the bag".into(),
                    ASK,
                );
            }
        }
        stated
    }

    /// A witnessed checkpoint: its cosignatures, and the consistency proof
    /// from it to the export's checkpoint. Returns the witnesses.
    fn witnessed(&mut self, log: &Vkey, cp: &Checkpoint) -> Vec<String> {
        let Some(text) = self.tag_text(layout::WITNESSED) else { return Vec::new() };
        let loc = layout::WITNESSED;
        let Ok(note) = Note::parse(text.as_bytes()) else {
            self.find(
                Code::BagWitness,
                loc,
                loc,
                "the witnessed checkpoint is malformed".into(),
                ASK,
            );
            return Vec::new();
        };
        let mut names = Vec::new();
        for line in self
            .tag_text(layout::WITNESSES)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            match note::parse_vkey(line) {
                Ok(w) if note.cosigned_by(&w.name, &w.public).is_some() => names.push(w.name),
                _ => self.find(
                    Code::BagWitness,
                    loc,
                    layout::WITNESSES,
                    format!("no valid cosignature by {}", crate::text::quoted(line)),
                    ASK,
                ),
            }
        }
        let witnessed = match proof::verify_checkpoint(&note, log) {
            Ok(w) => w,
            Err(e) => {
                self.find(
                    Code::BagWitness,
                    loc,
                    loc,
                    format!("the witnessed checkpoint is not this log's: {e}"),
                    ASK,
                );
                return names;
            }
        };
        let consistent = self.tag_text(layout::CONSISTENCY).map(|p| proof::verify(&p, log));
        match consistent {
            Some(Ok(Verified::Consistency { old_size, new_size, old_root, new_root, .. }))
                if old_size == witnessed.size
                    && old_root == base64_root(&witnessed.root)
                    && new_size == cp.size
                    && new_root == base64_root(&cp.root) => {}
            Some(Ok(_)) => self.find(
                Code::BagWitness,
                layout::CONSISTENCY,
                layout::CONSISTENCY,
                "the consistency proof is not from the witnessed checkpoint to the bag's".into(),
                ASK,
            ),
            Some(Err(e)) => self.find(
                Code::BagWitness,
                layout::CONSISTENCY,
                layout::CONSISTENCY,
                format!("the consistency proof does not verify: {e}"),
                ASK,
            ),
            None => self.find(
                Code::BagWitness,
                layout::CONSISTENCY,
                layout::CONSISTENCY,
                "no consistency proof from the witnessed checkpoint to the bag's".into(),
                ASK,
            ),
        }
        names
    }

    /// Every key's owner, registration and revocation in `keys.json` is
    /// what a proven custody event logged (the file itself is not signed).
    fn keys_logged(&mut self, ev: &Evidence, events: &HashMap<String, Vec<(u64, Event)>>) {
        for k in &ev.keys.keys {
            let logged =
                events.get(&format!("key:{}", k.keyid)).map(Vec::as_slice).unwrap_or_default();
            let public = k.custody["public_key"].as_str().unwrap_or_default();
            let registered = Event::key_registration(
                &k.added_at,
                &k.keyid,
                public,
                &k.owner,
                k.foreign_archive.as_deref(),
            );
            let subject = format!("key {}", k.keyid);
            if !logged.iter().any(|(_, e)| *e == registered) {
                self.find(
                    Code::BagEnvelope,
                    &subject,
                    layout::KEYS,
                    "its owner or registration is not what a custody event in the bag logged"
                        .into(),
                    ASK,
                );
            }
            let revoked = k.revoked_at.as_deref().map(|at| {
                Event::key_revocation(at, &k.keyid, k.revoke_reason.as_deref().unwrap_or(""))
            });
            let revocations: Vec<&Event> = logged
                .iter()
                .map(|(_, e)| e)
                .filter(|e| e.kind == EventKind::KeyRevocation)
                .collect();
            let consistent = match &revoked {
                Some(r) => revocations.contains(&r),
                None => revocations.is_empty(),
            };
            if !consistent {
                self.find(
                    Code::BagEnvelope,
                    &subject,
                    layout::KEYS,
                    "its revocation is not what the custody events in the bag logged".into(),
                    ASK,
                );
            }
        }
    }

    /// The export's own event: a dissemination of this bag, naming its
    /// payload manifest.
    fn dissemination(&mut self, info: &BagInfo, events: &HashMap<String, Vec<(u64, Event)>>) {
        let bag = info.get("External-Identifier").unwrap_or_default();
        let manifest =
            self.src.read_tag("manifest-sha256.txt").map(|b| sha256_hex(&b)).unwrap_or_default();
        let ok = events.get(&format!("export:{bag}")).is_some_and(|v| {
            v.iter().any(|(_, e)| {
                e.kind == EventKind::Dissemination && e.record.as_deref() == Some(manifest.as_str())
            })
        });
        if !ok {
            self.find(
                Code::BagProof,
                "export event",
                layout::EVENTS,
                "the bag's own dissemination event (naming its payload manifest) is not in it"
                    .into(),
                ASK,
            );
        }
    }
}
