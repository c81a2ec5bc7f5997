//! The bad-input catalogue: every command given inputs it must refuse —
//! files, manifest rows, coordinates, timestamps, keys, passphrases,
//! checkpoints, proofs, references, bags. Each case names its expected exit code
//! and a fragment of its message, and the archive's logical content (every
//! object file's bytes, and a dump of every table; not the SQLite files'
//! bytes, which reads change) must be identical before and after.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::util::{TestArchive, custody, noise};

/// BLAKE3 over every object file (path and bytes) and every row of every
/// table, in a fixed order.
fn logical_digest(root: &Path) -> String {
    let mut h = blake3::Hasher::new();
    let mut files = Vec::new();
    let mut dirs = vec![root.join("objects")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { dirs.push(p) } else { files.push(p) }
        }
    }
    files.sort();
    for f in files {
        h.update(f.strip_prefix(root).unwrap().to_string_lossy().as_bytes());
        h.update(&std::fs::read(&f).unwrap());
    }
    for f in ["log.key", "log.key.pub"] {
        h.update(&std::fs::read(root.join(f)).unwrap_or_default());
    }
    let db = rusqlite::Connection::open_with_flags(
        root.join("custody.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    h.update(&version.to_le_bytes());
    let mut tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| !t.starts_with("sqlite_stat"));
    for t in tables {
        h.update(t.as_bytes());
        let mut st = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<Vec<u8>> = st
            .query_map([], |r| {
                let mut row = Vec::new();
                for i in 0..n {
                    row.extend(format!("{:?}|", r.get_ref(i)?).into_bytes());
                }
                Ok(row)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        for r in rows {
            h.update(&r);
        }
    }
    h.finalize().to_hex().to_string()
}

/// One case: what it gives which command, the exit code and a fragment of
/// what it must say.
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    code: i32,
    says: &'static str,
}

fn case(name: &'static str, args: &[&str], code: i32, says: &'static str) -> Case {
    Case { name, args: args.iter().map(|s| s.to_string()).collect(), env: vec![], code, says }
}

/// The archive the catalogue runs against, and the files its cases give.
struct Setup {
    ta: TestArchive,
    files: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let ta = TestArchive::new();
        let files = ta.input("files");
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("archive/sample/photos");
        std::fs::copy(sample.join("IMG_20241129_163012.jpg"), files.join("photo.jpg")).unwrap();
        std::fs::write(files.join("report.txt"), noise(2000, 7)).unwrap();
        let (code, _) = ta.ingest(&[&files.join("photo.jpg"), &files.join("report.txt")]);
        assert_eq!(code, 0);
        let s = Setup { ta, files };
        // The inputs the cases refer to.
        s.write("garbage", b"\x00\x01 not what was asked for\n");
        s.write("empty", b"");
        s.write("not-utf8.csv", b"path,note\nphoto.jpg,caf\xe9\n");
        s.write("unclosed.csv", b"path,note\nphoto.jpg,\"never closed\nreport.txt,x\n");
        s.write("unknown-column.csv", b"path,colour\nphoto.jpg,red\n");
        s.write("missing-file.csv", b"path,note\nnot-there.jpg,x\n");
        s.write("duplicate.csv", b"path,note\nphoto.jpg,a\nphoto.jpg,b\n");
        s.write("bad-lat.csv", b"path,lat,lon\nphoto.jpg,91,37\n");
        s.write("weak.pub", weak_public_key().as_bytes());
        let cp = s.ta.cmd().arg("checkpoint").output().unwrap().stdout;
        s.write("checkpoint", &cp);
        let text = String::from_utf8(cp).unwrap();
        s.write("truncated-checkpoint", &text.as_bytes()[..text.len() / 2]);
        for (name, args) in [("other", vec!["--no-passphrase"]), ("sealed", vec![])] {
            let k = s.files.join(format!("{name}.key"));
            custody()
                .args(["key", "new", "--name", name, "--out"])
                .arg(&k)
                .args(args)
                .env("CUSTODY_PASSPHRASE", "correct horse")
                .assert()
                .success();
        }
        s.ta.cmd().args(["key", "add"]).arg(s.files.join("sealed.key.pub")).assert().success();
        let loose = s.files.join("loose.key");
        std::fs::copy(&s.ta.key, &loose).unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::create_dir(s.files.join("not-empty")).unwrap();
        s.write("truncated.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00 truncated");
        let w = custody::crypto::SecretKey::from_seed(&[5; 32]);
        let wv = custody::custody_log::note::vkey(
            "witness.example/w",
            custody::custody_log::note::ALG_COSIGNATURE_V1,
            &w.public(),
        );
        s.write("witness.vkey", wv.as_bytes());
        s.write("not-empty/x", b"x");
        s
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.files.join(name), bytes).unwrap();
    }

    fn f(&self, name: &str) -> String {
        self.files.join(name).display().to_string()
    }
}

