//! The custody log: our Merkle trees, proofs and checkpoints checked by
//! independent implementations (`tlog_tiles`, `signed_note`); the CLI
//! (`checkpoint`, `log`, `prove`, `verify-proof`, `witness`, `audit
//! --against`); and the log's tamper catalogue, each corruption with its
//! exact finding.

use std::path::{Path, PathBuf};

use custody::custody_log::merkle::{self, Hash, Subtrees};
use serde_json::Value;

use crate::util::{TestArchive, findings, text};

// ------------------------------------------------ independent implementations

/// A tree kept both ways: our complete-subtree map and tlog_tiles' stored
/// hash list (Go tlog layout).
#[derive(Default)]
struct Both {
    ours: std::collections::HashMap<(u32, u64), Hash>,
    theirs: Vec<tlog_tiles::Hash>,
    n: u64,
}

impl Subtrees for Both {
    type Error = ();
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, ()> {
        self.ours.get(&(level, index)).copied().ok_or(())
    }
}

impl tlog_tiles::HashReader for Both {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|i| self.theirs[*i as usize]).collect())
    }
}

impl Both {
    fn push(&mut self, data: &[u8]) {
        let nodes = merkle::append::<()>(self.n, merkle::leaf_hash(data), |l, i| {
            self.ours.get(&(l, i)).copied().ok_or(())
        })
        .unwrap();
        for (l, i, h) in nodes {
            self.ours.insert((l, i), h);
        }
        let add = tlog_tiles::stored_hashes(self.n, data, self).unwrap();
        self.theirs.extend(add);
        self.n += 1;
    }
}

#[test]
fn tlog_tiles_computes_the_same_roots_and_accepts_our_proofs() {
    // Deterministic pseudo-random leaf sizes and contents; 300 leaves.
    let mut t = Both::default();
    let mut x = 0x2024_1129u64;
    for i in 0..300u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let leaf = text((x % 200) as usize, x);
        t.push(&leaf);
        let n = i + 1;
        let ours = merkle::root(&t, n).unwrap();
        let theirs = tlog_tiles::tree_hash(n, &t).unwrap();
        assert_eq!(ours, theirs.0, "root of {n}");
        if n % 7 == 0 || n < 20 {
            for m in [0, n / 3, n - 1] {
                let p: Vec<tlog_tiles::Hash> = merkle::inclusion_proof(&t, m, n)
                    .unwrap()
                    .into_iter()
                    .map(tlog_tiles::Hash)
                    .collect();
                let leaf_hash = tlog_tiles::Hash(t.ours[&(0, m)]);
                tlog_tiles::check_record(&p, n, theirs, m, leaf_hash).unwrap_or_else(|e| {
                    panic!("tlog_tiles rejects our inclusion proof {m} in {n}: {e}")
                });
                let mut bad = p.clone();
                if let Some(h) = bad.first_mut() {
                    h.0[0] ^= 1;
                    assert!(tlog_tiles::check_record(&bad, n, theirs, m, leaf_hash).is_err());
                }
            }
            for m in [1, n / 2 + 1, n] {
                let old = tlog_tiles::tree_hash(m, &t).unwrap();
                let p: Vec<tlog_tiles::Hash> = merkle::consistency_proof(&t, m, n)
                    .unwrap()
                    .into_iter()
                    .map(tlog_tiles::Hash)
                    .collect();
                tlog_tiles::check_tree(&p, n, theirs, m, old).unwrap_or_else(|e| {
                    panic!("tlog_tiles rejects our consistency proof {m} -> {n}: {e}")
                });
                // And theirs verify with ours.
                let their_p = tlog_tiles::prove_tree(n, m, &t).unwrap();
                let hashes: Vec<Hash> = their_p.iter().map(|h| h.0).collect();
                assert!(merkle::verify_consistency(m, n, &old.0, &theirs.0, &hashes), "{m} -> {n}");
            }
        }
    }
}

