//! The library API used directly (no CLI): a fixed clock, ingest, show,
//! cat and audit as `XxxOptions -> Result<XxxReport>` calls.

use custody::FixedClock;
use custody::NoProgress;
use custody::commands::audit::{AuditOptions, audit};
use custody::commands::ingest::{IngestOptions, Outcome, ingest};
use custody::commands::inspect::{cat, show};
use custody::commands::keys::{KeyAddOptions, KeyNewOptions, key_add, key_new};
use custody::crypto::{SecretKey, keyfile};
use custody::{Archive, InitOptions};
use std::path::Path;
use time::macros::datetime;

use crate::util::text;

fn clock() -> Box<FixedClock> {
    Box::new(FixedClock(datetime!(2024-11-30 09:15:44 UTC)))
}

/// A new archive at `dir/a` on the fixed clock, with a registered key.
fn new_archive(dir: &Path, name: &str) -> (Archive, SecretKey) {
    let root = dir.join("a");
    let mut archive = Archive::init(&InitOptions { root, name: name.into() }, clock()).unwrap();
    let key_path = dir.join("k");
    let made = key_new(
        &KeyNewOptions { name: "Lib".into(), out: key_path.clone(), passphrase: None },
        datetime!(2024-11-30 09:00:00 UTC),
    )
    .unwrap();
    key_add(&mut archive, &KeyAddOptions { file: made.public_file, owner: None }).unwrap();
    let (_, key) = keyfile::load_secret(&key_path, None).unwrap();
    (archive, key)
}

#[test]
fn the_library_runs_the_lifecycle_with_a_fixed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a");
    let (archive, key) = new_archive(dir.path(), "library test");
    assert_eq!(archive.identity().unwrap().created_at, "2024-11-30T09:15:44Z");
    let mut archive = archive;
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

/// A spent time budget begins no object read, says so, and still checks
/// every row; the next audit with time to spare reads them all.
#[test]
fn a_spent_budget_reads_no_object_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, key) = new_archive(dir.path(), "budget");
    let inputs: Vec<_> = (0..3)
        .map(|i| {
            let p = dir.path().join(format!("{i}.txt"));
            std::fs::write(&p, text(2_000, 10 + i)).unwrap();
            p
        })
        .collect();
    ingest(&mut archive, &IngestOptions::paths(inputs, &key), &NoProgress).unwrap();
    let spent = AuditOptions { budget: Some(std::time::Duration::ZERO), ..AuditOptions::default() };
    let r = audit(&mut archive, &spent, &NoProgress).unwrap();
    assert!(r.budget_reached, "{r:?}");
    assert_eq!((r.objects_checked, r.objects_total, r.records_checked), (0, 3, 3));
    let status = custody::commands::audit::status(&archive).unwrap();
    assert_eq!(status.never_checked, 3);
    let ample = AuditOptions { budget: Some(std::time::Duration::from_secs(3600)), ..spent };
    let r = audit(&mut archive, &ample, &NoProgress).unwrap();
    assert!(!r.budget_reached && r.is_clean(), "{r:?}");
    assert_eq!(r.objects_checked, 3);
    assert_eq!(custody::commands::audit::status(&archive).unwrap().never_checked, 0);
}

/// `log` reads the leaves a page at a time: every event of a log longer
/// than several pages is handed over once, in order, with what it names.
#[test]
fn the_history_streams_every_event_once_in_order() {
    use custody::commands::history::history;
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = new_archive(dir.path(), "stream");
    let events: Vec<_> = (0..5_000u64)
        .map(|i| {
            let digest = custody::DigestSet {
                blake3: format!("{i:064x}"),
                sha256: format!("{:064x}", i + 1),
            };
            custody::custody_log::Event::claim(
                "2024-11-30T11:22:00Z",
                "c0c38758f3d2db504ebaba5378f1f9e112867b0ed3e132a2f013202f2bb8eb60",
                &digest,
                format!("envelope {i}").as_bytes(),
                &format!("00000000-0000-4000-8000-{i:012}"),
            )
        })
        .collect();
    let size = archive.record_events(&events).unwrap();
    let mut seen = Vec::new();
    let r = history(&archive, None, &mut |v| {
        seen.push(v.index);
        Ok(())
    })
    .unwrap();
    assert_eq!((r.shown, r.size), (size, size));
    assert_eq!(seen, (0..size).collect::<Vec<_>>());
    // The key registration names its owner; an error from the caller stops it.
    let (mut n, mut owners) = (0, Vec::new());
    let stopped = history(&archive, None, &mut |v| {
        n += 1;
        owners.extend(v.about.key_owner);
        if n == 3000 { Err(custody::Error::new(custody::ErrorKind::Io, "enough")) } else { Ok(()) }
    });
    assert!(stopped.is_err());
    assert_eq!((n, owners), (3000, vec!["Lib".to_owned()]));
}
