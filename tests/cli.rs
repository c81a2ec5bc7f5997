//! End-to-end behaviour through the CLI: init, keys, ingest, list, show,
//! cat, audit, and every kind of bad input the archive-core issue names.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

use crate::util::{TestArchive, custody, findings, noise, text};

fn row_counts(ta: &TestArchive) -> (i64, i64, i64) {
    let db = ta.db();
    let n = |t: &str| db.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap();
    (n("items"), n("objects"), n("records"))
}

#[test]
fn demo_runs_the_lifecycle_and_catches_the_corruption() {
    let dir = tempfile::tempdir().unwrap();
    custody()
        .arg("demo")
        .arg("--workdir")
        .arg(dir.path().join("scratch"))
        .assert()
        .success()
        .stdout(contains("$ custody ingest"))
        .stdout(contains("object-corrupt"))
        .stdout(contains("0 findings; the bag holds"))
        .stdout(contains("received as the partner's own items"))
        .stdout(contains("demo passed"));
    // The bag stays beside the scratch archive, to look at.
    let bag = dir.path().join("scratch/aleppo-2024-bag.zip");
    assert!(bag.is_file());
}

#[test]
fn init_refuses_non_empty_directory_and_existing_archive() {
    let ta = TestArchive::new();
    custody()
        .arg("--archive")
        .arg(&ta.root)
        .args(["init", "--name", "again"])
        .assert()
        .code(2)
        .stderr(contains("is already a custody archive"));
    let busy = ta.input("busy");
    std::fs::write(busy.join("x"), b"x").unwrap();
    custody()
        .arg("--archive")
        .arg(&busy)
        .args(["init", "--name", "n"])
        .assert()
        .code(2)
        .stderr(contains("is not empty"));
    // CUSTODY_ARCHIVE is honoured when --archive is absent.
    let via_env = ta.dir.path().join("env-archive");
    custody().env("CUSTODY_ARCHIVE", &via_env).args(["init", "--name", "n"]).assert().success();
    assert!(via_env.join("custody.db").is_file());
}