/// `custody` with `args` in `ta`; (exit code, stdout, stderr).
fn run(ta: &TestArchive, args: &[&str]) -> (i32, String, String) {
    let out = ta.cmd().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A small archive with items, claims and an audit; returns it with its
/// log's verifier key.
fn logged() -> (TestArchive, String) {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    for i in 0..3 {
        std::fs::write(dir.join(format!("report-{i}.txt")), text(5_000, i)).unwrap();
    }
    assert_eq!(ta.ingest(&[&dir]).0, 0);
    describe(&ta, "1", "the gate");
    assert_eq!(ta.audit(&[]).0, 0);
    let (_, out, _) = run(&ta, &["--json", "log"]);
    let vkey = serde_json::from_str::<Value>(&out).unwrap()["vkey"].as_str().unwrap().to_owned();
    (ta, vkey)
}

fn save(ta: &TestArchive, name: &str, content: &str) -> PathBuf {
    let p = ta.dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[test]
fn signed_note_verifies_our_checkpoints() {
    use signed_note::{Note, StandardVerifier, VerifierList};
    let (ta, vkey) = logged();
    let (code, cp, _) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 0);
    let verifier = StandardVerifier::new(&vkey).expect("signed_note parses our vkey");
    let note = Note::from_bytes(cp.as_bytes()).expect("signed_note parses our checkpoint");
    let list = VerifierList::new(vec![Box::new(verifier)]);
    let (verified, unverified) = note.verify(&list).expect("signed_note verifies our checkpoint");
    assert_eq!((verified.len(), unverified.len()), (1, 0));
    let parsed = tlog_tiles::Checkpoint::from_bytes(note.text()).expect("tlog_tiles parses it");
    // 3 items + 1 claim + 1 key + 1 fixity check = 6 events.
    assert_eq!(parsed.size(), 6);
    // A checkpoint with a changed tree size no longer verifies.
    let forged = cp.replacen("\n6\n", "\n7\n", 1);
    let note = Note::from_bytes(forged.as_bytes()).unwrap();
    let list = VerifierList::new(vec![Box::new(StandardVerifier::new(&vkey).unwrap())]);
    assert!(note.verify(&list).is_err());
}

#[test]
fn proofs_verify_offline_and_forgeries_do_not() {
    let (ta, vkey) = logged();
    let (code, proof, err) = run(&ta, &["prove", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(proof.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{proof}");
    let p = save(&ta, "item2.tlog-proof", &proof);
    // verify-proof needs no archive.
    let out = crate::util::custody()
        .args(["--json", "verify-proof"])
        .arg(&p)
        .args(["--vkey", &vkey])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verified"]["event"]["kind"], "ingestion");
    // Forgeries: a changed event (another item), a changed hash, a wrong key.
    let lines: Vec<&str> = proof.lines().collect();
    let extra = lines[1].trim_start_matches("extra ");
    let forged_event = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let ev = String::from_utf8(b64.decode(extra).unwrap()).unwrap();
        proof.replacen(extra, &b64.encode(ev.replacen("type ingestion", "type repair", 1)), 1)
    };
    let flipped = {
        let h = lines[3];
        let mut c: Vec<char> = h.chars().collect();
        c[0] = if c[0] == 'A' { 'B' } else { 'A' };
        proof.replacen(h, &c.iter().collect::<String>(), 1)
    };
    let other_key = {
        let (_, v) = logged();
        v
    };
    for (name, text, key) in [
        ("event", forged_event, &vkey),
        ("hash", flipped, &vkey),
        ("key", proof.clone(), &other_key),
    ] {
        let p = save(&ta, "forged.tlog-proof", &text);
        let out = crate::util::custody()
            .args(["verify-proof"])
            .arg(&p)
            .args(["--vkey", key])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "forged {name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"), "{name}");
    }

    // Consistency between two checkpoints, and refusal of a reversed pair.
    let (_, old, _) = run(&ta, &["checkpoint"]);
    let old = save(&ta, "old.checkpoint", &old);
    describe(&ta, "2", "x");
    let (_, new, _) = run(&ta, &["checkpoint"]);
    let new = save(&ta, "new.checkpoint", &new);
    let (code, cproof, err) =
        run(&ta, &["prove", "--consistency", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let cp = save(&ta, "c.proof", &cproof);
    let (code, out, _) = run(&ta, &["verify-proof", cp.to_str().unwrap(), "--vkey", &vkey]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("extends the tree of size"), "{out}");
    let (code, _, err) =
        run(&ta, &["prove", "--consistency", new.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    // An inclusion proof against a given checkpoint.
    let (code, proof, err) =
        run(&ta, &["prove", "--event", "0", "--checkpoint", old.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(proof.ends_with(&std::fs::read_to_string(&old).unwrap()));
}

#[test]
fn timeline_of_the_archive_and_of_one_item() {
    let (ta, _) = logged();
    let (code, out, _) = run(&ta, &["--json", "log", "1"]);
    assert_eq!(code, 0);
    let r: Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ingestion", "claim"]);
    let (_, out, _) = run(&ta, &["log"]);
    for word in [
        "key registration",
        "ingestion",
        "claim",
        "fixity check",
        "checkpoint 1 at size 6",
        "log verifier key",
    ] {
        assert!(out.contains(word), "{word}: {out}");
    }
}

#[test]
fn witness_cosignatures_are_checked_stored_and_shown() {
    let (ta, vkey) = logged();
    let (_, cp, _) = run(&ta, &["checkpoint"]);
    let cp_file = save(&ta, "cp", &cp);
    let wkey = ta.dir.path().join("witness.key");
    crate::util::custody()
        .args(["key", "new", "--name", "Witness", "--no-passphrase", "--out"])
        .arg(&wkey)
        .assert()
        .success();
    let cosign = |checkpoint: &Path, log_vkey: &str| {
        crate::util::custody()
            .args(["--json", "witness", "cosign"])
            .arg(checkpoint)
            .arg("--key")
            .arg(&wkey)
            .args(["--name", "witness.example.org/w1", "--log-vkey", log_vkey])
            .output()
            .unwrap()
    };
    let out = cosign(&cp_file, &vkey);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cosigned = save(&ta, "cosigned", r["cosigned"].as_str().unwrap());
    let wvkey = r["witness_vkey"].as_str().unwrap().to_owned();
    let (code, _, err) =
        run(&ta, &["witness", "add", cosigned.to_str().unwrap(), "--vkey", &wvkey]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(&ta, &["log"]);
    assert!(out.contains("cosigned by witness.example.org/w1"), "{out}");
    assert_eq!(ta.audit(&[]).0, 0);

    // A witness refuses a checkpoint the log key did not sign.
    let (_, other) = logged();
    let out = cosign(&cp_file, &other);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // A cosignature moved onto another checkpoint text is refused by `add`.
    describe(&ta, "2", "y");
    let (_, cp2, _) = run(&ta, &["checkpoint"]);
    let line = std::fs::read_to_string(&cosigned).unwrap().lines().last().unwrap().to_owned();
    let moved = save(&ta, "moved", &format!("{cp2}{line}\n"));
    let moved_text = std::fs::read_to_string(&moved).unwrap();
    assert!(moved_text.contains("witness.example.org/w1"));
    let (code, _, err) = run(&ta, &["witness", "add", moved.to_str().unwrap(), "--vkey", &wvkey]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no valid cosignature"), "{err}");
}

// ------------------------------------------------------------ tamper catalogue

fn expect_only(ta: &TestArchive, extra: &[&str], expected: &[(&str, &str)]) {
    let (code, report) = ta.audit(extra);
    assert_eq!(code, 1, "{report}");
    let got = findings(&report);
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (code, subject) in expected {
        assert!(
            got.iter().any(|(c, s, _)| c == code && s == subject),
            "expected {code} on {subject}, got {got:#?}"
        );
    }
}

#[test]
fn tamper_deleted_event() {
    let (ta, _) = logged();
    // Leaf 2 is item 2's ingestion (0 key, 1 item 1, 2 item 2, ...).
    let db = ta.db();
    let r: String =
        db.query_row("SELECT ref FROM log_leaves WHERE idx = 2", [], |r| r.get(0)).unwrap();
    assert!(r.starts_with("item:"), "{r}");
    db.execute("DELETE FROM log_leaves WHERE idx = 2", []).unwrap();
    expect_only(
        &ta,
        &[],
        &[
            ("log-event-missing", "custody log"),
            ("log-event-missing", "item 2"),
            ("log-node-mismatch", "custody log"),
            ("checkpoint-mismatch", "checkpoint 1"),
        ],
    );
}

#[test]
fn tamper_edited_event() {
    let (ta, _) = logged();
    let db = ta.db();
    db.execute("UPDATE log_leaves SET event = CAST(replace(CAST(event AS TEXT), 'time 20', 'time 19') AS BLOB) WHERE idx = 1", []).unwrap();
    expect_only(
        &ta,
        &[],
        &[
            ("log-event-mismatch", "log event 1"),
            ("log-node-mismatch", "custody log"),
            ("checkpoint-mismatch", "checkpoint 1"),
        ],
    );
}

#[test]
fn tamper_reordered_events() {
    let (ta, _) = logged();
    let db = ta.db();
    db.execute_batch(
        "UPDATE log_leaves SET idx = 1000000 WHERE idx = 1;
         UPDATE log_leaves SET idx = 1 WHERE idx = 2;
         UPDATE log_leaves SET idx = 2 WHERE idx = 1000000;",
    )
    .unwrap();
    expect_only(
        &ta,
        &[],
        &[("log-node-mismatch", "custody log"), ("checkpoint-mismatch", "checkpoint 1")],
    );
}

#[test]
fn tamper_reordered_events_with_recomputed_nodes_needs_a_checkpoint() {
    // Someone swaps two events and rebuilds every node so the tree is
    // self-consistent: the archive's stored checkpoint still catches it,
    // and if they re-sign that too, only an external checkpoint does.
    let (ta, _) = logged();
    let (_, cp, _) = run(&ta, &["checkpoint"]);
    let external = save(&ta, "external.checkpoint", &cp);
    let db = ta.db();
    db.execute_batch(
        "UPDATE log_leaves SET idx = 1000000 WHERE idx = 1;
         UPDATE log_leaves SET idx = 1 WHERE idx = 2;
         UPDATE log_leaves SET idx = 2 WHERE idx = 1000000;
         DELETE FROM log_nodes; DELETE FROM checkpoints;
         UPDATE sqlite_sequence SET seq = 0 WHERE name = 'checkpoints';",
    )
    .unwrap();
    // Rebuild the nodes from the swapped leaves (what an attacker would do).
    let leaves: Vec<Vec<u8>> = {
        let mut st = db.prepare("SELECT event FROM log_leaves ORDER BY idx").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect()
    };
    let mut nodes = std::collections::HashMap::new();
    for (n, leaf) in leaves.iter().enumerate() {
        for (l, i, h) in
            merkle::append::<()>(n as u64, merkle::leaf_hash(leaf), |l, i| Ok(nodes[&(l, i)]))
                .unwrap()
        {
            nodes.insert((l, i), h);
        }
    }
    for ((l, i), h) in &nodes {
        db.execute(
            "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
            rusqlite::params![l, *i as i64, h.to_vec()],
        )
        .unwrap();
    }
    assert_eq!(
        ta.audit(&[]).0,
        0,
        "self-consistent and re-checkpointed: only an external anchor can tell"
    );
    expect_only(
        &ta,
        &["--against", external.to_str().unwrap()],
        &[("log-rewritten", "external checkpoint")],
    );
}

#[test]
fn tamper_rolled_back_archive_and_resigned_checkpoint() {
    let (ta, _) = logged();
    let backup = ta.dir.path().join("backup");
    copy_dir(&ta.root, &backup);
    describe(&ta, "3", "later");
    let (_, cp, _) = run(&ta, &["checkpoint"]);
    let external = save(&ta, "sent-to-witness.checkpoint", &cp);
    // The archive is rolled back to the older copy: everything in it is
    // self-consistent, and it signs a fresh, smaller checkpoint with its
    // own key ...
    std::fs::remove_dir_all(&ta.root).unwrap();
    copy_dir(&backup, &ta.root);
    let (code, _, _) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 0);
    // ... but not against the checkpoint kept elsewhere.
    expect_only(
        &ta,
        &["--against", external.to_str().unwrap()],
        &[("log-rolled-back", "external checkpoint")],
    );
}

#[test]
fn tamper_truncated_log_with_resigned_checkpoint() {
    let (ta, _) = logged();
    let (_, cp, _) = run(&ta, &["checkpoint"]);
    let external = save(&ta, "external.checkpoint", &cp);
    // Cut the log back to 4 events and re-sign with the archive's own key.
    let db = ta.db();
    db.execute_batch("DELETE FROM log_leaves WHERE idx >= 4; DELETE FROM checkpoints;").unwrap();
    db.execute("DELETE FROM log_nodes WHERE (idx + 1) * (1 << level) > 4", []).unwrap();
    drop(db);
    let (code, _, err) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 0, "{err}");
    let (_, report) = ta.audit(&["--against", external.to_str().unwrap()]);
    let got = findings(&report);
    assert!(
        got.iter().any(|f| f.0 == "log-rolled-back" && f.1 == "external checkpoint"),
        "{got:#?}"
    );
    // The rows whose events were cut are reported too.
    assert!(got.iter().any(|f| f.0 == "log-event-missing"), "{got:#?}");
}

#[test]
fn tamper_checkpoint_signed_by_the_wrong_key() {
    let (ta, _) = logged();
    let (_, other_root) = {
        let (o, _) = logged();
        let (_, cp, _) = run(&o, &["checkpoint"]);
        (o, cp)
    };
    let foreign = save(&ta, "foreign.checkpoint", &other_root);
    expect_only(
        &ta,
        &["--against", foreign.to_str().unwrap()],
        &[("checkpoint-bad-signature", "external checkpoint")],
    );
    // A stored checkpoint whose signature line was replaced.
    let db = ta.db();
    let note: String =
        db.query_row("SELECT note FROM checkpoints WHERE id = 1", [], |r| r.get(0)).unwrap();
    let sig = other_root.lines().last().unwrap();
    let ours = note.lines().last().unwrap();
    db.execute("UPDATE checkpoints SET note = ?1 WHERE id = 1", [note.replace(ours, sig)]).unwrap();
    expect_only(&ta, &[], &[("checkpoint-bad-signature", "checkpoint 1")]);
}

#[test]
fn tamper_cosignature_over_a_different_checkpoint() {
    let (ta, vkey) = logged();
    // A new event, so this checkpoint differs from the audit's (checkpoint 1).
    cosign_a_fresh_checkpoint(&ta, &vkey);
    assert_eq!(ta.audit(&[]).0, 0);
    // Re-point the stored cosignature at checkpoint 1 (the audit's, size 6).
    ta.db().execute("UPDATE cosignatures SET checkpoint_id = 1", []).unwrap();
    expect_only(&ta, &[], &[("cosignature-invalid", "cosignature 1")]);
}

#[test]
fn tamper_revocation_removed_from_the_keys_table() {
    let (ta, _) = logged();
    let keyid: String = ta.db().query_row("SELECT keyid FROM keys", [], |r| r.get(0)).unwrap();
    let (code, _, err) = run(&ta, &["key", "revoke", &keyid, "--reason", "lost"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ta.audit(&[]).0, 0);
    ta.db().execute("UPDATE keys SET revoked_at = NULL, revoke_reason = NULL", []).unwrap();
    let idx: i64 = ta
        .db()
        .query_row("SELECT idx FROM log_leaves WHERE kind = 'key revocation'", [], |r| r.get(0))
        .unwrap();
    let subject = format!("log event {idx}");
    let (_, report) = ta.audit(&[]);
    let got = findings(&report);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].1.as_str()),
        ("log-event-orphan", subject.as_str()),
        "{got:#?}"
    );
}

/// Add a description claim to `item` (one more custody event).
fn describe(ta: &TestArchive, item: &str, text: &str) {
    let key = ta.key.to_str().unwrap();
    let (code, _, err) =
        run(ta, &["claim", item, "--kind", "description", "--description", text, "--key", key]);
    assert_eq!(code, 0, "{err}");
}

/// After a new event, sign a checkpoint, have a witness cosign it and store
/// the cosignature (cosignature 1).
fn cosign_a_fresh_checkpoint(ta: &TestArchive, vkey: &str) {
    describe(ta, "2", "y");
    let (_, cp, _) = run(ta, &["checkpoint"]);
    let cp_file = save(ta, "cp", &cp);
    let wkey = ta.dir.path().join("witness.key");
    crate::util::custody()
        .args(["key", "new", "--name", "W", "--no-passphrase", "--out"])
        .arg(&wkey)
        .assert()
        .success();
    let out = crate::util::custody()
        .args(["--json", "witness", "cosign"])
        .arg(&cp_file)
        .arg("--key")
        .arg(&wkey)
        .args(["--name", "witness.example.org/w1", "--log-vkey", vkey])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cosigned = save(ta, "cosigned", r["cosigned"].as_str().unwrap());
    let wvkey = r["witness_vkey"].as_str().unwrap();
    let (code, _, err) = run(ta, &["witness", "add", cosigned.to_str().unwrap(), "--vkey", wvkey]);
    assert_eq!(code, 0, "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

#[test]
fn a_wiped_log_is_never_rebuilt_and_the_audit_still_reports() {
    let (ta, _) = logged();
    ta.db()
        .execute_batch("DELETE FROM log_leaves; DELETE FROM log_nodes; DELETE FROM checkpoints;")
        .unwrap();
    // Reopening does not regenerate the log: every row misses its event,
    // the deleted checkpoint leaves a gap, and no checkpoint is signed over it.
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1);
    assert!(report["checkpoint"].is_null(), "{report}");
    let got = findings(&report);
    for subject in ["item 1", "item 2", "item 3", "claim 1", "audit run 1"] {
        assert!(
            got.iter().any(|f| f.0 == "log-event-missing" && f.1 == subject),
            "{subject}: {got:#?}"
        );
    }
    assert!(got.iter().any(|f| f.0 == "missing-record" && f.1 == "checkpoints table"), "{got:#?}");
    assert!(
        got.iter().all(|f| f.0 == "log-event-missing" || f.1 == "checkpoints table"),
        "{got:#?}"
    );
}

#[test]
fn an_edited_node_and_a_stray_node_are_counted() {
    let (ta, _) = logged();
    let db = ta.db();
    // One node edited in place, one stored where the tree has none.
    let edited = db
        .execute("UPDATE log_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 0", [])
        .unwrap();
    let stray = db
        .execute("INSERT INTO log_nodes (level, idx, hash) VALUES (0, 1000, zeroblob(32))", [])
        .unwrap();
    assert_eq!((edited, stray), (1, 1));
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1, "{report}");
    let nodes: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "log-node-mismatch")
        .collect();
    assert_eq!(nodes.len(), 1, "{report}");
    let message = nodes[0]["message"].as_str().unwrap();
    assert!(message.starts_with("2 stored tree nodes differ"), "{message}");
}

#[test]
fn a_missing_node_is_a_finding_not_a_crash() {
    let (ta, _) = logged();
    // 6 leaves: the right edge holds node (1, 2) over leaves 4 and 5.
    let n = ta.db().execute("DELETE FROM log_nodes WHERE level = 1 AND idx = 2", []).unwrap();
    assert_eq!(n, 1);
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 1, "{report}");
    assert!(report["checkpoint"].is_null(), "nothing is signed over a broken log: {report}");
    let got = findings(&report);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, "log-node-mismatch");
    // Commands that need the tree refuse clearly.
    let (code, _, err) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("custody log node (1, 2) is missing"), "{err}");
}

#[test]
fn a_deleted_checkpoint_leaves_a_gap() {
    let (ta, _) = logged();
    let (code, _, _) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 0);
    ta.db().execute("DELETE FROM checkpoints WHERE id = 2", []).unwrap();
    expect_only(&ta, &[], &[("missing-record", "checkpoints table")]);
}

