#!/usr/bin/env bash
# fetch_samples.sh OUTDIR -- the real-world files of tests/media/samples.txt
# into OUTDIR/<package>/<name>: the PyPI sdists of samples.req downloaded
# once by pip (hash-checked) into target/samples-cache, kamadak-exif's
# files from cargo's registry cache (cargo fetch puts it there), every
# file checked against its SHA-256. tests/setup.sh runs this; the tests
# read OUTDIR and fail when it is missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$1
PY=${CUSTODY_PYTHON:-$ROOT/target/venv/bin/python}
CACHE=$ROOT/target/samples-cache
mkdir -p "$CACHE" "$OUT"
# pip keeps what it downloaded before ("already downloaded") and checks
# every archive's hash either way.
"$PY" -m pip download --quiet --no-binary :all: --no-deps --require-hashes \
    -r "$HERE/samples.req" -d "$CACHE"
(cd "$ROOT" && cargo fetch --quiet)
registry=$(dirname "$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -name 'kamadak-exif-0.6.2' | head -1)")
grep -v '^#' "$HERE/samples.txt" | while read -r pkg member sha; do
    name=${member##*/}
    mkdir -p "$OUT/$pkg"
    if [[ $pkg == kamadak-exif ]]; then
        cp "$registry/$member" "$OUT/$pkg/$name"
    else
        # sdists are named with underscores (pillow_heif-1.8.1.tar.gz).
        tar -xzf "$CACHE/${member%%/*}.tar.gz" -O "$member" > "$OUT/$pkg/$name"
    fi
    echo "$sha  $OUT/$pkg/$name" | sha256sum --quiet -c -
done
