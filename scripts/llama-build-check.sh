#!/bin/sh
# Makes sure the llama.cpp that cargo links was configured with the options the Makefile asks
# for (scripts/cpu-flags.sh, the GPU backend of scripts/gpu-backend.sh, and the Release build
# type from .cargo/config.toml); if not, the llama-cpp-sys-2 build is cleaned so the next cargo
# build configures it afresh.
#
# Why: llama-cpp-sys-2 configures llama.cpp's CMake build once per output folder and never
# again, so options that change later (another CPU, HOWDAH_PORTABLE=1, an older checkout's
# build) would otherwise be ignored without a word. Usage: llama-build-check.sh "MARKER".
#
# A GPU build (cargo feature cuda/metal/vulkan, marker "... gpu=NAME") lives in its own
# llama-cpp-sys-2 folder next to the CPU one (cargo hashes features into the folder name); only
# builds of the marker's backend are compared, so the CPU suite and the Vulkan test set share
# one target folder without rebuilding each other.
set -eu
want="$1"
target="${CARGO_TARGET_DIR:-target}"
case " $want " in
    *" gpu="*) want_backend=$(echo "$want" | sed 's/.* gpu=\([a-z]*\).*/\1/') ;;
    *) want_backend=cpu ;;
esac
backend_of_cache() {
    for b in vulkan cuda metal; do
        B=$(echo "$b" | tr 'a-z' 'A-Z')
        if grep -qx "GGML_$B:BOOL=ON" "$1"; then
            echo "$b"
            return
        fi
    done
    echo cpu
}
stale=""
for cache in "$target"/release/build/llama-cpp-sys-2-*/out/build/CMakeCache.txt; do
    [ -f "$cache" ] || continue
    [ "$(backend_of_cache "$cache")" = "$want_backend" ] || continue
    if ! grep -qxF "GGML_HOWDAH_BUILD:UNINITIALIZED=$want" "$cache" ||
        ! grep -qxF "CMAKE_BUILD_TYPE:STRING=Release" "$cache"; then
        stale=1
    fi
done
if [ -n "$stale" ]; then
    echo "llama.cpp ($want_backend) was built with other options; rebuilding it with: $want"
    "${CARGO:-cargo}" clean --release -p llama-cpp-sys-2
fi
