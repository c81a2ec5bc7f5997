//! Signature-check throughput (`cargo bench --bench signatures`): what the
//! audit's record and claim checks cost. Signs 200,000 DSSE-sized messages
//! with 20 keys, then times `verify_strict` one by one on one thread and
//! `crypto::verify_many` (strict-equivalent batch verification) on one and
//! on every core, and prints signatures per second. Under `cargo test
//! --all-targets` (no `--bench`) a small run checks that every verdict is
//! right, a tampered signature included.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::time::Instant;

use custody::crypto::{SecretKey, SignedMessage, verify_many};

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("SIG_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 200_000 } else { 2_000 });
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let keys: Vec<SecretKey> = (0..20u8).map(|i| SecretKey::from_seed(&[i + 1; 32])).collect();
    let publics: Vec<_> = keys.iter().map(SecretKey::public).collect();
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let payload = format!("{{\"_type\":\"https://in-toto.io/Statement/v1\",\"n\":{i}}}");
            custody::crypto::pae("application/vnd.in-toto+json", payload.repeat(8).as_bytes())
        })
        .collect();
    let mut sigs: Vec<[u8; 64]> =
        msgs.iter().enumerate().map(|(i, m)| keys[i % 20].sign(m)).collect();
    let bad = n / 3;
    sigs[bad][10] ^= 1;
    let items: Vec<SignedMessage<'_>> = (0..n)
        .map(|i| SignedMessage { key: &publics[i % 20], msg: &msgs[i], sig: &sigs[i] })
        .collect();

    let t = Instant::now();
    let single: Vec<bool> = items.iter().map(|s| s.key.verify(s.msg, s.sig)).collect();
    let t_single = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let batch1 = verify_many(&items, 1);
    let t_batch1 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let batch_all = verify_many(&items, cores);
    let t_batch_all = t.elapsed().as_secs_f64();

    let expected: Vec<bool> = (0..n).map(|i| i != bad).collect();
    assert_eq!(single, expected, "verify_strict verdicts");
    assert_eq!(batch1, expected, "verify_many on one thread");
    assert_eq!(batch_all, expected, "verify_many on {cores} threads");
    let rate = |secs: f64| n as f64 / secs;
    println!("{n} signatures (20 keys, one bad), {cores} cores");
    println!("| method | s | signatures/s | vs verify_strict |");
    println!("|---|---|---|---|");
    println!(
        "| verify_strict, one by one, 1 thread | {t_single:.3} | {:.0} | 1.00x |",
        rate(t_single)
    );
    for (name, secs) in [
        ("verify_many, 1 thread", t_batch1),
        (&*format!("verify_many, {cores} threads"), t_batch_all),
    ] {
        println!("| {name} | {secs:.3} | {:.0} | {:.2}x |", rate(secs), t_single / secs);
    }
    println!("target: >= 40,000 signatures/s on 2 cores");
}
