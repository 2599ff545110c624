#!/bin/sh
# Makes sure the llama.cpp that cargo links was configured with the options the Makefile asks
# for (scripts/cpu-flags.sh, and the Release build type from .cargo/config.toml); if not, the
# llama-cpp-sys-2 build is cleaned so the next cargo build configures it afresh.
#
# Why: llama-cpp-sys-2 configures llama.cpp's CMake build once per output folder and never
# again, so options that change later (another CPU, HOWDAH_PORTABLE=1, an older checkout's
# build) would otherwise be ignored without a word. Usage: llama-build-check.sh "MARKER".
set -eu
want="$1"
target="${CARGO_TARGET_DIR:-target}"
stale=""
for cache in "$target"/release/build/llama-cpp-sys-2-*/out/build/CMakeCache.txt; do
    [ -f "$cache" ] || continue
    if ! grep -qxF "GGML_HOWDAH_BUILD:UNINITIALIZED=$want" "$cache" ||
        ! grep -qxF "CMAKE_BUILD_TYPE:STRING=Release" "$cache"; then
        stale=1
    fi
done
if [ -n "$stale" ]; then
    echo "llama.cpp was built with other options; rebuilding it with: $want"
    "${CARGO:-cargo}" clean --release -p llama-cpp-sys-2
fi
