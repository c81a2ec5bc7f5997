//! Finding evidence: the derived search indexes over current claims and
//! text objects (schema/0006_search.sql, 0007_search_places_in_time.sql)
//! and the object-level query they answer. `search::normal` (text
//! normalisation, visible text, FTS5 query rewriting, snippets),
//! `search::geo` (circles and boxes on the sphere), `search::grid` (the
//! hierarchical grid of positions),
//! `search::gazetteer` (place names across scripts), `search::index`
//! (derive, refresh, reindex), `search::query` (which objects match).
//!
//! Must not: hold SQL (`db::search`), sign, or decide anything about items
//! (item filters, sorting and output are `commands::search`'s).

pub mod gazetteer;
pub mod geo;
pub mod grid;
pub mod index;
pub mod normal;
#[cfg(test)]
mod props;
pub mod query;

/// A deterministic stream of numbers in [0, 1) for the search tests
/// (xorshift64), from `seed`.
#[cfg(test)]
fn unit_stream(seed: u64) -> impl FnMut() -> f64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}
