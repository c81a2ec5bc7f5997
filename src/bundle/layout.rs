//! What a custody bag holds, by name: the payload files (`data/`, one per
//! object: a BLAKE3 prefix — long enough to be unique in the bag — and the
//! object's first name, sanitised), the evidence tag files under
//! `custody/`, the READMEs, the bag profile this layout obeys, and the
//! rules every entry name of a bag we read must pass (no `..`, no absolute
//! path, no two names equal after Unicode NFC and case folding).
//!
//! Must not: read or write files.

use std::collections::{HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;

/// The bag profile's identifier (`schema/custody-bag-profile.json`).
pub const PROFILE_ID: &str = "https://custody.invalid/bagit-profile/custody-bag-v1.json";
/// The profile itself, as published.
pub const PROFILE_JSON: &str = include_str!("../../schema/custody-bag-profile.json");

/// Evidence tag files.
pub const RECORDS: &str = "custody/records.intoto.jsonl";
/// The item index.
pub const ITEMS: &str = "custody/items.json";
/// Custody events with their inclusion proofs.
pub const EVENTS: &str = "custody/events.jsonl";
/// The checkpoint the proofs are against.
pub const CHECKPOINT: &str = "custody/checkpoint";
/// A witnessed (cosigned) checkpoint and the consistency proof from it.
pub const WITNESSED: &str = "custody/witnessed-checkpoint";
/// The consistency proof from the witnessed checkpoint to `CHECKPOINT`.
pub const CONSISTENCY: &str = "custody/witnessed-consistency-proof";
/// The witnesses' verifier keys, one per line.
pub const WITNESSES: &str = "custody/witnesses.txt";
/// The public keys involved.
pub const KEYS: &str = "custody/keys.json";
/// The log's verifier key.
pub const LOG_VKEY: &str = "custody/log.vkey";
/// The BLAKE3 manifest (BagIt has no name for BLAKE3).
pub const BLAKE3_MANIFEST: &str = "custody/manifest-blake3.txt";
/// The signed statement over the whole bag.
pub const STATEMENT: &str = "custody/bag.intoto.jsonl";
/// Plain-language READMEs.
pub const README_TXT: &str = "README.txt";
/// The same, as self-contained HTML.
pub const README_HTML: &str = "README.html";

/// Predicate type of the bag statement (schema/FORMAT.md).
pub const BAG_PREDICATE: &str = "https://custody.invalid/predicates/bag/v1";
/// Predicate type of a transfer record (an imported bag).
pub const TRANSFER_PREDICATE: &str = "https://custody.invalid/predicates/transfer/v1";

/// A file name made safe for every filesystem a bag may be unpacked on:
/// letters and digits (any script, NFC), `.`, `-`, `_`; anything else is
/// `_`; at most 80 characters, keeping the extension.
pub fn sanitise(name: &str) -> String {
    let clean: String = name
        .nfc()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let clean = clean.trim_start_matches('.').to_owned();
    let chars: Vec<char> = clean.chars().collect();
    if chars.is_empty() {
        return "file".into();
    }
    if chars.len() <= 80 {
        return clean;
    }
    let ext: String = match clean.rfind('.') {
        Some(i) if clean.len() - i <= 12 => clean[i..].to_owned(),
        _ => String::new(),
    };
    let keep = 80 - ext.chars().count();
    chars[..keep].iter().collect::<String>() + &ext
}

/// The payload path of every object: `data/<prefix>-<name>`, the BLAKE3
/// prefix 16 hex digits, longer where two objects of the bag share one
/// (so no two objects can collide, whatever their names).
pub fn payload_names(objects: &[(String, String)]) -> HashMap<String, String> {
    let mut len = 16;
    loop {
        let prefixes: HashSet<&str> = objects.iter().map(|(b, _)| &b[..len.min(b.len())]).collect();
        if prefixes.len() == objects.len() || len >= 64 {
            break;
        }
        len += 8;
    }
    objects
        .iter()
        .map(|(b, name)| (b.clone(), format!("data/{}-{}", &b[..len.min(b.len())], sanitise(name))))
        .collect()
}

/// Why an entry name of a bag being read is unsafe to use, if it is: an
/// absolute path, `..` or `.` components, an empty component, a
/// backslash or a NUL.
pub fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.starts_with('/') {
        return Some("an absolute path");
    }
    if name.contains('\\') || name.contains('\0') {
        return Some("a backslash or NUL in the name");
    }
    for part in name.split('/') {
        match part {
            ".." => return Some("a `..` component"),
            "." | "" => return Some("an empty or `.` component"),
            _ => {}
        }
    }
    None
}

/// The name two entries are compared by: NFC, then case folded.
pub fn folded(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// Pairs of entry names that are one name on a case-insensitive or
/// normalising filesystem.
pub fn colliding(names: &[&str]) -> Vec<(String, String)> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut out = Vec::new();
    for n in names {
        if let Some(first) = seen.insert(folded(n), n)
            && first != *n
        {
            out.push((first.to_owned(), (*n).to_owned()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_unique_and_readable() {
        assert_eq!(sanitise("IMG 0412 (copy).jpg"), "IMG_0412__copy_.jpg");
        assert_eq!(sanitise("حلب.mp4"), "حلب.mp4");
        assert_eq!(sanitise("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitise(""), "file");
        let long = format!("{}.jpeg", "x".repeat(200));
        assert_eq!(sanitise(&long).chars().count(), 80);
        assert!(sanitise(&long).ends_with(".jpeg"));
        let a = "ab".repeat(32);
        let mut b = a.clone();
        b.replace_range(60.., "ffff");
        let names = payload_names(&[(a.clone(), "x.jpg".into()), (b.clone(), "x.jpg".into())]);
        assert_ne!(names[&a], names[&b]);
        assert!(names[&a].starts_with("data/") && names[&a].ends_with("-x.jpg"));
    }

    #[test]
    fn unsafe_and_colliding_names() {
        for bad in ["/etc/x", "data/../x", "data//x", "./x", "a\\b", "x/."] {
            assert!(unsafe_name(bad).is_some(), "{bad}");
        }
        assert_eq!(unsafe_name("data/ok name.txt"), None);
        // "é" precomposed and decomposed; "A" and "a".
        let c = colliding(&[
            "data/caf\u{e9}",
            "data/cafe\u{301}",
            "data/A.txt",
            "data/a.txt",
            "data/b",
        ]);
        assert_eq!(c.len(), 2, "{c:?}");
    }
}
