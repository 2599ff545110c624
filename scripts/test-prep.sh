#!/usr/bin/env bash
# Prepares what `make test` needs after the system packages: the test models, the Python
# environment of the embedding model's converter, llama.cpp's server source (all downloads) and
# the Rust test build, then builds llama-server.
#
# Why this order: on a fresh 2-core machine (CI) the downloads wait on the network for minutes
# while the CPUs idle, and the Rust build keeps both CPUs busy without the network. So the
# downloads run in the background while cargo builds; only llama-server's C++ build, which needs
# the CPUs too, waits for the Rust build. Each background job's output is kept in a log and
# shown when it fails (or always with HOWDAH_PREP_VERBOSE=1).
#
#   scripts/test-prep.sh      (the Makefile exports the llama.cpp build options first)
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# The models and the Python env share pip; the server source is a separate download.
(scripts/py-env.sh >/dev/null && scripts/fetch-models.sh) >"$logs/models.log" 2>&1 &
models=$!
scripts/llama-server.sh --fetch >"$logs/source.log" 2>&1 &
source=$!

started=$(date +%s)
echo "test-prep: building the tests (downloads run meanwhile)"
build_status=0
"$CARGO" test --release --no-run || build_status=$?

failed=0
for job in models source; do
  pid=${!job}
  if ! wait "$pid"; then
    echo "test-prep: fetching the $job failed:" >&2
    cat "$logs/$job.log" >&2
    failed=1
  elif [ "${HOWDAH_PREP_VERBOSE:-}" = 1 ]; then
    cat "$logs/$job.log"
  fi
done
[ "$build_status" = 0 ] || exit "$build_status"
[ "$failed" = 0 ] || exit 1
echo "test-prep: build and downloads done in $(($(date +%s) - started)) s"

# llama.cpp's llama-server and its chat templates: the reference for the template parity and
# remote-backend tests.
scripts/llama-server.sh >/dev/null
