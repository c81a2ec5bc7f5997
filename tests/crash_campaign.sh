#!/usr/bin/env bash
# The crash campaign at full strength: SIGKILL at random moments during
# claim, checkpoint, audit, key revoke and witness add — 250 kills by
# default (CUSTODY_CRASH_KILLS=N for another count) — each followed by a
# clean audit and a re-run that completes; plus the 50-kill ingest test.
# The test suite runs the same test with 40 kills.
set -euo pipefail
cd "$(dirname "$0")/.."
export CUSTODY_CRASH_KILLS="${CUSTODY_CRASH_KILLS:-250}"
cargo test --release --test tests crash:: -- --nocapture --test-threads 1 2>&1 | grep -E "crash campaign|kills landed|^test |test result"
