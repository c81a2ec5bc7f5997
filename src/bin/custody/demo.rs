//! `demo`: the whole lifecycle on the sample collection, in a fresh scratch
//! archive, through the same library calls the other verbs make: ingest
//! from the manifest (embedded metadata and the collector's claims), an
//! analyst's location claim that is flagged and then corrected, a
//! custody-log checkpoint kept outside the archive and an inclusion proof
//! checked offline, the audit, an evidence bag exported, verified offline
//! with the keys pinned, and imported into a partner's archive that then
//! audits clean. Each step carries its equivalent CLI command
//! and a one-paragraph result (the narration is the binary's, not the
//! library's). The last steps flip one byte of a stored object in the
//! scratch copy (`flip_byte`, the only write outside the library) and show
//! that the audit catches it.
//!
//! Must not: touch any archive but the scratch one it creates.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use custody::claim::fields::Fields;
use custody::claim::{Basis, Kind};
use custody::commands::audit::{AuditOptions, audit};
use custody::commands::claim::{ClaimOptions, ClaimReport, claim};
use custody::commands::export::{BagFormat, ExportOptions, export};
use custody::commands::import::{ImportOptions, import};
use custody::commands::ingest::{IngestOptions, Outcome, ingest};
use custody::commands::inspect::{ItemView, cat, list, show};
use custody::commands::keys::{KeyAddOptions, KeyNewOptions, key_add, key_new};
use custody::commands::proof::{ProveTarget, checkpoint, prove, verify_proof};
use custody::commands::search::{Filters, SearchOptions, search, timeline};
use custody::commands::verify::{VerifyOptions, verify};
use custody::crypto::keyfile;
use custody::{Archive, Code, Error, ErrorKind, InitOptions, Progress, Result, SystemClock};

/// Options for `demo`.
pub struct DemoOptions {
    /// The sample collection's manifest (CSV: files and their sources).
    pub manifest: PathBuf,
    /// An empty or new directory for the scratch archive and key.
    pub workdir: PathBuf,
}

/// One step of the demo.
#[derive(Debug, Clone, Serialize)]
pub struct DemoStep {
    /// What it shows.
    pub title: String,
    /// The equivalent CLI command.
    pub command: String,
    /// What happened.
    pub result: String,
}

/// The demo's report.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The scratch archive.
    pub archive: PathBuf,
    /// The steps, in order.
    pub steps: Vec<DemoStep>,
    /// True when every file went in with its claims, the far location was
    /// flagged and its correction cleared the flag, the searches found the
    /// citadel footage, the first audit was clean,
    /// the bag verified and imported into an archive that audits clean, and
    /// the second audit caught exactly the corrupted object.
    pub passed: bool,
}

/// The demo as it runs: the scratch archive, its key, the steps so far.
struct Demo<'a> {
    archive: Archive,
    /// `--archive DIR`, for the commands shown.
    a: String,
    key_path: PathBuf,
    key: custody::crypto::SecretKey,
    steps: Vec<DemoStep>,
    progress: &'a dyn Progress,
}

impl Demo<'_> {
    fn step(&mut self, title: &str, command: String, result: String) {
        self.steps.push(DemoStep { title: title.into(), command, result });
    }
}

/// Run the demo.
pub fn demo(opts: &DemoOptions, progress: &dyn Progress) -> Result<DemoReport> {
    if !opts.manifest.is_file() {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("sample manifest {} not found", opts.manifest.display()),
        )
        .hint("run the demo from a clone of the repository, or pass --manifest FILE"));
    }
    let mut d = setup(opts, progress)?;
    let all_added = d.ingest(&opts.manifest)?;
    let first = d.list()?;
    let (has_embedded, flag_works, copy_ok) = d.claims(&first)?;
    let found = d.find()?;
    let (clean, proof_ok) = d.audit_and_prove(&first, &opts.workdir)?;
    let bag_ok = d.bag(&opts.workdir)?;
    let caught_it = d.corrupt(&first)?;
    Ok(DemoReport {
        archive: d.archive.root().to_owned(),
        steps: d.steps,
        passed: clean
            && caught_it
            && all_added
            && copy_ok
            && has_embedded
            && flag_works
            && found
            && proof_ok
            && bag_ok,
    })
}

