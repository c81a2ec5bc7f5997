//! Interoperability: our DSSE envelopes and key ids checked by Python
//! `securesystemslib` (installed into target/venv by `tests/run.sh`; point
//! `CUSTODY_PYTHON` at that venv's python). A missing Python package fails
//! the test: an interop check that cannot run must not pass.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::util::{TestArchive, noise, text};

pub fn python() -> String {
    std::env::var("CUSTODY_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run `tests/interop/SCRIPT` with `request` on stdin; it must exit 0
/// (its verdicts matched `expect_valid`). Returns its stdout.
pub fn run_interop(script: &str, tool: &str, request: &Value) -> String {
    let path = format!("{}/tests/interop/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = std::process::Command::new(python())
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python must be runnable (set CUSTODY_PYTHON)");
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{tool} disagreed (expect_valid={}):\n{stdout}\n{}\n\
         hint: tests/run.sh installs {tool} into target/venv; set CUSTODY_PYTHON to its python",
        request["expect_valid"],
        String::from_utf8_lossy(&out.stderr),
    );
    stdout
}

/// The registered keys (keyid -> public hex) and every signed envelope.
fn keys_and_envelopes(ta: &TestArchive) -> (Value, Vec<Value>) {
    let db = ta.db();
    let mut st = db.prepare("SELECT keyid, public_key FROM keys").unwrap();
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap();
    let keys =
        Value::Object(rows.map(|r| r.unwrap()).map(|(k, p)| (k, Value::String(p))).collect());
    let mut st = db.prepare("SELECT envelope FROM records ORDER BY id").unwrap();
    let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
    (keys, rows.map(|b| serde_json::from_slice(&b.unwrap()).unwrap()).collect())
}

fn verify_with_securesystemslib(keys: &Value, envelopes: &[Value], expect_valid: bool) -> String {
    let req = json!({"keys": keys, "envelopes": envelopes, "expect_valid": expect_valid});
    run_interop("verify_dsse.py", "securesystemslib", &req)
}

#[test]
fn securesystemslib_verifies_our_envelopes_and_rejects_tampered_ones() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    std::fs::write(dir.join("a.txt"), text(10_000, 1)).unwrap();
    std::fs::write(dir.join("b.bin"), noise(10_000, 2)).unwrap();
    assert_eq!(ta.ingest(&[&dir]).0, 0);
    let (keys, envelopes) = keys_and_envelopes(&ta);
    assert_eq!(envelopes.len(), 2);
    let out = verify_with_securesystemslib(&keys, &envelopes, true);
    assert_eq!(out.lines().filter(|l| *l == "valid").count(), 2, "{out}");

    // The same verifier rejects a payload altered by one character.
    let mut bad = envelopes[0].clone();
    let payload = bad["payload"].as_str().unwrap().to_owned();
    let flipped = if payload.starts_with('e') {
        payload.replacen('e', "f", 1)
    } else {
        format!("e{}", &payload[1..])
    };
    bad["payload"] = Value::String(flipped);
    let out = verify_with_securesystemslib(&keys, &[bad], false);
    assert!(out.contains("invalid"), "{out}");
}

fn validate_with_in_toto_attestation(envelopes: &[Value], expect_valid: bool) -> String {
    let req = json!({"envelopes": envelopes, "expect_valid": expect_valid});
    run_interop("validate_statement.py", "in-toto-attestation", &req)
}

#[test]
fn claim_envelopes_verify_and_validate_independently() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let photo = dir.join("citadel.jpg");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/archive/sample/photos/IMG_20241129_163012.jpg"),
        &photo,
    )
    .unwrap();
    ta.ingest_cmd(&ta.key)
        .arg(&photo)
        .args([
            "--source-url",
            "https://social.example/p/1001",
            "--posted-at",
            "2024-11-29T17:02:00+03:00",
        ])
        .assert()
        .success();
    ta.cmd()
        .args([
            "claim",
            "1",
            "--kind",
            "verification",
            "--verdict",
            "probable",
            "--method",
            "shadows",
        ])
        .arg("--key")
        .arg(&ta.key)
        .assert()
        .success();
    let (keys, envelopes) = keys_and_envelopes(&ta);
    // ingest + 2 embedded + 1 source + 1 verification.
    assert_eq!(envelopes.len(), 5);
    let out = verify_with_securesystemslib(&keys, &envelopes, true);
    assert_eq!(out.lines().filter(|l| *l == "valid").count(), 5, "{out}");
    let out = validate_with_in_toto_attestation(&envelopes, true);
    assert_eq!(out.lines().filter(|l| *l == "valid").count(), 5, "{out}");

    // The validator rejects a statement with a non-hex subject digest.
    let mut bad = envelopes[1].clone();
    let payload = B64.decode(bad["payload"].as_str().unwrap()).unwrap();
    let mut st: Value = serde_json::from_slice(&payload).unwrap();
    st["subject"][0]["digest"]["sha256"] = Value::String("not-hex".into());
    bad["payload"] = Value::String(B64.encode(serde_json::to_vec(&st).unwrap()));
    let out = validate_with_in_toto_attestation(&[bad], false);
    assert!(out.contains("invalid"), "{out}");
}
