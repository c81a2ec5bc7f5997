//! Compatibility: `archive/frozen-v1`, an archive written by the first
//! release (schema version 1) from the sample collection, must still open,
//! list, audit clean (deep) and accept new items with every later version.

use std::path::Path;

use serde_json::Value;

use crate::util::custody;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn the_frozen_v1_archive_still_opens_and_audits_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("frozen");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/frozen-v1"), &root);
    let out = custody().arg("--archive").arg(&root).args(["--json", "list"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let items: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 8);
    assert!(items.as_array().unwrap().iter().all(|i| i["verified"] == true));
    let out =
        custody().arg("--archive").arg(&root).args(["--json", "audit", "--deep"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["objects_checked"].as_u64(), Some(8));
    // The archive predates the custody log: it got its events once (a key,
    // 8 items, its audit runs) and they check out.
    assert!(report["events_checked"].as_u64().unwrap() >= 9, "{report}");

    // A new key and item can still be added.
    let key = tmp.path().join("k");
    custody()
        .args(["key", "new", "--name", "Later", "--no-passphrase", "--out"])
        .arg(&key)
        .assert()
        .success();
    custody()
        .arg("--archive")
        .arg(&root)
        .args(["key", "add"])
        .arg(key.with_extension("pub"))
        .assert()
        .success();
    let extra = tmp.path().join("extra.txt");
    std::fs::write(&extra, b"added by a later version").unwrap();
    custody()
        .arg("--archive")
        .arg(&root)
        .arg("ingest")
        .arg("--key")
        .arg(&key)
        .arg(&extra)
        .assert()
        .success();
    custody().arg("--archive").arg(&root).arg("audit").assert().code(0);
}
