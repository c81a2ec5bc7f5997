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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The block parsers on their own: random and mutated IPTC records
    /// and XMP packets never panic, and what they return is well-formed.
    #[test]
    fn block_parsers_survive_mutation(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        cut in any::<prop::sample::Index>(),
        xmp_packet in any::<bool>(),
    ) {
        let mut bytes = if xmp_packet {
            br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:DateTimeOriginal="2024-11-29T14:03:07+03:00" exif:GPSLatitude="36,11.958N"><dc:title xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Alt><rdf:li xml:lang="x-default">t</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"#.to_vec()
        } else {
            b"\x1c\x01\x5a\x00\x03\x1b%G\x1c\x02\x37\x00\x0820241129\x1c\x02\x3c\x00\x0b140307+0300\x1c\x02\x5a\x00\x06Aleppo".to_vec()
        };
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        if xmp_packet {
            if let Ok(p) = xmp::read(&bytes) {
                for v in p.values() {
                    prop_assert!(!v.is_empty());
                }
            }
        } else {
            let r = iptc::read(&bytes);
            for v in r.fields.values() {
                prop_assert!(!v.is_empty());
            }
        }
        // And inside a JPEG, through the whole photo reader.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, if xmp_packet { 0xE1 } else { 0xED }];
        let mut payload = if xmp_packet { b"http://ns.adobe.com/xap/1.0/\0".to_vec() } else {
            let mut p = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
            p.extend((bytes.len() as u32).to_be_bytes());
            p
        };
        payload.extend(&bytes);
        jpeg.extend(((payload.len() + 2) as u16).to_be_bytes());
        jpeg.extend(payload);
        jpeg.extend([0xFF, 0xD9]);
        all_valid(&extract("image/jpeg", std::io::Cursor::new(jpeg)))?;
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

/// Every seed of the metadata fuzzer (inputs it once crashed on among
/// them) runs here too: the first byte picks the media type, as in
/// `fuzzing::metadata`.
#[test]
fn fuzz_seeds_survive() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/metadata");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let Some((t, rest)) = bytes.split_first() else { continue };
        let e = extract(READ_TYPES[usize::from(*t) % READ_TYPES.len()], std::io::Cursor::new(rest));
        all_valid(&e).unwrap();
        n += 1;
    }
    assert!(n >= 10, "only {n} seeds");
}
