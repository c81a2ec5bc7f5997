//! The audit's checks, one module per thing checked: `objects` (stored
//! bytes and the store's listing), `items` (items and records), `claims`,
//! `custody_log` (leaves, coverage, nodes, checkpoints, cosignatures,
//! `--against`), `runs` (the columns that steer the audit itself), `search` (the
//! derived search indexes), over the rows `rows` holds: the small tables
//! whole, the large ones a page at a time. Each returns
//! findings (data); the `audit` verb in `commands::audit` runs them and
//! records the result.
//!
//! Must not: repair, delete or rewrite anything it checks; hold items of
//! its own (its children share only what they import from each other).

pub mod claims;
pub mod custody_log;
pub mod items;
pub mod objects;
pub mod rows;
pub mod runs;
pub mod search;