#[test]
fn ingest_dedups_is_idempotent_and_records_signed_items() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.txt"), text(50_000, 1)).unwrap();
    std::fs::write(dir.join("sub/a-copy.txt"), text(50_000, 1)).unwrap();
    std::fs::write(dir.join("clip.bin"), noise(300_000, 2)).unwrap();
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    let s = &r["summary"];
    assert_eq!((s["files"].as_u64(), s["added"].as_u64()), (Some(3), Some(3)));
    assert_eq!((s["new_objects"].as_u64(), s["deduplicated"].as_u64()), (Some(2), Some(1)));
    assert_eq!(row_counts(&ta), (3, 2, 3));

    // Same files, same paths: nothing new.
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0);
    assert_eq!(r["summary"]["already_archived"].as_u64(), Some(3));
    assert_eq!(r["summary"]["added"].as_u64(), Some(0));
    assert_eq!(row_counts(&ta), (3, 2, 3));

    // The same bytes from another path are a new item on the same object.
    let other = ta.input("other");
    std::fs::copy(dir.join("clip.bin"), other.join("clip-again.bin")).unwrap();
    let (_, r) = ta.ingest(&[&other]);
    assert_eq!(r["files"][0]["status"], "added");
    assert_eq!(r["files"][0]["deduplicated"], true);
    assert_eq!(row_counts(&ta), (4, 2, 4));

    // Text was compressed (readable with zstd -d), noise was not.
    let (_, list) = {
        let out = ta.cmd().args(["--json", "list"]).output().unwrap();
        (out.status.code(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let items = list.as_array().unwrap();
    assert!(items.iter().all(|i| i["verified"] == true));
    let text_hash =
        items.iter().find(|i| i["name"] == "a.txt").unwrap()["blake3"].as_str().unwrap().to_owned();
    let noise_hash = items.iter().find(|i| i["name"] == "clip.bin").unwrap()["blake3"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ta.object_path(&text_hash).to_string_lossy().ends_with(".zst"));
    assert!(!ta.object_path(&noise_hash).to_string_lossy().ends_with(".zst"));
    assert_eq!(blake3::hash(&text(50_000, 1)).to_hex().as_str(), text_hash);

    // show by item number and by hash prefix.
    let out = ta.cmd().args(["--json", "show", &noise_hash[..10]]).output().unwrap();
    let show: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(show["items"].as_array().unwrap().len(), 2);
    assert_eq!(show["object"]["sha256"].as_str().unwrap().len(), 64);
    ta.cmd().args(["show", "1"]).assert().success().stdout(contains("signature verifies"));
    ta.cmd().args(["show", "999"]).assert().code(2).stderr(contains("no item or object"));

    // cat streams the original bytes back.
    let out = ta.cmd().args(["cat", &text_hash]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, text(50_000, 1));

    let (code, audit) = ta.audit(&["--deep"]);
    assert_eq!(code, 0, "{audit}");
    assert_eq!(audit["objects_checked"].as_u64(), Some(2));
    assert_eq!(audit["records_checked"].as_u64(), Some(4));
    // The audit recorded itself.
    let runs: i64 = ta.db().query_row("SELECT count(*) FROM audit_runs", [], |r| r.get(0)).unwrap();
    assert_eq!(runs, 1);
}

#[test]
fn limited_audits_cover_every_object_in_turn() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    for i in 0..3 {
        std::fs::write(dir.join(format!("{i}.bin")), noise(10_000, 30 + 2 * i)).unwrap();
    }
    assert_eq!(ta.ingest(&[&dir]).0, 0);
    let unchecked = || -> i64 {
        ta.db()
            .query_row("SELECT count(*) FROM objects WHERE last_checked_at IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let (code, r) = ta.audit(&["--limit", "2"]);
    assert_eq!(code, 0);
    assert_eq!((r["objects_checked"].as_u64(), r["objects_total"].as_u64()), (Some(2), Some(3)));
    assert_eq!(unchecked(), 1);
    // The next limited run takes the one never checked.
    let never: String = ta
        .db()
        .query_row("SELECT blake3 FROM objects WHERE last_checked_at IS NULL", [], |r| r.get(0))
        .unwrap();
    let p = ta.object_path(&never);
    let mut b = std::fs::read(&p).unwrap();
    b[5] ^= 1;
    std::fs::write(&p, b).unwrap();
    let (code, r) = ta.audit(&["--limit", "1"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&r),
        vec![("object-corrupt".to_owned(), format!("object {never}"), p.display().to_string())]
    );
}

#[test]
fn identical_files_racing_across_workers_count_one_new_object() {
    // Whichever worker moves the bytes into place first, the first item in
    // walk order is the new object and every later one is deduplicated.
    let ta = TestArchive::new();
    let dir = ta.input("copies");
    for i in 0..40 {
        std::fs::write(dir.join(format!("copy{i:02}.bin")), noise(200_000, 77)).unwrap();
    }
    let out =
        ta.ingest_cmd(&ta.key).args(["--threads", "8"]).arg(&dir).arg("--json").output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["summary"]["new_objects"].as_u64(), r["summary"]["deduplicated"].as_u64()),
        (Some(1), Some(39)),
        "{r}"
    );
    assert_eq!(r["files"][0]["deduplicated"], false);
    assert!(r["files"].as_array().unwrap()[1..].iter().all(|f| f["deduplicated"] == true));
    assert_eq!(row_counts(&ta), (40, 1, 40));
}

#[test]
fn objects_are_checkable_with_zstd_and_b3sum_alone() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("report.txt"), text(200_000, 9)).unwrap();
    let (_, r) = ta.ingest(&[&dir]);
    let hash = r["files"][0]["blake3"].as_str().unwrap().to_owned();
    let path = ta.object_path(&hash);
    // By hand: zstd -d the object, then b3sum the result; both are separate tools.
    let plain = ta.dir.path().join("restored.txt");
    let st =
        std::process::Command::new("zstd").args(["-d", "-q", "-o"]).arg(&plain).arg(&path).status();
    assert!(st.expect("zstd must be installed (.ci/run installs it)").success());
    let out = std::process::Command::new("b3sum").arg("--no-names").arg(&plain).output();
    let out = out.expect("b3sum must be installed (.ci/run installs it)");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), hash);
    assert_eq!(std::fs::read(&plain).unwrap(), text(200_000, 9));
}