/// Create the scratch archive and the collector's key, and register it.
fn setup<'a>(opts: &DemoOptions, progress: &'a dyn Progress) -> Result<Demo<'a>> {
    let root = opts.workdir.join("archive");
    let key_path = opts.workdir.join("demo-archivist.key");
    let a = format!("--archive {}", root.display());
    let mut steps = Vec::new();
    let archive = Archive::init(
        &InitOptions { root: root.clone(), name: "Aleppo 2024 collection (demo)".into() },
        Box::new(SystemClock),
    )?;
    let id = archive.identity()?;
    steps.push(DemoStep {
        title: "create a scratch archive".into(),
        command: format!("custody init {a} --name \"{}\"", id.name),
        result: format!("archive {} created at {}", id.archive_id, root.display()),
    });
    std::fs::create_dir_all(&opts.workdir)
        .map_err(|e| Error::io("cannot create", &opts.workdir, e))?;
    let kr = key_new(
        &KeyNewOptions { name: "Demo Archivist".into(), out: key_path.clone(), passphrase: None },
        custody::Clock::now(&SystemClock),
    )?;
    let (_, key) = keyfile::load_secret(&key_path, None)?;
    let mut d = Demo { archive, a, key_path, key, steps, progress };
    d.step(
        "create the collector's signing key (outside the archive)",
        format!(
            "custody key new --name \"Demo Archivist\" --out {} --no-passphrase",
            d.key_path.display()
        ),
        format!(
            "key {} written to {} (mode 0600) and {}",
            kr.keyid,
            d.key_path.display(),
            kr.public_file.display()
        ),
    );
    let added =
        key_add(&mut d.archive, &KeyAddOptions { file: kr.public_file.clone(), owner: None })?;
    d.step(
        "register its public key",
        format!("custody key add {} {}", d.a, kr.public_file.display()),
        format!("registered key {} for {}", added.key.keyid, added.key.owner),
    );
    Ok(d)
}

