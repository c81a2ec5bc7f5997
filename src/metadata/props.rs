//! Property tests over the embedded-metadata readers: random bytes and
//! mutated real files (the sample collection's photo, video and article).
//! No reader may panic (`extract` catches panics and says so), and every
//! value returned must obey the claim rules.
//!
//! Must not: run outside `cargo test`.

use proptest::prelude::*;

use super::*;

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
fn all_valid(e: &Embedded) -> Result<(), TestCaseError> {
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
        let e = extract(READ_TYPES[t], std::io::Cursor::new(bytes));
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
        let e = extract(t, std::io::Cursor::new(bytes));
        all_valid(&e)?;
    }
}

#[test]
fn seeds_do_yield_metadata() {
    // The mutation test is only meaningful if the seeds carry metadata.
    for (t, bytes) in seeds() {
        let e = extract(t, std::io::Cursor::new(bytes));
        assert!(!e.values.is_empty() && e.problems.is_empty(), "{t}: {e:?}");
    }
}