/// A public key file whose key is a small-order point.
fn weak_public_key() -> String {
    let zero = "0100000000000000000000000000000000000000000000000000000000000000";
    format!(
        r#"{{"format":"custody-public-key/v1","name":"weak","public_key":"{zero}","keyid":"00"}}"#
    )
}

fn cases(s: &Setup) -> Vec<Case> {
    let key = s.ta.key.display().to_string();
    let f = |n: &str| s.f(n);
    let (photo, report) = (f("photo.jpg"), f("report.txt"));
    let ingest = |extra: &[&str]| {
        let mut a = vec!["ingest", "--key", &key];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let mut v = vec![
        // init
        case(
            "init a non-empty folder",
            &["init", "--name", "x", "--archive", &f("not-empty")],
            2,
            "is not empty",
        ),
        case("init over an archive", &["init", "--name", "x"], 2, "already a custody archive"),
        case(
            "init with an empty name",
            &["init", "--name", " ", "--archive", &f("new-archive")],
            2,
            "name is empty",
        ),
        // keys
        case(
            "key new over a file",
            &["key", "new", "--name", "x", "--no-passphrase", "--out", &f("garbage")],
            2,
            "already exists",
        ),
        case(
            "key new with an empty name",
            &["key", "new", "--name", "", "--no-passphrase", "--out", &f("k2")],
            2,
            "name is empty",
        ),
        case("key add a missing file", &["key", "add", &f("nope.pub")], 2, "cannot read key file"),
        case("key add garbage", &["key", "add", &f("garbage")], 2, "corrupt or truncated"),
        case("key add a weak key", &["key", "add", &f("weak.pub")], 2, "weak (small-order) point"),
        case(
            "key revoke an unknown key",
            &["key", "revoke", "deadbeefdeadbeef", "--reason", "x"],
            2,
            "no key",
        ),
        case("key revoke a short prefix", &["key", "revoke", "ab", "--reason", "x"], 2, "no key"),
        case(
            "key revoke without a reason",
            &["key", "revoke", "deadbeefdeadbeef", "--reason", " "],
            2,
            "needs a reason",
        ),
        case(
            "key revoke at a bad time",
            &["key", "revoke", "deadbeefdeadbeef", "--reason", "x", "--at", "yesterday"],
            2,
            "--at:",
        ),
        // ingest: paths, keys, flags
        Case {
            name: "ingest a missing path",
            args: ingest(&[&f("not-there")]),
            env: vec![],
            code: 2,
            says: "cannot ingest",
        },
        case("ingest without a key", &["ingest", &photo], 2, "needs a signing key"),
        case(
            "ingest with the .pub file",
            &["ingest", "--key", &format!("{key}.pub"), &photo],
            2,
            "is a public key",
        ),
        case(
            "ingest with a loose key file",
            &["ingest", "--key", &f("loose.key"), &photo],
            2,
            "accessible by group or others",
        ),
        case(
            "ingest with a garbage key",
            &["ingest", "--key", &f("garbage"), &photo],
            2,
            "key file",
        ),
        Case {
            name: "ingest with a wrong passphrase",
            args: ["ingest", "--key", &f("sealed.key"), &photo]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            env: vec![("CUSTODY_PASSPHRASE", "wrong".into())],
            code: 2,
            says: "wrong passphrase",
        },
        case(
            "ingest with an unregistered key",
            &["ingest", "--key", &f("other.key"), &photo],
            2,
            "not registered",
        ),
        Case {
            name: "ingest a latitude out of range",
            args: ingest(&["--lat", "91", "--lon", "37", &photo]),
            env: vec![],
            code: 2,
            says: "outside -90..90",
        },
        Case {
            name: "ingest a time without an offset",
            args: ingest(&["--captured-at", "2024-11-29T14:03:00", &photo]),
            env: vec![],
            code: 2,
            says: "without an offset",
        },
        Case {
            name: "ingest a non-RFC-3339 time",
            args: ingest(&["--posted-at", "29/11/2024", &photo]),
            env: vec![],
            code: 2,
            says: "not an RFC 3339",
        },
        Case {
            name: "ingest a relation flag",
            args: ingest(&["--relation", "duplicate-of", &photo]),
            env: vec![],
            code: 2,
            says: "made with `custody claim`",
        },
        // ingest: manifests
        Case {
            name: "a missing manifest",
            args: ingest(&["--manifest", &f("nope.csv")]),
            env: vec![],
            code: 2,
            says: "cannot read manifest",
        },
        Case {
            name: "a manifest with an unclosed quote",
            args: ingest(&["--manifest", &f("unclosed.csv")]),
            env: vec![],
            code: 2,
            says: "never closed",
        },
        Case {
            name: "a manifest with an unknown column",
            args: ingest(&["--manifest", &f("unknown-column.csv")]),
            env: vec![],
            code: 2,
            says: "unknown column",
        },
        Case {
            name: "a manifest naming a missing file",
            args: ingest(&["--manifest", &f("missing-file.csv")]),
            env: vec![],
            code: 2,
            says: "does not exist",
        },
        Case {
            name: "a manifest that is not UTF-8",
            args: ingest(&["--manifest", &f("not-utf8.csv")]),
            env: vec![],
            code: 2,
            says: "not valid UTF-8",
        },
        Case {
            name: "a manifest listing a file twice",
            args: ingest(&["--manifest", &f("duplicate.csv")]),
            env: vec![],
            code: 2,
            says: "duplicate row",
        },
        Case {
            name: "a manifest with a bad latitude",
            args: ingest(&["--manifest", &f("bad-lat.csv")]),
            env: vec![],
            code: 2,
            says: "line 2, column lat",
        },
        Case {
            name: "a manifest that is garbage",
            args: ingest(&["--manifest", &f("garbage")]),
            env: vec![],
            code: 2,
            says: "manifest",
        },
        // claims
        case(
            "claim about an unknown item",
            &["claim", "999", "--key", &key, "--kind", "location", "--place", "x"],
            2,
            "no item or object",
        ),
        case(
            "claim of an unknown kind",
            &["claim", "1", "--key", &key, "--kind", "where"],
            2,
            "possible values",
        ),
        case(
            "claim on an embedded basis",
            &[
                "claim", "1", "--key", &key, "--kind", "location", "--basis", "embedded",
                "--place", "x",
            ],
            2,
            "invalid value",
        ),
        case(
            "claim a location without lon",
            &["claim", "1", "--key", &key, "--kind", "location", "--lat", "36"],
            2,
            "needs both lat and lon",
        ),
        case(
            "claim superseding no claim",
            &[
                "claim",
                "1",
                "--key",
                &key,
                "--kind",
                "location",
                "--place",
                "x",
                "--supersedes",
                "999",
            ],
            2,
            "no claim",
        ),
        case(
            "claim superseding an embedded claim",
            &[
                "claim",
                "1",
                "--key",
                &key,
                "--kind",
                "location",
                "--lat",
                "36",
                "--lon",
                "37",
                "--supersedes",
                "2",
            ],
            2,
            "read from the file itself",
        ),
        case(
            "claim an item related to itself",
            &[
                "claim",
                "1",
                "--key",
                &key,
                "--kind",
                "relation",
                "--relation",
                "duplicate-of",
                "--related-to",
                "1",
            ],
            2,
            "cannot be related to itself",
        ),
        case(
            "claim a verdict that is not one",
            &[
                "claim",
                "1",
                "--key",
                &key,
                "--kind",
                "verification",
                "--verdict",
                "true",
                "--method",
                "m",
            ],
            2,
            "is not one of",
        ),
        case(
            "claim a negative accuracy",
            &[
                "claim",
                "1",
                "--key",
                &key,
                "--kind",
                "location",
                "--lat",
                "36",
                "--lon",
                "37",
                "--accuracy",
                "-5",
            ],
            2,
            "above 0",
        ),
        // reading
        case("show an unknown item", &["show", "999"], 2, "no item or object"),
        case("show a too-short hash", &["show", "abc"], 2, "no item or object"),
        case("cat an unknown object", &["cat", "00000000deadbeef"], 2, "no item or object"),
        case("log of an unknown item", &["log", "999"], 2, "no item or object"),
        // audit
        case(
            "audit against garbage",
            &["audit", "--against", &f("garbage")],
            2,
            "is not a checkpoint",
        ),
        case(
            "audit against an empty file",
            &["audit", "--against", &f("empty")],
            2,
            "is not a checkpoint",
        ),
        case(
            "audit against a truncated checkpoint",
            &["audit", "--against", &f("truncated-checkpoint")],
            2,
            "is not a checkpoint",
        ),
        case(
            "audit against a missing file",
            &["audit", "--against", &f("nope")],
            2,
            "cannot read the checkpoint",
        ),
        case(
            "audit with a garbage vkey",
            &["audit", "--against", &f("checkpoint"), "--vkey", "not+a+vkey"],
            2,
            "--vkey:",
        ),
        // proofs
        case(
            "prove an unknown item",
            &["prove", "999", "--checkpoint", &f("checkpoint")],
            2,
            "no item or object",
        ),
        case(
            "prove against garbage",
            &["prove", "1", "--checkpoint", &f("garbage")],
            2,
            "not a checkpoint",
        ),
        case(
            "prove an event past the checkpoint",
            &["prove", "--event", "99999", "--checkpoint", &f("checkpoint")],
            2,
            "is not in the tree",
        ),
        case(
            "prove consistency from garbage",
            &["prove", "--consistency", &f("garbage"), &f("checkpoint")],
            2,
            "not a checkpoint",
        ),
        case(
            "verify a garbage proof",
            &["verify-proof", &f("garbage"), "--vkey", "a+b+c"],
            2,
            "verifier key is not valid",
        ),
        // witnesses
        case(
            "cosign garbage",
            &[
                "witness",
                "cosign",
                &f("garbage"),
                "--key",
                &key,
                "--name",
                "w.example",
                "--log-vkey",
                "a+b+c",
            ],
            2,
            "--log-vkey",
        ),
        case(
            "witness add a checkpoint never issued",
            &["witness", "add", &f("garbage"), "--vkey", "a+b+c"],
            2,
            "--vkey",
        ),
        // bags
        case(
            "export nothing",
            &["export", "--key", &key, "--out", &f("bag-a"), "--list", &f("empty")],
            2,
            "nothing to export",
        ),
        case(
            "export over a file",
            &["export", "1", "--key", &key, "--out", &f("garbage")],
            2,
            "already exists",
        ),
        case(
            "export an unknown item",
            &["export", "999", "--key", &key, "--out", &f("bag-b")],
            2,
            "no item",
        ),
        case(
            "export a missing list",
            &["export", "--list", &f("nope.txt"), "--key", &key, "--out", &f("bag-c")],
            2,
            "cannot read the list",
        ),
        case(
            "export an unknown format",
            &["export", "1", "--format", "rar", "--key", &key, "--out", &f("bag-d")],
            2,
            "rar",
        ),
        case(
            "export withholding an unknown kind",
            &["export", "1", "--withhold", "gps", "--key", &key, "--out", &f("bag-e")],
            2,
            "gps",
        ),
        case(
            "export with an unregistered key",
            &["export", "1", "--key", &f("other.key"), "--out", &f("bag-f")],
            2,
            "not registered",
        ),
        case("verify a missing bag", &["verify", &f("no-bag")], 2, "cannot read the bag"),
        case("verify a file that is no bag", &["verify", &f("garbage")], 2, "is not a bag"),
        case("verify a truncated zip", &["verify", &f("truncated.zip")], 2, "not a readable zip"),
        case(
            "verify with a malformed --vkey",
            &["verify", &f("not-empty"), "--vkey", "a+b+c"],
            2,
            "--vkey",
        ),
        case(
            "verify with a witness key as --vkey",
            &["verify", &f("not-empty"), "--vkey", &f("witness.vkey")],
            2,
            "witness (cosigner) key",
        ),
        case(
            "verify trusting a file that is no key",
            &["verify", &f("not-empty"), "--trust-key", &f("garbage")],
            2,
            "is not a public key file",
        ),
        case(
            "import a file that is no bag",
            &["import", &f("garbage"), "--key", &key],
            2,
            "is not a bag",
        ),
        case("import without a key", &["import", &f("not-empty")], 2, "import needs a signing key"),
        // the archive itself
        case(
            "an archive that is a file",
            &["list", "--archive", &report],
            2,
            "is a file, not an archive",
        ),
        case(
            "an archive that does not exist",
            &["list", "--archive", &f("nowhere")],
            2,
            "no archive at",
        ),
        case(
            "a folder that is no archive",
            &["list", "--archive", &f("not-empty")],
            2,
            "is not a custody archive",
        ),
        // search, timeline, export by filters
        case(
            "search a latitude out of range",
            &["search", "--near", "91,37", "--radius", "2"],
            2,
            "--near: latitude 91",
        ),
        case(
            "search --near without --radius",
            &["search", "--near", "36.2,37.1"],
            2,
            "--near and --radius go together",
        ),
        case(
            "search a radius of zero",
            &["search", "--near", "36.2,37.1", "--radius", "0"],
            2,
            "is not a distance",
        ),
        case(
            "search a box of three numbers",
            &["search", "--bbox", "37,36,38"],
            2,
            "is not 4 numbers",
        ),
        case(
            "search a box with S north of N",
            &["search", "--bbox", "37,37,38,36"],
            2,
            "S is north of N",
        ),
        case(
            "search a time without its offset",
            &["search", "--from", "2024-11-29T14:00:00"],
            2,
            "--from \"2024-11-29T14:00:00\"",
        ),
        case(
            "search a range the wrong way round",
            &["search", "--from", "2024-12-01", "--to", "2024-11-01"],
            2,
            "--from is after --to",
        ),
        case(
            "search a zone that is no offset",
            &["search", "--from", "2024-11-29", "--tz", "Damascus"],
            2,
            "--tz \"Damascus\" is not a UTC offset",
        ),
        case(
            "search an unclosed phrase",
            &["search", "--text", "\"citadel"],
            2,
            "no closing quote",
        ),
        case(
            "search an unknown collector",
            &["search", "--collector", "Nobody"],
            2,
            "no key or owner",
        ),
        case(
            "search by distance without a centre",
            &["search", "--sort", "distance"],
            2,
            "--sort distance needs --near",
        ),
        case("timeline a bad date", &["timeline", "--to", "30.11.2024"], 2, "--to \"30.11.2024\""),
        case(
            "export filters that match nothing",
            &["export", "--key", &key, "--out", &f("bag-none"), "--tag", "no-such-tag"],
            2,
            "nothing to export",
        ),
    ];
    for c in &mut v {
        // Every case that does not name its own archive runs on this one.
        if !c.args.iter().any(|a| a == "--archive") {
            c.args.insert(0, s.ta.root.display().to_string());
            c.args.insert(0, "--archive".into());
        }
    }
    v
}

#[test]
fn every_bad_input_is_refused_by_name_and_changes_nothing() {
    let s = Setup::new();
    let cases = cases(&s);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let before = logical_digest(&s.ta.root);
        let mut cmd = custody();
        cmd.args(&c.args);
        for (k, v) in &c.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        if code != c.code || !err.contains(c.says) {
            failures.push(format!("{}: exit {code} (want {}), said: {err}", c.name, c.code));
        }
        if logical_digest(&s.ta.root) != before {
            failures.push(format!("{}: the archive changed", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_newer_database_is_refused_and_left_untouched() {
    let s = Setup::new();
    s.ta.db().pragma_update(None, "user_version", 99).unwrap();
    let before = logical_digest(&s.ta.root);
    let out = s.ta.cmd().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer than this custody understands"));
    assert_eq!(logical_digest(&s.ta.root), before);
}
