//! Property tests over the parsers that meet untrusted bytes: DSSE envelope
//! opening, media sniffing / compression probing, key files, embedded
//! metadata readers (random bytes and mutated real files), manifests and
//! claim fields. None may panic; a mutated envelope may only verify if its
//! signed content is unchanged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custody::crypto::{SecretKey, keyfile};
use custody::record::{self, Envelope, Statement, Subject};
use custody::{media, metadata};
use proptest::prelude::*;

fn signed() -> (Vec<u8>, custody::crypto::PublicKey) {
    let key = SecretKey::from_seed(&[3; 32]);
    let st = Statement {
        statement_type: record::STATEMENT_TYPE.into(),
        subject: vec![Subject {
            name: "citadel.mp4".into(),
            digest: record::DigestSet { blake3: "aa".repeat(32), sha256: "bb".repeat(32) },
        }],
        predicate_type: record::INGEST_PREDICATE.into(),
        predicate: serde_json::json!({"note": "x"}),
    };
    (record::sign(&st, &key), key.public())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn open_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (_, pk) = signed();
        let _ = record::open::<serde_json::Value>(&bytes, |_| Some(pk));
    }

    #[test]
    fn a_mutated_envelope_verifies_only_with_unchanged_content(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (mut env, pk) = signed();
        let original: Envelope = serde_json::from_slice(&env).unwrap();
        let i = pos.index(env.len());
        env[i] ^= 1 << bit;
        if let Ok(v) = record::open::<serde_json::Value>(&env, |_| Some(pk)) {
            // Only a change that leaves the decoded payload intact may pass
            // (e.g. JSON whitespace or a base64 padding variant).
            let payload = B64.decode(original.payload).unwrap();
            let reparsed: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            prop_assert_eq!(serde_json::to_value(&v.statement).unwrap(), reparsed);
        }
    }

    #[test]
    fn sniffing_and_probing_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
        let t = media::sniff(&bytes);
        prop_assert!(!t.is_empty());
        let _ = media::should_compress(&t, &bytes);
    }

    #[test]
    fn key_file_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, &bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        prop_assert!(keyfile::load_secret(&p, Some("pass")).is_err());
        prop_assert!(keyfile::load_public(&p).is_err());
    }
}

/// Valid seed files for mutation: the sample photo, video and article.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/archive/sample/");
    [
        ("image/jpeg", "photos/IMG_20241129_163012.jpg"),
        ("video/mp4", "video/VID_20241130_114107.mp4"),
        ("text/html", "text/2024-11-30_news_article.html"),
    ]
    .into_iter()
    .map(|(t, p)| (t, std::fs::read(format!("{root}{p}")).unwrap()))
    .collect()
}

const READ_TYPES: [&str; 9] = [
    "image/jpeg",
    "image/tiff",
    "image/png",
    "image/webp",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/3gpp",
    "text/html",
];

/// No reader panicked (`extract` catches panics and says so), and every
/// value returned obeys the claim rules.
fn all_valid(e: &metadata::Embedded) -> Result<(), TestCaseError> {
    prop_assert!(!e.problems.iter().any(|p| p.contains("reader failed")), "{:?}", e.problems);
    for (v, _) in &e.values {
        prop_assert!(v.check().is_ok(), "{v:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn metadata_readers_survive_random_bytes(
        t in 0usize..READ_TYPES.len(),
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let e = metadata::extract(READ_TYPES[t], std::io::Cursor::new(bytes));
        all_valid(&e)?;
    }

    #[test]
    fn metadata_readers_survive_mutated_files(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (t, mut bytes) = seeds().swap_remove(which);
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let e = metadata::extract(t, std::io::Cursor::new(bytes));
        all_valid(&e)?;
    }

    #[test]
    fn manifest_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let m = custody::manifest::parse(&bytes, dir.path());
        // Nothing exists in an empty folder: no row can be good.
        prop_assert!(m.rows.is_empty());
        prop_assert!(!m.errors.is_empty());
    }

    #[test]
    fn claim_fields_never_panic(
        names in proptest::collection::vec(0usize..custody::claim::FIELDS.len(), 0..6),
        values in proptest::collection::vec("\\PC{0,24}", 6),
    ) {
        let mut f = custody::claim::Fields::default();
        for (n, v) in names.iter().zip(&values) {
            f.set(custody::claim::FIELDS[*n].0, v).unwrap();
        }
        let none = |_: &str| Err("none".to_owned());
        if let Ok(p) = custody::claim::parse_fields(&f, None, &none) {
            for v in &p.values {
                prop_assert!(v.check().is_ok(), "{v:?}");
            }
        }
    }
}

#[test]
fn seeds_do_yield_metadata() {
    // The mutation test is only meaningful if the seeds carry metadata.
    for (t, bytes) in seeds() {
        let e = metadata::extract(t, std::io::Cursor::new(bytes));
        assert!(!e.values.is_empty() && e.problems.is_empty(), "{t}: {e:?}");
    }
}