#[test]
fn empty_and_non_utf8_named_files_are_ingested_and_preserved() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("empty.txt"), b"").unwrap();
    let weird = std::ffi::OsStr::from_bytes(b"caf\xe9-\xff.txt");
    std::fs::write(dir.join(weird), b"latin-1 name").unwrap();
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["added"].as_u64(), Some(2));
    let db = ta.db();
    let name: Vec<u8> =
        db.query_row("SELECT original_name FROM items WHERE size = 12", [], |r| r.get(0)).unwrap();
    assert_eq!(name, b"caf\xe9-\xff.txt");
    let path: Vec<u8> =
        db.query_row("SELECT original_path FROM items WHERE size = 12", [], |r| r.get(0)).unwrap();
    assert!(path.ends_with(b"/in/caf\xe9-\xff.txt"));
    let empty = blake3::hash(b"").to_hex().to_string();
    let out = ta.cmd().args(["cat", &empty]).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    // The signed record holds the exact bytes too: the audit compares them.
    assert_eq!(ta.audit(&[]).0, 0);
    // Re-ingesting is idempotent for the odd name as well.
    assert_eq!(ta.ingest(&[&dir]).1["summary"]["already_archived"].as_u64(), Some(2));
    // Editing one invalid byte for another is caught (exact bytes, not lossy text).
    ta.db()
        .execute("UPDATE items SET original_name = ?1 WHERE size = 12", [&b"caf\xff-\xff.txt"[..]])
        .unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    assert!(
        findings(&report)
            .iter()
            .any(|(c, _, l)| c == "edited-column" && l.contains("items.original_name"))
    );
}

#[test]
fn symlinks_are_reported_not_followed_and_unreadable_files_skipped() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("ok.txt"), b"fine").unwrap();
    let outside = ta.input("outside");
    std::fs::write(outside.join("secret.txt"), b"must not be followed").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("link.txt")).unwrap();
    // /proc/self/mem opens but every read at offset 0 fails (EIO), even as root.
    let (code, r) = ta.ingest(&[&dir, Path::new("/proc/self/mem")]);
    assert_eq!(code, 1, "skipped files make the exit code 1: {r}");
    let files = r["files"].as_array().unwrap();
    let status = |suffix: &str| {
        files.iter().find(|f| f["path"].as_str().unwrap().ends_with(suffix)).unwrap().clone()
    };
    assert_eq!(status("ok.txt")["status"], "added");
    assert_eq!(status("link.txt")["status"], "skipped");
    assert!(status("link.txt")["reason"].as_str().unwrap().contains("symbolic link"));
    assert_eq!(status("mem")["status"], "skipped");
    assert!(status("mem")["reason"].as_str().unwrap().contains("cannot read"));
    assert_eq!(row_counts(&ta), (1, 1, 1));
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn a_file_that_changes_while_read_is_refused() {
    let ta = TestArchive::new();
    // /proc files claim size 0 and then yield bytes: a deterministic "changed".
    let (code, r) = ta.ingest(&[Path::new("/proc/self/status")]);
    assert_eq!(code, 1);
    assert!(r["files"][0]["reason"].as_str().unwrap().contains("changed while it was read"), "{r}");

    // A file being appended to during the ingest.
    let dir = ta.input("growing");
    let path = dir.join("live.log");
    std::fs::write(&path, noise(32 << 20, 3)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, path) = (stop.clone(), path.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(&[b'x'; 4096]).unwrap();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (code, r) = ta.ingest(&[&dir]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code, 1, "{r}");
    assert!(r["files"][0]["reason"].as_str().unwrap().contains("changed while it was read"));
    assert_eq!(row_counts(&ta), (0, 0, 0));
    let (code, audit) = ta.audit(&[]);
    assert_eq!(code, 0, "no partial object may be left: {audit}");
}

#[test]
fn a_missing_path_is_an_error_and_nothing_is_ingested() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    ta.ingest_cmd(&ta.key)
        .arg(&dir)
        .arg(ta.dir.path().join("no-such-file.jpg"))
        .assert()
        .code(2)
        .stderr(contains("no-such-file.jpg"));
    assert_eq!(row_counts(&ta), (0, 0, 0));
}

