#!/usr/bin/env bash
# Ingest and audit throughput of custody against its peers, measured side by
# side in one run on the same corpus and the same (warm) page cache:
#   ingest  vs  restic backup (fresh repo), borg create (fresh repo, no
#           encryption, lz4), cp -r, cp -r && sync
#   re-ingest of the unchanged corpus vs restic's and borg's second backup;
#           re-ingest after every file was touched (read again for BLAKE3 alone)
#   audit   vs  b3sum (all files), restic check --read-data, borg check
#           --verify-data; warm, and cold (page cache dropped before each run,
#           when run as root)
#   peak RSS of `custody ingest` and `custody audit` on one 2 GiB file
#
# Usage: bench/ingest_audit.sh SIZE [CORPUS_DIR]
#   SIZE        corpus size for ../shared/corpus/make_corpus.sh (100M, 1G, ...)
#   CORPUS_DIR  reuse an existing corpus instead of building one
# Installs what is missing (apt: restic borgbackup b3sum time bc; for the
# corpus: imagemagick ffmpeg exiftool).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
corpus "${1:?usage: bench/ingest_audit.sh SIZE [CORPUS_DIR]}" "${2:-}"
BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
FILES=$(find "$CORPUS" -type f | wc -l)
warm() { find "$@" -type f -print0 | xargs -0 cat > /dev/null; }

echo "corpus: $CORPUS, $FILES files, $((BYTES / 1000000)) MB; $(nproc) cores" >&2
warm "$CORPUS"

# ---- ingest ---------------------------------------------------------------
t_ingest=$(best fresh_archive "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$CORPUS")
t_restic=$(best fresh_repo restic --repo "$WORK/r" backup --no-cache "$CORPUS")
t_borg=$(best fresh_borg borg create "$BORG_NEW" "$CORPUS")
t_cp=$(best fresh_cp cp -r "$CORPUS" "$WORK/cp")
t_cpsync=$(best fresh_cp sh -c "cp -r '$CORPUS' '$WORK/cp' && sync")
rm -rf "$WORK/cp"

# ---- re-ingest: the same corpus into the archive (and repositories) above --
t_reingest=$(best nothing "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$CORPUS")
t_rerestic=$(best nothing restic --repo "$WORK/r" backup --no-cache "$CORPUS")
t_reborg=$(best nothing borg create "$BORG_NEW" "$CORPUS")
touch_all() { find "$CORPUS" -type f -exec touch {} +; }
t_touched=$(best touch_all "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$CORPUS")

# ---- audit (warm: every stored byte read once first) -------------------------
warm "$WORK/a/objects" "$WORK/r" "$WORK/b" "$CORPUS"
t_audit=$(best nothing "$BIN" --archive "$WORK/a" audit)
t_deep=$(best nothing "$BIN" --archive "$WORK/a" audit --deep)
t_b3=$(best nothing sh -c "find '$CORPUS' -type f -print0 | xargs -0 b3sum")
t_rcheck=$(best nothing restic --repo "$WORK/r" check --no-cache --read-data)
t_bcheck=$(best nothing borg check --verify-data "$WORK/b")
# cold: the page cache dropped before each run (needs root; otherwise "-")
if cold; then
    t_audit_cold=$(best cold "$BIN" --archive "$WORK/a" audit)
    t_b3_cold=$(best cold sh -c "find '$CORPUS' -type f -print0 | xargs -0 b3sum")
    t_rcheck_cold=$(best cold restic --repo "$WORK/r" check --no-cache --read-data)
    t_bcheck_cold=$(best cold borg check --verify-data "$WORK/b")
    cold_rows="| custody audit, cold cache      | $(printf %.2f "$t_audit_cold") | $(mbps "$t_audit_cold") | |
