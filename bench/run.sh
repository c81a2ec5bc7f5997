#!/usr/bin/env bash
# Every benchmark in one run, on a fresh machine (the peers are installed
# when missing): ingest, re-ingest and audit against restic, borg, cp and
# b3sum on a make_corpus.sh corpus (warm and cold); many small files against
# restic and borg at 10k and 100k; signature verification; and the
# million-item archive at 10k, 100k and 1M (search, show, prove, full audit,
# whole log; about 45 minutes on 2 cores). Each prints its table.
#
# Usage: bench/run.sh SIZE [CORPUS_DIR]      (SIZE as for make_corpus.sh: 1G)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/ingest_audit.sh" "$@"
"$here/small_files.sh"
cd "$here/.."
cargo bench --bench signatures
cargo bench --bench million