#[test]
fn ingest_refuses_unregistered_keys_and_demands_one() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    ta.cmd().arg("ingest").arg(&dir).assert().code(2).stderr(contains("--key"));
    let other = ta.dir.path().join("other.key");
    custody()
        .args(["key", "new", "--name", "Stranger", "--no-passphrase", "--out"])
        .arg(&other)
        .assert()
        .success();
    ta.ingest_cmd(&other).arg(&dir).assert().code(2).stderr(contains("not registered"));
    assert_eq!(row_counts(&ta), (0, 0, 0));
}

#[test]
fn key_files_passphrases_and_permissions() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), b"a").unwrap();
    let sealed = ta.dir.path().join("sealed.key");
    custody()
        .env("CUSTODY_PASSPHRASE", "correct horse battery")
        .args(["key", "new", "--name", "Analyst", "--out"])
        .arg(&sealed)
        .assert()
        .success()
        .stdout(contains("passphrase-protected"));
    let mode = std::fs::metadata(&sealed).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&sealed).unwrap();
    assert!(text.contains("argon2id") && text.contains("xchacha20poly1305"));
    // Never overwritten.
    let before = std::fs::read(&sealed).unwrap();
    custody()
        .args(["key", "new", "--name", "X", "--no-passphrase", "--out"])
        .arg(&sealed)
        .assert()
        .code(2)
        .stderr(contains("already exists"));
    assert_eq!(std::fs::read(&sealed).unwrap(), before);
    ta.cmd().args(["key", "add"]).arg(sealed.with_extension("key.pub")).assert().success();
    ta.cmd().args(["--json", "key", "list"]).assert().success().stdout(contains("Analyst"));

    // Wrong passphrase.
    ta.ingest_cmd(&sealed)
        .env("CUSTODY_PASSPHRASE", "wrong")
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("wrong passphrase"));
    // No passphrase and no terminal.
    ta.ingest_cmd(&sealed).arg(&dir).assert().code(2).stderr(contains("CUSTODY_PASSPHRASE"));
    // Right passphrase.
    ta.ingest_cmd(&sealed)
        .env("CUSTODY_PASSPHRASE", "correct horse battery")
        .arg(&dir)
        .assert()
        .success();

    // Readable by others: refused with the fix.
    let loose = ta.dir.path().join("loose.key");
    std::fs::copy(&ta.key, &loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    ta.ingest_cmd(&loose).arg(&dir).assert().code(2).stderr(contains("chmod 600"));

    // Truncated and corrupt key files.
    for (name, bytes) in [
        ("truncated.key", before[..before.len() / 2].to_vec()),
        (
            "corrupt.key",
            String::from_utf8_lossy(&before)
                .replace("\"secret\": \"", "\"secret\": \"00")
                .into_bytes(),
        ),
    ] {
        let p = ta.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        ta.ingest_cmd(&p)
            .env("CUSTODY_PASSPHRASE", "correct horse battery")
            .arg(&dir)
            .assert()
            .code(2)
            .stderr(contains(name))
            .stderr(contains("hint:"));
    }
}

