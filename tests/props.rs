//! Property tests over the public parsers that meet untrusted bytes: DSSE
//! envelope opening, key files and claim fields. None may panic; a mutated
//! envelope may only verify if its signed content is unchanged. (The
//! crate-private readers — media sniffing, embedded metadata, manifests —
//! have theirs as unit tests beside them.)

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custody::DigestSet;
use custody::crypto::{SecretKey, keyfile};
use custody::record::{self, Envelope, Statement, Subject};
use proptest::prelude::*;

fn signed() -> (Vec<u8>, custody::crypto::PublicKey) {
    let key = SecretKey::from_seed(&[3; 32]);
    let st = Statement {
        statement_type: record::STATEMENT_TYPE.into(),
        subject: vec![Subject {
            name: "citadel.mp4".into(),
            digest: DigestSet { blake3: "aa".repeat(32), sha256: "bb".repeat(32) },
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn claim_fields_never_panic(
        names in proptest::collection::vec(0usize..custody::claim::fields::FIELDS.len(), 0..6),
        values in proptest::collection::vec("\\PC{0,24}", 6),
    ) {
        let mut f = custody::claim::fields::Fields::default();
        for (n, v) in names.iter().zip(&values) {
            f.set(custody::claim::fields::FIELDS[*n].name, v).unwrap();
        }
        let none = |_: &str| Err("none".to_owned());
        if let Ok(p) = custody::claim::fields::parse_fields(&f, None, &none) {
            for v in &p.values {
                prop_assert!(v.check().is_ok(), "{v:?}");
            }
        }
    }
}
