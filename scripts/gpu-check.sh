#!/usr/bin/env bash
# One prepared check of howdah on a machine with an NVIDIA GPU (plan: under 10 minutes on a
# 16-core machine). It
#   1. builds howdah with the `cuda` feature for this card's architecture only
#      (CMAKE_CUDA_ARCHITECTURES from nvidia-smi's compute capability: one architecture
#      compiles several times faster than llama.cpp's default list), and llama.cpp's llama-bench
#      from the same llama.cpp source (the one llama-cpp-sys-2 vendors), in parallel;
#   2. benchmarks both test models: `howdah bench -ngl auto` against `llama-bench -ngl 99`;
#   3. checks greedy agreement of the GPU with the CPU (the same binary with -ngl 0);
#   4. measures label-scoring accuracy on the 120-row sentiment set on the GPU and the CPU.
# Figures go to stdout and to $OUT (or ./gpu-check-out) as JSON/markdown files.
# Usage: scripts/gpu-check.sh   (needs nvidia-smi, nvcc, cmake, the test models: make models)
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-gpu-check-out}"
mkdir -p "$out"
log() { echo "[gpu-check $(date +%T)] $*"; }
start=$(date +%s)

command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: no NVIDIA GPU here" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.total,memory.free,driver_version,compute_cap --format=csv | tee "$out/gpu.csv"
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
export CMAKE_CUDA_ARCHITECTURES="$cap"
if ! command -v nvcc >/dev/null; then
    for d in "${CUDA_PATH:-}" /usr/local/cuda /opt/cuda; do
        [ -n "$d" ] && [ -x "$d/bin/nvcc" ] && export PATH="$d/bin:$PATH" && break
    done
fi
command -v nvcc >/dev/null || { echo "gpu-check: nvcc not found (install the CUDA toolkit or set CUDA_PATH)" >&2; exit 1; }
jobs=$(nproc)
half=$(( jobs > 3 ? jobs / 2 : 1 ))

# llama-bench from the very llama.cpp howdah links (llama-cpp-sys-2's vendored copy).
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/llama-cpp-sys-2-0.1.161/llama.cpp 2>/dev/null | head -1 || true)
bench_dir="$out/llama-bench-build"
(
    if [ -n "$src" ]; then
        cmake -S "$src" -B "$bench_dir" -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON \
            -DCMAKE_CUDA_ARCHITECTURES="$cap" -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
            -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >"$out/llama-bench-cmake.log" 2>&1 &&
            cmake --build "$bench_dir" --target llama-bench -j "$half" >"$out/llama-bench-build.log" 2>&1 ||
            echo "llama-bench build failed: see $out/llama-bench-build.log" >&2
    fi
) &
bench_pid=$!

log "building howdah with cuda for sm_$cap ($half of $jobs cores; llama-bench builds alongside)"
CMAKE_BUILD_PARALLEL_LEVEL=$half GPU=cuda make build >"$out/howdah-build.log" 2>&1 ||
    { tail -30 "$out/howdah-build.log"; exit 1; }
wait $bench_pid || true
log "built in $(( $(date +%s) - start )) s"

bin=target/release/howdah
models="${HOWDAH_MODELS_DIR:-$HOME/.local/share/howdah/models}"
smol="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
gemma="$models/gemma-3-270m-q4_k_m.gguf"
llama_bench=$(ls "$bench_dir"/bin/llama-bench 2>/dev/null || true)

{
    echo "| model | howdah pp512 t/s | howdah tg128 t/s | llama-bench pp512 t/s | llama-bench tg128 t/s | placement |"
    echo "|---|---:|---:|---:|---:|---|"
} >"$out/bench.md"
for m in "$smol" "$gemma"; do
    name=$(basename "$m" .gguf)
    log "bench $name"
    "$bin" bench -m "$m" -ngl auto -p 512 -n 128 -r 3 --json >"$out/howdah-bench-$name.json"
    lb_pp="-"; lb_tg="-"
    if [ -n "$llama_bench" ]; then
        "$llama_bench" -m "$m" -ngl 99 -p 512 -n 128 -r 3 -o json >"$out/llama-bench-$name.json" 2>/dev/null
        lb_pp=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(round([x['avg_ts'] for x in r if x['n_prompt']>0][0],1))" "$out/llama-bench-$name.json")
        lb_tg=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(round([x['avg_ts'] for x in r if x['n_gen']>0][0],1))" "$out/llama-bench-$name.json")
    fi
    python3 - "$out/howdah-bench-$name.json" "$name" "$lb_pp" "$lb_tg" >>"$out/bench.md" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {v['pp']['mean']:.1f} | {v['tg']['mean']:.1f} | {sys.argv[3]} | {sys.argv[4]} "
      f"| {v.get('backend')} {v.get('layers_offloaded')}/{v.get('layers_total')} · {v.get('device')} |")
EOF
done
cat "$out/bench.md"

log "greedy agreement, GPU vs CPU (same binary, -ngl 0)"
prompt="The history of the Roman Empire begins with"
for m in "$smol" "$gemma"; do
    name=$(basename "$m" .gguf)
    "$bin" run -m "$m" -ngl auto --raw --temp 0 -n 64 --no-save -p "$prompt" >"$out/greedy-gpu-$name.txt" 2>/dev/null
    "$bin" run -m "$m" -ngl 0 --raw --temp 0 -n 64 --no-save -p "$prompt" >"$out/greedy-cpu-$name.txt" 2>/dev/null
    python3 - "$out/greedy-cpu-$name.txt" "$out/greedy-gpu-$name.txt" "$name" <<'EOF'
import sys
a, b = open(sys.argv[1]).read(), open(sys.argv[2]).read()
n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
print(f"{sys.argv[3]}: CPU and GPU greedy texts {'identical' if a == b else f'part at character {n}'} ({len(a)} / {len(b)} characters)")
EOF
done | tee "$out/greedy.txt"

log "label scoring, 120-row sentiment set (gemma, 0 and 4 shots), GPU then CPU"
for ngl in auto 0; do
    "$bin" eval sentiment --data tests/data/sentiment/sentiment-120.csv -m "$gemma" -ngl "$ngl" \
        --shots 0,4 --method score --format md --no-save >"$out/eval-ngl-$ngl.md" 2>"$out/eval-ngl-$ngl.err"
    echo "-ngl $ngl:"; cat "$out/eval-ngl-$ngl.md"
done
log "done in $(( $(date +%s) - start )) s; files in $out"