#[test]
fn not_an_archive_and_newer_schema_are_refused_untouched() {
    let ta = TestArchive::new();
    let stray = ta.input("stray");
    std::fs::write(stray.join("notes.txt"), b"hello").unwrap();
    custody()
        .arg("--archive")
        .arg(&stray)
        .arg("list")
        .assert()
        .code(2)
        .stderr(contains("is not a custody archive"));
    custody()
        .arg("--archive")
        .arg(ta.dir.path().join("nowhere"))
        .arg("list")
        .assert()
        .code(2)
        .stderr(contains("no archive at"));
    let fake = ta.input("fake");
    std::fs::create_dir(fake.join("objects")).unwrap();
    std::fs::write(fake.join("custody.db"), b"this is not sqlite at all, just text padding it out")
        .unwrap();
    custody()
        .arg("--archive")
        .arg(&fake)
        .arg("list")
        .assert()
        .code(2)
        .stderr(contains("not a custody database"));

    // A newer schema: refused, and the database file is left byte-identical.
    {
        let db = ta.db();
        db.pragma_update(None, "user_version", 99).unwrap();
        db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    }
    let db_path = ta.root.join("custody.db");
    let before = std::fs::read(&db_path).unwrap();
    ta.cmd().arg("list").assert().code(2).stderr(contains("newer than this custody"));
    ta.cmd().arg("audit").assert().code(2);
    assert_eq!(std::fs::read(&db_path).unwrap(), before);
}

