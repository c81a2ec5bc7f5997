//! Crash safety: `custody ingest` is killed with SIGKILL at pseudo-random
//! moments, 50 times; after each kill the audit must find no corrupt object
//! and no row naming a missing object (an orphan object from the window
//! between rename and commit is allowed: the next run adopts it). Finally
//! the resumed ingest completes and the audit is clean.

use std::time::Duration;

use crate::util::{TestArchive, custody, findings, noise, text};

const KILLS: usize = 50;

#[test]
fn sigkill_during_ingest_never_corrupts_the_archive() {
    let ta = TestArchive::new();
    let dir = ta.input("corpus");
    let mut seed = 0x5eed_u64;
    let mut rand = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    const PER_ROUND: usize = 12;
    let bin = assert_cmd::cargo::cargo_bin("custody");
    let mut partial_kills = 0;
    for k in 0..KILLS {
        // Each round brings new files and resumes the previous round's.
        let round = dir.join(format!("round{k:02}"));
        std::fs::create_dir(&round).unwrap();
        for i in 0..PER_ROUND {
            let len = rand(900_000) as usize;
            let s = (k * PER_ROUND + i) as u64;
            let bytes = if i.is_multiple_of(3) { text(len, s) } else { noise(len, s + 1) };
            std::fs::write(round.join(format!("f{i:02}.bin")), bytes).unwrap();
        }
        let mut cmd = std::process::Command::new(&bin);
        cmd.arg("--archive").arg(&ta.root).arg("ingest").arg("--key").arg(&ta.key);
        if k > 0 {
            cmd.arg(dir.join(format!("round{:02}", k - 1)));
        }
        let mut child = cmd
            .arg(&round)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(2 + rand(60)));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (code, report) = ta.audit(&[]);
        assert!(code == 0 || code == 1, "kill {k}: audit failed to run: {report}");
        for (c, s, l) in findings(&report) {
            assert_eq!(c, "orphan-file", "kill {k}: {c} on {s} at {l}");
        }
        let items: i64 = ta.db().query_row("SELECT count(*) FROM items", [], |r| r.get(0)).unwrap();
        if !finished && (items as usize) < (k + 1) * PER_ROUND {
            partial_kills += 1;
        }
    }
    eprintln!("{partial_kills} of {KILLS} kills landed mid-ingest");
    assert!(
        partial_kills >= 10,
        "only {partial_kills} kills landed mid-ingest; the test proves too little"
    );
    // Resume: the same command completes, adopts orphans, and all is clean.
    custody()
        .arg("--archive")
        .arg(&ta.root)
        .arg("ingest")
        .arg("--key")
        .arg(&ta.key)
        .arg(&dir)
        .assert()
        .success();
    let (code, report) = ta.audit(&[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["items_checked"].as_u64(), Some((KILLS * PER_ROUND) as u64));
}

