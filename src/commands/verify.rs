//! `verify`: check a bag offline, with no archive — the verb over
//! `bundle::verify`, where the numbered steps live.
//!
//! Must not: open an archive, or write anything.

pub use crate::bundle::verify::{ItemProof, VerifyOptions, VerifyReport, verify};
