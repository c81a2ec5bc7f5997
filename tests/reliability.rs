//! Regression tests for what probing and first users found (issue 12):
//! each defect, each stumbling block, failures that must leave a clean
//! archive (a full disk, a bad argument), and a read-only archive.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{TestArchive, custody, findings, noise};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/sample").join(rel)
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn count(ta: &TestArchive, table: &str) -> i64 {
    ta.db().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

fn claim(ta: &TestArchive, item: &str, args: &[&str]) -> std::process::Output {
    ta.cmd().args(["--json", "claim", item, "--key"]).arg(&ta.key).args(args).output().unwrap()
}

#[test]
fn an_unclosed_quote_in_a_manifest_is_refused_naming_its_line() {
    let ta = TestArchive::new();
    let dir = ta.input("m");
    for f in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(dir.join(f), f).unwrap();
    }
    let m = dir.join("m.csv");
    std::fs::write(&m, "path,note\na.txt,ok\nb.txt,\"never closed\nc.txt,x\n").unwrap();
    for skip in [false, true] {
        let mut cmd = ta.ingest_cmd(&ta.key);
        cmd.arg("--manifest").arg(&m);
        if skip {
            cmd.arg("--skip-bad-rows");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("line 3: a quote opened here is never closed"), "{err}");
        assert!(!err.contains("pass --skip-bad-rows"), "{err}");
    }
    assert_eq!(count(&ta, "items"), 0);
}

#[test]
fn a_future_check_time_and_swapped_owners_are_findings() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.bin"), noise(5000, 1)).unwrap();
    ta.ingest(&[&dir]);
    let other = ta.dir.path().join("other.key");
    custody()
        .args(["key", "new", "--name", "Other Person", "--no-passphrase", "--out"])
        .arg(&other)
        .assert()
        .success();
    ta.cmd().args(["key", "add"]).arg(other.with_extension("key.pub")).assert().success();
    assert_eq!(ta.audit(&[]).0, 0);
    // Pushed into the future, an object would never be re-read by --limit.
    ta.db().execute("UPDATE objects SET last_checked_at = '2099-01-01T00:00:00Z'", []).unwrap();
    let (code, report) = ta.audit(&["--limit", "0"]);
    assert_eq!(code, 1);
    let f = findings(&report);
    assert!(f.iter().any(|f| f.0 == "edited-column" && f.2 == "objects.last_checked_at"), "{f:?}");
    ta.db().execute("UPDATE objects SET last_checked_at = NULL", []).unwrap();
    // Swapping two keys' owners changes who `show` names: a finding.
    ta.db()
        .execute_batch(
            "UPDATE keys SET owner = CASE owner WHEN 'Test Collector' THEN 'Other Person' \
             ELSE 'Test Collector' END",
        )
        .unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let f = findings(&report);
    let mismatched = f.iter().filter(|f| f.0 == "log-event-mismatch").count();
    assert_eq!(mismatched, 2, "both registrations no longer match: {f:?}");
    // An audit run's findings count edited to look clean.
    ta.db()
        .execute_batch(
            "UPDATE keys SET owner = CASE owner WHEN 'Test Collector' THEN 'Other Person' \
             ELSE 'Test Collector' END; UPDATE audit_runs SET findings = 0",
        )
        .unwrap();
    let (_, report) = ta.audit(&[]);
    let f = findings(&report);
    assert!(
        f.iter().any(|f| f.0 == "edited-column" && f.2.starts_with("audit_runs.findings")),
        "{f:?}"
    );
}

#[test]
fn the_same_file_twice_in_one_ingest_is_never_a_repair() {
    // The race needs the second job's rename to win; repeat it.
    for round in 0..12 {
        let ta = TestArchive::new();
        let dir = ta.input("in");
        let f = dir.join("same.bin");
        std::fs::write(&f, noise(3 << 20, round)).unwrap();
        let out = ta
            .ingest_cmd(&ta.key)
            .args(["--threads", "8", "--json"])
            .arg(&f)
            .arg(&f)
            .arg(&f)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let repairs: i64 = ta
            .db()
            .query_row("SELECT count(*) FROM log_leaves WHERE kind = 'repair'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(repairs, 0, "round {round}: a repair was logged for an object never missing");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("\"restored\": true"));
    }
}

