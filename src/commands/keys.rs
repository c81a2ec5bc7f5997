//! Key management: create a key file (outside the archive), register a
//! public key in the archive, list registered keys, revoke a key (each
//! registration and revocation is a custody-log event).
//!
//! Must not: store a private key in the archive, or overwrite a key file.

use std::path::PathBuf;

use serde::Serialize;

use crate::archive::Archive;
use crate::clock::rfc3339;
use crate::crypto::{SecretKey, keyfile};
use crate::error::{Error, ErrorKind, Result};

/// Options for `key new`.
pub struct KeyNewOptions {
    /// Owner's name.
    pub name: String,
    /// Secret key file to create.
    pub out: PathBuf,
    /// Passphrase to seal it with, or `None` for an unencrypted file.
    pub passphrase: Option<String>,
}

/// What `key new` made.
#[derive(Debug, Serialize)]
pub struct KeyNewReport {
    /// Secret key file.
    pub secret_file: PathBuf,
    /// Public key file.
    pub public_file: PathBuf,
    /// Key id.
    pub keyid: String,
    /// Public key hex.
    pub public_key: String,
    /// Whether the secret is passphrase-sealed.
    pub encrypted: bool,
}

/// Create a new Ed25519 key file (mode 0600, never overwriting).
pub fn key_new(opts: &KeyNewOptions, created_at: time::OffsetDateTime) -> Result<KeyNewReport> {
    if opts.name.trim().is_empty() {
        return Err(Error::new(ErrorKind::Usage, "the key owner's name is empty")
            .hint("pass --name \"Your Name\""));
    }
    if let Some(p) = &opts.passphrase
        && p.is_empty()
    {
        return Err(Error::new(ErrorKind::Usage, "the passphrase is empty")
            .hint("choose a passphrase, or pass --no-passphrase to store the key unencrypted"));
    }
    let key = SecretKey::generate()?;
    let public_file = keyfile::write_new(
        &opts.out,
        opts.name.trim(),
        &key,
        opts.passphrase.as_deref(),
        &rfc3339(created_at),
    )?;
    Ok(KeyNewReport {
        secret_file: opts.out.clone(),
        public_file,
        keyid: key.public().keyid(),
        public_key: key.public().to_hex(),
        encrypted: opts.passphrase.is_some(),
    })
}

/// A registered key, for listing.
#[derive(Debug, Serialize)]
pub struct KeyInfo {
    /// Key id.
    pub keyid: String,
    /// Public key hex.
    pub public_key: String,
    /// Owner.
    pub owner: String,
    /// Registered at.
    pub added_at: String,
    /// Revoked at.
    pub revoked_at: Option<String>,
    /// Why.
    pub revoke_reason: Option<String>,
}

impl From<crate::db::KeyRow> for KeyInfo {
    fn from(r: crate::db::KeyRow) -> Self {
        KeyInfo {
            keyid: r.keyid,
            public_key: r.public_key,
            owner: r.owner,
            added_at: r.added_at,
            revoked_at: r.revoked_at,
            revoke_reason: r.revoke_reason,
        }
    }
}

/// What `key add` did.
#[derive(Debug, Serialize)]
pub struct KeyAddReport {
    /// The key.
    pub key: KeyInfo,
    /// False if it was already registered.
    pub added: bool,
}

/// Options for `key add`.
pub struct KeyAddOptions {
    /// A `.pub` file, or a secret key file (only its public half is read).
    pub file: PathBuf,
    /// The owner's name, if not the one in the file.
    pub owner: Option<String>,
}

/// Register the public key of a key file in the archive.
pub fn key_add(archive: &mut Archive, opts: &KeyAddOptions) -> Result<KeyAddReport> {
    let named = keyfile::load_public(&opts.file)?;
    let owner = opts.owner.as_deref().unwrap_or(&named.name).trim().to_owned();
    if owner.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "the key owner's name is empty")
            .hint("pass --name \"Owner Name\""));
    }
    let now = archive.now();
    let keyid = named.key.keyid();
    let tx = archive.db.tx()?;
    let added = tx.insert_key(&keyid, &named.key.to_hex(), &owner, &now, None)?;
    if added {
        crate::custody_log::append(
            &tx,
            &crate::custody_log::Event::key_registration(
                &now,
                &keyid,
                &named.key.to_hex(),
                &owner,
                None,
            ),
        )?;
    }
    tx.commit()?;
    let row = archive.db.read().key(&keyid)?.ok_or_else(|| {
        Error::new(ErrorKind::Database, format!("key {keyid} vanished after registering it"))
    })?;
    Ok(KeyAddReport { key: row.into(), added })
}

