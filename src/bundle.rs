//! Evidence bundles: BagIt bags (RFC 8493) that prove themselves offline.
//! `bagit` is the format as text, `layout` what a custody bag holds by
//! name (and the naming rules every bag read must pass), `evidence` the
//! tag files' own types, `hashing` the three digests and the spool,
//! `sink` writing a bag (directory, zip, tar) under a temporary name,
//! `source` reading one without trusting it, `readme` the plain-language
//! READMEs, `verify` the offline verification. The verbs are in
//! `commands::{export, verify, import}`.
//!
//! Must not: hold items of its own (its children share only what they
//! import from each other).

pub mod bagit;
pub mod evidence;
pub mod hashing;
pub mod layout;
#[cfg(test)]
mod props;
pub mod readme;
pub mod sink;
pub mod source;
pub mod verify;
