#!/usr/bin/env bash
# Bag export and verification throughput of custody against the standard
# tools, measured side by side in one run on the same corpus and the same
# (warm) page cache:
#   export --format dir   vs  cp -r data && sync, sha512sum (one process) over
#                             the same payload files (every exported byte is
#                             hashed with SHA-512: that is the bound)
#   export --format zip   (same payload, packed by one thread)
#   verify (pinned keys)  vs  bagit.py --validate --processes 2,
#                             sha256sum -c + sha512sum -c of the manifests
#   peak RSS of export and verify with one 2 GiB file in the bag
#
# Usage: bench/bags.sh SIZE [CORPUS_DIR]
#   SIZE        corpus size for ../shared/corpus/make_corpus.sh (100M, 1G, ...)
#   CORPUS_DIR  reuse an existing corpus instead of building one
# Needs: GNU time and coreutils; bagit.py in target/venv (tests/setup.sh
# installs it); make_corpus.sh's own tools (imagemagick, ffmpeg, exiftool).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
corpus "${1:?usage: bench/bags.sh SIZE [CORPUS_DIR]}" "${2:-}"
"$HERE/tests/setup.sh" > /dev/null
PY=$HERE/target/venv/bin/python
warm() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }

# ---- the archive (not timed) ----------------------------------------------
A=$WORK/a
"$BIN" --archive "$A" init --name bench > /dev/null
"$BIN" --archive "$A" key add "$WORK/k.pub" > /dev/null
"$BIN" --archive "$A" ingest --key "$WORK/k" "$CORPUS" > /dev/null
warm "$A/objects"

# ---- export ---------------------------------------------------------------
fresh_bag() { rm -rf "$WORK/bag" "$WORK/bag.zip"; }
t_export=$(best fresh_bag "$BIN" --archive "$A" export --all --key "$WORK/k" --out "$WORK/bag")
t_zip=$(best fresh_bag "$BIN" --archive "$A" export --all --format zip --key "$WORK/k" --out "$WORK/bag.zip")
fresh_bag
"$BIN" --archive "$A" --json export --all --key "$WORK/k" --out "$WORK/bag" > "$WORK/export.json"
BYTES=$(find "$WORK/bag/data" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
FILES=$(find "$WORK/bag/data" -type f | wc -l)
ITEMS=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"])' "$WORK/export.json")
VKEY=$(cat "$WORK/bag/custody/log.vkey")
warm "$WORK/bag/data"
fresh_cp() { rm -rf "$WORK/cp"; }
t_cp=$(best fresh_cp sh -c "cp -r '$WORK/bag/data' '$WORK/cp' && sync")
t_sha512=$(best nothing sh -c "find '$WORK/bag/data' -type f -print0 | xargs -0 sha512sum")

# ---- verify ---------------------------------------------------------------
warm "$WORK/bag"
t_verify=$(best nothing "$BIN" verify "$WORK/bag" --vkey "$VKEY" --trust-key "$WORK/k.pub")
"$BIN" verify "$WORK/bag" --vkey "$VKEY" --trust-key "$WORK/k.pub" > /dev/null # must hold
t_bagit=$(best nothing "$PY" -m bagit --validate --processes 2 "$WORK/bag")
t_sums=$(best nothing sh -c "cd '$WORK/bag' && sha256sum --quiet -c manifest-sha256.txt && sha512sum --quiet -c manifest-sha512.txt")

# ---- peak RSS with one 2 GiB file -----------------------------------------
B=$WORK/b
"$BIN" --archive "$B" init --name rss > /dev/null
"$BIN" --archive "$B" key add "$WORK/k.pub" > /dev/null
mkdir "$WORK/big"
head -c 2G /dev/urandom > "$WORK/big/interview-2h.mp4"
"$BIN" --archive "$B" ingest --key "$WORK/k" "$WORK/big" > /dev/null
rm -rf "$WORK/big"
rss_export=$(rss "$BIN" --archive "$B" export --all --key "$WORK/k" --out "$WORK/bigbag")
rss_zip=$(rss "$BIN" --archive "$B" export --all --format zip --key "$WORK/k" --out "$WORK/bigbag.zip")
BVKEY=$(cat "$WORK/bigbag/custody/log.vkey")
rss_verify=$(rss "$BIN" verify "$WORK/bigbag" --vkey "$BVKEY" --trust-key "$WORK/k.pub")
rss_verify_zip=$(rss "$BIN" verify "$WORK/bigbag.zip" --vkey "$BVKEY" --trust-key "$WORK/k.pub")

cat << EOF
bags on $ITEMS items, $FILES payload files, $((BYTES / 1000000)) MB; $(nproc) cores; best of $RUNS
                                        seconds   MB/s   custody is
export --format dir                    $(printf %7.2f "$t_export")  $(printf %5d "$(mbps "$t_export")")
  cp -r data && sync                   $(printf %7.2f "$t_cp")  $(printf %5d "$(mbps "$t_cp")")   $(ratio "$t_export" "$t_cp")x
  sha512sum (one process)              $(printf %7.2f "$t_sha512")  $(printf %5d "$(mbps "$t_sha512")")   $(ratio "$t_export" "$t_sha512")x   (target >= 1.5x)
export --format zip                    $(printf %7.2f "$t_zip")  $(printf %5d "$(mbps "$t_zip")")   $(ratio "$t_zip" "$t_sha512")x of sha512sum
verify (every hash, signature, proof)  $(printf %7.2f "$t_verify")  $(printf %5d "$(mbps "$t_verify")")
  bagit.py --validate --processes 2    $(printf %7.2f "$t_bagit")  $(printf %5d "$(mbps "$t_bagit")")   $(ratio "$t_verify" "$t_bagit")x   (target >= 1.0x)
  sha256sum -c + sha512sum -c          $(printf %7.2f "$t_sums")  $(printf %5d "$(mbps "$t_sums")")   $(ratio "$t_verify" "$t_sums")x
peak RSS with a 2 GiB file (target <= 100 MiB)
  export dir $rss_export MiB, zip $rss_zip MiB; verify dir $rss_verify MiB, zip $rss_verify_zip MiB
EOF
