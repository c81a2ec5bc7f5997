#!/usr/bin/env bash
# The test command: sets the machine up (tests/setup.sh installs the tools
# the tests call and the Python venv of independent implementations), then
# runs every test. No test is skipped: anything that cannot be installed
# stops here with the command that installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/setup.sh
export CUSTODY_PYTHON=$PWD/target/venv/bin/python
cargo test --all-targets "$@"
