//! Evidence bags: `export`, `verify`, `import` through the CLI, checked by
//! tools we did not write — Python `bagit` (fast and full, every format),
//! `bagit_profile` against our published profile, `sha256sum -c` /
//! `sha512sum -c`, `securesystemslib` on every envelope, `tlog_tiles` and
//! `signed_note` on every inclusion proof and checkpoint — and the round
//! trip A → B → out again. The hostile-bag catalogue is in `hostile`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::interop::{python, run_interop};
use crate::util::{TestArchive, custody, findings, noise, text};

/// An archive with photos-like noise, texts, an odd name, claims of
/// several kinds (one corrected), a second signer, and a witnessed
/// checkpoint.
pub fn sample() -> TestArchive {
    let ta = TestArchive::new();
    let dir = ta.input("field");
    std::fs::write(dir.join("citadel.jpg"), noise(200_000, 1)).unwrap();
    std::fs::write(dir.join("report <b>west<i>.txt"), text(20_000, 2)).unwrap();
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9 50% \xff.txt");
    std::fs::write(dir.join(odd), text(3_000, 3)).unwrap();
    // The same bytes twice: one object, two items.
    std::fs::write(dir.join("copy-of-citadel.jpg"), noise(200_000, 1)).unwrap();
    assert_eq!(ta.ingest(&[&dir]).0, 0);
    ta.cmd()
        .args(["claim", "1", "--kind", "location", "--lat", "36.1993", "--lon", "37.1630"])
        .args(["--place", "Aleppo Citadel", "--basis", "analyst", "--key"])
        .arg(&ta.key)
        .assert()
        .success();
    ta.cmd()
        .args(["claim", "1", "--kind", "location", "--lat", "36.1990", "--lon", "37.1625"])
        .args(["--place", "Aleppo Citadel, north gate", "--supersedes", "1", "--key"])
        .arg(&ta.key)
        .assert()
        .success();
    ta.cmd()
        .args([
            "claim",
            "2",
            "--kind",
            "source",
            "--platform",
            "telegram",
            "--account",
            "resident-A",
        ])
        .arg("--key")
        .arg(&ta.key)
        .assert()
        .success();
    witness(&ta);
    ta
}

