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
