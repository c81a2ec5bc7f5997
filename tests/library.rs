//! The library API used directly (no CLI): a fixed clock, ingest, show,
//! cat and audit as `XxxOptions -> Result<XxxReport>` calls.

use custody::FixedClock;
use custody::NoProgress;
use custody::commands::audit::{AuditOptions, audit};
use custody::commands::ingest::{IngestOptions, Outcome, ingest};
use custody::commands::inspect::{cat, show};
use custody::commands::keys::{KeyAddOptions, KeyNewOptions, key_add, key_new};
use custody::crypto::keyfile;
use custody::{Archive, InitOptions};
use time::macros::datetime;

use crate::util::text;

#[test]
fn the_library_runs_the_lifecycle_with_a_fixed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = || Box::new(FixedClock(datetime!(2024-11-30 09:15:44 UTC)));
    let root = dir.path().join("a");
    let mut archive =
        Archive::init(&InitOptions { root: root.clone(), name: "library test".into() }, clock())
            .unwrap();
    assert_eq!(archive.identity().unwrap().created_at, "2024-11-30T09:15:44Z");
    let key_path = dir.path().join("k");
    let made = key_new(
        &KeyNewOptions { name: "Lib".into(), out: key_path.clone(), passphrase: None },
        datetime!(2024-11-30 09:00:00 UTC),
    )
    .unwrap();
    key_add(&mut archive, &KeyAddOptions { file: made.public_file, owner: None }).unwrap();
    let (_, key) = keyfile::load_secret(&key_path, None).unwrap();
    let input = dir.path().join("report.txt");
    std::fs::write(&input, text(20_000, 4)).unwrap();

    let r = ingest(
        &mut archive,
        &IngestOptions { threads: 1, ..IngestOptions::paths(vec![input], &key) },
        &NoProgress,
    )
    .unwrap();
    let Outcome::Added { item, blake3, deduplicated } = &r.files[0].outcome else {
        panic!("expected an added item: {:?}", r.files[0]);
    };
    assert!(!deduplicated);
    let shown = show(&archive, &item.to_string()).unwrap();
    assert_eq!(shown.items[0].ingested_at, "2024-11-30T09:15:44Z");
    assert!(shown.items[0].verified, "{:?}", shown.items[0].problems);
    assert_eq!(shown.object.unwrap().encoding, "zstd");

    let mut out = Vec::new();
    cat(&archive, blake3, &mut out).unwrap();
    assert_eq!(out, text(20_000, 4));

    drop(archive);
    let mut archive = Archive::open(&root, clock()).unwrap();
    let report = audit(
        &mut archive,
        &AuditOptions { deep: true, threads: 1, ..AuditOptions::default() },
        &NoProgress,
    )
    .unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!((report.objects_checked, report.records_checked), (1, 1));
}
