#!/bin/sh
# Prints the ggml build options (NAME=VALUE, space-separated) that match this machine's CPU, for
# the Makefile to export before cargo builds llama.cpp.
#
# Why: llama-cpp-sys-2 builds llama.cpp with GGML_NATIVE=OFF, which leaves ggml at its portable
# x86-64 baseline (AVX2/FMA/F16C). On a CPU with AVX-512 and VNNI that baseline costs a lot:
# measured on a 2-core Xeon (raw llama.cpp, together with the -O3 Release build type that
# .cargo/config.toml asks for), SmolLM2 prompt processing 292 -> 342 t/s, Gemma 3 270M 386 ->
# 655 t/s, and three sequences decoded together 1.45x -> 1.65x (SmolLM2) and 1.40x -> 1.96x
# (Gemma) one sequence's rate. Quantized dot products are the part of a decode step that grows
# with the number of sequences, and VNNI makes them cheaper.
#
# AMX is never turned on: its code path crashed on machines of this kind (the tiles are not
# always granted inside virtual machines). The same reason rules out GGML_NATIVE, which would
# turn it on.
#
# HOWDAH_PORTABLE=1 prints nothing, so the build is ggml's portable baseline (for a binary that
# must run on other machines). Only Linux on x86-64 is probed; elsewhere ggml's defaults stand.
# HOWDAH_CPUINFO names another cpuinfo file (the tests use it).
set -eu

cpuinfo="${HOWDAH_CPUINFO:-/proc/cpuinfo}"
[ "${HOWDAH_PORTABLE:-0}" = 1 ] && exit 0
[ -n "${HOWDAH_CPUINFO:-}" ] || [ "$(uname -m 2>/dev/null)" = x86_64 ] || exit 0
[ -r "$cpuinfo" ] || exit 0

flags=$(grep -m1 '^flags' "$cpuinfo" | cut -d: -f2-)
has() {
    for want in "$@"; do
        case " $flags " in
            *" $want "*) ;;
            *) return 1 ;;
        esac
    done
}
on_off() { if has "$@"; then echo ON; else echo OFF; fi; }

out="GGML_AVX=$(on_off avx) GGML_AVX2=$(on_off avx2) GGML_FMA=$(on_off fma)"
out="$out GGML_F16C=$(on_off f16c) GGML_BMI2=$(on_off bmi2) GGML_AVX_VNNI=$(on_off avx_vnni)"
# ggml's GGML_AVX512 compiles with -mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw.
if has avx512f avx512cd avx512vl avx512dq avx512bw; then
    out="$out GGML_AVX512=ON GGML_AVX512_VNNI=$(on_off avx512_vnni)"
    out="$out GGML_AVX512_VBMI=$(on_off avx512vbmi) GGML_AVX512_BF16=$(on_off avx512_bf16)"
else
    out="$out GGML_AVX512=OFF GGML_AVX512_VNNI=OFF GGML_AVX512_VBMI=OFF GGML_AVX512_BF16=OFF"
fi
echo "$out GGML_AMX_TILE=OFF GGML_AMX_INT8=OFF GGML_AMX_BF16=OFF"