/// All registered keys.
pub fn key_list(archive: &Archive) -> Result<Vec<KeyInfo>> {
    Ok(archive.db.read().keys()?.into_iter().map(KeyInfo::from).collect())
}

/// Options for `key revoke`.
pub struct KeyRevokeOptions {
    /// Key id or a unique prefix of 8+ hex digits.
    pub keyid: String,
    /// Why it is revoked.
    pub reason: String,
    /// From when (RFC 3339 with offset); `None` = now.
    pub at: Option<String>,
}

/// What `key revoke` did.
#[derive(Debug, Serialize)]
pub struct KeyRevokeReport {
    /// The key, now revoked.
    pub key: KeyInfo,
    /// Why.
    pub reason: String,
    /// False when the key was already revoked for this reason (a re-run:
    /// nothing was changed or logged).
    pub revoked_now: bool,
}

/// Revoke a key from a time on. Rotation is adding a new key and revoking
/// the old one; what the old key signed before stays valid.
pub fn key_revoke(archive: &mut Archive, opts: &KeyRevokeOptions) -> Result<KeyRevokeReport> {
    let reason = opts.reason.trim();
    if reason.is_empty() {
        return Err(Error::new(ErrorKind::Usage, "a revocation needs a reason")
            .hint("pass --reason \"lost laptop\" (it is kept with the key)"));
    }
    let at = match &opts.at {
        None => archive.now(),
        Some(t) => rfc3339(
            crate::clock::parse_instant(t)
                .map_err(|m| Error::new(ErrorKind::Usage, format!("--at: {m}")))?,
        ),
    };
    let wanted = opts.keyid.trim().to_ascii_lowercase();
    let matches: Vec<_> = archive
        .db
        .read()
        .keys()?
        .into_iter()
        .filter(|k| wanted.len() >= 8 && k.keyid.starts_with(&wanted))
        .collect();
    let key = match &matches[..] {
        [k] => k.clone(),
        [] => {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no key {} in this archive", crate::text::quoted(&wanted)),
            )
            .hint("use a key id (or its first 8+ hex digits) from `custody key list`"));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("{} matches several keys", crate::text::quoted(&wanted)),
            )
            .hint("type more hex digits"));
        }
    };
    let _lock = archive.lock_for_writing()?;
    let tx = archive.db.tx()?;
    // Checked inside the transaction: two racing revocations cannot both
    // be logged.
    if !tx.revoke_key(&key.keyid, &at, reason)? {
        let row = tx.read().key(&key.keyid)?;
        let Some(row) = row.filter(|r| already_revoked(r, reason, opts.at.as_deref())) else {
            let t = key.revoked_at.as_deref().unwrap_or("an earlier time");
            return Err(Error::new(
                ErrorKind::Usage,
                format!("key {} was already revoked at {t}, for another reason", key.keyid),
            )
            .hint("a revocation is never moved or undone"));
        };
        return Ok(KeyRevokeReport { key: row.into(), reason: reason.into(), revoked_now: false });
    }
    crate::custody_log::append(
        &tx,
        &crate::custody_log::Event::key_revocation(&at, &key.keyid, reason),
    )?;
    tx.commit()?;
    let row = archive.db.read().key(&key.keyid)?.ok_or_else(|| {
        Error::new(ErrorKind::Database, format!("key {} vanished while revoking it", key.keyid))
    })?;
    Ok(KeyRevokeReport { key: row.into(), reason: reason.into(), revoked_now: true })
}

/// Whether `row`'s revocation is the one asked for again (same reason, and
/// the same time when one was given): re-running a revocation completes it.
fn already_revoked(row: &crate::db::KeyRow, reason: &str, at: Option<&str>) -> bool {
    let same_time = match (at, &row.revoked_at) {
        (None, _) => true,
        (Some(t), Some(r)) => crate::clock::parse_instant(t)
            .ok()
            .zip(crate::clock::parse_instant(r).ok())
            .is_some_and(|(a, b)| a == b),
        (Some(_), None) => false,
    };
    row.revoke_reason.as_deref() == Some(reason) && same_time
}
