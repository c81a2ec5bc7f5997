//! Custody log scale benchmark (`cargo bench --bench log`): append
//! 1,000,000 events to a fresh archive in batches, then time inclusion and
//! consistency proof generation and offline verification at that size, and
//! report database growth per event, then stream the whole history as
//! `custody log` does (time and added peak RSS). `LOG_BENCH_EVENTS=N`
//! changes the count.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::time::Instant;

use custody::DigestSet;
use custody::SystemClock;
use custody::commands::history::history;
use custody::commands::proof::{ProveTarget, checkpoint, prove, verify_proof};
use custody::custody_log::Event;
use custody::{Archive, InitOptions};

fn db_bytes(root: &std::path::Path) -> u64 {
    ["custody.db", "custody.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(root.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // binary without it: then a small run checks the benchmark still works.
    let default = if std::env::args().any(|a| a == "--bench") { 1_000_000 } else { 2_000 };
    let n: u64 =
        std::env::var("LOG_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let batch = 10_000u64.min(n);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let mut a = Archive::init(
        &InitOptions { root: root.clone(), name: "log bench".into() },
        Box::new(SystemClock),
    )
    .unwrap();
    let before = db_bytes(&root);
    let digest = |i: u64| DigestSet {
        blake3: format!("{:064x}", u128::from(i as u32) * 0x9e37_79b9_7f4a_7c15),
        sha256: format!("{:064x}", u128::from(i as u32) * 0x2545_f491_4f6c_dd1d),
    };
    let started = Instant::now();
    let mut done = 0u64;
    let mut half = None;
    while done < n {
        let events: Vec<Event> = (done..(done + batch).min(n))
            .map(|i| {
                Event::claim(
                    "2024-11-30T11:22:00Z",
                    "c0c38758f3d2db504ebaba5378f1f9e112867b0ed3e132a2f013202f2bb8eb60",
                    &digest(i),
                    format!("envelope {i}").as_bytes(),
                    &format!("00000000-0000-4000-8000-{i:012}"),
                )
            })
            .collect();
        done = a.record_events(&events).unwrap();
        if half.is_none() && done >= n / 2 {
            half = Some(checkpoint(&mut a, None).unwrap());
        }
    }
    let append_s = started.elapsed().as_secs_f64();
    let after = db_bytes(&root);
    let cp = checkpoint(&mut a, None).unwrap();

    // Inclusion proofs for spread-out leaves, against the stored checkpoint.
    let samples = 200u64;
    let mut proofs = Vec::new();
    let t = Instant::now();
    for k in 0..samples {
        let idx = (k * 7919 * 1000 + 13) % n;
        proofs.push(prove(&mut a, ProveTarget::Event(idx), Some(&cp.note)).unwrap().proof);
    }
    let prove_ms = t.elapsed().as_secs_f64() * 1e3 / samples as f64;
    let t = Instant::now();
    for p in &proofs {
        assert!(verify_proof(p, &cp.vkey).unwrap().valid);
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1e3 / samples as f64;
    let hashes = proofs[0].lines().skip(3).take_while(|l| !l.is_empty()).count();

    // Consistency from the half-way checkpoint to the full one.
    let half = half.unwrap();
    let t = Instant::now();
    let c = prove(&mut a, ProveTarget::Consistency(half.note.clone(), Some(cp.note.clone())), None)
        .unwrap();
    let cons_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    assert!(verify_proof(&c.proof, &c.vkey).unwrap().valid);
    let cons_verify_ms = t.elapsed().as_secs_f64() * 1e3;

    // The whole history, streamed as `custody log` does, with the peak
    // resident memory it adds (VmHWM reset first: Linux clear_refs 5).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = status_kib("VmRSS:");
    let t = Instant::now();
    let mut shown = 0u64;
    let r = history(&a, None, &mut |v| {
        shown += u64::from(v.event.is_some());
        Ok(())
    })
    .unwrap();
    let history_s = t.elapsed().as_secs_f64();
    assert_eq!((shown, r.shown), (r.size, r.size));
    let peak = status_kib("VmHWM:");

    println!("custody log benchmark: {n} events, batches of {batch}");
    println!("| measure | value |");
    println!("|---|---|");
    println!("| append | {:.1} s, {:.0} events/s |", append_s, n as f64 / append_s);
    println!(
        "| database growth | {:.1} MB, {:.0} bytes/event |",
        (after - before) as f64 / 1e6,
        (after - before) as f64 / n as f64
    );
    println!(
        "| inclusion proof, generate (avg of {samples}) | {prove_ms:.3} ms ({hashes} hashes) |"
    );
    println!("| inclusion proof, verify offline (avg) | {verify_ms:.3} ms |");
    println!("| consistency proof {} -> {n}, generate | {cons_ms:.3} ms |", half.size);
    println!("| consistency proof, verify offline | {cons_verify_ms:.3} ms |");
    let mib = |k: u64| k as f64 / 1024.0;
    let peak = if reset { format!("{:.1} MiB", mib(peak)) } else { "n/a (no clear_refs)".into() };
    println!(
        "| whole history streamed (custody log) | {history_s:.1} s, {:.0} events/s; RSS {:.1} MiB before, peak {peak} during |",
        n as f64 / history_s,
        mib(rss_before)
    );
}

/// A size line of /proc/self/status (`VmRSS:`, `VmHWM:`), in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
