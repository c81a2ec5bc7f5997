//! `import`: take a bag in. It is verified first, as `verify` does, and
//! nothing is imported from a bag with any finding. Then, under the
//! archive's write lock: every payload object is copied into the store
//! (re-hashed on the way: a bag that changed since it was verified stops
//! the import; a file already under its name that no row names is
//! re-hashed, and replaced if it does not match); then in ONE transaction,
//! which commits only once the objects are durable — a failed import
//! leaves nothing — the sender's keys are registered as foreign keys
//! before anything they signed, the sender's items and claims are recorded
//! with their original signed envelopes (each with the custody event the
//! audit expects), the revocations the bag proves come last, and the
//! receiver signs an item per object ("received in bag X", its provenance
//! the bag statement) and a transfer record (a PREMIS transfer event).
//!
//! A plain BagIt bag (another tool's) is imported the same way with only
//! its fixity proven: a receiver's item per payload file, and a signed
//! source claim saying where it came from and that nothing more is proven.
//! Importing the same bag again adds nothing.
//!
//! Must not: import from a bag that did not verify; write a row before its
//! object is durable; sign anything in the sender's name.

mod objects;
mod records;

use std::path::PathBuf;

use serde::Serialize;

use crate::archive::Archive;
use crate::bundle::verify::{Checked, VerifyOptions, VerifyReport, verify_bag};
use crate::crypto::SecretKey;
use crate::custody_log::sha256_hex;
use crate::error::Result;
pub use records::Added;
use records::Incoming;

/// Options for `import`.
pub struct ImportOptions<'k> {
    /// The bag: a directory, a zip or a tar.
    pub bag: PathBuf,
    /// The receiver's key (registered here, not revoked).
    pub key: &'k SecretKey,
    /// The sender's log verifier key, pinned.
    pub vkey: Option<String>,
    /// The sender's public key files to trust.
    pub trust_keys: Vec<PathBuf>,
    /// Trust the keys the bag carries.
    pub trust_bag_keys: bool,
    /// Worker threads for hashing.
    pub threads: usize,
}

/// What `import` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The verification, as `verify` reports it.
    pub verification: VerifyReport,
    /// False when the bag did not verify (nothing was imported) or was
    /// imported before.
    pub imported: bool,
    /// True when this very bag was imported before (nothing was added).
    pub already_imported: bool,
    /// The bag's id (External-Identifier, or `plain:` and its manifest's
    /// SHA-256 for a bag without one).
    pub bag_id: String,
    /// The sending archive (none: a plain bag).
    pub sender_archive: Option<String>,
    /// `signed` (a custody bag) or `fixity-only` (a plain bag).
    pub proven: String,
    /// What was added (nothing unless `imported`).
    #[serde(flatten)]
    pub added: Added,
}

/// Import a bag.
pub fn import(archive: &mut Archive, opts: &ImportOptions<'_>) -> Result<ImportReport> {
    let receiver = crate::trust::signer(&archive.db.read(), opts.key)?;
    let verify = VerifyOptions {
        bag: opts.bag.clone(),
        vkey: opts.vkey.clone(),
        trust_keys: opts.trust_keys.clone(),
        trust_bag_keys: opts.trust_bag_keys,
        threads: opts.threads,
    };
    let (verification, checked) = verify_bag(&verify)?;
    let sender_archive = checked.custody.as_ref().map(|c| c.sender.clone());
    let mut report = ImportReport {
        bag_id: bag_id(&checked)?,
        proven: if checked.custody.is_some() { "signed" } else { "fixity-only" }.into(),
        sender_archive,
        imported: false,
        already_imported: false,
        added: Added::default(),
        verification,
    };
    if !report.verification.holds() {
        return Ok(report);
    }
    let _lock = archive.lock_for_writing()?;
    if archive.db.read().transfers()?.iter().any(|t| t.bag_id == report.bag_id) {
        report.already_imported = true;
        return Ok(report);
    }
    let objects = objects::copy_objects(archive, &checked)?;
    let incoming = Incoming {
        bag_id: &report.bag_id,
        sender: report.sender_archive.as_deref(),
        proven: &report.proven,
    };
    report.added =
        match records::record(archive, &checked, &objects, opts.key, &receiver, &incoming) {
            Ok(r) => r,
            Err(e) => {
                objects::discard(archive, &objects);
                return Err(e);
            }
        };
    report.imported = true;
    Ok(report)
}

/// The bag's id: its External-Identifier; a plain bag without one is
/// named by the SHA-256 of its first manifest (so the same bag is known
/// again, whatever its folder is called).
fn bag_id(checked: &Checked) -> Result<String> {
    if let Some(id) = checked.info.get("External-Identifier").filter(|i| !i.trim().is_empty()) {
        return Ok(id.trim().to_owned());
    }
    let first = checked.src.files.keys().find(|n| n.starts_with("manifest-") && !n.contains('/'));
    let text = match first {
        Some(n) => checked.src.read_tag(n)?,
        None => Vec::new(),
    };
    Ok(format!("plain:{}", sha256_hex(&text)))
}
