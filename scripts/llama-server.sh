#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` once into a developer cache folder, beside the llama.cpp
# source it came from, and prints that folder. Tests need both: a real server to talk to (remote
# backends) and llama.cpp's shipped chat templates (`models/templates/*.jinja`) with the server's
# `POST /apply-template` as the reference rendering. The source comes from the llama-cpp-python
# source package, which vendors all of llama.cpp (the crate we link ships only the library).
#
#   scripts/llama-server.sh           build if missing, print the folder
#   scripts/llama-server.sh --check   exit 0 when built, 1 when not (builds nothing)
#   scripts/llama-server.sh --fetch   only download and unpack the source (network, no build):
#                                     scripts/test-prep.sh runs it while cargo builds
#   scripts/llama-server.sh --gguf-split   also make sure bin/llama-gguf-split is there (a cache
#                                          built before it was added is rebuilt once)
#
# Folder: $HOWDAH_DEV_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/howdah-dev, then llama.cpp-VERSION/
# with src/ (llama.cpp's source tree), bin/llama-server and bin/llama-gguf-split (which the split
# model test uses to cut a real model into parts; built in the same cmake run, it adds one small
# file to compile and link). Idempotent: a finished build is reused.
set -euo pipefail

# Pinned so every machine tests against the same llama.cpp (and templates).
VERSION=0.3.36

cache_root() {
  if [ -n "${HOWDAH_DEV_CACHE:-}" ]; then echo "$HOWDAH_DEV_CACHE"; return; fi
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/howdah-dev"
}

DIR="$(cache_root)/llama.cpp-$VERSION"
STAMP="$DIR/.built"

want_split=0
[ "${1:-}" = "--gguf-split" ] && want_split=1
built() {
  [ -f "$STAMP" ] && [ -x "$DIR/bin/llama-server" ] &&
    { [ "$want_split" = 0 ] || [ -x "$DIR/bin/llama-gguf-split" ]; }
}
if [ "${1:-}" = "--check" ]; then
  built
  exit
fi
if built; then
  echo "$DIR"
  exit 0
fi

fetch_source() {
  [ -f "$DIR/src/CMakeLists.txt" ] && return 0
  local py=""
  for p in python3 python; do
    if command -v "$p" >/dev/null && "$p" -m pip --version >/dev/null 2>&1; then py=$p; break; fi
  done
  [ -n "$py" ] || { echo "llama-server.sh: python3 with pip is needed to fetch llama.cpp's source" >&2; exit 1; }
  mkdir -p "$DIR"
  local dl
  dl=$(mktemp -d "$DIR/.fetch.XXXXXX")
  echo "llama-server.sh: fetching llama.cpp's source (llama-cpp-python $VERSION source package)" >&2
  # --no-binary names only this package: with `:all:` pip would also build the package's build
  # backend (scikit-build-core and its own dependencies) from source to read its metadata, which
  # took minutes; with their wheels it takes seconds.
  "$py" -m pip download --quiet --no-deps --no-binary llama-cpp-python \
    --disable-pip-version-check -d "$dl" "llama-cpp-python==$VERSION"
  tar -xzf "$dl"/llama_cpp_python-"$VERSION".tar.gz -C "$dl"
  rm -rf "$DIR/src"
  mv "$dl/llama_cpp_python-$VERSION/vendor/llama.cpp" "$DIR/src"
  rm -rf "$dl"
}

if [ "${1:-}" = "--fetch" ]; then
  fetch_source
  exit 0
fi

command -v cmake >/dev/null || { echo "llama-server.sh: cmake is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
fetch_source
mkdir -p "$DIR"
work=$(mktemp -d "$DIR/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# GGML_NATIVE=OFF: a native build enables AMX, whose path crashed on these machines.
# No web UI (it would be downloaded), no TLS, no tests/examples: only the server binary.
jobs=$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
echo "llama-server.sh: building llama-server and llama-gguf-split ($jobs jobs; a few minutes on 2 cores)" >&2
cmake -S "$DIR/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
  -DGGML_NATIVE=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_MTMD=OFF >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server llama-gguf-split -j "$jobs" >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$DIR/bin"
# Copy then rename: a llama-server that is running keeps its file (no "text file busy").
for b in llama-server llama-gguf-split; do
  cp "$work/build/bin/$b" "$DIR/bin/.$b.new"
  mv -f "$DIR/bin/.$b.new" "$DIR/bin/$b"
done
touch "$STAMP"
echo "$DIR"