/// Sign a checkpoint and have a witness cosign it.
fn witness(ta: &TestArchive) {
    let out = ta.cmd().args(["--json", "checkpoint"]).output().unwrap();
    let cp: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cp_file = ta.dir.path().join("cp.txt");
    std::fs::write(&cp_file, cp["note"].as_str().unwrap()).unwrap();
    let wkey = ta.dir.path().join("witness.key");
    custody()
        .args(["key", "new", "--name", "W", "--no-passphrase", "--out"])
        .arg(&wkey)
        .assert()
        .success();
    let out = custody()
        .args(["--json", "witness", "cosign"])
        .arg(&cp_file)
        .arg("--key")
        .arg(&wkey)
        .args(["--name", "witness.example.org/w1", "--log-vkey", cp["vkey"].as_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cosigned = ta.dir.path().join("cosigned.txt");
    std::fs::write(&cosigned, r["cosigned"].as_str().unwrap()).unwrap();
    ta.cmd()
        .args(["witness", "add"])
        .arg(&cosigned)
        .args(["--vkey", r["witness_vkey"].as_str().unwrap()])
        .assert()
        .success();
}

/// `custody export` in `ta` with `args`; the JSON report.
pub fn export(ta: &TestArchive, out: &Path, args: &[&str]) -> Value {
    let o = ta
        .cmd()
        .args(["--json", "export", "--key"])
        .arg(&ta.key)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "export failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `custody verify BAG ARGS`: (exit code, JSON report).
pub fn verify(bag: &Path, args: &[&str]) -> (i32, Value) {
    let o = custody().args(["--json", "verify"]).arg(bag).args(args).output().unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!("verify printed no JSON: {}", String::from_utf8_lossy(&o.stderr))
    });
    (o.status.code().unwrap_or(-1), v)
}

/// The pins a recipient is given: the log's vkey and the signer's key.
pub fn pins(report: &Value, ta: &TestArchive) -> Vec<String> {
    vec![
        "--vkey".into(),
        report["log_vkey"].as_str().unwrap().into(),
        "--trust-key".into(),
        ta.key.with_extension("key.pub").display().to_string(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn venv_python(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(python())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("python must run (set CUSTODY_PYTHON)")
}

/// Extract a zip or tar with Python's own `zipfile` / `tarfile` into
/// `into`; returns the bag's folder.
fn extract(bag: &Path, into: &Path) -> PathBuf {
    let script = "import sys, zipfile, tarfile\n\
        p, d = sys.argv[1], sys.argv[2]\n\
        if p.endswith('.zip'): zipfile.ZipFile(p).extractall(d)\n\
        elif hasattr(tarfile, 'data_filter'): tarfile.open(p).extractall(d, filter='data')\n\
        else: tarfile.open(p).extractall(d)\n";
    let o = venv_python(&["-c", script, bag.to_str().unwrap(), into.to_str().unwrap()], into);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(into).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "one top-level folder: {dirs:?}");
    dirs.pop().unwrap()
}

/// bagit.py (full and fast) and bagit_profile on a bag directory (and
/// on its serialisation); Python's verdicts, exit codes.
fn bagit_py(dir: &Path, serialized: Option<&Path>) -> (bool, bool, bool) {
    let full = venv_python(&["-m", "bagit", "--validate", dir.to_str().unwrap()], dir);
    let fast = venv_python(&["-m", "bagit", "--validate", "--fast", dir.to_str().unwrap()], dir);
    let profile = format!("{}/schema/custody-bag-profile.json", env!("CARGO_MANIFEST_DIR"));
    let script = "import sys, json, bagit, bagit_profile\n\
        prof = json.load(open(sys.argv[1]))\n\
        p = bagit_profile.Profile(prof['BagIt-Profile-Info']['BagIt-Profile-Identifier'], profile=prof)\n\
        ok = p.validate(bagit.Bag(sys.argv[2]))\n\
        if len(sys.argv) > 3: ok = ok and p.validate_serialization(sys.argv[3])\n\
        print(p.report.errors if p.report else '')\n\
        sys.exit(0 if ok else 1)\n";
    let mut args = vec!["-c", script, &profile, dir.to_str().unwrap()];
    let s = serialized.map(|p| p.display().to_string());
    if let Some(s) = &s {
        args.push(s);
    }
    let prof = venv_python(&args, dir);
    if !prof.status.success() {
        eprintln!(
            "bagit_profile: {}{}",
            String::from_utf8_lossy(&prof.stdout),
            String::from_utf8_lossy(&prof.stderr)
        );
    }
    (full.status.success(), fast.status.success(), prof.status.success())
}

fn sums_check(dir: &Path) -> bool {
    ["sha256sum", "sha512sum"].iter().all(|tool| {
        let alg = &tool[..6];
        Command::new(tool)
            .args(["--quiet", "-c", &format!("manifest-{alg}.txt")])
            .current_dir(dir)
            .status()
            .unwrap_or_else(|e| panic!("{tool} must be installed (tests/setup.sh): {e}"))
            .success()
    })
}

#[test]
fn bags_of_every_format_pass_bagit_py_the_profile_and_sha_sums() {
    let ta = sample();
    for format in ["dir", "zip", "tar"] {
        let name = if format == "dir" { "bag".to_owned() } else { format!("bag.{format}") };
        let out = ta.dir.path().join(&name);
        let r = export(&ta, &out, &["--all", "--format", format]);
        assert_eq!(r["items"], 4, "{r}");
        assert_eq!(r["objects"], 3, "one file per object: {r}");
        let (code, v) = verify(&out, &strs(&pins(&r, &ta)));
        assert_eq!(code, 0, "{format}: {v}");
        let dir = if format == "dir" {
            out.clone()
        } else {
            let into = ta.dir.path().join(format!("x-{format}"));
            std::fs::create_dir(&into).unwrap();
            extract(&out, &into)
        };
        let serialized = (format != "dir").then_some(out.as_path());
        assert_eq!(bagit_py(&dir, serialized), (true, true, true), "{format}");
        assert!(sums_check(&dir), "{format}");
        // The extracted copy verifies as the original does.
        assert_eq!(verify(&dir, &strs(&pins(&r, &ta))).0, 0, "{format} extracted");
    }
    // The same tools reject a bag with one payload byte changed.
    let bag = ta.dir.path().join("bag");
    let victim = std::fs::read_dir(bag.join("data")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&victim, bytes).unwrap();
    let (full, fast, _) = bagit_py(&bag, None);
    assert!(!full, "bagit.py must reject a changed payload byte");
    assert!(fast, "a fast validation checks sizes only");
    assert!(!sums_check(&bag));
    let (code, v) = verify(&bag, &[]);
    assert_eq!(code, 1);
    assert!(findings(&v).iter().any(|(c, s, _)| c == "bag-fixity" && victim.ends_with(s)), "{v}");
}

#[test]
fn verify_fails_closed_until_keys_are_pinned_or_the_bags_own_are_accepted() {
    let ta = sample();
    let bag = ta.dir.path().join("bag");
    let r = export(&ta, &bag, &["1", "2"]);
    let (code, v) = verify(&bag, &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        findings(&v).iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["bag-keys-not-pinned"]
    );
    let (code, v) = verify(&bag, &["--trust-bag-keys"]);
    assert_eq!(code, 0, "{v}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains(
            "signatures are consistent, but the signers' keys were taken from the bag itself"
        ),
        "{notes}"
    );
    let (code, v) = verify(&bag, &strs(&pins(&r, &ta)));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["witnessed_by"], json!(["witness.example.org/w1"]));
    let item = &v["items"][0];
    assert_eq!(item["bytes"], true);
    assert!(item["ingested_by"].as_str().unwrap().starts_with("Test Collector"), "{item}");
    assert!(item["included_at"].is_u64());
    // A log key other than the bag's is refused.
    let other = sample();
    let r2 = export(&other, &other.dir.path().join("b"), &["1"]);
    let (code, v) = verify(
        &bag,
        &[
            "--vkey",
            r2["log_vkey"].as_str().unwrap(),
            "--trust-key",
            ta.key.with_extension("key.pub").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        findings(&v).iter().any(|(c, _, l)| c == "bag-checkpoint" && l == "custody/log.vkey"),
        "{v}"
    );
    // A signer nobody pinned is named.
    let (code, v) = verify(
        &bag,
        &[
            "--vkey",
            r["log_vkey"].as_str().unwrap(),
            "--trust-key",
            other.key.with_extension("key.pub").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(findings(&v).iter().any(|(c, _, _)| c == "bag-untrusted-key"), "{v}");
    // An unreadable bag is an operational error.
    let o = custody().args(["verify"]).arg(ta.dir.path().join("nothing-here")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Every envelope of the bag, and the bag statement (with both of its
/// signatures required), verify with securesystemslib.
#[test]
fn securesystemslib_verifies_every_envelope_in_a_bag() {
    let ta = sample();
    let bag = ta.dir.path().join("bag");
    export(&ta, &bag, &["--all"]);
    let keys_file: Value =
        serde_json::from_slice(&std::fs::read(bag.join("custody/keys.json")).unwrap()).unwrap();
    let mut keys = serde_json::Map::new();
    for k in keys_file["keys"].as_array().unwrap() {
        assert_eq!(k["securesystemslib"]["keytype"], "ed25519");
        keys.insert(
            k["keyid"].as_str().unwrap().into(),
            k["securesystemslib"]["keyval"]["public"].clone(),
        );
    }
    let records: Vec<Value> = std::fs::read_to_string(bag.join("custody/records.intoto.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records.len() >= 7, "ingest records and claims: {}", records.len());
    let req = json!({"keys": keys, "envelopes": records, "expect_valid": true});
    let out = run_interop("verify_dsse.py", "securesystemslib", &req);
    assert_eq!(out.lines().filter(|l| *l == "valid").count(), records.len(), "{out}");

    let vkey = std::fs::read_to_string(bag.join("custody/log.vkey")).unwrap();
    let log = custody::custody_log::note::parse_vkey(vkey.trim()).unwrap().public;
    keys.insert(log.keyid(), Value::String(log.to_hex()));
    let statement: Value =
        serde_json::from_slice(&std::fs::read(bag.join("custody/bag.intoto.jsonl")).unwrap())
            .unwrap();
    let req = json!({"keys": keys, "envelopes": [statement.clone()], "expect_valid": true, "threshold": 2});
    let out = run_interop("verify_dsse.py", "securesystemslib", &req);
    assert_eq!(out.trim(), "valid");
    // Without the log key, two signatures cannot be found.
    keys.remove(&log.keyid());
    let req =
        json!({"keys": keys, "envelopes": [statement], "expect_valid": false, "threshold": 2});
    run_interop("verify_dsse.py", "securesystemslib", &req);
}

/// One inclusion proof of `custody/events.jsonl`, parsed by hand.
struct Proof {
    event: Vec<u8>,
    index: u64,
    path: Vec<tlog_tiles::Hash>,
    note: String,
}

fn parse_proof(text: &str) -> Proof {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut lines = text.split('\n');
    assert_eq!(lines.next(), Some("c2sp.org/tlog-proof@v1"));
    let event = b64.decode(lines.next().unwrap().strip_prefix("extra ").unwrap()).unwrap();
    let index = lines.next().unwrap().strip_prefix("index ").unwrap().parse().unwrap();
    let mut path = Vec::new();
    for l in lines.by_ref() {
        if l.is_empty() {
            break;
        }
        path.push(tlog_tiles::Hash(b64.decode(l).unwrap().try_into().unwrap()));
    }
    Proof { event, index, path, note: lines.collect::<Vec<_>>().join("\n") }
}

/// Every inclusion proof in a bag verifies with `tlog_tiles` (RFC 6962)
/// against the checkpoint, whose signature `signed_note` checks.
#[test]
fn every_inclusion_proof_verifies_with_tlog_tiles_and_signed_note() {
    use signed_note::{Note, StandardVerifier, VerifierList};
    let ta = sample();
    let bag = ta.dir.path().join("bag");
    let r = export(&ta, &bag, &["--all"]);
    let vkey = r["log_vkey"].as_str().unwrap();
    let verifier = StandardVerifier::new(vkey).unwrap();
    let checkpoint = std::fs::read(bag.join("custody/checkpoint")).unwrap();
    let note = Note::from_bytes(&checkpoint).unwrap();
    let (verified, _) = note.verify(&VerifierList::new(vec![Box::new(verifier.clone())])).unwrap();
    assert_eq!(verified.len(), 1);
    let text = String::from_utf8(note.text().to_vec()).unwrap();
    let mut lines = text.lines().skip(1);
    let size: u64 = lines.next().unwrap().parse().unwrap();
    use base64::Engine;
    let root = tlog_tiles::Hash(
        base64::engine::general_purpose::STANDARD
            .decode(lines.next().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let events = std::fs::read_to_string(bag.join("custody/events.jsonl")).unwrap();
    let mut n = 0;
    for line in events.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let p = parse_proof(e["proof"].as_str().unwrap());
        assert_eq!(p.index, e["index"].as_u64().unwrap());
        assert_eq!(
            p.note.as_bytes(),
            checkpoint.as_slice(),
            "every proof is against the bag's checkpoint"
        );
        let leaf = tlog_tiles::record_hash(&p.event);
        tlog_tiles::check_record(&p.path, size, root, p.index, leaf)
            .unwrap_or_else(|e| panic!("tlog_tiles rejects the proof of event {}: {e}", p.index));
        n += 1;
    }
    assert_eq!(n, r["events"].as_u64().unwrap());
    // The witnessed checkpoint is this log's too.
    let w = std::fs::read(bag.join("custody/witnessed-checkpoint")).unwrap();
    let wn = Note::from_bytes(&w).unwrap();
    assert!(wn.verify(&VerifierList::new(vec![Box::new(verifier)])).is_ok());
}

fn archive_digest(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() && !e.file_name().to_string_lossy().ends_with(".lock") {
            out.push((e.path().to_owned(), std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

/// `custody import` in `ta` with the pins of `from`; (code, JSON).
pub fn import(ta: &TestArchive, bag: &Path, args: &[&str]) -> (i32, Value) {
    let o = ta
        .cmd()
        .args(["--json", "import"])
        .arg(bag)
        .arg("--key")
        .arg(&ta.key)
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!("import printed no JSON: {}", String::from_utf8_lossy(&o.stderr))
    });
    (o.status.code().unwrap_or(-1), v)
}

#[test]
fn round_trip_from_a_to_b_and_out_again_keeps_the_senders_envelopes() {
    let a = sample();
    let bag = a.dir.path().join("bag.tar");
    let r = export(&a, &bag, &["--all", "--format", "tar"]);
    let b = TestArchive::new();
    let (code, v) = import(&b, &bag, &strs(&pins(&r, &a)));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["imported"], true);
    assert_eq!((v["sender_items"].as_u64(), v["new_objects"].as_u64()), (Some(4), Some(3)), "{v}");
    assert_eq!(v["received_items"].as_array().unwrap().len(), 3);
    let (code, audit) = b.audit(&["--deep"]);
    assert_eq!(code, 0, "B audits clean after the import: {audit}");
    // The second import adds nothing.
    let before = archive_digest(&b.root);
    let (code, v) = import(&b, &bag, &strs(&pins(&r, &a)));
    assert_eq!(code, 0);
    assert_eq!(v["already_imported"], true);
    assert_eq!(archive_digest(&b.root), before, "a second import leaves B byte-identical");
    // A's items in B keep A's claims, still verifiable here.
    let o = b.cmd().args(["--json", "show", "1"]).output().unwrap();
    let show: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(show["claims"].as_array().unwrap().iter().all(|c| c["verified"] == true), "{show}");
    assert!(show["claims"].as_array().unwrap().iter().any(|c| c["kind"] == "location"));

    // B exports everything; the bag verifies with B's log key and both signers pinned.
    let bag2 = b.dir.path().join("bag2.zip");
    let r2 = export(&b, &bag2, &["--all", "--format", "zip"]);
    let mut p = pins(&r2, &b);
    p.extend(["--trust-key".into(), a.key.with_extension("key.pub").display().to_string()]);
    let (code, v) = verify(&bag2, &strs(&p));
    assert_eq!(code, 0, "{v}");
    // It still carries A's envelopes byte for byte.
    let a_dir = a.dir.path().join("a-dir");
    let ra = export(&a, &a_dir, &["--all"]);
    assert_eq!(ra["records"], r["records"]);
    let into = b.dir.path().join("x");
    std::fs::create_dir(&into).unwrap();
    let b_dir = extract(&bag2, &into);
    let records = |d: &Path| -> Vec<String> {
        std::fs::read_to_string(d.join("custody/records.intoto.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let in_b = records(&b_dir);
    for line in records(&a_dir) {
        assert!(in_b.contains(&line), "B's bag must carry A's envelope byte-exact: {line}");
    }
    // The transfer is a custody event of B, and B's bag proves it was exported.
    let log = b.cmd().args(["--json", "log"]).output().unwrap();
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"transfer") && kinds.contains(&"dissemination"), "{kinds:?}");
}

#[test]
fn a_bag_with_any_finding_is_not_imported_and_the_archive_is_unchanged() {
    let a = sample();
    let bag = a.dir.path().join("bag");
    let r = export(&a, &bag, &["--all"]);
    let victim = std::fs::read_dir(bag.join("data")).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&victim, bytes).unwrap();
    let b = TestArchive::new();
    let before = archive_digest(&b.root);
    let (code, v) = import(&b, &bag, &strs(&pins(&r, &a)));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["imported"], false);
    assert!(findings(&v["verification"]).iter().any(|(c, _, _)| c == "bag-fixity"), "{v}");
    assert_eq!(archive_digest(&b.root), before);
    // Unpinned keys are a finding too: nothing is imported without trust.
    let bag2 = a.dir.path().join("bag2");
    export(&a, &bag2, &["1"]);
    let (code, v) = import(&b, &bag2, &[]);
    assert_eq!((code, v["imported"].as_bool()), (1, Some(false)), "{v}");
    assert_eq!(archive_digest(&b.root), before);
}

#[test]
fn a_plain_bag_made_by_bagit_py_is_imported_with_only_its_fixity_proven() {
    let b = TestArchive::new();
    let bag = b.input("partner-bag");
    std::fs::write(bag.join("square.mp4"), noise(50_000, 9)).unwrap();
    std::fs::create_dir(bag.join("notes")).unwrap();
    std::fs::write(bag.join("notes/witness.txt"), text(2_000, 4)).unwrap();
    let script = "import sys, bagit\n\
        bagit.make_bag(sys.argv[1], {'Source-Organization': 'Partner NGO', 'External-Identifier': 'ngo-2024-117'}, checksums=['sha256', 'sha512'])\n";
    let o = venv_python(&["-c", script, bag.to_str().unwrap()], &bag);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, v) = verify(&bag, &[]);
    assert_eq!(code, 0, "a valid plain bag holds: {v}");
    assert_eq!(v["custody"], false);
    assert!(
        v["notes"].to_string().contains("only its completeness and fixity were checked"),
        "{v}"
    );
    let (code, v) = import(&b, &bag, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["proven"], "fixity-only");
    assert_eq!(v["bag_id"], "ngo-2024-117");
    let items = v["received_items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let o = b.cmd().args(["--json", "show"]).arg(items[0].to_string()).output().unwrap();
    let show: Value = serde_json::from_slice(&o.stdout).unwrap();
    let source = show["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "source")
        .expect("a source claim");
    let notes = source["value"]["value"]["notes"].as_str().unwrap();
    for word in ["Partner NGO", "ngo-2024-117", "only its fixity was proven"] {
        assert!(notes.contains(word), "{word}: {notes}");
    }
    assert!(
        show["items"][0]["path"].as_str().unwrap().starts_with("bag:ngo-2024-117/data/"),
        "{show}"
    );
    assert_eq!(b.audit(&[]).0, 0);
    let (_, again) = import(&b, &bag, &[]);
    assert_eq!(again["already_imported"], true);
}

#[test]
fn withheld_claims_are_left_out_whole_and_named() {
    let ta = sample();
    let bag = ta.dir.path().join("bag");
    let r = export(&ta, &bag, &["1", "--withhold", "location"]);
    assert_eq!(r["withheld"].as_array().unwrap().len(), 2, "{r}");
    let records = std::fs::read_to_string(bag.join("custody/records.intoto.jsonl")).unwrap();
    for l in records.lines() {
        let e: Value = serde_json::from_str(l).unwrap();
        use base64::Engine;
        let p = base64::engine::general_purpose::STANDARD
            .decode(e["payload"].as_str().unwrap())
            .unwrap();
        let st: Value = serde_json::from_slice(&p).unwrap();
        assert_ne!(st["predicate"]["claim"]["kind"], "location", "a withheld claim is in the bag");
    }
    let items: Value =
        serde_json::from_slice(&std::fs::read(bag.join("custody/items.json")).unwrap()).unwrap();
    assert_eq!(items["withheld"], r["withheld"]);
    let readme = std::fs::read_to_string(bag.join("README.txt")).unwrap();
    assert!(readme.contains("withheld") && !readme.contains("36.19"), "{readme}");
    assert!(
        readme.contains("byte for byte as they were collected"),
        "the README says originals travel"
    );
    let (code, v) = verify(&bag, &strs(&pins(&r, &ta)));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["withheld"], r["withheld"]);
}

#[test]
fn the_readme_tells_every_item_and_escapes_every_archive_string() {
    let ta = sample();
    let bag = ta.dir.path().join("bag");
    export(&ta, &bag, &["--all"]);
    let html = std::fs::read_to_string(bag.join("README.html")).unwrap();
    assert!(html.contains("report &lt;b&gt;west&lt;i&gt;.txt"), "names are escaped");
    assert!(!html.contains("<b>west"), "no archive string is markup");
    assert!(
        !html.contains("<script") && !html.contains("src=") && !html.contains("href="),
        "self-contained"
    );
    let txt = std::fs::read_to_string(bag.join("README.txt")).unwrap();
    for word in [
        "ITEM 1",
        "ITEM 4",
        "Aleppo Citadel, north gate",
        "superseded by claim",
        "custody timeline",
        "sha256sum -c",
        "bagit.py --validate",
        "custody verify",
    ] {
        assert!(txt.contains(word), "{word}: {txt}");
    }
    // The exact name bytes travel in the evidence.
    let items: Value =
        serde_json::from_slice(&std::fs::read(bag.join("custody/items.json")).unwrap()).unwrap();
    let odd = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name_bytes"].is_string())
        .expect("the non-UTF-8 name");
    assert_eq!(odd["name_bytes"], hex_of(b"caf\xe9 50% \xff.txt"));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn a_damaged_object_fails_the_export_with_the_audits_finding_and_logs_nothing() {
    let ta = sample();
    let before: Value =
        serde_json::from_slice(&ta.cmd().args(["--json", "log"]).output().unwrap().stdout).unwrap();
    let db = ta.db();
    let blake3: String =
        db.query_row("SELECT blake3 FROM items WHERE id = 2", [], |r| r.get(0)).unwrap();
    let path = ta.object_path(&blake3);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let out = ta.dir.path().join("bag");
    for format in ["dir", "zip"] {
        let o = ta
            .cmd()
            .args(["export", "--all", "--format", format, "--key"])
            .arg(&ta.key)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(&format!("object {blake3} cannot be exported")), "{err}");
        assert!(err.contains("object-"), "the audit's finding code: {err}");
        assert!(!out.exists(), "no bag is left");
        let left: Vec<_> = std::fs::read_dir(ta.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(left.is_empty(), "no partial bag is left: {left:?}");
    }
    let after: Value =
        serde_json::from_slice(&ta.cmd().args(["--json", "log"]).output().unwrap().stdout).unwrap();
    assert_eq!(before["size"], after["size"], "a failed export logs nothing");
}

#[test]
fn export_refuses_a_path_that_exists_and_an_empty_selection() {
    let ta = sample();
    let out = ta.dir.path().join("taken");
    std::fs::write(&out, b"keep me").unwrap();
    let o = ta
        .cmd()
        .args(["export", "1", "--key"])
        .arg(&ta.key)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let list = ta.dir.path().join("list.txt");
    std::fs::write(&list, "# nothing\n\n").unwrap();
    let o = ta
        .cmd()
        .args(["export", "--list"])
        .arg(&list)
        .arg("--key")
        .arg(&ta.key)
        .arg("--out")
        .arg(ta.dir.path().join("new"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to export"));
}

#[test]
fn show_envelopes_prints_the_signed_records_byte_exact() {
    let ta = sample();
    let o = ta.cmd().args(["show", "1", "--envelopes"]).output().unwrap();
    assert!(o.status.success());
    let lines: Vec<&[u8]> = o.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let db = ta.db();
    let stored: Vec<Vec<u8>> = {
        let mut st = db.prepare("SELECT envelope FROM records WHERE blake3 = (SELECT blake3 FROM items WHERE id = 1) AND id IN (SELECT record_id FROM items WHERE id = 1 UNION SELECT record_id FROM claims)").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    };
    assert_eq!(lines.len(), stored.len());
    for s in &stored {
        assert!(lines.contains(&s.as_slice()), "every stored envelope, byte-exact");
    }
    let mut keys = serde_json::Map::new();
    let mut st = db.prepare("SELECT keyid, public_key FROM keys").unwrap();
    for r in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (k, p) = r.unwrap();
        keys.insert(k, Value::String(p));
    }
    let envelopes: Vec<Value> = lines.iter().map(|l| serde_json::from_slice(l).unwrap()).collect();
    let out = run_interop(
        "verify_dsse.py",
        "securesystemslib",
        &json!({"keys": keys, "envelopes": envelopes, "expect_valid": true}),
    );
    assert_eq!(out.lines().filter(|l| *l == "valid").count(), stored.len());
}

/// The bag committed under `archive/` must verify with every later
/// version (its keys pinned as its README says).
#[test]
fn the_frozen_bag_still_verifies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/frozen-bag-v1");
    let vkey = std::fs::read_to_string(root.join("log.vkey")).unwrap();
    let (code, v) = verify(
        &root.join("bag"),
        &["--vkey", vkey.trim(), "--trust-key", root.join("exporter.pub").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{v}");
    assert!(v["items"].as_array().unwrap().len() >= 8, "{v}");
    let (code, v) = verify(&root.join("bag"), &["--vkey", vkey.trim()]);
    assert_eq!(code, 1, "pins still matter: {v}");
}

/// A key's status is judged by log position: a record the log took in
/// after the key's revocation is a finding, whatever time it claims.
#[test]
fn a_record_logged_after_its_keys_revocation_is_a_finding() {
    let a = sample();
    let alice = a.key.with_extension("key.pub");
    let keyid: String = a.db().query_row("SELECT keyid FROM keys", [], |r| r.get(0)).unwrap();
    // A claim by that key, signed before anything happens to the key.
    a.cmd()
        .args(["claim", "4", "--kind", "description", "--title", "square at dawn", "--key"])
        .arg(&a.key)
        .assert()
        .success();
    let b = TestArchive::new();
    let bag1 = a.dir.path().join("bag1");
    let r1 = export(&a, &bag1, &["1"]);
    assert_eq!(import(&b, &bag1, &strs(&pins(&r1, &a))).0, 0);
    // B learns the key was stolen and revokes it here.
    b.cmd().args(["key", "revoke", &keyid, "--reason", "stolen phone"]).assert().success();
    // A later bag brings that claim: signed before the revocation, but
    // logged here after it.
    let bag2 = a.dir.path().join("bag2");
    let r2 = export(&a, &bag2, &["4"]);
    assert_eq!(import(&b, &bag2, &strs(&pins(&r2, &a))).0, 0);
    let out = b.dir.path().join("out");
    let r = export(&b, &out, &["--all"]);
    let mut p = pins(&r, &b);
    p.extend(["--trust-key".into(), alice.display().to_string()]);
    let (code, v) = verify(&out, &strs(&p));
    assert_eq!(code, 1, "{v}");
    let late: Vec<_> =
        findings(&v).into_iter().filter(|f| f.0 == "signed-after-revocation").collect();
    assert!(!late.is_empty(), "{v}");
    assert!(
        late.iter().all(|(_, s, _)| s.starts_with("custody/records.intoto.jsonl line ")),
        "{late:?}"
    );
}

#[test]
fn a_damaged_unrecorded_file_in_the_receiving_store_is_replaced_not_adopted() {
    // What a power loss leaves of an object renamed into place before its
    // batch was durable (empty), and a planted file under an object's
    // name: an import must not sign over either.
    let a = sample();
    let bag = a.dir.path().join("bag.tar");
    let r = export(&a, &bag, &["--all", "--format", "tar"]);
    let b = TestArchive::new();
    let objects: Vec<(String, String)> = a
        .db()
        .prepare("SELECT blake3, encoding FROM objects ORDER BY blake3")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(objects.len() >= 2, "{objects:?}");
    let mut planted = Vec::new();
    for ((id, enc), stale) in objects.iter().zip([&b""[..], b"planted: not those bytes"]) {
        let fan = b.root.join("objects").join(&id[..2]);
        std::fs::create_dir_all(&fan).unwrap();
        let name = if enc == "zstd" { format!("{id}.zst") } else { id.clone() };
        std::fs::write(fan.join(&name), stale).unwrap();
        planted.push((fan.join(&name), a.object_path(id)));
    }
    let (code, v) = import(&b, &bag, &strs(&pins(&r, &a)));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["imported"], true, "{v}");
    for (in_b, in_a) in &planted {
        assert_eq!(
            std::fs::read(in_b).unwrap(),
            std::fs::read(in_a).unwrap(),
            "{}",
            in_b.display()
        );
    }
    let (code, audit) = b.audit(&["--deep"]);
    assert_eq!(code, 0, "{audit}");
}