impl Demo<'_> {
    /// Ingest the sample collection from its manifest, then again; true
    /// when every file went in.
    fn ingest(&mut self, manifest: &Path) -> Result<bool> {
        let ingest_cmd = format!(
            "custody ingest {} --key {} --manifest {}",
            self.a,
            self.key_path.display(),
            manifest.display()
        );
        let iopts = IngestOptions {
            manifest: Some(manifest.to_owned()),
            ..IngestOptions::paths(Vec::new(), &self.key)
        };
        let r = ingest(&mut self.archive, &iopts, self.progress)?;
        let again = ingest(&mut self.archive, &iopts, self.progress)?;
        let m = &r.summary;
        self.step(
            "ingest the sample collection from its manifest: every row checked first, embedded \
             metadata read, the collector's claims signed",
            ingest_cmd.clone(),
            format!(
                "{} files, {} bytes: {} items added, {} new objects, {} skipped; {} claims signed \
                 ({} files with metadata problems)",
                m.files, m.bytes, m.added, m.new_objects, m.skipped, m.claims, m.metadata_problems
            ),
        );
        self.step(
            "run the same ingest again (this is how an interrupted batch resumes)",
            ingest_cmd,
            format!(
                "{} already archived, {} added: nothing new",
                again.summary.already_archived, again.summary.added
            ),
        );
        Ok(r.files.iter().all(|f| !matches!(f.outcome, Outcome::Skipped { .. })))
    }

    /// List the items; returns the first photo (else the first item).
    fn list(&mut self) -> Result<ItemView> {
        let items = list(&self.archive)?;
        let verified = items.iter().filter(|i| i.verified).count();
        let mut listing = format!("{} items, {verified} with verified signatures", items.len());
        for i in items.iter().take(12) {
            listing.push_str(&format!(
                "\n{:<3} {}  {:<18} {}",
                i.item,
                i.blake3.get(..12).unwrap_or(&i.blake3),
                i.media_type,
                i.name
            ));
        }
        self.step("list the items", format!("custody list {}", self.a), listing);
        let first = items.iter().find(|i| i.media_type.starts_with("image/")).or(items.first());
        first
            .cloned()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "the sample collection has no files"))
    }

    /// An analyst's location claim about `first`.
    fn analyst(
        &mut self,
        first: &ItemView,
        fields: &[(&str, &str)],
        supersedes: Option<String>,
    ) -> Result<ClaimReport> {
        let mut f = Fields::default();
        for (k, v) in fields {
            f.set(k, v).map_err(|e| Error::new(ErrorKind::Usage, e.message))?;
        }
        let opts = ClaimOptions {
            target: first.item.to_string(),
            kind: Kind::Location,
            basis: Basis::Analyst,
            fields: f,
            supersedes,
            key: &self.key,
        };
        claim(&mut self.archive, &opts)
    }

    /// The photo's claims; an analyst's far location (flagged) and its
    /// correction (flag cleared); the item's record; its bytes streamed
    /// back. Returns (embedded claims verified, flag worked, copy equal).
    fn claims(&mut self, first: &ItemView) -> Result<(bool, bool, bool)> {
        let a = self.a.clone();
        let shown = show(&self.archive, &first.item.to_string())?;
        let mut text = String::new();
        for c in &shown.claims {
            let value = c.value.as_ref().map(|v| serde_json::to_string(v).unwrap_or_default());
            text.push_str(&format!(
                "claim {} {} ({}), signature {}: {}\n",
                c.claim,
                c.kind,
                c.basis,
                if c.verified { "ok" } else { "NOT VERIFIED" },
                value.unwrap_or_default()
            ));
        }
        text.push_str(&format!("discrepancies: {}", shown.discrepancies.len()));
        self.step(
            "its claims: read from the file (embedded) and stated by the source (claimed)",
            format!("custody show {a} {}", first.item),
            text,
        );
        let has_embedded =
            shown.claims.iter().any(|c| c.basis == Basis::Embedded.name() && c.verified);
        let flag_works = self.analyst_correction(first)?;
        let obj = shown.object.as_ref();
        self.step(
            "show one item, its object and its signed record",
            format!("custody show {a} {}", first.item),
            format!(
                "item {} {}: blake3 {}, sha256 {}, {} bytes stored as {}; record {} {}",
                first.item,
                first.name,
                first.blake3,
                obj.map(|o| o.sha256.as_str()).unwrap_or("?"),
                first.size,
                obj.map(|o| o.encoding.as_str()).unwrap_or("?"),
                first.record,
                if first.verified { "verifies" } else { "DOES NOT VERIFY" }
            ),
        );
        let mut copy = Vec::new();
        let c = cat(&self.archive, &first.blake3, &mut copy)?;
        let original = std::fs::read(&first.path).unwrap_or_default();
        self.step(
            "stream the original bytes back, verified as they stream",
            format!(
                "custody cat {a} {} > copy.bin && b3sum copy.bin",
                first.blake3.get(..12).unwrap_or(&first.blake3)
            ),
            format!(
                "{} bytes, blake3 {}; identical to {}: {}",
                c.bytes,
                blake3::hash(&copy),
                first.path,
                copy == original
            ),
        );
        Ok((has_embedded, flag_works, copy == original))
    }

    /// An analyst's location 1.6 km off the embedded GPS position is
    /// flagged; a correction that supersedes it clears the flag.
    fn analyst_correction(&mut self, first: &ItemView) -> Result<bool> {
        let (a, key) = (self.a.clone(), self.key_path.display().to_string());
        let far = self.analyst(
            first,
            &[("lat", "36.2087"), ("lon", "37.1487"), ("accuracy", "100"), ("method", "skyline")],
            None,
        )?;
        self.step(
            "an analyst places the photo at Saadallah al-Jabiri square: flagged",
            format!(
                "custody claim {a} {} --key {key} --kind location --lat 36.2087 --lon 37.1487 \
                 --accuracy 100 --method skyline",
                first.item
            ),
            far.discrepancies
                .iter()
                .map(|d| format!("{}: {}", d.rule, d.message))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        let fixed = self.analyst(
            first,
            &[
                ("lat", "36.1992"),
                ("lon", "37.1625"),
                ("accuracy", "30"),
                ("method", "matched the citadel's outline and the minaret in frame"),
            ],
            Some(far.claim.to_string()),
        )?;
        self.step(
            "the analyst corrects it; the first claim stays visible as superseded history",
            format!(
                "custody claim {a} {} --key {key} --kind location --lat 36.1992 --lon 37.1625 \
                 --accuracy 30 --method \"matched the citadel's outline and the minaret in frame\" \
                 --supersedes {}",
                first.item, far.claim
            ),
            format!(
                "claim {} supersedes claim {}; discrepancies now: {}",
                fixed.claim,
                far.claim,
                fixed.discrepancies.len()
            ),
        );
        Ok(far.discrepancies.iter().any(|d| d.rule == "embedded-location-far")
            && fixed.discrepancies.is_empty())
    }

    /// Find evidence: what was captured within 2 km of the citadel on
    /// Aleppo's 29–30 November, what mentions Aleppo in any script, and
    /// that day's timeline; true when each finds something.
    fn find(&mut self) -> Result<bool> {
        let a = self.a.clone();
        let days = Filters {
            from: Some("2024-11-29".into()),
            to: Some("2024-11-30".into()),
            tz: Some("+03:00".into()),
            ..Filters::default()
        };
        let near =
            Filters { near: Some("36.1993,37.1627".into()), radius_km: Some(2.0), ..days.clone() };
        let opts =
            |filters: Filters| SearchOptions { filters, sort: None, limit: Some(100), offset: 0 };
        let r = search(&self.archive, &opts(near))?;
        let names = |hits: &[custody::commands::search::Hit]| {
            hits.iter().map(|h| h.name.clone()).collect::<Vec<_>>().join(", ")
        };
        self.step(
            "search: what was captured within 2 km of the citadel on 29-30 November (Aleppo time)",
            format!(
                "custody search {a} --near 36.1993,37.1627 --radius 2 --from 2024-11-29 --to 2024-11-30 --tz +03:00"
            ),
            format!("{} items: {}", r.total, names(&r.hits)),
        );
        let text = Filters { text: Some("حلب".into()), ..Filters::default() };
        let t = search(&self.archive, &opts(text))?;
        self.step(
            "search the text: حلب finds Aleppo, Halab and حلب alike",
            format!("custody search {a} --text حلب"),
            format!("{} items: {}", t.total, names(&t.hits)),
        );
        let tl = timeline(&self.archive, &opts(days))?;
        let lines: Vec<String> = tl
            .entries
            .iter()
            .map(|h| {
                let at = h.capture.as_ref().map(|c| c.at.clone()).unwrap_or_default();
                format!("{at}  {}", h.name)
            })
            .collect();
        self.step(
            "timeline of the two days, in capture-time order",
            format!("custody timeline {a} --from 2024-11-29 --to 2024-11-30 --tz +03:00"),
            lines.join("\n"),
        );
        Ok(r.total > 0 && t.total > 0 && !tl.entries.is_empty())
    }

    /// Audit (clean); sign a checkpoint kept outside; prove the photo's
    /// ingestion against it and check the proof offline. Returns (audit
    /// clean, proof valid).
    fn audit_and_prove(&mut self, first: &ItemView, workdir: &Path) -> Result<(bool, bool)> {
        let a = self.a.clone();
        let clean = audit(&mut self.archive, &AuditOptions::default(), self.progress)?;
        self.step(
            "audit: re-read every byte, verify every signature",
            format!("custody audit {a}"),
            format!(
                "{} objects, {} bytes, {} claims, {} signed records: {} findings",
                clean.objects_checked,
                clean.bytes_checked,
                clean.claims_checked,
                clean.records_checked,
                clean.findings.len()
            ),
        );
        let cp = checkpoint(&mut self.archive, None)?;
        let cp_path = workdir.join("kept-elsewhere.checkpoint");
        std::fs::write(&cp_path, &cp.note).map_err(|e| Error::io("cannot write", &cp_path, e))?;
        self.step(
            "sign a checkpoint of the custody log and keep it outside the archive",
            format!("custody checkpoint {a} > {}", cp_path.display()),
            format!("{}log verifier key: {}", cp.note, cp.vkey),
        );
        let target = ProveTarget::Item(first.item.to_string());
        let proof = prove(&mut self.archive, target, Some(&cp.note))?;
        let proof_path = workdir.join("photo.tlog-proof");
        std::fs::write(&proof_path, &proof.proof)
            .map_err(|e| Error::io("cannot write", &proof_path, e))?;
        let checked = verify_proof(&proof.proof, &cp.vkey)?;
        self.step(
            "prove the photo's ingestion is in the log, and check the proof offline (no archive)",
            format!(
                "custody prove {a} {} --checkpoint {} > {p} && custody verify-proof {p} --vkey '{}'",
                first.item,
                cp_path.display(),
                cp.vkey,
                p = proof_path.display()
            ),
            match (&checked.verified, &checked.problem) {
                (Some(v), _) => format!("valid: {}", serde_json::to_string(v).unwrap_or_default()),
                (None, p) => format!("INVALID: {}", p.as_deref().unwrap_or("")),
            },
        );
        Ok((clean.is_clean(), checked.valid))
    }

    /// Export every item as a zip bag, verify it offline with the keys a
    /// recipient is given, and import it into a partner's new archive,
    /// which then audits clean; true when all three hold.
    fn bag(&mut self, workdir: &Path) -> Result<bool> {
        let a = self.a.clone();
        let out = workdir.join("aleppo-2024-bag.zip");
        let opts = ExportOptions {
            out: out.clone(),
            refs: Vec::new(),
            all: true,
            list: None,
            filters: None,
            format: BagFormat::Zip,
            key: &self.key,
            withhold: Vec::new(),
            threads: 0,
        };
        let r = export(&mut self.archive, &opts, self.progress)?;
        self.step(
            "export every item as a self-verifying BagIt bag",
            format!("custody export {a} --all --format zip --out {} --key {}", out.display(), self.key_path.display()),
            format!(
                "{} items, {} objects, {} signed records, {} custody events with inclusion proofs against a checkpoint of size {}; \
                 the recipient pins the log verifier key {} and the exporter's public key",
                r.items, r.objects, r.records, r.events, r.checkpoint_size, r.log_vkey
            ),
        );
        let public = self.key_path.with_extension("key.pub");
        let v = VerifyOptions {
            bag: out.clone(),
            vkey: Some(r.log_vkey.clone()),
            trust_keys: vec![public.clone()],
            trust_bag_keys: false,
            threads: 0,
        };
        let checked = verify(&v)?;
        self.step(
            "verify the bag offline, as its recipient would (no archive needed)",
            format!(
                "custody verify {} --vkey '{}' --trust-key {}",
                out.display(),
                r.log_vkey,
                public.display()
            ),
            format!(
                "{} payload files: {} findings{}",
                checked.payload_files,
                checked.findings.len(),
                if checked.holds() { "; the bag holds" } else { "" }
            ),
        );
        let partner = workdir.join("partner-archive");
        let mut b = Archive::init(
            &InitOptions { root: partner.clone(), name: "Partner archive (demo)".into() },
            Box::new(SystemClock),
        )?;
        let pkey_path = workdir.join("partner-archivist.key");
        let pk = key_new(
            &KeyNewOptions {
                name: "Partner Archivist".into(),
                out: pkey_path.clone(),
                passphrase: None,
            },
            custody::Clock::now(&SystemClock),
        )?;
        key_add(&mut b, &KeyAddOptions { file: pk.public_file.clone(), owner: None })?;
        let (_, pkey) = keyfile::load_secret(&pkey_path, None)?;
        let io = ImportOptions {
            bag: out.clone(),
            key: &pkey,
            vkey: v.vkey.clone(),
            trust_keys: v.trust_keys.clone(),
            trust_bag_keys: false,
            threads: 0,
        };
        let imported = import(&mut b, &io)?;
        let partner_audit = audit(&mut b, &AuditOptions::default(), self.progress)?;
        self.step(
            "import it into a partner's archive (a transfer of custody), which then audits clean",
            format!(
                "custody import --archive {} {} --vkey '…' --trust-key {} --key {} && custody audit --archive {}",
                partner.display(),
                out.display(),
                public.display(),
                pkey_path.display(),
                partner.display()
            ),
            format!(
                "{} of the sender's items and {} claims kept with their original signatures, {} received as the partner's own items, transfer event {}; audit: {} findings",
                imported.added.sender_items,
                imported.added.sender_claims,
                imported.added.received_items.len(),
                imported.added.transfer_event.map(|e| e.to_string()).unwrap_or_default(),
                partner_audit.findings.len()
            ),
        );
        Ok(checked.holds() && imported.imported && partner_audit.is_clean())
    }

    /// Flip one byte in the middle of the photo's stored file and audit
    /// again; true when exactly that object is caught.
    fn corrupt(&mut self, first: &ItemView) -> Result<bool> {
        let a = self.a.clone();
        let shown = show(&self.archive, &first.item.to_string())?;
        let path = PathBuf::from(shown.object.map(|o| o.path).unwrap_or_default());
        let size = std::fs::metadata(&path).map_err(|e| Error::io("cannot stat", &path, e))?.len();
        let offset = size / 2;
        flip_byte(&path, offset)?;
        self.step(
            "simulate bit rot: flip one byte of that object in the scratch store",
            format!(
                "python3 -c \"f=open('{p}','r+b'); f.seek({offset}); b=f.read(1); f.seek({offset}); f.write(bytes([b[0]^1]))\"",
                p = path.display()
            ),
            format!("flipped byte {offset} of {}", path.display()),
        );
        let caught = audit(&mut self.archive, &AuditOptions::default(), self.progress)?;
        let mut text = format!("{} findings", caught.findings.len());
        for f in &caught.findings {
            text.push_str(&format!(
                "\n{} {}: {}\nrepair: {}",
                f.code.as_str(),
                f.subject,
                f.message,
                f.repair
            ));
        }
        let expected = format!("object {}", first.blake3);
        let caught_it = caught.findings.len() == 1
            && caught.findings[0].subject == expected
            && matches!(
                caught.findings[0].code,
                Code::ObjectCorrupt | Code::ObjectUndecompressable
            );
        self.step(
            "audit again: the corruption is caught",
            format!("custody audit {a}  # exits 1"),
            text,
        );
        Ok(caught_it)
    }
}

/// Simulate bit rot: flip the lowest bit of the byte at `offset` of the
/// file at `path` (a stored object of the demo's scratch archive).
fn flip_byte(path: &Path, offset: u64) -> Result<()> {
    let io = |e| Error::io("cannot corrupt", path, e);
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(io)?;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    f.read_exact(&mut b).map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    f.write_all(&[b[0] ^ 0x01]).map_err(io)?;
    f.sync_all().map_err(io)
}
