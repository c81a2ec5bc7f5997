//! `demo`: the whole lifecycle on the sample collection, in a fresh scratch
//! archive, through the same library calls the CLI makes: ingest from the
//! manifest (embedded metadata and the collector's claims), an analyst's
//! location claim that is flagged and then corrected, a custody-log
//! checkpoint kept outside the archive and an inclusion proof checked
//! offline, the audit. Each step
//! carries its equivalent CLI command and a one-paragraph result. The last
//! steps flip one byte of a stored object in the scratch copy and show that
//! the audit catches it.
//!
//! Must not: touch any archive but the scratch one it creates.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::claim::{ClaimOptions, ClaimReport, claim};
use super::ingest::{IngestOptions, Outcome, ingest};
use super::inspect::{cat, list, show};
use super::keys::{KeyAddOptions, KeyNewOptions, key_add, key_new};
use super::{Progress, lossy};
use crate::audit::{AuditOptions, Code, audit};
use crate::claim::{Basis, Fields, Kind};
use crate::clock::SystemClock;
use crate::crypto::keyfile;
use crate::error::{Error, ErrorKind, Result};
use crate::id::{Encoding, ObjectId};
use crate::{Archive, InitOptions};

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
    /// flagged and its correction cleared the flag, the first audit was clean
    /// and the second caught exactly the corrupted object.
    pub passed: bool,
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
    let root = opts.workdir.join("archive");
    let key_path = opts.workdir.join("demo-archivist.key");
    let a = format!("--archive {}", root.display());
    let mut steps = Vec::new();
    let mut step = |title: &str, command: String, result: String| {
        steps.push(DemoStep { title: title.into(), command, result });
    };

    let mut archive = Archive::init(
        &InitOptions { root: root.clone(), name: "Aleppo 2024 collection (demo)".into() },
        Box::new(SystemClock),
    )?;
    let id = archive.identity()?;
    step(
        "create a scratch archive",
        format!("custody init {a} --name \"{}\"", id.name),
        format!("archive {} created at {}", id.archive_id, root.display()),
    );

    std::fs::create_dir_all(&opts.workdir)
        .map_err(|e| Error::io("cannot create", &opts.workdir, e))?;
    let kr = key_new(
        &KeyNewOptions { name: "Demo Archivist".into(), out: key_path.clone(), passphrase: None },
        crate::clock::Clock::now(&SystemClock),
    )?;
    step(
        "create the collector's signing key (outside the archive)",
        format!(
            "custody key new --name \"Demo Archivist\" --out {} --no-passphrase",
            key_path.display()
        ),
        format!(
            "key {} written to {} (mode 0600) and {}",
            kr.keyid,
            key_path.display(),
            kr.public_file.display()
        ),
    );
    let added =
        key_add(&mut archive, &KeyAddOptions { file: kr.public_file.clone(), owner: None })?;
    step(
        "register its public key",
        format!("custody key add {a} {}", kr.public_file.display()),
        format!("registered key {} for {}", added.key.keyid, added.key.owner),
    );

    let (_, key) = keyfile::load_secret(&key_path, None)?;
    let ingest_cmd = format!(
        "custody ingest {a} --key {} --manifest {}",
        key_path.display(),
        opts.manifest.display()
    );
    let iopts = IngestOptions {
        manifest: Some(opts.manifest.clone()),
        ..IngestOptions::paths(Vec::new(), &key)
    };
    let r = ingest(&mut archive, &iopts, progress)?;
    let m = &r.summary;
    step(
        "ingest the sample collection from its manifest: every row checked first, embedded \
         metadata read, the collector's claims signed",
        ingest_cmd.clone(),
        format!(
            "{} files, {} bytes: {} items added, {} new objects, {} skipped; {} claims signed \
             ({} files with metadata problems)",
            m.files, m.bytes, m.added, m.new_objects, m.skipped, m.claims, m.metadata_problems
        ),
    );
    let again = ingest(&mut archive, &iopts, progress)?;
    step(
        "run the same ingest again (this is how an interrupted batch resumes)",
        ingest_cmd,
        format!(
            "{} already archived, {} added: nothing new",
            again.summary.already_archived, again.summary.added
        ),
    );

    let items = list(&archive)?;
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
    step("list the items", format!("custody list {a}"), listing);

    let first = items.iter().find(|i| i.media_type.starts_with("image/")).or(items.first());
    let Some(first) = first else {
        return Err(Error::new(ErrorKind::NotFound, "the sample collection has no files"));
    };
    let shown = show(&archive, &first.item.to_string())?;
    let obj = shown.object.clone();
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
    step(
        "its claims: read from the file (embedded) and stated by the source (claimed)",
        format!("custody show {a} {}", first.item),
        text,
    );
    let has_embedded = shown.claims.iter().any(|c| c.basis == "embedded" && c.verified);

    // An analyst's location 1.6 km off the embedded GPS position is flagged;
    // a correction that supersedes it clears the flag.
    let mut analyst =
        |fields: &[(&str, &str)], supersedes: Option<String>| -> Result<ClaimReport> {
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
                key: &key,
            };
            claim(&mut archive, &opts)
        };
    let far = analyst(
        &[("lat", "36.2087"), ("lon", "37.1487"), ("accuracy", "100"), ("method", "skyline")],
        None,
    )?;
    step(
        "an analyst places the photo at Saadallah al-Jabiri square: flagged",
        format!(
            "custody claim {a} {} --key {} --kind location --lat 36.2087 --lon 37.1487 \
             --accuracy 100 --method skyline",
            first.item,
            key_path.display()
        ),
        far.discrepancies
            .iter()
            .map(|d| format!("{}: {}", d.rule, d.message))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let fixed = analyst(
        &[
            ("lat", "36.1992"),
            ("lon", "37.1625"),
            ("accuracy", "30"),
            ("method", "matched the citadel's outline and the minaret in frame"),
        ],
        Some(far.claim.to_string()),
    )?;
    step(
        "the analyst corrects it; the first claim stays visible as superseded history",
        format!(
            "custody claim {a} {} --key {} --kind location --lat 36.1992 --lon 37.1625 \
             --accuracy 30 --method \"matched the citadel's outline and the minaret in frame\" \
             --supersedes {}",
            first.item,
            key_path.display(),
            far.claim
        ),
        format!(
            "claim {} supersedes claim {}; discrepancies now: {}",
            fixed.claim,
            far.claim,
            fixed.discrepancies.len()
        ),
    );
    let flag_works = far.discrepancies.iter().any(|d| d.rule == "embedded-location-far")
        && fixed.discrepancies.is_empty();
    step(
        "show one item, its object and its signed record",
        format!("custody show {a} {}", first.item),
        format!(
            "item {} {}: blake3 {}, sha256 {}, {} bytes stored as {}; record {} {}",
            first.item,
            first.name,
            first.blake3,
            obj.as_ref().map(|o| o.sha256.as_str()).unwrap_or("?"),
            first.size,
            obj.as_ref().map(|o| o.encoding.as_str()).unwrap_or("?"),
            first.record,
            if first.verified { "verifies" } else { "DOES NOT VERIFY" }
        ),
    );

    let mut copy = Vec::new();
    let c = cat(&archive, &first.blake3, &mut copy)?;
    let original = std::fs::read(lossy(first.path.as_bytes())).unwrap_or_default();
    step(
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

    let clean = audit(&mut archive, &AuditOptions::default(), progress)?;
    step(
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

    // The custody log: a checkpoint kept outside the archive, and a proof
    // that the photo's ingestion is in the tree it signs, checked offline.
    let cp = super::log::checkpoint(&mut archive, None)?;
    let cp_path = opts.workdir.join("kept-elsewhere.checkpoint");
    std::fs::write(&cp_path, &cp.note).map_err(|e| Error::io("cannot write", &cp_path, e))?;
    step(
        "sign a checkpoint of the custody log and keep it outside the archive",
        format!("custody checkpoint {a} > {}", cp_path.display()),
        format!("{}log verifier key: {}", cp.note, cp.vkey),
    );
    let proof = super::log::prove(
        &mut archive,
        super::log::ProveTarget::Item(first.item.to_string()),
        Some(&cp.note),
    )?;
    let proof_path = opts.workdir.join("photo.tlog-proof");
    std::fs::write(&proof_path, &proof.proof)
        .map_err(|e| Error::io("cannot write", &proof_path, e))?;
    let checked = super::log::verify_proof(&proof.proof, &cp.vkey)?;
    step(
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

    // Flip one byte in the middle of the shown object's stored file.
    let target: ObjectId = first.blake3.parse()?;
    let enc = obj.as_ref().and_then(|o| Encoding::parse(&o.encoding)).unwrap_or(Encoding::None);
    let path = archive.store.path_of(&target, enc);
    let size = std::fs::metadata(&path).map_err(|e| Error::io("cannot stat", &path, e))?.len();
    let offset = size / 2;
    flip_byte(&path, offset)?;
    step(
        "simulate bit rot: flip one byte of that object in the scratch store",
        format!(
            "python3 -c \"f=open('{p}','r+b'); f.seek({offset}); b=f.read(1); f.seek({offset}); f.write(bytes([b[0]^1]))\"",
            p = path.display()
        ),
        format!("flipped byte {offset} of {}", path.display()),
    );

    let caught = audit(&mut archive, &AuditOptions::default(), progress)?;
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
        && matches!(caught.findings[0].code, Code::ObjectCorrupt | Code::ObjectUndecompressable);
    step("audit again: the corruption is caught", format!("custody audit {a}  # exits 1"), text);
    let all_added = r.files.iter().all(|f| !matches!(f.outcome, Outcome::Skipped { .. }));
    Ok(DemoReport {
        archive: root,
        steps,
        passed: clean.is_clean()
            && caught_it
            && all_added
            && copy == original
            && has_embedded
            && flag_works
            && checked.valid,
    })
}

fn flip_byte(path: &std::path::Path, offset: u64) -> Result<()> {
    let io = |e| Error::io("cannot corrupt", path, e);
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(io)?;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    f.read_exact(&mut b).map_err(io)?;
    f.seek(SeekFrom::Start(offset)).map_err(io)?;
    f.write_all(&[b[0] ^ 0x01]).map_err(io)?;
    f.sync_all().map_err(io)
}
