//! `custody`: an archival evidence store with provenance. Objects are named
//! by BLAKE3 and kept as plain bytes or one zstd frame; every acquisition is
//! an item with a signed DSSE / in-toto ingest record; provenance (source,
//! capture time, location, …) is signed claims; every custody event is a
//! leaf of a Merkle-tree custody log with signed checkpoints; `audit`
//! re-verifies every byte, signature, claim and log entry and reports
//! findings.
//!
//! The public API is what a library user needs: the verbs in `commands`
//! (each takes `XxxOptions` and returns `Result<XxxReport>`; the `custody`
//! binary renders them), the `Archive`, errors and findings, the claim
//! values and fields reports carry, keys, and the standard formats the
//! archive writes (`record`: DSSE / in-toto; `custody_log`: events, C2SP
//! notes and proofs, RFC 6962 hashing). Everything else is `pub(crate)`.
//!
//! Must not: print, exit, or read argv / the environment (only the binary does).

#![forbid(unsafe_code)]

pub mod claim;
pub mod commands;
pub mod crypto;
pub mod custody_log;
pub mod record;

mod archive;
mod audit;
mod bundle;
mod clock;
mod db;
mod error;
mod finding;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod id;
mod manifest;
pub mod media;
mod metadata;
mod progress;
mod search;
mod store;
mod text;
mod trust;

pub use archive::{Archive, Identity, InitOptions};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use finding::{Code, Finding, Severity};
pub use id::DigestSet;
pub use progress::{NoProgress, Progress};
