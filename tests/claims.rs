//! Provenance claims through the CLI: collector claims from flags and from
//! a manifest (validated whole, every bad row named), analyst claims and
//! corrections, discrepancies flagged both ways, key revocation, and the
//! claim tamper catalogue (each corruption with its exact finding).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{TestArchive, findings};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/sample").join(rel)
}

/// The sample photo (EXIF 2024-11-29 16:30:12+03:00, GPS at the citadel).
fn photo(ta: &TestArchive) -> PathBuf {
    let dir = ta.input("in");
    let p = dir.join("citadel.jpg");
    std::fs::copy(sample("photos/IMG_20241129_163012.jpg"), &p).unwrap();
    p
}

fn show(ta: &TestArchive, item: &str) -> Value {
    let out = ta.cmd().args(["--json", "show", item]).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
}

fn rules(show: &Value) -> Vec<String> {
    show["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// `custody claim ITEM ARGS...` with the test key; (exit code, JSON, stderr).
pub(crate) fn claim(
    ta: &TestArchive,
    key: &Path,
    item: &str,
    args: &[&str],
) -> (i32, Value, String) {
    let out =
        ta.cmd().args(["--json", "claim", item, "--key"]).arg(key).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A second registered key: (path).
pub(crate) fn second_key(ta: &TestArchive, name: &str) -> PathBuf {
    let key = ta.dir.path().join(format!("{name}.key"));
    crate::util::custody()
        .args(["key", "new", "--name", name, "--no-passphrase", "--out"])
        .arg(&key)
        .assert()
        .success();
    ta.cmd().args(["key", "add"]).arg(key.with_extension("key.pub")).assert().success();
    key
}

#[test]
fn collector_flags_become_signed_claims_once() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    let flags = [
        "--source-url",
        "https://social.example/p/1001",
        "--platform",
        "Social",
        "--posted-at",
        "2024-11-29T17:02:00+03:00",
        "--acquisition",
        "download",
        "--captured-at",
        "2024-11-29T16:30:00+03:00",
        "--precision",
        "minute",
        "--lat",
        "36.1995",
        "--lon",
        "37.1630",
        "--accuracy",
        "50",
        "--place",
        "Aleppo citadel",
        "--note",
        "original requested from the poster",
    ];
    for run in 0..2 {
        let out = ta
            .cmd()
            .args(["--json", "ingest", "--key"])
            .arg(&ta.key)
            .arg(&p)
            .args(flags)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        // First run: 2 embedded + 3 collector claims; the re-run adds none.
        let expect = if run == 0 { 5 } else { 0 };
        assert_eq!(r["summary"]["claims"], expect, "run {run}: {r}");
    }
    let s = show(&ta, "1");
    let claims = s["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 5, "{s}");
    let by = |kind: &str, basis: &str| {
        claims.iter().find(|c| c["kind"] == kind && c["basis"] == basis).unwrap().clone()
    };
    let src = by("source", "claimed");
    assert_eq!(src["value"]["value"]["platform"], "social");
    assert_eq!(src["value"]["value"]["notes"], "original requested from the poster");
    assert_eq!(by("capture-time", "claimed")["value"]["value"]["precision"], "minute");
    assert_eq!(by("location", "claimed")["value"]["value"]["place"], "Aleppo citadel");
    assert!(by("location", "embedded")["raw"]["EXIF GPSLatitude"].is_string());
    assert!(claims.iter().all(|c| c["verified"] == true && c["current"] == true));
    // Embedded and claimed agree (60 m apart, same minute): nothing to flag.
    assert_eq!(rules(&s), Vec::<String>::new());
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn bad_claim_flags_name_the_flag_and_ingest_nothing() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    let cases: &[(&[&str], &str)] = &[
        (&["--lat", "91", "--lon", "37"], "--lat: latitude 91 is outside -90..90"),
        (&["--lat", "36", "--lon", "-190"], "--lon: longitude -190 is outside -180..180"),
        (&["--lat", "36"], "--lon: a location needs both lat and lon"),
        (
            &["--captured-at", "2024-11-29T16:30:00"],
            "--captured-at: \"2024-11-29T16:30:00\" is a time without an offset",
        ),
        (&["--posted-at", "29/11/2024"], "--posted-at: \"29/11/2024\" is not an RFC 3339 time"),
        (&["--acquisition", "stolen"], "--acquisition: \"stolen\" is not one of"),
        (
            &["--verdict", "confirmed"],
            "--verdict: verification claims are made with `custody claim`",
        ),
    ];
    for (args, msg) in cases {
        let out = ta.ingest_cmd(&ta.key).arg(&p).args(*args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let list = ta.cmd().args(["--json", "list"]).output().unwrap();
    let items: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 0, "nothing may be ingested");
}

/// Every kind of bad manifest row, each with its line, column and reason;
/// nothing is ingested unless --skip-bad-rows.
#[test]
fn manifest_catalogue() {
    let ta = TestArchive::new();
    let dir = ta.input("collection");
    for n in ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg", "h.jpg"] {
        std::fs::copy(sample("photos/IMG_20241129_163012.jpg"), dir.join(n)).unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.jpg"), dir.join("link.jpg")).unwrap();
    let csv = "\
path,source_url,platform,posted_at,captured_at,lat,lon,accuracy,acquisition
a.jpg,https://t.me/x/1,telegram,2024-11-29T17:02:00+03:00,,36.1993,37.1627,20,download
b.jpg,,,,,91.5,37.1,,
c.jpg,,,2024-11-29 17:02,,,,,
d.jpg,,,,2024-11-29T16:30:00,,,,
missing.jpg,,,,,,,,
a.jpg,,telegram,,,,,,
e.jpg,,,,,36.2,,,
f.jpg,,,,,36.2,37.1,-3,
g.jpg,,,,,,,,carrier pigeon
sub,,,,,,,,
link.jpg,,,,,,,,
h.jpg,too,many,fields,here,,,,,,
";
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, csv).unwrap();
    let out = ta.ingest_cmd(&ta.key).arg("--manifest").arg(&manifest).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = [
        "line 3, column lat: latitude 91.5 is outside -90..90",
        "line 4, column posted_at: \"2024-11-29 17:02\" is not an RFC 3339 time",
        "line 5, column captured_at: \"2024-11-29T16:30:00\" is a time without an offset",
        "line 6, column path: \"missing.jpg\" does not exist",
        "line 7, column path: duplicate row: line 2 already lists this file",
        "line 8, column lon: a location needs both lat and lon",
        "line 9, column accuracy: accuracy -3 must be a radius in metres",
        "line 10, column acquisition: \"carrier pigeon\" is not one of",
        "line 11, column path: \"sub\" is a folder",
        "line 12, column path: \"link.jpg\" is a symbolic link",
        "line 13: 11 fields, the header has 9",
    ];
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    assert!(err.contains("11 problems; nothing was ingested"), "{err}");
    assert!(err.contains("--skip-bad-rows"), "{err}");
    assert_eq!(ta.audit(&[]).1["items_checked"], 0, "nothing may be ingested");

    // Unknown column: the header is refused.
    let bad_header = dir.join("header.csv");
    std::fs::write(&bad_header, "path,latitude\na.jpg,36\n").unwrap();
    let out = ta.ingest_cmd(&ta.key).arg("--manifest").arg(&bad_header).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 1, column latitude: unknown column")
    );

    // --skip-bad-rows: the one good row goes in, the rest are reported, exit 1.
    let out = ta
        .cmd()
        .args(["--json", "ingest", "--skip-bad-rows", "--key"])
        .arg(&ta.key)
        .arg("--manifest")
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["summary"]["added"], 1, "{r}");
    assert_eq!(r["bad_rows"].as_array().unwrap().len(), 11);
    let s = show(&ta, "1");
    let src = s["claims"].as_array().unwrap().iter().find(|c| c["kind"] == "source").unwrap();
    assert_eq!(src["value"]["value"]["url"], "https://t.me/x/1");
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn analyst_claims_corrections_and_discrepancies() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    assert_eq!(ta.ingest(&[&p]).0, 0);
    // An analyst places it at Saadallah al-Jabiri square, ~1.6 km from the
    // embedded GPS position: flagged.
    let (code, r, err) = claim(
        &ta,
        &ta.key,
        "1",
        &[
            "--kind",
            "location",
            "--lat",
            "36.2087",
            "--lon",
            "37.1487",
            "--accuracy",
            "100",
            "--method",
            "skyline match",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let first = r["claim"].as_i64().unwrap();
    assert_eq!(r["discrepancies"][0]["rule"], "embedded-location-far", "{r}");
    // A correction (the citadel's outline and minaret match) supersedes it.
    let (code, r, err) = claim(
        &ta,
        &ta.key,
        "1",
        &[
            "--kind",
            "location",
            "--lat",
            "36.1992",
            "--lon",
            "37.1624",
            "--accuracy",
            "30",
            "--method",
            "matched the citadel's outline and the minaret in frame",
            "--supersedes",
            &first.to_string(),
            "--confidence",
            "high",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["supersedes"], first);
    assert_eq!(r["discrepancies"], Value::Array(vec![]));
    let s = show(&ta, "1");
    let old = s["claims"].as_array().unwrap().iter().find(|c| c["claim"] == first).unwrap();
    assert_eq!(old["current"], false, "the superseded claim stays visible as history");
    assert_eq!(old["superseded_by"], r["claim"]);
    let text = ta.cmd().args(["show", "1"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("superseded claim") && text.contains("discrepancies: none"), "{text}");

    // Superseding twice, another kind, another object: refused.
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "location", "--lat", "1", "--lon", "1", "--supersedes", &first.to_string()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("already superseded by claim"), "{err}");
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "description", "--description", "x", "--supersedes", "1"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("is a capture-time claim, not description"), "{err}");
    let (code, _, err) =
        claim(&ta, &ta.key, "1", &["--kind", "verification", "--verdict", "probable"]);
    assert_eq!(code, 2);
    assert!(err.contains("--method: a verification claim needs method"), "{err}");
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "location", "--lat", "1", "--lon", "1", "--basis", "embedded"],
    );
    assert_eq!(code, 2, "{err}");
    // The file's own metadata cannot be superseded.
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "location", "--lat", "1", "--lon", "1", "--supersedes", "2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("read from the file itself"), "{err}");
    // A year the calendar cannot hold is refused, not signed.
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "capture-time", "--captured-at", "9999-12-31T23:59:59-01:00"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("outside the years 1 to 9998"), "{err}");

    // Capture time in the future, then before digital cameras.
    let (_, r, _) = claim(
        &ta,
        &ta.key,
        "1",
        &["--kind", "capture-time", "--captured-at", "2099-01-01T00:00:00Z", "--basis", "claimed"],
    );
    assert!(
        r["discrepancies"].as_array().unwrap().iter().any(|d| d["rule"] == "capture-in-future"),
        "{r}"
    );
    let future = r["claim"].as_i64().unwrap().to_string();
    let (_, r, _) = claim(
        &ta,
        &ta.key,
        "1",
        &[
            "--kind",
            "capture-time",
            "--captured-at",
            "1968-05-01T12:00:00+03:00",
            "--precision",
            "day",
            "--supersedes",
            &future,
        ],
    );
    let got: Vec<&str> = r["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(got.contains(&"capture-before-digital") && !got.contains(&"capture-in-future"), "{r}");

    // Two analysts disagree on the verdict: flagged; agreeing: not.
    let other = second_key(&ta, "Second Analyst");
    let v = |key: &Path, verdict: &str| {
        claim(
            &ta,
            key,
            "1",
            &["--kind", "verification", "--verdict", verdict, "--method", "shadow analysis"],
        )
    };
    let (_, r, _) = v(&ta.key, "confirmed");
    let mine = r["claim"].as_i64().unwrap().to_string();
    let (_, r, _) = v(&other, "confirmed");
    assert!(
        !r["discrepancies"].as_array().unwrap().iter().any(|d| d["rule"] == "authors-disagree"),
        "{r}"
    );
    let theirs = r["claim"].as_i64().unwrap().to_string();
    let dispute = |target: &str| {
        let args = [
            "--kind",
            "verification",
            "--verdict",
            "disputed",
            "--method",
            "the shadows point west",
        ];
        claim(&ta, &other, "1", &[&args[..], &["--supersedes", target]].concat())
    };
    let (_, r, _) = dispute(&theirs);
    assert!(
        r["discrepancies"].as_array().unwrap().iter().any(|d| d["rule"] == "authors-disagree"),
        "{r}"
    );
    // Nobody can make another author's claim go away by superseding it.
    let (code, _, err) = dispute(&mine);
    assert_eq!(code, 2);
    assert!(err.contains("another author's"), "{err}");
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn a_corrected_ingest_rerun_supersedes_the_collector_claim() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    let run = |at: &str| {
        let out = ta
            .cmd()
            .args(["--json", "ingest", "--key"])
            .arg(&ta.key)
            .arg(&p)
            .args(["--captured-at", at])
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["summary"]["claims"].as_u64().unwrap()
    };
    assert_eq!(run("2024-11-29T16:30:00+03:00"), 3);
    assert_eq!(run("2024-11-29T16:30:00+03:00"), 0);
    assert_eq!(run("2024-11-29T16:31:00+03:00"), 1);
    let s = show(&ta, "1");
    let times: Vec<&Value> = s["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "capture-time" && c["basis"] == "claimed")
        .collect();
    assert_eq!(times.len(), 2);
    assert_eq!(times[0]["current"], false);
    assert_eq!(times[1]["supersedes"], times[0]["claim"]);
    assert_eq!(ta.audit(&[]).0, 0);
}

#[test]
fn embedded_capture_after_posting_is_flagged_both_ways() {
    for (posted, flagged) in
        [("2024-11-29T15:00:00+03:00", true), ("2024-11-29T17:02:00+03:00", false)]
    {
        let ta = TestArchive::new();
        let p = photo(&ta);
        ta.ingest_cmd(&ta.key).arg(&p).args(["--posted-at", posted]).assert().success();
        let got = rules(&show(&ta, "1"));
        assert_eq!(got.contains(&"captured-after-posted".to_owned()), flagged, "{posted}: {got:?}");
    }
}

#[test]
fn relation_between_items() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    let q = ta.input("in").join("report.txt");
    std::fs::copy(sample("text/2024-11-30_citadel_observation.txt"), &q).unwrap();
    assert_eq!(ta.ingest(&[&p, &q]).0, 0);
    let (code, r, err) = claim(
        &ta,
        &ta.key,
        "2",
        &["--kind", "relation", "--relation", "same-event-as", "--related-to", "1"],
    );
    assert_eq!(code, 0, "{err}");
    let s = show(&ta, "2");
    let rel = s["claims"].as_array().unwrap().iter().find(|c| c["claim"] == r["claim"]).unwrap();
    assert_eq!(rel["value"]["value"]["object"]["blake3"], show(&ta, "1")["items"][0]["blake3"]);
    let (code, _, err) = claim(
        &ta,
        &ta.key,
        "2",
        &["--kind", "relation", "--relation", "derived-from", "--related-to", "2"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot be related to itself"), "{err}");
}

#[test]
fn revoked_key_signs_nothing_more_and_later_claims_are_findings() {
    let ta = TestArchive::new();
    let p = photo(&ta);
    assert_eq!(ta.ingest(&[&p]).0, 0);
    let keyid = ta.db().query_row("SELECT keyid FROM keys", [], |r| r.get::<_, String>(0)).unwrap();
    // A claim signed before the revocation stays valid.
    let (code, _, _) =
        claim(&ta, &ta.key, "1", &["--kind", "description", "--description", "the citadel gate"]);
    assert_eq!(code, 0);
    let out =
        ta.cmd().args(["key", "revoke", &keyid[..12], "--reason", "laptop lost"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The revoked key cannot sign any more (claim or ingest).
    let (code, _, err) = claim(&ta, &ta.key, "1", &["--kind", "description", "--description", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("was revoked at"), "{err}");
    assert_eq!(ta.audit(&[]).0, 0, "what it signed before revocation stays valid");
    // Rotation: a new key signs on.
    let new = second_key(&ta, "Rotated Key");
    let (code, _, err) =
        claim(&ta, &new, "1", &["--kind", "description", "--description", "after rotation"]);
    assert_eq!(code, 0, "{err}");
    // A claim that says it was signed after the revocation (a stolen key, or
    // a clock set back by the holder of the archive) is a finding.
    let db = ta.db();
    db.execute("UPDATE keys SET revoked_at = '2020-01-01T00:00:00Z' WHERE keyid = ?1", [&keyid])
        .unwrap();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let got = findings(&report);
    // The item, its 2 embedded claims and the description claim; and the
    // custody log's revocation event no longer matches the edited keys row.
    let after: Vec<_> = got.iter().filter(|f| f.0 == "signed-after-revocation").collect();
    assert_eq!(after.len(), 4, "{got:#?}");
    assert!(got.iter().any(|f| f.0 == "log-event-mismatch"), "{got:#?}");
    assert_eq!(got.len(), 5, "{got:#?}");
    // Revoking twice, or with a bad time, is refused.
    let out = ta.cmd().args(["key", "revoke", &keyid, "--reason", "again"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = ta
        .cmd()
        .args(["key", "revoke", &keyid, "--reason", "x", "--at", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--at: \"yesterday\" is not an RFC 3339 time")
    );
    let out = ta.cmd().args(["key", "revoke", &keyid[..6], "--reason", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key"));
}

// ---------------------------------------------------------------- tamper

/// An archive with one photo and an analyst claim that corrects another.
fn claimed() -> TestArchive {
    let ta = TestArchive::new();
    let p = photo(&ta);
    assert_eq!(ta.ingest(&[&p]).0, 0); // claims 1 (time), 2 (location)
    let loc = ["--kind", "location", "--lat", "36.1992", "--lon", "37.1624", "--method", "outline"];
    assert_eq!(claim(&ta, &ta.key, "1", &loc).0, 0); // claim 3
    let fix = ["--kind", "location", "--lat", "36.1993", "--lon", "37.1625", "--supersedes", "3"];
    assert_eq!(claim(&ta, &ta.key, "1", &fix).0, 0); // claim 4
    assert_eq!(ta.audit(&[]).0, 0, "the fixture starts clean");
    ta
}

/// The record id of a claim, with foreign keys off so rows can be deleted.
fn record_of_claim(db: &rusqlite::Connection, claim: i64) -> i64 {
    db.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    db.query_row("SELECT record_id FROM claims WHERE id = ?1", [claim], |r| r.get(0)).unwrap()
}

fn expect_only(ta: &TestArchive, expected: &[(&str, &str, &str)]) {
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1, "{report}");
    let got = findings(&report);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (code, subject, loc) in expected {
        assert!(
            got.iter().any(|(c, s, l)| c == code && s == subject && l.contains(loc)),
            "expected {code} on {subject} at {loc}, got {got:#?}"
        );
    }
}

#[test]
fn tamper_edited_claim_columns() {
    for (col, value) in [
        ("kind", "'description'"),
        ("basis", "'device'"),
        ("signed_at", "'2024-01-01T00:00:00Z'"),
        ("supersedes", "NULL"),
        ("item_uuid", "'00000000-0000-4000-8000-000000000000'"),
        ("keyid", "'ab'"),
    ] {
        let ta = claimed();
        ta.db().execute(&format!("UPDATE claims SET {col} = {value} WHERE id = 4"), []).unwrap();
        let column = format!("claims.{col}");
        let mut expected = vec![("edited-column", "claim 4", column.as_str())];
        // The custody log's event records the author and the signing time.
        if col == "signed_at" || col == "keyid" {
            expected.push(("log-event-mismatch", "log event 5", "log_leaves row 5"));
        }
        expect_only(&ta, &expected);
    }
}

#[test]
fn tamper_deleted_claim_row_leaves_its_record_and_a_gap() {
    let ta = claimed();
    let rec: i64 =
        ta.db().query_row("SELECT record_id FROM claims WHERE id = 2", [], |r| r.get(0)).unwrap();
    ta.db().execute("DELETE FROM claims WHERE id = 2", []).unwrap();
    expect_only(
        &ta,
        &[
            ("missing-record", &format!("record {rec}"), "records row"),
            ("missing-record", "claims table", "claims"),
            ("log-event-orphan", "log event 3", "log_leaves row 3"),
        ],
    );
}

#[test]
fn tamper_deleted_claim_record() {
    let ta = claimed();
    let db = ta.db();
    let rec = record_of_claim(&db, 3);
    db.execute("DELETE FROM records WHERE id = ?1", [rec]).unwrap();
    expect_only(
        &ta,
        &[
            ("missing-record", "claim 3", "claims row 3"),
            ("missing-record", "records table", "records"),
            ("log-event-orphan", "log event 4", "log_leaves row 4"),
        ],
    );
}

#[test]
fn tamper_superseded_claim_deleted_with_its_record() {
    let ta = claimed();
    let db = ta.db();
    let rec = record_of_claim(&db, 3);
    db.execute("DELETE FROM claims WHERE id = 3", []).unwrap();
    db.execute("DELETE FROM records WHERE id = ?1", [rec]).unwrap();
    expect_only(
        &ta,
        &[
            ("bad-supersedes", "claim 4", "records row"),
            ("missing-record", "claims table", "claims"),
            ("missing-record", "records table", "records"),
            ("log-event-orphan", "log event 4", "log_leaves row 4"),
        ],
    );
}

#[test]
fn tamper_swapped_claim_envelopes() {
    let ta = claimed();
    let db = ta.db();
    let env = |id: i64| -> Vec<u8> {
        db.query_row(
            "SELECT envelope FROM records r JOIN claims c ON c.record_id = r.id WHERE c.id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (a, b) = (env(1), env(2));
    let set = |id: i64, e: &[u8]| {
        db.execute("UPDATE records SET envelope = ?2 WHERE id = (SELECT record_id FROM claims WHERE id = ?1)", rusqlite::params![id, e]).unwrap();
    };
    set(1, &b);
    set(2, &a);
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    let got = findings(&report);
    for c in ["claim 1", "claim 2"] {
        assert!(
            got.iter()
                .any(|f| f.0 == "edited-column" && f.1 == c && f.2.contains("claims.claim_uuid")),
            "{got:#?}"
        );
    }
    // The log recorded each claim's own envelope.
    for e in ["log event 2", "log event 3"] {
        assert!(got.iter().any(|f| f.0 == "log-event-mismatch" && f.1 == e), "{got:#?}");
    }
    assert!(got.iter().all(|f| f.0 == "edited-column" || f.0 == "log-event-mismatch"), "{got:#?}");
}

#[test]
fn tamper_claim_by_unregistered_key() {
    let ta = claimed();
    let stranger = ta.dir.path().join("stranger.key");
    crate::util::custody()
        .args(["key", "new", "--name", "Stranger", "--no-passphrase", "--out"])
        .arg(&stranger)
        .assert()
        .success();
    // Register, sign, then remove the key row: the claim is now by an unknown key.
    ta.cmd().args(["key", "add"]).arg(stranger.with_extension("key.pub")).assert().success();
    assert_eq!(
        claim(&ta, &stranger, "1", &["--kind", "description", "--description", "forged"]).0,
        0
    );
    ta.db().execute("DELETE FROM keys WHERE owner = 'Stranger'", []).unwrap();
    // The log still records the stranger's registration: its row is gone.
    expect_only(
        &ta,
        &[
            ("unknown-key", "claim 5", "records row"),
            ("log-event-orphan", "log event 7", "log_leaves row 7"),
        ],
    );
}

#[test]
fn tamper_claim_superseded_twice() {
    use custody::claim::{CLAIM_PREDICATE, ClaimPredicate};
    use custody::record::{self, Statement, Subject};
    let ta = claimed();
    let db = ta.db();
    // Someone holding the key and the database signs a second correction of
    // claim 3 and slips it in: two "current" locations.
    let (_, key) = custody::crypto::keyfile::load_secret(&ta.key, None).unwrap();
    let (uuid3, rec4): (String, i64) = db
        .query_row(
            "SELECT (SELECT claim_uuid FROM claims WHERE id = 3), (SELECT record_id FROM claims WHERE id = 4)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let env4: Vec<u8> =
        db.query_row("SELECT envelope FROM records WHERE id = ?1", [rec4], |r| r.get(0)).unwrap();
    let v = record::open::<ClaimPredicate>(&env4, |_| Some(key.public())).unwrap();
    let mut p = v.statement.predicate.clone();
    p.claim_id = "5b1f6a34-0000-4000-8000-000000000005".into();
    assert_eq!(p.supersedes.as_deref(), Some(uuid3.as_str()));
    let st = Statement {
        statement_type: record::STATEMENT_TYPE.into(),
        subject: vec![Subject { name: "x".into(), digest: v.statement.subject[0].digest.clone() }],
        predicate_type: CLAIM_PREDICATE.into(),
        predicate: p.clone(),
    };
    let env = record::sign(&st, &key);
    db.execute(
        "INSERT INTO records (kind, blake3, keyid, envelope, created_at) \
         SELECT kind, blake3, keyid, ?1, created_at FROM records WHERE id = ?2",
        rusqlite::params![env, rec4],
    )
    .unwrap();
    let rec5 = db.last_insert_rowid();
    db.execute(
        "INSERT INTO claims (claim_uuid, blake3, kind, basis, keyid, signed_at, supersedes, item_uuid, record_id) \
         SELECT ?1, blake3, kind, basis, keyid, signed_at, supersedes, item_uuid, ?2 FROM claims WHERE id = 4",
        rusqlite::params![p.claim_id, rec5],
    )
    .unwrap();
    expect_only(
        &ta,
        &[
            ("bad-supersedes", "claim 4", "records row"),
            ("bad-supersedes", "claim 5", "records row"),
            // Slipped in without a custody event: the log says so too.
            ("log-event-missing", "claim 5", "custody log"),
        ],
    );
}

#[test]
fn tamper_claim_payload_edited() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    let ta = claimed();
    let db = ta.db();
    let (rec, env): (i64, Vec<u8>) = db
        .query_row("SELECT r.id, r.envelope FROM records r JOIN claims c ON c.record_id = r.id WHERE c.id = 4", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let mut e: Value = serde_json::from_slice(&env).unwrap();
    let payload = String::from_utf8(B64.decode(e["payload"].as_str().unwrap()).unwrap()).unwrap();
    let moved = payload.replace("36.1993", "35.1993");
    assert_ne!(moved, payload);
    e["payload"] = Value::String(B64.encode(moved));
    db.execute(
        "UPDATE records SET envelope = ?2 WHERE id = ?1",
        rusqlite::params![rec, serde_json::to_vec(&e).unwrap()],
    )
    .unwrap();
    expect_only(
        &ta,
        &[
            ("bad-signature", "claim 4", "records row"),
            ("log-event-mismatch", "log event 5", "log_leaves row 5"),
        ],
    );
}
