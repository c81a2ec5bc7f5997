//! Property tests over the bag readers: manifests and bag-info round-trip
//! any path and value; random text never panics them; a real bag (the
//! frozen one, packed as a zip and a tar at test time) with bytes mutated
//! at random is read and verified without a panic, and holds only if no
//! file's content changed (a flip in a tar's padding or a zip's timestamp
//! changes nothing the bag says).
//!
//! Must not: run outside `cargo test`.

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;

use super::bagit::{self, BagInfo};
use super::verify::{VerifyOptions, verify};

type Files = Vec<(String, Vec<u8>)>;

/// The frozen bag's files.
fn files() -> &'static Files {
    static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/frozen-bag-v1/bag");
        let files: Files = walkdir::WalkDir::new(&root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let name = e.path().strip_prefix(&root).unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect();
        files
    })
}

/// The frozen bag, packed as a zip and as a tar (entries under `bag/`).
fn packed() -> &'static [Vec<u8>; 2] {
    static PACKED: std::sync::OnceLock<[Vec<u8>; 2]> = std::sync::OnceLock::new();
    PACKED.get_or_init(|| {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut t = tar::Builder::new(Vec::new());
        for (name, bytes) in files() {
            z.start_file(format!("bag/{name}"), zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(bytes).unwrap();
            let mut h = tar::Header::new_gnu();
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            t.append_data(&mut h, format!("bag/{name}"), bytes.as_slice()).unwrap();
        }
        [z.finish().unwrap().into_inner(), t.into_inner().unwrap()]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    // Any path that does not start or end in whitespace (which BagIt's
    // "checksum, whitespace, path" lines, and bagit.py, cannot keep; our
    // payload names never do).
    #[test]
    fn manifests_round_trip_any_path(path in r"[^\x00\s]([^\x00]{0,38}[^\x00\s])?", hex in "[0-9a-f]{64}") {
        let line = bagit::manifest_line(&hex, &path);
        prop_assert_eq!(line.matches('\n').count(), 1);
        let back = bagit::parse_manifest(&line).unwrap();
        prop_assert_eq!(back, vec![(hex, path)]);
    }

    #[test]
    fn bag_info_round_trips_labels_and_values(
        fields in proptest::collection::vec(("[A-Za-z][A-Za-z-]{0,20}", "[^\r\n:]{0,20}( [^\r\n]{1,10}){0,2}"), 0..6)
    ) {
        let mut info = BagInfo::default();
        for (l, v) in &fields {
            info.push(l, v.trim());
        }
        let back = BagInfo::parse(&info.render()).unwrap();
        prop_assert_eq!(back, info);
    }

    #[test]
    fn random_text_never_panics_the_text_readers(text in "(?s).{0,400}") {
        let _ = bagit::parse_manifest(&text);
        let _ = BagInfo::parse(&text);
        let _ = bagit::decode_path(&text);
        let _ = super::layout::unsafe_name(&text);
    }

    #[test]
    fn a_mutated_bag_never_panics_and_holds_only_if_nothing_changed(
        which in 0usize..2,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = packed()[which].clone();
        for (i, b) in &flips {
            let i = i.index(bytes.len());
            bytes[i] ^= b | 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if which == 0 { "bag.zip" } else { "bag.tar" });
        std::fs::write(&path, &bytes).unwrap();
        let opts = VerifyOptions { bag: path, trust_bag_keys: true, threads: 1, ..Default::default() };
        if let Ok(r) = verify(&opts)
            && r.holds()
        {
            let src = super::source::BagSource::open(&opts.bag).unwrap();
            prop_assert_eq!(src.files.len(), files().len());
            for (name, want) in files() {
                let got = src.read_tag(name).unwrap();
                prop_assert!(&got == want, "{} changed, and the bag held", name);
            }
        }
    }
}

#[test]
fn the_packed_frozen_bag_itself_holds() {
    for (which, name) in [(0, "bag.zip"), (1, "bag.tar")] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &packed()[which]).unwrap();
        let opts =
            VerifyOptions { bag: path, trust_bag_keys: true, threads: 1, ..Default::default() };
        let r = verify(&opts).unwrap();
        assert!(r.holds(), "{name}: {:?}", r.findings);
        assert!(r.custody);
    }
}