/// How many kills the write-command campaign makes: `CUSTODY_CRASH_KILLS`
/// (tests/crash_campaign.sh runs 250), 40 by default.
fn campaign_kills() -> usize {
    std::env::var("CUSTODY_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

/// SIGKILL at pseudo-random moments during every command that writes
/// besides ingest — claim, checkpoint, audit, key revoke, witness add,
/// export, import — and after each kill: the audit is clean (but for an
/// import's orphan object, adopted by the re-run), no bag is at
/// an export's destination unless it is complete and holds, and the
/// interrupted command, run again, completes (exit 0).
#[test]
fn sigkill_during_writes_leaves_a_clean_archive_and_reruns_complete() {
    let ta = TestArchive::new();
    let dir = ta.input("in");
    for i in 0..4u64 {
        std::fs::write(dir.join(format!("f{i}.bin")), noise(200_000, 2 * i + 1)).unwrap();
    }
    assert_eq!(ta.ingest(&[&dir]).0, 0);
    let bin = assert_cmd::cargo::cargo_bin("custody");
    // A cosigned checkpoint for `witness add`.
    let cp = ta.dir.path().join("cp");
    std::fs::write(
        &cp,
        custody().arg("--archive").arg(&ta.root).arg("checkpoint").output().unwrap().stdout,
    )
    .unwrap();
    let vkey = {
        let out =
            custody().arg("--archive").arg(&ta.root).args(["--json", "log"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["vkey"].as_str().unwrap().to_owned()
    };
    let cosigned = ta.dir.path().join("cosigned");
    let out = custody()
        .args(["witness", "cosign"])
        .arg(&cp)
        .arg("--key")
        .arg(&ta.key)
        .args(["--name", "witness.example/w", "--log-vkey", &vkey])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&cosigned, &out.stdout).unwrap();
    let witness_vkey = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("witness verifier key: ").map(str::to_owned))
        .unwrap();
    // A bag from another archive, for `import`.
    let other = TestArchive::new();
    let odir = other.input("in");
    for i in 0..3u64 {
        std::fs::write(odir.join(format!("o{i}.bin")), noise(300_000, 7 * i + 3)).unwrap();
    }
    assert_eq!(other.ingest(&[&odir]).0, 0);
    let incoming = ta.dir.path().join("incoming.zip");
    other
        .cmd()
        .args(["export", "--all", "--format", "zip", "--key"])
        .arg(&other.key)
        .arg("--out")
        .arg(&incoming)
        .assert()
        .success();
    let mut seed = 0xc0ffee_u64;
    let mut rand = move |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let kills = campaign_kills();
    let mut mid = 0;
    let mut per_command = std::collections::BTreeMap::<&str, usize>::new();
    for k in 0..kills {
        let mut args: Vec<String> = Vec::new();
        let commands =
            ["claim", "checkpoint", "audit", "key revoke", "witness add", "export", "import"];
        let which = commands[k % commands.len()];
        let bag = ta.dir.path().join(format!("bag{k}"));
        match which {
            "claim" => {
                let lat = format!("36.{}", 1000 + rand(8000));
                args.extend(
                    ["claim", "1", "--kind", "location", "--lon", "37.16", "--lat", &lat]
                        .map(String::from),
                );
                args.push("--key".into());
                args.push(ta.key.display().to_string());
            }
            "checkpoint" => args.push("checkpoint".into()),
            "audit" => args.push("audit".into()),
            "key revoke" => {
                let key = ta.dir.path().join(format!("k{k}.key"));
                custody()
                    .args(["key", "new", "--name", &format!("k{k}"), "--no-passphrase", "--out"])
                    .arg(&key)
                    .assert()
                    .success();
                let added = custody()
                    .arg("--archive")
                    .arg(&ta.root)
                    .args(["--json", "key", "add"])
                    .arg(key.with_extension("key.pub"))
                    .output()
                    .unwrap();
                let v: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
                let keyid = v["key"]["keyid"].as_str().unwrap().to_owned();
                args.extend(["key", "revoke", &keyid, "--reason", "crash test"].map(String::from));
            }
            "export" => {
                args.extend(["export", "--all", "--key"].map(String::from));
                args.push(ta.key.display().to_string());
                args.push("--out".into());
                args.push(bag.display().to_string());
            }
            "import" => {
                args.extend(["import", "--trust-bag-keys", "--key"].map(String::from));
                args.push(ta.key.display().to_string());
                args.push(incoming.display().to_string());
            }
            _ => {
                args.extend(["witness", "add"].map(String::from));
                args.push(cosigned.display().to_string());
                args.extend(["--vkey".to_owned(), witness_vkey.clone()]);
            }
        }
        *per_command.entry(which).or_default() += 1;
        let mut child = std::process::Command::new(&bin)
            .arg("--archive")
            .arg(&ta.root)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(500 + rand(25_000)));
        if child.try_wait().unwrap().is_none() {
            mid += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let (code, report) = ta.audit(&[]);
        // An object an import stored in the window between its rename and
        // the commit is an orphan, as for ingest: the re-run adopts it.
        let adoptable = which == "import"
            && code == 1
            && findings(&report).iter().all(|(c, _, _)| c == "orphan-file");
        assert!(code == 0 || adoptable, "kill {k} during {which}: {:?}", findings(&report));
        if which == "export" && bag.exists() {
            // It finished before the kill: a complete bag that holds.
            let v = custody().arg("verify").arg(&bag).arg("--trust-bag-keys").output().unwrap();
            assert!(v.status.success(), "kill {k}: the bag left behind does not hold");
            continue;
        }
        let rerun = std::process::Command::new(&bin)
            .arg("--archive")
            .arg(&ta.root)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            rerun.status.success(),
            "kill {k}: re-running {which} failed: {}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        if adoptable {
            let (code, report) = ta.audit(&[]);
            assert_eq!(code, 0, "kill {k}: the re-run import left {:?}", findings(&report));
        }
    }
    eprintln!(
        "crash campaign: {kills} kills, {mid} while the command ran; per command {per_command:?}"
    );
    assert!(
        mid * 4 >= kills,
        "only {mid} of {kills} kills landed mid-command; the test proves too little"
    );
    assert_eq!(ta.audit(&[]).0, 0);
}
