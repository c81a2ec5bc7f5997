//! Entry points for the coverage-guided fuzzers in `fuzz/` (built only
//! with the `fuzzing` feature): each takes arbitrary bytes, feeds them to
//! one parser of untrusted input, and panics only when that parser breaks
//! a rule it promises (a value outside the claim rules, a proof that
//! verifies although it was not made) — a parser's own panic is a crash
//! the fuzzer reports as well.
//!
//! Must not: be compiled into normal builds, write outside a temporary
//! file of its own, or catch a panic.

use std::io::Cursor;
use std::path::PathBuf;

use crate::crypto::{SecretKey, keyfile};
use crate::custody_log::{note, proof};
use crate::metadata::READ_TYPES;

/// Embedded metadata (EXIF in every container, ISO-BMFF boxes, HTML):
/// whatever a reader returns obeys the claim rules.
pub fn metadata(data: &[u8]) {
    let Some((t, rest)) = data.split_first() else { return };
    let media_type = READ_TYPES[usize::from(*t) % READ_TYPES.len()];
    let e = crate::metadata::extract(media_type, Cursor::new(rest));
    assert!(!e.problems.iter().any(|p| p.contains("reader failed")), "a reader panicked");
    for (v, _) in &e.values {
        assert!(v.check().is_ok(), "a value outside the claim rules: {v:?}");
    }
}

/// A CSV manifest (paths resolve in a folder that does not exist, so no
/// row can name a file): no row may be accepted.
pub fn manifest(data: &[u8]) {
    let m = crate::manifest::parse(data, std::path::Path::new("/nonexistent/custody-fuzz"));
    assert!(m.rows.is_empty(), "a row naming a missing file was accepted");
}

/// Signed notes, checkpoints, verifier keys and proof files: nothing
/// verifies against a key that signed nothing.
pub fn notes(data: &[u8]) {
    let key = SecretKey::from_seed(&[7; 32]);
    let name = "custody.invalid/fuzz";
    if let Ok(n) = note::Note::parse(data) {
        let _ = note::Checkpoint::parse(&n.text);
        assert!(!n.verified_by(name, &key.public()), "a forged note verified");
    }
    let text = String::from_utf8_lossy(data);
    let _ = note::parse_vkey(&text);
    let vkey = note::Vkey { name: name.into(), alg: note::ALG_ED25519, public: key.public() };
    assert!(proof::verify(&text, &vkey).is_err(), "a forged proof verified");
}

/// DSSE envelopes: a signature by a key that signed nothing never opens.
pub fn envelope(data: &[u8]) {
    let key = SecretKey::from_seed(&[9; 32]).public();
    let opened = crate::record::open::<serde_json::Value>(data, |_| Some(key));
    assert!(opened.is_err(), "a forged envelope opened");
}

/// Key files (secret and public), read from a private temporary file.
pub fn key_file(data: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    let path: PathBuf =
        std::env::temp_dir().join(format!("custody-fuzz-key-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    let _ = keyfile::load_public(&path);
    // Without a passphrase a sealed key stops before the KDF: the fuzzer
    // explores the parser, not Argon2.
    if let Ok((_, k)) = keyfile::load_secret(&path, None) {
        let _ = k.public();
    }
}

/// Bags: a zip or tar (or, with a first byte of 0, a manifest and a
/// bag-info text) read and verified as `custody verify` would, trusting
/// the bag's own keys. Nothing panics, and no custody bag holds: its
/// statement would need a signature the fuzzer cannot make.
pub fn bag(data: &[u8]) {
    if let Some((0, text)) = data.split_first() {
        let text = String::from_utf8_lossy(text);
        let _ = crate::bundle::bagit::parse_manifest(&text);
        let _ = crate::bundle::bagit::BagInfo::parse(&text);
        let _ = crate::bundle::layout::unsafe_name(&text);
        return;
    }
    let path: PathBuf =
        std::env::temp_dir().join(format!("custody-fuzz-bag-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = crate::bundle::verify::VerifyOptions {
        bag: path,
        trust_bag_keys: true,
        threads: 1,
        ..Default::default()
    };
    if let Ok(r) = crate::bundle::verify::verify(&opts) {
        assert!(!(r.custody && r.holds()), "a forged custody bag held");
    }
}
