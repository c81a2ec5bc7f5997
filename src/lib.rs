//! `custody`: an archival evidence store with provenance. Objects are named
//! by BLAKE3 and kept as plain bytes or one zstd frame; every acquisition is
//! an item with a signed DSSE / in-toto ingest record; provenance (source,
//! capture time, location, …) is signed claims; every custody event is a
//! leaf of a Merkle-tree custody log with signed checkpoints; `audit`
//! re-verifies every byte, signature, claim and log entry and reports
//! findings.
//!
//! Each command takes `XxxOptions` and returns `Result<XxxReport>`; the
//! `custody` binary renders them.
//!
//! Must not: print, exit, or read argv / the environment (only the binary does).

#![forbid(unsafe_code)]

pub mod archive;
pub mod audit;
pub mod claim;
pub mod clock;
pub mod commands;
pub mod crypto;
mod db;
pub mod error;
pub mod id;
pub mod log;
pub mod manifest;
pub mod media;
pub mod metadata;
pub mod record;
pub mod store;

pub use archive::{Archive, Identity, InitOptions};
pub use error::{Error, ErrorKind, Result};