| b3sum (all files), cold cache   | $(printf %.2f "$t_b3_cold") | $(mbps "$t_b3_cold") | $(ratio "$t_audit_cold" "$t_b3_cold")x |
| restic check --read-data, cold  | $(printf %.2f "$t_rcheck_cold") | $(mbps "$t_rcheck_cold") | $(ratio "$t_audit_cold" "$t_rcheck_cold")x |
| borg check --verify-data, cold  | $(printf %.2f "$t_bcheck_cold") | $(mbps "$t_bcheck_cold") | $(ratio "$t_audit_cold" "$t_bcheck_cold")x |"
else
    cold_rows="| cold-cache rows                 | - | - | need root to drop the page cache |"
fi
STORED=$(du -sb "$WORK/a/objects" | cut -f1)
REPO=$(du -sb "$WORK/r/data" | cut -f1)
BORG=$(du -sb "$WORK/b/data" | cut -f1)

# ---- peak RSS on one 2 GiB file ---------------------------------------------
mkdir "$WORK/big"
head -c 2G /dev/urandom > "$WORK/big/video.bin"
rss_ingest=$(rss "$BIN" --archive "$WORK/a" ingest --key "$WORK/k" "$WORK/big")
rss_audit=$(rss "$BIN" --archive "$WORK/a" audit)
rm -rf "$WORK/big"

cat << REPORT
custody bench: $FILES files, $((BYTES / 1000000)) MB, $(nproc) cores, warm page cache unless cold, best of $RUNS runs
| operation                       | seconds | MB/s | custody / peer |
|---------------------------------|---------|------|----------------|
| custody ingest                  | $(printf %.2f "$t_ingest") | $(mbps "$t_ingest") | |
| restic backup (fresh repo)      | $(printf %.2f "$t_restic") | $(mbps "$t_restic") | $(ratio "$t_ingest" "$t_restic")x |
| borg create (fresh repo)        | $(printf %.2f "$t_borg") | $(mbps "$t_borg") | $(ratio "$t_ingest" "$t_borg")x |
| cp -r                           | $(printf %.2f "$t_cp") | $(mbps "$t_cp") | $(ratio "$t_ingest" "$t_cp")x |
| cp -r && sync                   | $(printf %.2f "$t_cpsync") | $(mbps "$t_cpsync") | $(ratio "$t_ingest" "$t_cpsync")x |
| custody re-ingest, unchanged    | $(printf %.2f "$t_reingest") | | first ingest / this: $(ratio "$t_reingest" "$t_ingest")x |
| restic backup, second (unchanged) | $(printf %.2f "$t_rerestic") | | $(ratio "$t_reingest" "$t_rerestic")x |
| borg create, second (unchanged) | $(printf %.2f "$t_reborg") | | $(ratio "$t_reingest" "$t_reborg")x |
| custody re-ingest, all touched  | $(printf %.2f "$t_touched") | $(mbps "$t_touched") | first ingest / this: $(ratio "$t_touched" "$t_ingest")x |
| custody audit                   | $(printf %.2f "$t_audit") | $(mbps "$t_audit") | |
| custody audit --deep            | $(printf %.2f "$t_deep") | $(mbps "$t_deep") | |
| b3sum (all files)               | $(printf %.2f "$t_b3") | $(mbps "$t_b3") | $(ratio "$t_audit" "$t_b3")x |
| restic check --read-data        | $(printf %.2f "$t_rcheck") | $(mbps "$t_rcheck") | $(ratio "$t_audit" "$t_rcheck")x |
| borg check --verify-data        | $(printf %.2f "$t_bcheck") | $(mbps "$t_bcheck") | $(ratio "$t_audit" "$t_bcheck")x |
$cold_rows
stored: custody $((STORED / 1000000)) MB, restic $((REPO / 1000000)) MB, borg $((BORG / 1000000)) MB (of $((BYTES / 1000000)) MB)
peak RSS, one 2 GiB file: ingest ${rss_ingest} MiB, audit ${rss_audit} MiB (target <= 100 MiB)
targets: ingest >= 3x restic backup; unchanged re-ingest >= 5x faster than the first and >= 1x restic's second backup; audit >= 1.0x b3sum
REPORT
