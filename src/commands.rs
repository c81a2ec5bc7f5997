//! The use cases, one module per verb: `XxxOptions` in, `Result<XxxReport>`
//! out. Reports are plain data the binary renders as text or JSON.
//!
//! Must not: print, exit, read argv or the environment, or prompt.

pub mod claim;
pub mod demo;
pub mod ingest;
pub mod inspect;
pub mod keys;
pub mod log;

use crate::error::{Error, ErrorKind, Result};

/// Progress callbacks for long commands (the binary draws a bar).
pub trait Progress: Sync {
    /// Work is about to start: this many files and bytes.
    fn begin(&self, _files: u64, _bytes: u64) {}
    /// This many more bytes were processed.
    fn advance(&self, _bytes: u64) {}
    /// Work is over.
    fn finish(&self) {}
}

/// Progress that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Worker threads for I/O-heavy work: `requested`, or by default twice the
/// cores (a worker waiting on a read or an fsync leaves its core to another),
/// at most 16.
pub(crate) fn workers(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get() * 2).min(16),
        n => n,
    }
}

/// Lossy display form of raw path bytes.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The key id of `key` if it may sign in this archive: registered, not
/// revoked, and the registered public key is this key's.
pub(crate) fn check_signer(q: &crate::db::Q<'_>, key: &crate::crypto::SecretKey) -> Result<String> {
    let public = key.public();
    let keyid = public.keyid();
    match q.key(&keyid)? {
        None => Err(Error::new(
            ErrorKind::Usage,
            format!("signing key {keyid} is not registered in this archive"),
        )
        .hint("register its public key first: custody key add KEYFILE.pub")),
        Some(k) if k.revoked_at.is_some() => Err(Error::new(
            ErrorKind::Usage,
            format!(
                "signing key {keyid} was revoked at {}",
                k.revoked_at.as_deref().unwrap_or_default()
            ),
        )
        .hint("sign with a current key (rotation: `custody key add` the new one)")),
        Some(k) if k.public_key != public.to_hex() => Err(Error::new(
            ErrorKind::Integrity,
            format!("registered public key for {keyid} differs from the key file"),
        )
        .hint("run `custody audit`: the keys table may have been edited")),
        Some(_) => Ok(keyid),
    }
}
