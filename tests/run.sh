#!/usr/bin/env bash
# The test command: makes the Python venv the interop tests need
# (securesystemslib and in-toto-attestation, from PyPI, into target/venv), checks the command-line
# tools the tests call, then runs every test. No test is skipped: a missing
# tool fails here, with the command that installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for tool in zstd b3sum unshare python3 ffmpeg ffprobe exiftool; do
    command -v "$tool" > /dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "tests/run.sh: missing ${missing[*]}; install with: apt-get install zstd b3sum util-linux python3-venv ffmpeg libimage-exiftool-perl" >&2
    exit 2
fi
VENV=target/venv
if ! "$VENV/bin/python" -c 'import securesystemslib.dsse, cryptography, in_toto_attestation.v1.statement, google.protobuf.json_format' 2> /dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'securesystemslib[crypto]>=1.0' 'in-toto-attestation>=0.9.3' 'protobuf>=4.21'
fi
export CUSTODY_PYTHON=$PWD/$VENV/bin/python
cargo test --all-targets "$@"
