#!/usr/bin/env bash
# Coverage-guided fuzzing of custody's parsers of untrusted input with
# AFL++ (cargo-afl, stable toolchain). Usage:
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
# Targets (fuzz/src/bin): metadata (EXIF in every container, ISO-BMFF,
# HTML), manifest (CSV), notes (signed notes, checkpoints, vkeys, proofs),
# envelope (DSSE), key_file, bag (zip and tar bags, manifests, bag-info).
# Default: 60 s each, every target. Seeds are
# fuzz/corpus/TARGET; findings go to target/fuzz/TARGET. Prints each
# target's executions; exits 1 if any input crashed or hung a target (the
# inputs are copied to fuzz/found/TARGET/ to become regression tests).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(metadata manifest notes envelope key_file bag)
if ! command -v cargo-afl > /dev/null; then
    cargo install cargo-afl --version '^0.18' --locked
fi
cargo afl build --release --quiet
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
status=0
for t in "${targets[@]}"; do
    out=../target/fuzz/$t
    rm -rf "$out"
    mkdir -p "$out"
    cargo afl fuzz -i "corpus/$t" -o "$out" -V "$secs" -t 2000 "target/release/$t" > "$out/log" 2>&1 || true
    stats=$out/default/fuzzer_stats
    if [[ ! -f $stats ]]; then
        echo "$t: AFL++ did not start; see $out/log" >&2
        tail -20 "$out/log" >&2
        exit 2
    fi
    execs=$(awk -F': *' '/^execs_done/ {print $2}' "$stats")
    crashes=$(find "$out/default/crashes" -type f -name 'id:*' | wc -l)
    hangs=$(find "$out/default/hangs" -type f -name 'id:*' | wc -l)
    corpus=$(awk -F': *' '/^corpus_count/ {print $2}' "$stats")
    echo "$t: $execs executions in ${secs}s, corpus $corpus, $crashes crashes, $hangs hangs"
    if ((crashes + hangs)); then
        mkdir -p "found/$t"
        cp "$out"/default/crashes/id:* "$out"/default/hangs/id:* "found/$t/" 2> /dev/null || true
        status=1
    fi
done
exit $status
