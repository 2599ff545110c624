#!/bin/sh
# Generation speed with and without a competing busy process: the table behind howdah's
# adaptive thread count (issue 12, "no collapse on a busy CPU").
#
# Why: llama.cpp's threads wait for each other at every step, so when another program takes a
# core one of them needs, every token waits for the scheduler. On a 2-core machine with one
# `yes` running, 2 threads fell to 0.26-0.43 of their idle speed while 1 thread kept it. With
# no -t, howdah now counts the cores other programs keep busy before each request and leaves
# them alone; this script shows whether that default holds up against -t 1 and -t <cores>,
# and against llama.cpp's own llama-bench (its default thread count, and the same -t values)
# under the same load.
#
# Usage: scripts/busy-cpu-bench.sh [HOWDAH_BINARY] [MODEL...]
#   MODEL: a file name in the models folder or a path (default: the two test models).
#   LLAMA_BENCH=/path/to/llama-bench to compare; otherwise it is looked for next to the
#   llama-server build in ~/.cache/howdah-dev/llama.cpp-*/bin and on PATH.
# Figures: "tg t/s" is `howdah bench -p 0 -n 64` (llama-bench's tg64, through howdah's own
# decode and sampling); "TTFT ms" and "run t/s" are one `howdah run -p ... -n 32` from a fresh
# process (what a user waits for, load excluded). The busy core is `taskset -c 0 yes`.
# Timings on a shared machine are noisy: run it on a quiet one for figures to publish.
set -eu
bin=${1:-target/release/howdah}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- SmolLM2-135M-Instruct.Q4_1.gguf gemma-3-270m-q4_k_m.gguf
cores=$(nproc)
busy_pid=
stop_busy() { [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null; busy_pid=; }
trap stop_busy EXIT INT TERM
start_busy() {
    taskset -c 0 yes >/dev/null &
    busy_pid=$!
    sleep 1
}
llama_bench=${LLAMA_BENCH:-}
if [ -z "$llama_bench" ]; then
    for c in "$HOME"/.cache/howdah-dev/llama.cpp-*/bin/llama-bench; do
        [ -x "$c" ] && llama_bench=$c
    done
    [ -z "$llama_bench" ] && llama_bench=$(command -v llama-bench || true)
fi
# Where howdah finds a model named by its file (llama-bench needs the path).
models_dir=${HOWDAH_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/howdah}/models

# "tg_mean threads reason" from one howdah bench (empty thread flag: the adaptive default).
howdah_tg() {
    "$bin" bench -m "$1" $2 -p 0 -n 64 -r 3 --json 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin); s = r["settings"]
print("%.1f\t%s\t%s" % (r["tg"]["mean"], s["threads"], s.get("threads_reason") or "as asked"))'
}

# "ttft_ms gen_tps" from one howdah run.
howdah_ttft() {
    "$bin" run -m "$1" $2 --no-save --json --temp 0 -n 32 \
        -p "Write three sentences about the sea." 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"]
print("%.0f\t%.1f" % (s["ttft_ms"], s["gen_tps"]))'
}

# tg t/s of llama-bench (empty thread flag: its own default).
llama_tg() {
    "$llama_bench" -m "$1" $2 -p 0 -n 64 -r 3 -o json 2>/dev/null | python3 -c '
import json, sys
print("%.1f" % json.load(sys.stdin)[0]["avg_ts"])'
}

echo "| model | load | threads | chosen | tg t/s | TTFT ms | run t/s |"
echo "|---|---|---|---|---:|---:|---:|"
llama_rows=
for model in "$@"; do
    path=$model
    [ -f "$path" ] || path=$models_dir/$model
    name=$(basename "$model" .gguf)
    for load in idle "one core busy"; do
        [ "$load" = idle ] || start_busy
        for t in default 1 "$cores"; do
            flag=
            [ "$t" = default ] || flag="-t $t"
            tg=$(howdah_tg "$path" "$flag") || tg="failed		"
            ttft=$(howdah_ttft "$path" "$flag") || ttft="failed	"
            rate=$(echo "$tg" | cut -f1)
            chosen=$(echo "$tg" | cut -f2-3 | sed 's/\t/ (/; s/$/)/')
            echo "| $name | $load | $t | $chosen | $rate | $(echo "$ttft" | cut -f1) | $(echo "$ttft" | cut -f2) |"
            if [ -n "$llama_bench" ]; then
                lt=$(llama_tg "$path" "$flag") || lt=failed
                llama_rows="$llama_rows| $name | $load | $t | $lt |
"
            fi
        done
        stop_busy
    done
done
if [ -n "$llama_bench" ]; then
    echo
    echo "llama-bench ($llama_bench), tg64 t/s under the same load:"
    echo
    echo "| model | load | threads | tg t/s |"
    echo "|---|---|---|---:|"
    printf '%s' "$llama_rows"
else
    echo
    echo "(no llama-bench binary found: set LLAMA_BENCH to compare with llama.cpp's own figures)"
fi
