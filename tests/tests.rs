//! One integration test binary (ripgrep's layout): modules per area, a
//! shared harness in `util`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod util;

mod bad_input;
mod bundles;
mod claims;
mod cli;
mod compat;
mod crash;
mod custody_log;
mod hostile;
mod interop;
mod library;
mod media;
mod props;
mod reliability;
mod search;
mod tamper;
mod tidy;
