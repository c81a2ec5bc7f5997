//! The tamper catalogue: one case per kind of corruption, each expecting
//! its exact finding (code, subject, location) and nothing else.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use custody::crypto::SecretKey;
use custody::record::{self, Envelope, IngestPredicate, Statement};

use crate::util::{TestArchive, findings, noise, text};

/// An archive with three items: plain noise, zstd text, another plain file.
fn fixture() -> (TestArchive, Vec<String>) {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("1-video.bin"), noise(200_000, 11)).unwrap();
    std::fs::write(dir.join("2-report.txt"), text(120_000, 12)).unwrap();
    std::fs::write(dir.join("3-photo.bin"), noise(50_000, 13)).unwrap();
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0);
    let hashes = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["blake3"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ta.audit(&[]).0, 0, "the fixture starts clean");
    (ta, hashes)
}

fn expect_only(ta: &TestArchive, expected: &[(&str, String, &str)]) {
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1, "findings must make the exit code 1: {report}");
    let got = findings(&report);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (code, subject, location_part) in expected {
        assert!(
            got.iter().any(|(c, s, l)| c == code && s == subject && l.contains(location_part)),
            "expected {code} on {subject} at {location_part}, got {got:#?}"
        );
    }
}

#[test]
fn flipped_byte_is_object_corrupt() {
    let (ta, h) = fixture();
    let p = ta.object_path(&h[0]);
    let mut b = std::fs::read(&p).unwrap();
    b[1234] ^= 0x01;
    std::fs::write(&p, b).unwrap();
    expect_only(&ta, &[("object-corrupt", format!("object {}", h[0]), &h[0])]);
}

#[test]
fn truncated_plain_object_is_object_truncated() {
    let (ta, h) = fixture();
    let p = ta.object_path(&h[2]);
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(1000).unwrap();
    expect_only(&ta, &[("object-truncated", format!("object {}", h[2]), &h[2])]);
}

#[test]
fn truncated_zstd_object_is_undecompressable() {
    let (ta, h) = fixture();
    let p = ta.object_path(&h[1]);
    assert!(p.to_string_lossy().ends_with(".zst"));
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(len - 7).unwrap();
    expect_only(&ta, &[("object-undecompressable", format!("object {}", h[1]), ".zst")]);
}

#[test]
fn bytes_appended_to_a_zstd_frame_are_caught() {
    let (ta, h) = fixture();
    let p = ta.object_path(&h[1]);
    let mut b = std::fs::read(&p).unwrap();
    b.extend_from_slice(b"appended");
    std::fs::write(&p, b).unwrap();
    expect_only(&ta, &[("object-undecompressable", format!("object {}", h[1]), ".zst")]);
}

#[test]
fn edited_encoding_column_is_named() {
    let (ta, h) = fixture();
    ta.db().execute("UPDATE objects SET encoding = 'none' WHERE blake3 = ?1", [&h[1]]).unwrap();
    expect_only(&ta, &[("edited-column", format!("object {}", h[1]), "objects.encoding")]);
}

#[test]
fn deleted_object_is_object_missing() {
    let (ta, h) = fixture();
    std::fs::remove_file(ta.object_path(&h[0])).unwrap();
    expect_only(&ta, &[("object-missing", format!("object {}", h[0]), &h[0])]);
}

#[test]
fn unknown_file_in_the_store_is_an_orphan() {
    let (ta, _) = fixture();
    let bytes = noise(1000, 99);
    let id = blake3::hash(&bytes).to_hex().to_string();
    let dir = ta.root.join("objects").join(&id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&id), bytes).unwrap();
    std::fs::write(ta.root.join("objects").join("README.txt"), b"stray").unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let got = findings(&report);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().any(|(c, s, _)| c == "orphan-file" && *s == format!("object {id}")));
    assert!(
        got.iter()
            .any(|(c, s, l)| c == "orphan-file" && s == "stray file" && l.ends_with("README.txt"))
    );
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["severity"] == "warning"));
}

#[test]
fn edited_derived_column_is_named() {
    let (ta, _) = fixture();
    ta.db().execute("UPDATE items SET media_type = 'image/jpeg' WHERE id = 2", []).unwrap();
    expect_only(&ta, &[("edited-column", "item 2".into(), "items.media_type")]);
    ta.db()
        .execute("UPDATE items SET media_type = 'text/plain', size = 5 WHERE id = 2", [])
        .unwrap();
    expect_only(&ta, &[("edited-column", "item 2".into(), "items.size")]);
}

#[test]
fn edited_object_digest_is_a_subject_mismatch() {
    let (ta, h) = fixture();
    ta.db()
        .execute(
            "UPDATE objects SET sha256 = ?1 WHERE blake3 = ?2",
            ["ab".repeat(32), h[0].clone()],
        )
        .unwrap();
    // The custody log recorded the real digests: its event no longer matches.
    expect_only(
        &ta,
        &[
            ("subject-mismatch", "item 1".into(), "records row"),
            ("log-event-mismatch", "log event 1".into(), "log_leaves row 1"),
        ],
    );
    // --deep also proves the column wrong against the bytes themselves.
    let (_, deep) = ta.audit(&["--deep"]);
    let got = findings(&deep);
    assert!(got.iter().any(|(c, s, l)| c == "edited-column"
        && *s == format!("object {}", h[0])
        && l == "objects.sha256"));
}