#[test]
fn a_replaced_log_key_is_caught_with_a_pinned_vkey() {
    let (ta, vkey) = logged();
    let (_, cp, _) = run(&ta, &["checkpoint"]);
    let external = save(&ta, "external.checkpoint", &cp);
    // A missing log key is never silently recreated.
    std::fs::rename(ta.root.join("log.key"), ta.dir.path().join("log.key.saved")).unwrap();
    let (code, _, err) = run(&ta, &["checkpoint"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("log key") && err.contains("is missing"), "{err}");
    // Someone swaps in a key of their own (and its .pub).
    std::fs::remove_file(ta.root.join("log.key.pub")).unwrap();
    crate::util::custody()
        .args(["key", "new", "--name", "forger", "--no-passphrase", "--out"])
        .arg(ta.root.join("log.key"))
        .assert()
        .success();
    // Pinned to the original verifier key, the audit names the swap and
    // still checks the external checkpoint's tree.
    let got = {
        let (code, report) = ta.audit(&["--against", external.to_str().unwrap(), "--vkey", &vkey]);
        assert_eq!(code, 1);
        findings(&report)
    };
    assert!(got.iter().any(|f| f.0 == "checkpoint-bad-signature" && f.1 == "log key"), "{got:#?}");
    assert!(
        got.iter().any(|f| f.0 == "checkpoint-bad-signature" && f.1 == "checkpoint 1"),
        "{got:#?}"
    );
    assert!(
        !got.iter().any(|f| f.1 == "external checkpoint"),
        "the external checkpoint is genuine: {got:#?}"
    );
}

#[test]
fn an_edited_witness_name_is_caught() {
    let (ta, vkey) = logged();
    cosign_a_fresh_checkpoint(&ta, &vkey);
    ta.db().execute("UPDATE cosignatures SET witness = 'trusted-court.example/w'", []).unwrap();
    expect_only(&ta, &[], &[("edited-column", "cosignature 1")]);
}

#[test]
fn a_restored_object_is_a_repair_event() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    let f = dir.join("a.txt");
    std::fs::write(&f, text(3_000, 9)).unwrap();
    let (_, r) = ta.ingest(&[&f]);
    let blake3 = r["files"][0]["blake3"].as_str().unwrap().to_owned();
    std::fs::rename(ta.object_path(&blake3), ta.dir.path().join("moved-out")).unwrap();
    let (_, r) = ta.ingest(&[&f]);
    assert_eq!(r["summary"]["restored"], 1, "{r}");
    let (_, out, _) = run(&ta, &["--json", "log", "1"]);
    let log: Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ingestion", "repair"]);
    assert_eq!(ta.audit(&[]).0, 0);
}
