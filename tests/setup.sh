#!/usr/bin/env bash
# Makes a fresh Debian / Ubuntu machine ready for custody: installs what is
# missing and nothing else. `tests/setup.sh --build` is enough to build and
# run custody (a C compiler for the bundled SQLite, zstd and BLAKE3 code;
# OpenSSL's libcrypto and pkg-config, for its SHA-512);
# `tests/setup.sh` (what tests/run.sh calls) adds the tools the tests check
# custody against — zstd, b3sum, unshare, file, ffmpeg/ffprobe, exiftool,
# ogrinfo (GDAL) — and the Python venv of independent implementations
# (target/venv: securesystemslib, in-toto-attestation, bagit, c2pa-python, …).
#
# Packages are installed with apt-get when this runs as root or with sudo
# that needs no password (one `apt-get update` first); otherwise it stops
# and prints the exact command to run. Needs the Rust toolchain (cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=false
[[ ${1:-} == --build ]] && build_only=true

# tool -> Debian package
tools=(cc:gcc pkg-config:pkg-config)
$build_only || tools+=(
    zstd:zstd b3sum:b3sum unshare:util-linux file:file ffmpeg:ffmpeg ffprobe:ffmpeg
    exiftool:libimage-exiftool-perl ogrinfo:gdal-bin python3:python3
)
missing=()
for pair in "${tools[@]}"; do
    command -v "${pair%%:*}" > /dev/null || missing+=("${pair#*:}")
done
# libc headers come with gcc's libc6-dev; cargo and pip need the CA
# certificates; the venv needs ensurepip.
[[ -e /usr/include/stdio.h ]] || missing+=(libc6-dev)
[[ -e /usr/include/openssl/sha.h ]] || missing+=(libssl-dev)
[[ -e /etc/ssl/certs/ca-certificates.crt ]] || missing+=(ca-certificates)
if ! $build_only && ! python3 -c 'import ensurepip, venv' 2> /dev/null; then
    missing+=(python3-venv)
fi
if ((${#missing[@]})); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [[ $(id -u) == 0 ]]; then
        apt=(apt-get)
    elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
        apt=(sudo apt-get)
    else
        echo "custody needs: ${missing[*]}" >&2
        echo "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 2
    fi
    echo "tests/setup.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" update -q > /dev/null
    "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}" > /dev/null
fi
command -v cargo > /dev/null || {
    echo "custody needs the Rust toolchain (cargo): https://rustup.rs" >&2
    exit 2
}
$build_only && exit 0

VENV=target/venv
check='import securesystemslib.dsse, cryptography, in_toto_attestation.v1.statement, google.protobuf.json_format, bagit, bagit_profile, c2pa'
if ! "$VENV/bin/python" -c "$check" 2> /dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'securesystemslib[crypto]>=1.0' 'in-toto-attestation>=0.9.3' \
        'protobuf>=4.21' 'bagit>=1.8' 'bagit_profile>=1.3' 'c2pa-python==0.38.1'
fi

# Real-world media from other projects' packages (tests/media/samples.txt),
# fetched once; the tests read target/samples and fail without it.
if [[ ! -f target/samples.complete ]]; then
    rm -rf target/samples
    CUSTODY_PYTHON=$VENV/bin/python bash tests/media/fetch_samples.sh target/samples
    touch target/samples.complete
fi
