#!/usr/bin/env bash
# Many small files: custody ingest against restic backup, borg create and
# cp -r && sync of the same files, side by side in one run (best of $RUNS,
# each on a fresh target after a sync, warm page cache), at each count; then
# the unchanged re-ingest against the peers' second backup, and the bytes
# each keeps per file. Files are 0.5–3 KB of random bytes, 1,000 a folder.
#
# Usage: bench/small_files.sh [COUNT...]     (default: 10000 100000)
# Installs what is missing (apt: restic borgbackup time bc python3).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
CLEAR=retire
COUNTS=("$@")
((${#COUNTS[@]})) || COUNTS=(10000 100000)
rate() { echo "scale=0; $N / $1" | bc -l; }
per() { echo "scale=0; $1 / $N" | bc -l; }

rows=""
for N in "${COUNTS[@]}"; do
    F=$WORK/files
    clear_target "$F"
    python3 - "$F" "$N" << 'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(n)
for i in range(n):
    d = os.path.join(root, f"d{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, f"report-{i}.bin"), "wb") as f:
        f.write(rng.randbytes(500 + rng.randrange(2500)))
PY
    find "$F" -type f -print0 | xargs -0 cat > /dev/null
    t_ingest=$(best fresh_archive "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$F")
    t_restic=$(best fresh_repo restic --repo "$WORK/r" backup --no-cache "$F")
    t_borg=$(best fresh_borg borg create "$BORG_NEW" "$F")
    t_cp=$(best fresh_cp sh -c "cp -r '$F' '$WORK/cp' && sync")
    clear_target "$WORK/cp"
    t_re=$(best nothing "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$F")
    t_rerestic=$(best nothing restic --repo "$WORK/r" backup --no-cache "$F")
    t_reborg=$(best nothing borg create "$BORG_NEW" "$F")
    db=$(du -sb "$WORK/a"/custody.db* | awk '{s += $1} END {print s}')
    store=$(du -sb "$WORK/a/objects" | cut -f1)
    repo=$(du -sb "$WORK/r" | cut -f1)
    borgb=$(du -sb "$WORK/b" | cut -f1)
    fresh_archive
    sync
    rss_ingest=$(rss "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$F")
    rows+="| $N | $(rate "$t_ingest") | $(rate "$t_restic") ($(ratio "$t_ingest" "$t_restic")x) | $(rate "$t_borg") ($(ratio "$t_ingest" "$t_borg")x) | $(rate "$t_cp") ($(ratio "$t_ingest" "$t_cp")x) | $(printf %.2f "$t_re") / $(printf %.2f "$t_rerestic") / $(printf %.2f "$t_reborg") | $(per "$db") + $(per "$store") | $(per "$repo") / $(per "$borgb") | $rss_ingest |
"
    clear_target "$F"
done

cat << REPORT
small files: 0.5-3 KB each; $(nproc) cores; warm page cache; best of $RUNS runs
files/s: higher is better; (custody / peer) in parentheses
| files | custody ingest, files/s | restic backup | borg create | cp -r && sync | unchanged again, s: custody / restic / borg | custody bytes/file: database + store | restic / borg bytes/file | custody ingest peak RSS MiB |
|---|---|---|---|---|---|---|---|---|
${rows%$'\n'}
REPORT
