# What the benchmark scripts share (sourced, not run): the peers and helpers
# (installed if missing, as root or through sudo), a scratch directory
# removed on exit, the release binary, the timing helpers, and `corpus SIZE
# [DIR]` (DIR, or one built with ../shared/corpus/make_corpus.sh).
need() {
    local missing=() tool
    for tool in "$@"; do
        command -v "${tool%%:*}" > /dev/null || missing+=("${tool##*:}")
    done
    if ((${#missing[@]})); then
        local sudo
        sudo=$([[ $(id -u) == 0 ]] || echo sudo)
        $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >&2
    fi
}
need restic:restic borg:borgbackup b3sum:b3sum /usr/bin/time:time bc:bc python3:python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/custody-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# corpus SIZE [DIR]: sets CORPUS to DIR, or builds one of SIZE.
corpus() {
    CORPUS=${2:-$WORK/corpus}
    if [[ ! -d $CORPUS ]]; then
        # make_corpus.sh needs ffmpeg, exiftool and ImageMagick.
        need ffmpeg:ffmpeg exiftool:libimage-exiftool-perl /usr/bin/convert:imagemagick
        bash "$HERE/../shared/corpus/make_corpus.sh" "$CORPUS" "$1" >&2
    fi
}
# CUSTODY_BIN=PATH measures another build (e.g. an older commit's) instead.
if [[ -n ${CUSTODY_BIN:-} ]]; then
    BIN=$CUSTODY_BIN
else
    (cd "$HERE" && cargo build --release --quiet)
    BIN=$HERE/target/release/custody
fi
export CUSTODY_PASSPHRASE=unused RESTIC_PASSWORD=bench
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# Every figure is the best of $RUNS runs (the disk here is noisy), each on a
# fresh target after a sync, so peers and custody meet the same conditions.
RUNS=${RUNS:-3}
now() { date +%s.%N; }
# secs CMD...: run CMD, print its wall time in seconds.
secs() { local t0 t1; t0=$(now); "$@" > /dev/null 2>&1; t1=$(now); echo "$t1 - $t0" | bc -l; }
# best SETUP CMD...: the best wall time of $RUNS runs, SETUP and a sync before each.
best() {
    local setup=$1 b="" t
    shift
    for _ in $(seq "$RUNS"); do
        "$setup"
        sync
        t=$(secs "$@")
        if [[ -z $b ]] || (($(echo "$t < $b" | bc -l))); then b=$t; fi
    done
    echo "$b"
}
nothing() { :; }
# mbps SECONDS: $BYTES (set by the script) in MB/s.
mbps() { echo "scale=0; $BYTES / 1000000 / $1" | bc -l; }
# ratio A B: B / A, two decimals (how many times faster A is than B).
ratio() { printf %.2f "$(echo "$2 / $1" | bc -l)"; }

# The targets each run starts from: a custody archive at $WORK/a with the
# key $WORK/k registered, a restic repository at $WORK/r, a borg repository
# at $WORK/b (no encryption, its default lz4; $BORG_NEW names a new archive
# in it), $WORK/cp for cp.
"$BIN" key new --name bench --no-passphrase --out "$WORK/k" > /dev/null
# clear_target DIR: remove the last run's target. With CLEAR=retire (many small
# files) it is moved aside instead, and removed with $WORK on exit: ext4
# without a journal (as here) skips, when it allocates an inode, every one
# freed in the last minute, so deleting the last run's 100,000 files would
# slow the next run's file creation by half.
clear_target() { if [[ ${CLEAR:-} == retire ]]; then [[ ! -e $1 ]] || mv "$1" "$(mktemp -d "$WORK/retired.XXXXXX")"; else rm -rf "$1"; fi; }
fresh_archive() { clear_target "$WORK/a"; "$BIN" --archive "$WORK/a" init --name bench > /dev/null; "$BIN" --archive "$WORK/a" key add "$WORK/k.pub" > /dev/null; }
fresh_repo() { clear_target "$WORK/r"; restic init --repo "$WORK/r" > /dev/null; }
export BORG_CACHE_DIR=$WORK/borg-cache
fresh_borg() { clear_target "$WORK/b"; clear_target "$BORG_CACHE_DIR"; borg init -e none "$WORK/b" > /dev/null 2>&1; }
BORG_NEW="$WORK/b::{now:%Y%m%dT%H%M%S.%f}"
fresh_cp() { clear_target "$WORK/cp"; }
# rss CMD...: peak RSS of CMD in MiB.
rss() { /usr/bin/time -v "$@" 2>&1 > /dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print int($2 / 1024)}'; }
# cold: sync and drop the page cache (as root; returns false otherwise).
cold() { sync && (echo 3 > /proc/sys/vm/drop_caches) 2> /dev/null; }