#[test]
fn a_damaged_object_is_repaired_by_moving_it_out_and_ingesting_again() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("clip.bin"), noise(300_000, 21)).unwrap();
    let (_, r) = ta.ingest(&[&dir]);
    let hash = r["files"][0]["blake3"].as_str().unwrap().to_owned();
    let obj = ta.object_path(&hash);
    let mut b = std::fs::read(&obj).unwrap();
    b[77] ^= 0x10;
    std::fs::write(&obj, b).unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let repair = report["findings"][0]["repair"].as_str().unwrap();
    assert!(repair.contains("move the damaged file out of objects/"), "{repair}");
    // Follow the repair hint.
    std::fs::rename(&obj, ta.dir.path().join("quarantined.bin")).unwrap();
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["already_archived"].as_u64(), Some(1));
    assert_eq!(r["summary"]["restored"].as_u64(), Some(1));
    assert_eq!(r["files"][0]["restored"], true);
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn a_damaged_unrecorded_file_in_the_store_is_replaced_never_adopted() {
    // What a power loss leaves of an object renamed into place before its
    // batch was made durable (empty), and a planted file under an object's
    // name: neither is signed over; each is replaced by the file's bytes.
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let mut planted = Vec::new();
    for (name, seed, stale) in
        [("photo.bin", 23, &b"planted: not those bytes"[..]), ("torn.bin", 25, b"")]
    {
        let bytes = noise(50_000, seed);
        std::fs::write(dir.join(name), &bytes).unwrap();
        let id = blake3::hash(&bytes).to_hex().to_string();
        let fan = ta.root.join("objects").join(&id[..2]);
        std::fs::create_dir_all(&fan).unwrap();
        std::fs::write(fan.join(&id), stale).unwrap();
        planted.push((fan.join(&id), bytes));
    }
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["added"].as_u64(), Some(2), "{r}");
    assert_eq!(r["summary"]["new_objects"].as_u64(), Some(2), "{r}");
    assert_eq!(row_counts(&ta), (2, 2, 2));
    for (path, bytes) in &planted {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
    }
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn cat_fails_loudly_on_a_corrupt_object() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("v.bin"), noise(100_000, 5)).unwrap();
    let (_, r) = ta.ingest(&[&dir]);
    let hash = r["files"][0]["blake3"].as_str().unwrap().to_owned();
    let p = ta.object_path(&hash);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[500] ^= 0x40;
    std::fs::write(&p, bytes).unwrap();
    ta.cmd().args(["cat", &hash]).assert().code(1).stderr(contains("NOT to be trusted"));
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_no_partial_object() {
    // A 2 MiB tmpfs in a private mount namespace (unprivileged via -r).
    let ta = TestArchive::new();
    let small = ta.input("small");
    let big = ta.input("big");
    std::fs::write(big.join("huge.bin"), noise(4 << 20, 8)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("custody");
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=2m tmpfs "{small}"
"{bin}" --archive "{small}/a" init --name full
"{bin}" --archive "{small}/a" key add "{pubkey}"
set +e
"{bin}" --archive "{small}/a" ingest --key "{key}" "{big}" 2>"{small}/err"
echo "rc=$?"
cat "{small}/err"
"{bin}" --archive "{small}/a" --json audit
echo "audit_rc=$?"
echo "objects: $(find "{small}/a/objects" -type f | wc -l) tmp: $(find "{small}/a/tmp" -type f | wc -l)"
"#,
        small = small.display(),
        big = big.display(),
        bin = bin.display(),
        key = ta.key.display(),
        pubkey = ta.key.with_extension("key.pub").display(),
    );
    let out = crate::util::in_private_mounts(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "unshare/mount failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("rc=2"), "{stdout}");
    assert!(stdout.contains("no space left on device"), "{stdout}");
    assert!(stdout.contains("audit_rc=0"), "{stdout}");
    assert!(stdout.contains("objects: 0 tmp: 0"), "{stdout}");
    let _ = findings; // (used by other modules)
}

/// Re-ingesting a folder reads only what may have changed: a file whose
/// size, times, device and inode are as when it was last hashed (long
/// enough before that read) is not read; one whose times changed, or were
/// too close to the read to prove anything, is read for BLAKE3 alone; one
/// with other bytes is read whole; one whose object left the store is
/// read whole and restores it; `--rehash` reads everything.
#[test]
fn a_reingest_reads_only_what_may_have_changed() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let names = ["a.bin", "b.bin", "c.bin", "d.bin"];
    for (i, name) in names.iter().enumerate() {
        std::fs::write(dir.join(name), noise(100_000, 41 + 2 * i as u64)).unwrap();
    }
    let summary = |r: &serde_json::Value, field: &str| r["summary"][field].as_u64().unwrap();
    let reads = |r: &serde_json::Value| -> Vec<String> {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["read"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let (code, first) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{first}");
    assert_eq!(summary(&first, "added"), 4);
    // Written just before they were read: their times prove nothing yet
    // (racily clean), so they are read again, for BLAKE3 alone.
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(reads(&r), ["recognised"; 4], "{r}");
    assert_eq!((summary(&r, "recognised"), summary(&r, "bytes")), (4, 400_000));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (_, r) = ta.ingest(&[&dir]);
    assert_eq!(reads(&r), ["recognised"; 4], "{r}");
    // Now last hashed well after they were written: not read at all.
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(reads(&r), ["unchanged"; 4], "{r}");
    assert_eq!((summary(&r, "unchanged"), summary(&r, "bytes")), (4, 0));
    assert_eq!(summary(&r, "added"), 0);

    // a: the same bytes, touched. b: other bytes of the same size, its old
    // modification time put back (only its ctime tells). c: its object
    // moved out of the store (the README's repair flow). d: left alone.
    let open = |n: &str| std::fs::File::options().write(true).open(dir.join(n)).unwrap();
    open("a.bin").set_modified(std::time::SystemTime::now()).unwrap();
    let old = std::fs::metadata(dir.join("b.bin")).unwrap().modified().unwrap();
    std::fs::write(dir.join("b.bin"), noise(100_000, 99)).unwrap();
    open("b.bin").set_modified(old).unwrap();
    let c_hash = first["files"][2]["blake3"].as_str().unwrap();
    std::fs::rename(ta.object_path(c_hash), ta.dir.path().join("quarantined")).unwrap();
    let (code, r) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{r}");
    let files = r["files"].as_array().unwrap();
    assert_eq!(
        (files[0]["status"].as_str(), files[0]["read"].as_str()),
        (Some("already_archived"), Some("recognised")),
        "{r}"
    );
    assert_eq!(files[1]["status"], "added", "{r}");
    assert_eq!(
        (files[2]["restored"].as_bool(), files[2]["read"].as_str()),
        (Some(true), Some("whole")),
        "{r}"
    );
    assert_eq!(files[3]["read"], "unchanged", "{r}");
    assert_eq!(summary(&r, "bytes"), 300_000);
    assert_eq!(ta.audit(&[]).0, 0);

    // --rehash: every file read whole; the human summary says what a plain
    // re-ingest skips.
    let out = ta
        .cmd()
        .args(["--json", "ingest", "--rehash", "--key"])
        .arg(&ta.key)
        .arg(&dir)
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reads(&r), ["whole"; 4], "{r}");
    assert_eq!(
        (summary(&r, "unchanged"), summary(&r, "recognised"), summary(&r, "bytes")),
        (0, 0, 400_000)
    );
    ta.ingest_cmd(&ta.key)
        .arg(&dir)
        .assert()
        .success()
        .stdout(contains("not read (unchanged since last hashed)"));
}

/// `--limit` reads the least recently checked objects first, so repeated
/// short audits cover the archive; `--status` says how far they have got,
/// and stays unclean (exit 1) while an object has never been found intact
/// or the last audit's findings are open.
#[test]
fn short_audits_cover_the_archive_oldest_first_and_status_says_how_far() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    for i in 0..4u64 {
        std::fs::write(dir.join(format!("{i}.bin")), noise(5_000, 101 + 2 * i)).unwrap();
    }
    let (code, first) = ta.ingest(&[&dir]);
    assert_eq!(code, 0, "{first}");
    let status = || {
        let out = ta.cmd().args(["--json", "audit", "--status"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), v)
    };
    let (code, s) = status();
    assert_eq!(
        (code, s["objects"].as_u64(), s["never_checked"].as_u64()),
        (1, Some(4), Some(4)),
        "{s}"
    );
    assert!(s["last_run"].is_null(), "{s}");

    let mut seen = std::collections::BTreeSet::new();
    for left in [2, 0] {
        let (code, r) = ta.audit(&["--limit", "2"]);
        assert_eq!((code, r["objects_checked"].as_u64()), (0, Some(2)), "{r}");
        let (_, s) = status();
        assert_eq!(s["never_checked"].as_u64(), Some(left), "{s}");
        seen.insert(s["newest_check"].as_str().unwrap().to_owned());
    }
    let (code, s) = status();
    assert_eq!((code, s["last_run"]["findings"].as_u64()), (0, Some(0)), "{s}");
    assert!(s["oldest_check"].as_str().unwrap() <= s["newest_check"].as_str().unwrap(), "{s}");

    // A damaged object: the audit finds it; it keeps the time it was last
    // found intact (the oldest check now), and the finding stays open.
    let victim = first["files"][1]["blake3"].as_str().unwrap();
    let path = ta.object_path(victim);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(ta.audit(&[]).0, 1);
    let (code, s) = status();
    assert_eq!(
        (code, s["never_checked"].as_u64(), s["last_run"]["findings"].as_u64()),
        (1, Some(0), Some(1)),
        "{s}"
    );
    assert!(s["oldest_check"].as_str() < s["newest_check"].as_str(), "{s}");
    ta.cmd().args(["audit", "--status"]).assert().code(1).stdout(contains("1 findings still open"));
    ta.cmd().args(["audit", "--status", "--deep"]).assert().code(2);
    ta.cmd().args(["audit", "--budget", "10"]).assert().code(2).stderr(contains("not a duration"));
    let (code, r) = ta.audit(&["--budget", "1h"]);
    assert_eq!(
        (code, r["budget_reached"].as_bool(), r["objects_checked"].as_u64()),
        (1, Some(false), Some(4)),
        "{r}"
    );
}
