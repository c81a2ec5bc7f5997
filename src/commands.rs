//! The use cases, one module per verb: `XxxOptions` in, `Result<XxxReport>`
//! out. Reports are plain data the binary renders as text or JSON.
//!
//! Must not: print, exit, read argv or the environment, or prompt; be
//! imported by anything but the binary (tests/tidy.rs checks the arrows).

pub mod audit;
pub mod bulk;
pub mod claim;
pub mod export;
pub mod history;
pub mod import;
pub mod ingest;
pub mod inspect;
pub mod keys;
pub mod proof;
pub mod search;
pub mod verify;
pub mod witness;
