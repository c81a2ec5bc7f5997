#!/usr/bin/env bash
# Ingest and audit throughput of custody against its peers, measured side by
# side in one run on the same corpus and the same (warm) page cache:
#   ingest  vs  restic backup (fresh repo), cp -r, cp -r && sync
#   audit   vs  b3sum (all files), restic check --read-data
#   peak RSS of `custody ingest` and `custody audit` on one 2 GiB file
#
# Usage: bench/ingest_audit.sh SIZE [CORPUS_DIR]
#   SIZE        corpus size for ../shared/corpus/make_corpus.sh (100M, 1G, ...)
#   CORPUS_DIR  reuse an existing corpus instead of building one
# Needs: restic, b3sum, GNU time (apt-get install restic b3sum time), and
# make_corpus.sh's own tools (imagemagick, ffmpeg, exiftool).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
FILES=$(find "$CORPUS" -type f | wc -l)
export RESTIC_PASSWORD=bench
mbps() { echo "scale=0; $BYTES / 1000000 / $1" | bc -l; }
warm() { find "$CORPUS" -type f -print0 | xargs -0 cat > /dev/null; }

echo "corpus: $CORPUS, $FILES files, $((BYTES / 1000000)) MB; $(nproc) cores" >&2
warm

fresh_archive() { rm -rf "$WORK/a"; "$BIN" --archive "$WORK/a" init --name bench > /dev/null; "$BIN" --archive "$WORK/a" key add "$WORK/k.pub" > /dev/null; }
fresh_repo() { rm -rf "$WORK/r"; restic init --repo "$WORK/r" > /dev/null; }
fresh_cp() { rm -rf "$WORK/cp"; }

# ---- ingest ---------------------------------------------------------------
"$BIN" key new --name bench --no-passphrase --out "$WORK/k" > /dev/null
t_ingest=$(best fresh_archive "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$CORPUS")
t_restic=$(best fresh_repo restic --repo "$WORK/r" backup --no-cache "$CORPUS")
t_cp=$(best fresh_cp cp -r "$CORPUS" "$WORK/cp")
t_cpsync=$(best fresh_cp sh -c "cp -r '$CORPUS' '$WORK/cp' && sync")
rm -rf "$WORK/cp"

# ---- audit (warm: every stored byte read once first) -------------------------
find "$WORK/a/objects" "$WORK/r" "$CORPUS" -type f -print0 | xargs -0 cat > /dev/null
t_audit=$(best nothing "$BIN" --archive "$WORK/a" audit)
t_deep=$(best nothing "$BIN" --archive "$WORK/a" audit --deep)
t_b3=$(best nothing sh -c "find '$CORPUS' -type f -print0 | xargs -0 b3sum")
t_rcheck=$(best nothing restic --repo "$WORK/r" check --no-cache --read-data)
STORED=$(du -sb "$WORK/a/objects" | cut -f1)
REPO=$(du -sb "$WORK/r/data" | cut -f1)

# ---- peak RSS on one 2 GiB file ---------------------------------------------
mkdir "$WORK/big"
head -c 2G /dev/urandom > "$WORK/big/video.bin"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print int($2 / 1024)}'; }
rss_ingest=$(rss "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$WORK/big")
rss_audit=$(rss "$BIN" --archive "$WORK/a" audit)
rm -rf "$WORK/big"

ratio() { echo "scale=2; $2 / $1" | bc -l; }
cat <<REPORT
custody bench: $FILES files, $((BYTES / 1000000)) MB, $(nproc) cores, warm page cache, best of $RUNS runs
| operation                       | seconds | MB/s | custody / peer |
|---------------------------------|---------|------|----------------|
| custody ingest                  | $(printf %.2f "$t_ingest") | $(mbps "$t_ingest") | |
| restic backup (fresh repo)      | $(printf %.2f "$t_restic") | $(mbps "$t_restic") | $(ratio "$t_ingest" "$t_restic")x |
| cp -r                           | $(printf %.2f "$t_cp") | $(mbps "$t_cp") | $(ratio "$t_ingest" "$t_cp")x |
| cp -r && sync                   | $(printf %.2f "$t_cpsync") | $(mbps "$t_cpsync") | $(ratio "$t_ingest" "$t_cpsync")x |
| custody audit                   | $(printf %.2f "$t_audit") | $(mbps "$t_audit") | |
| custody audit --deep            | $(printf %.2f "$t_deep") | $(mbps "$t_deep") | |
| b3sum (all files)               | $(printf %.2f "$t_b3") | $(mbps "$t_b3") | $(ratio "$t_audit" "$t_b3")x |
| restic check --read-data        | $(printf %.2f "$t_rcheck") | $(mbps "$t_rcheck") | $(ratio "$t_audit" "$t_rcheck")x |
stored: custody $((STORED / 1000000)) MB, restic $((REPO / 1000000)) MB (of $((BYTES / 1000000)) MB)
peak RSS, one 2 GiB file: ingest ${rss_ingest} MiB, audit ${rss_audit} MiB (target <= 100 MiB)
targets: ingest >= 3x restic backup; audit >= 0.8x b3sum
REPORT
