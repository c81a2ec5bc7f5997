# What the benchmark scripts share (sourced, not run, with the script's
# own arguments SIZE [CORPUS_DIR]): a scratch directory removed on exit,
# the corpus (built with ../shared/corpus/make_corpus.sh unless given), the
# release binary, and the timing helpers.
SIZE=${1:?usage: bench/SCRIPT.sh SIZE [CORPUS_DIR]}
# The peers and helpers, installed if missing (as root, or through sudo).
missing=()
# make_corpus.sh needs ffmpeg, exiftool and ImageMagick when it builds a corpus.
tools=(restic:restic b3sum:b3sum /usr/bin/time:time bc:bc)
[[ -d ${2:-} ]] || tools+=(ffmpeg:ffmpeg exiftool:libimage-exiftool-perl /usr/bin/convert:imagemagick)
for tool in "${tools[@]}"; do
    command -v "${tool%%:*}" > /dev/null || missing+=("${tool##*:}")
done
if ((${#missing[@]})); then
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/custody-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CORPUS=${2:-$WORK/corpus}
if [[ ! -d $CORPUS ]]; then
    bash "$HERE/../shared/corpus/make_corpus.sh" "$CORPUS" "$SIZE" >&2
fi
(cd "$HERE" && cargo build --release --quiet)
BIN=$HERE/target/release/custody
export CUSTODY_PASSPHRASE=unused

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