#[test]
fn swapped_signatures_are_bad_signatures() {
    let (ta, _) = fixture();
    let db = ta.db();
    let env = |id: i64| -> Envelope {
        let b: Vec<u8> =
            db.query_row("SELECT envelope FROM records WHERE id = ?1", [id], |r| r.get(0)).unwrap();
        serde_json::from_slice(&b).unwrap()
    };
    let (mut a, mut b) = (env(1), env(2));
    std::mem::swap(&mut a.signatures, &mut b.signatures);
    for (id, e) in [(1, a), (2, b)] {
        db.execute(
            "UPDATE records SET envelope = ?1 WHERE id = ?2",
            rusqlite::params![serde_json::to_vec(&e).unwrap(), id],
        )
        .unwrap();
    }
    expect_only(
        &ta,
        &[
            ("bad-signature", "item 1".into(), "records row 1"),
            ("bad-signature", "item 2".into(), "records row 2"),
            ("log-event-mismatch", "log event 1".into(), "log_leaves row 1"),
            ("log-event-mismatch", "log event 2".into(), "log_leaves row 2"),
        ],
    );
}

#[test]
fn record_signed_by_an_unregistered_key_is_unknown_key() {
    let (ta, _) = fixture();
    let db = ta.db();
    let b: Vec<u8> =
        db.query_row("SELECT envelope FROM records WHERE id = 3", [], |r| r.get(0)).unwrap();
    let e: Envelope = serde_json::from_slice(&b).unwrap();
    let st: Statement<IngestPredicate> =
        serde_json::from_slice(&B64.decode(e.payload).unwrap()).unwrap();
    let forged = record::sign(&st, &SecretKey::from_seed(&[42; 32]));
    db.execute("UPDATE records SET envelope = ?1 WHERE id = 3", [forged]).unwrap();
    expect_only(
        &ta,
        &[
            ("unknown-key", "item 3".into(), "records row 3"),
            ("log-event-mismatch", "log event 3".into(), "log_leaves row 3"),
        ],
    );
}

#[test]
fn deleted_item_row_leaves_a_record_without_item() {
    let (ta, h) = fixture();
    ta.db().execute("DELETE FROM items WHERE id = 1", []).unwrap();
    expect_only(
        &ta,
        &[
            ("missing-record", "record 1".into(), "records row 1"),
            ("missing-record", format!("object {}", h[0]), "objects row"),
            ("missing-record", "items table".into(), "items"),
            ("log-event-orphan", "log event 1".into(), "log_leaves row 1"),
        ],
    );
}

#[test]
fn deleted_item_and_record_leave_traces() {
    let (ta, h) = fixture();
    let db = ta.db();
    db.execute_batch("DELETE FROM items WHERE id = 3; DELETE FROM records WHERE id = 3;").unwrap();
    expect_only(
        &ta,
        &[
            ("missing-record", format!("object {}", h[2]), "objects row"),
            ("missing-record", "items table".into(), "items"),
            ("missing-record", "records table".into(), "records"),
            ("log-event-orphan", "log event 3".into(), "log_leaves row 3"),
        ],
    );
}

#[test]
fn a_skippable_frame_hidden_in_a_zstd_object_is_caught() {
    let (ta, h) = fixture();
    let p = ta.object_path(&h[1]);
    let mut b = std::fs::read(&p).unwrap();
    // RFC 8878 skippable frame: magic 0x184D2A50, 4-byte length, payload.
    b.extend_from_slice(&[0x50, 0x2A, 0x4D, 0x18, 6, 0, 0, 0]);
    b.extend_from_slice(b"hidden");
    std::fs::write(&p, b).unwrap();
    expect_only(&ta, &[("object-corrupt", format!("object {}", h[1]), ".zst")]);
}

#[test]
fn edited_size_column_is_not_mistaken_for_truncation() {
    let (ta, h) = fixture();
    ta.db().execute("UPDATE objects SET size = size + 1 WHERE blake3 = ?1", [&h[2]]).unwrap();
    let (_, report) = ta.audit(&[]);
    let got = findings(&report);
    assert!(
        got.iter().any(|(c, s, l)| c == "edited-column"
            && *s == format!("object {}", h[2])
            && l == "objects.size"),
        "{got:?}"
    );
    assert!(!got.iter().any(|(c, _, _)| c == "object-truncated"), "{got:?}");
}

#[test]
fn a_second_copy_beside_an_object_is_an_orphan() {
    let (ta, h) = fixture();
    let zst = ta.object_path(&h[1]);
    let plain = zst.with_extension("");
    std::fs::write(&plain, b"garbage posing as the plain copy").unwrap();
    let upper = zst.parent().unwrap().join(h[0].to_uppercase());
    std::fs::write(&upper, b"uppercase name").unwrap();
    let (_, report) = ta.audit(&[]);
    let got = findings(&report);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|(c, _, _)| c == "orphan-file"), "{got:?}");
}
