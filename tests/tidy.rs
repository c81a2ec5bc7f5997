//! House rules enforced as tests: every source file opens with `//!`, SQL
//! and rusqlite stay in `src/db*`, ed25519-dalek stays in `src/crypto*`, the
//! library never prints, and released migrations are never edited.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn every_source_file_says_what_it_owns() {
    for (path, text) in sources() {
        assert!(text.starts_with("//!"), "{path} must start with a //! comment");
        assert!(text.contains("Must not"), "{path}: its //! must say what it must not do");
    }
}

#[test]
fn sql_and_signing_stay_in_their_modules() {
    for (path, text) in sources() {
        if !path.starts_with("src/db") {
            assert!(!text.contains("rusqlite"), "{path} uses rusqlite: SQL lives in src/db*");
        }
        if !path.starts_with("src/crypto") {
            assert!(!text.contains("ed25519_dalek"), "{path} uses ed25519_dalek directly");
        }
        if !path.starts_with("src/bin") {
            for bad in ["println!", "print!(", "eprintln!", "std::process::exit", "std::env::var"] {
                assert!(!text.contains(bad), "{path} contains {bad}: only the binary may");
            }
        }
    }
}

#[test]
fn released_migrations_are_never_edited() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pinned = [
        ("0001_init.sql", "848ea7d6b4b4e8bac187a3a812372380b6e9dad88dec6aa5f67ea65518db0d17"),
        ("0002_claims.sql", "e45a76ca0b1888b57c20bc13b7133c779bffa907adc0be7290fbfe29b8360cc5"),
        ("0003_log.sql", "b226578bbc50b9a0eaeb0366f0d0b129e4e626e0cd1a6cf4ffe894874d31f23d"),
    ];
    for (name, digest) in pinned {
        let bytes = std::fs::read(root.join("schema").join(name)).unwrap();
        assert_eq!(
            blake3::hash(&bytes).to_hex().as_str(),
            digest,
            "schema/{name} was edited: add a new migration instead"
        );
    }
}

#[test]
fn evidence_rows_are_never_edited_or_deleted() {
    let db =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db.rs")).unwrap();
    let sql = db.to_uppercase();
    for forbidden in [
        "UPDATE CLAIMS",
        "DELETE FROM CLAIMS",
        "UPDATE RECORDS",
        "DELETE FROM RECORDS",
        "UPDATE ITEMS",
        "DELETE FROM ITEMS",
    ] {
        assert!(!sql.contains(forbidden), "src/db.rs must not contain {forbidden}");
    }
}