#[test]
fn untrusted_text_is_escaped_in_list_and_key_listings() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let evil = dir.join("x\nforged row\u{1b}[2K.txt");
    std::fs::write(&evil, "x").unwrap();
    ta.ingest(&[&dir]);
    let out = ta.cmd().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}') && !text.contains("\nforged row"), "{text}");
    assert!(text.contains("x\\nforged row\\u{1b}[2K.txt"), "{text}");
    // A key owner named to look like another key's row.
    let k = ta.dir.path().join("evil.key");
    custody()
        .args([
            "key",
            "new",
            "--no-passphrase",
            "--name",
            "Mallory\n0000000000000000  Trusted Admin",
        ])
        .arg("--out")
        .arg(&k)
        .assert()
        .success();
    let added = ta.cmd().args(["key", "add"]).arg(k.with_extension("key.pub")).output().unwrap();
    assert!(!String::from_utf8_lossy(&added.stdout).contains("\n0000"));
    let listed = ta.cmd().args(["key", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(text.lines().count(), 2, "one line per key: {text}");
    assert!(text.contains("Mallory\\n0000"), "{text}");
}

#[test]
fn rerunning_a_manifest_keeps_a_later_correction_and_reports_real_ones() {
    let ta = TestArchive::new();
    let dir = ta.input("m");
    std::fs::write(dir.join("a.txt"), "a report").unwrap();
    let m = dir.join("m.csv");
    std::fs::write(&m, "path,lat,lon\na.txt,36.2,37.16\n").unwrap();
    ta.ingest_cmd(&ta.key).arg("--manifest").arg(&m).assert().success();
    // The collector corrects the location by hand (same key).
    let out = claim(
        &ta,
        "1",
        &["--kind", "location", "--lat", "36.19", "--lon", "37.15", "--supersedes", "1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let fixed = json(&out)["claim"].as_i64().unwrap();
    // The repair flow re-runs the same manifest: nothing is re-asserted.
    let out = ta.ingest_cmd(&ta.key).args(["--json", "--manifest"]).arg(&m).output().unwrap();
    assert_eq!(json(&out)["summary"]["claims"], 0, "{}", String::from_utf8_lossy(&out.stdout));
    let show = ta.cmd().args(["--json", "show", "1"]).output().unwrap();
    let claims = json(&show)["claims"].as_array().unwrap().clone();
    let current: Vec<i64> = claims
        .iter()
        .filter(|c| c["current"] == true)
        .map(|c| c["claim"].as_i64().unwrap())
        .collect();
    assert_eq!(current, [fixed], "the hand-made correction stays current");
    // A changed manifest value is a new claim beside the correction, never
    // superseding it; a change of a current value is a correction, and said.
    std::fs::write(&m, "path,lat,lon,place\na.txt,36.3,37.2,Aleppo\n").unwrap();
    let out = ta.ingest_cmd(&ta.key).args(["--json", "--manifest"]).arg(&m).output().unwrap();
    let r = json(&out);
    assert_eq!(r["summary"]["claims"], 1, "{r}");
    assert_eq!(r["summary"]["corrections"], 0, "{r}");
    std::fs::write(&m, "path,lat,lon,place\na.txt,36.31,37.2,Aleppo\n").unwrap();
    let out = ta.ingest_cmd(&ta.key).args(["--manifest"]).arg(&m).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("correct the collector's earlier claims")
    );
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn first_user_stumbling_blocks() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), "a report").unwrap();
    std::fs::write(dir.join("b.txt"), "a report").unwrap(); // same bytes
    ta.ingest(&[&dir]);
    // The .pub file as --key.
    let out = ta.ingest_cmd(&ta.key.with_extension("key.pub")).arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a public key"), "{}", stderr(&out));
    assert!(stderr(&out).contains("without .pub"), "{}", stderr(&out));
    // A location known only by name; a day-only capture time; --latitude.
    let out = claim(&ta, "1", &["--kind", "location", "--place", "حلب"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = claim(&ta, "1", &["--kind", "capture-time", "--captured-at", "2024-11-30"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = claim(&ta, "2", &["--kind", "location", "--latitude", "36.2", "--longitude", "37.1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Items of the same bytes can be duplicates of each other; an item
    // cannot be related to itself.
    let out =
        claim(&ta, "2", &["--kind", "relation", "--relation", "duplicate-of", "--related-to", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out =
        claim(&ta, "2", &["--kind", "relation", "--relation", "duplicate-of", "--related-to", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("an item cannot be related to itself"), "{}", stderr(&out));
    // show of the object names the item of each claim.
    let blake3 =
        json(&ta.cmd().args(["--json", "show", "1"]).output().unwrap())["items"][0]["blake3"]
            .as_str()
            .unwrap()
            .to_owned();
    let text = ta.cmd().args(["show", &blake3]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("(item 1)") && text.contains("(item 2)"), "{text}");
    assert!(
        text.contains("captured 2024-11-30 local time, UTC offset unknown (precision: day)"),
        "{text}"
    );
    assert!(text.contains("place حلب"), "{text}");
    // A wrong --kind lists the kinds.
    let out = claim(&ta, "1", &["--kind", "where"]);
    assert!(stderr(&out).contains("possible values: source, capture-time"), "{}", stderr(&out));
    // A 5,000-character value is not echoed whole.
    let long = "x".repeat(5000);
    let out = claim(&ta, "1", &["--kind", "verification", "--verdict", &long, "--method", "m"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).len() < 1000 && stderr(&out).contains("(5000 characters)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn skip_bad_rows_is_suggested_only_where_it_helps() {
    let ta = TestArchive::new();
    let dir = ta.input("m");
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    let bad_header = dir.join("h.csv");
    std::fs::write(&bad_header, "path,colour\na.txt,red\n").unwrap();
    let out = ta.ingest_cmd(&ta.key).arg("--manifest").arg(&bad_header).output().unwrap();
    assert!(!stderr(&out).contains("--skip-bad-rows"), "{}", stderr(&out));
    let all_bad = dir.join("b.csv");
    std::fs::write(&all_bad, "path,lat,lon\nmissing.txt,1,2\n").unwrap();
    let out = ta.ingest_cmd(&ta.key).arg("--manifest").arg(&all_bad).output().unwrap();
    assert!(stderr(&out).contains("pass --skip-bad-rows"), "{}", stderr(&out));
    let out = ta
        .ingest_cmd(&ta.key)
        .args(["--skip-bad-rows", "--manifest"])
        .arg(&all_bad)
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("pass --skip-bad-rows"), "{}", stderr(&out));
    assert!(stderr(&out).contains("no row is good"), "{}", stderr(&out));
}

#[test]
fn exact_name_bytes_and_readable_views() {
    use std::os::unix::ffi::OsStrExt;
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.join(name), "x").unwrap();
    std::fs::copy(sample("text/2024-11-30_news_article.html"), dir.join("news.html")).unwrap();
    ta.ingest(&[&dir]);
    let list = json(&ta.cmd().args(["--json", "list"]).output().unwrap());
    let item = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"].as_str().unwrap().starts_with("caf"))
        .unwrap();
    assert_eq!(item["name_bytes"], "636166e92e747874", "{item}");
    // The HTML title's raw value is the page's text, not hex.
    let show = ta.cmd().args(["show", "2"]).output().unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("raw HTML title: Opposition fighters reach Aleppo citadel"), "{text}");
    // The custody log names claims by number and kind, and keys by owner.
    let out = claim(&ta, "1", &["--kind", "description", "--description", "a note"]);
    let n = json(&out)["claim"].as_i64().unwrap();
    let log = ta.cmd().arg("log").output().unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains(&format!("claim {n} (description)")), "{log}");
    assert!(log.contains("owner Test Collector"), "{log}");
    ta.cmd()
        .args(["key", "revoke", "--reason", "laptop lost"])
        .arg(
            json(&ta.cmd().args(["--json", "key", "list"]).output().unwrap())[0]["keyid"]
                .as_str()
                .unwrap(),
        )
        .assert()
        .success();
    ta.audit(&[]);
    let log = ta.cmd().arg("log").output().unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(log.contains("reason: laptop lost"), "{log}");
    assert!(log.contains("fixity check") && log.contains("clean"), "{log}");
    // verify-proof shows the digest it proves.
    let proof = ta.dir.path().join("p");
    let out = ta.cmd().args(["prove", "1"]).output().unwrap();
    std::fs::write(&proof, &out.stdout).unwrap();
    let vkey = json(&ta.cmd().args(["--json", "log"]).output().unwrap())["vkey"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = custody().arg("verify-proof").arg(&proof).args(["--vkey", &vkey]).output().unwrap();
    let v = String::from_utf8_lossy(&v.stdout);
    assert!(v.contains(&format!("object blake3 {}", item["blake3"].as_str().unwrap())), "{v}");
}

#[test]
fn against_says_consistent_and_a_bad_checkpoint_file_is_not_an_audit() {
    let ta = TestArchive::new();
    let cp = ta.dir.path().join("cp");
    let out = ta.cmd().arg("checkpoint").output().unwrap();
    std::fs::write(&cp, &out.stdout).unwrap();
    let ok = ta.cmd().args(["audit", "--against"]).arg(&cp).output().unwrap();
    assert!(
        String::from_utf8_lossy(&ok.stdout)
            .contains("consistent with the external checkpoint of size")
    );
    let runs = count(&ta, "audit_runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let sig_line = text.lines().last().unwrap();
    let short_sig = text.replace(sig_line, &sig_line[..sig_line.len() - 70]);
    for (name, bytes) in [
        ("empty", String::new()),
        ("garbage", "not a checkpoint at all\n".into()),
        ("truncated", text[..text.len() / 2].to_owned()),
        ("short-signature", short_sig),
    ] {
        let f = ta.dir.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        let out = ta.cmd().args(["audit", "--against"]).arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("is not a checkpoint"), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(name), "the message names the file: {}", stderr(&out));
    }
    assert_eq!(count(&ta, "audit_runs"), runs, "nothing was recorded");
}

#[test]
fn reruns_complete_without_doing_anything_twice() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    ta.ingest(&[&dir]);
    let args = ["--kind", "verification", "--verdict", "probable", "--method", "shadows"];
    let first = json(&claim(&ta, "1", &args));
    let again = claim(&ta, "1", &args);
    assert!(again.status.success());
    assert_eq!(json(&again)["claim"], first["claim"]);
    assert_eq!(json(&again)["recorded_now"], false);
    let keyid = json(&ta.cmd().args(["--json", "key", "list"]).output().unwrap())[0]["keyid"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = || ta.cmd().args(["key", "revoke", &keyid, "--reason", "lost"]).output().unwrap();
    assert!(revoke().status.success());
    let again = revoke();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("already revoked"));
    let other = ta.cmd().args(["key", "revoke", &keyid, "--reason", "other"]).output().unwrap();
    assert_eq!(other.status.code(), Some(2));
    let revocations: i64 = ta
        .db()
        .query_row("SELECT count(*) FROM log_leaves WHERE kind = 'key revocation'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(revocations, 1, "the re-run logged nothing");
    assert_eq!(count(&ta, "claims"), 1, "the re-run signed nothing");
}

/// A full disk stops the ingest with nothing half-recorded; an audit on
/// the full disk still reports (and says it could not record itself), one
/// on a disk too full to open the database says what to check; once there
/// is room the archive audits clean and the ingest resumes.
#[test]
fn a_full_disk_leaves_an_archive_that_audits_clean_and_resumes() {
    // A 3 MiB tmpfs: the first files fit, the later ones do not.
    let ta = TestArchive::new();
    let small = ta.input("small");
    let big = ta.input("big");
    for i in 0..14 {
        std::fs::write(big.join(format!("f{i:02}.bin")), noise(300 << 10, 2 * i + 1)).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("custody");
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=3m tmpfs "{small}"
"{bin}" --archive "{small}/a" init --name full
"{bin}" --archive "{small}/a" key add "{pubkey}"
set +e
"{bin}" --archive "{small}/a" ingest --key "{key}" "{big}" >/dev/null 2>"{out}/err"
echo "rc=$?"
cat "{out}/err"
mount -o remount,size=4m "{small}"
# With room again, a clean open and close folds whatever write-ahead log
# the failed ingest left into the database and removes it: the audit below
# then needs new space for its own, whatever the failure left behind.
"{bin}" --archive "{small}/a" list > /dev/null
dd if=/dev/zero of="{small}/fill" bs=64k 2>/dev/null
truncate -s -48K "{small}/fill"
"{bin}" --archive "{small}/a" audit
echo "nearly_full_rc=$?"
dd if=/dev/zero of="{small}/fill2" bs=4k 2>/dev/null
"{bin}" --archive "{small}/a" audit 2>&1
echo "full_rc=$?"
rm "{small}/fill" "{small}/fill2"
mount -o remount,size=16m "{small}"
"{bin}" --archive "{small}/a" --json audit > "{out}/audit.json"
echo "audit_rc=$?"
head -c 2000 "{out}/audit.json"; echo
"{bin}" --archive "{small}/a" ingest --key "{key}" "{big}" > /dev/null 2>&1
echo "resume_rc=$?"
"{bin}" --archive "{small}/a" --json audit > "{out}/audit2.json"
echo "audit2_rc=$?"
grep -o '"items_checked": [0-9]*' "{out}/audit2.json"
"#,
        out = ta.dir.path().display(),
        small = small.display(),
        big = big.display(),
        bin = bin.display(),
        key = ta.key.display(),
        pubkey = ta.key.with_extension("key.pub").display(),
    );
    let out = crate::util::in_private_mounts(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", stderr(&out));
    assert!(stdout.contains("rc=2"), "{stdout}");
    assert!(stdout.contains("no space left on device"), "{stdout}");
    assert!(
        stdout.contains("0 findings")
            && stdout.contains("this audit could not be recorded: no space left on device")
            && stdout.contains("nearly_full_rc=0"),
        "{stdout}"
    );
    assert!(stdout.contains("is the disk full") && stdout.contains("full_rc=2"), "{stdout}");
    assert!(stdout.contains("audit_rc=0"), "the audit after a full disk is clean: {stdout}");
    assert!(stdout.contains("resume_rc=0") && stdout.contains("audit2_rc=0"), "{stdout}");
    assert!(stdout.contains("\"items_checked\": 14"), "{stdout}");
}

#[test]
fn a_read_only_archive_can_be_read_and_refuses_writes() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::copy(sample("photos/IMG_20241129_163012.jpg"), dir.join("p.jpg")).unwrap();
    ta.ingest(&[&dir]);
    assert_eq!(ta.audit(&[]).0, 0);
    let cp = ta.dir.path().join("cp");
    std::fs::write(&cp, ta.cmd().arg("checkpoint").output().unwrap().stdout).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("custody");
    let script = format!(
        r#"set +e
mount --bind "{a}" "{a}" && mount -o remount,ro,bind "{a}" || exit 99
c() {{ "{bin}" --archive "{a}" "$@"; }}
c list > /dev/null; echo "list=$?"
c show 1 > /dev/null; echo "show=$?"
c cat 1 > "{tmp}/copy"; echo "cat=$?"
c log > /dev/null; echo "log=$?"
c prove 1 > "{tmp}/proof"; echo "prove=$?"
c prove 1 --checkpoint "{cp}" > /dev/null; echo "prove_cp=$?"
"{bin}" verify-proof "{tmp}/proof" --vkey "$(c --json log | grep -o '"vkey": "[^"]*' | cut -d'"' -f4)" > /dev/null; echo "verify=$?"
c audit > "{tmp}/audit.txt"; echo "audit=$?"
c key add "{pubkey}" 2> "{tmp}/err"; echo "keyadd=$?"
c claim 1 --key "{key}" --kind location --place Aleppo 2>> "{tmp}/err"; echo "claim=$?"
c checkpoint 2>> "{tmp}/err" > /dev/null; echo "checkpoint=$?"
cat "{tmp}/audit.txt" "{tmp}/err"
"#,
        a = ta.root.display(),
        bin = bin.display(),
        tmp = ta.dir.path().display(),
        cp = cp.display(),
        key = ta.key.display(),
        pubkey = ta.key.with_extension("key.pub").display(),
    );
    let out = crate::util::in_private_mounts(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for ok in ["list=0", "show=0", "cat=0", "log=0", "prove=0", "prove_cp=0", "verify=0", "audit=0"]
    {
        assert!(stdout.contains(ok), "{ok}: {stdout} {}", stderr(&out));
    }
    for refused in ["keyadd=2", "claim=2", "checkpoint=2"] {
        assert!(stdout.contains(refused), "{refused}: {stdout}");
    }
    assert!(stdout.contains("could not be recorded: the archive is read-only"), "{stdout}");
    assert!(stdout.contains("the archive is read-only: nothing can be written"), "{stdout}");
    let copy = std::fs::read(ta.dir.path().join("copy")).unwrap();
    assert_eq!(copy, std::fs::read(dir.join("p.jpg")).unwrap());
    // Afterwards, writable again, the archive is unchanged and clean.
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn read_only_with_an_unapplied_write_ahead_log_is_refused_not_misread() {
    let ta = TestArchive::new();
    let wal = ta.root.join("custody.db-wal");
    std::fs::write(&wal, b"pretend a writer was killed").unwrap();
    let bin = assert_cmd::cargo::cargo_bin("custody");
    let script = format!(
        r#"mount --bind "{a}" "{a}" && mount -o remount,ro,bind "{a}" || exit 99
"{bin}" --archive "{a}" list; echo "rc=$?""#,
        a = ta.root.display(),
        bin = bin.display()
    );
    let out = crate::util::in_private_mounts(&script).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("rc=2") && all.contains("last writes are still in"), "{all}");
    std::fs::remove_file(&wal).unwrap();
}
