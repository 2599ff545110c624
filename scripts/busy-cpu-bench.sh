#!/bin/sh
# Generation speed with and without a competing busy process, per thread count and OpenMP wait
# policy: the table behind howdah's defaults (issue 12). Usage:
#   scripts/busy-cpu-bench.sh [HOWDAH_BINARY] [MODEL]
# "default" is the OpenMP runtime's own policy (what howdah ran with before it set passive);
# it is selected with an unknown value, which the runtime reports and ignores.
set -eu
bin=${1:-target/release/howdah}
model=${2:-SmolLM2-135M-Instruct.Q4_1.gguf}
cores=$(nproc)
busy_pid=
stop_busy() { [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null; busy_pid=; }
trap stop_busy EXIT INT TERM
rate() {
    # tg and pp means (t/s) of one short llama-bench style run.
    OMP_WAIT_POLICY=$1 "$bin" bench -m "$model" -t "$2" -p 64 -n 32 -r 2 --json 2>/dev/null |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.1f %.1f" % (r["tg"]["mean"], r["pp"]["mean"]))'
}
echo "| threads | OMP_WAIT_POLICY | idle tg t/s | busy tg t/s | busy/idle | idle pp t/s | busy pp t/s |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for t in 1 "$cores"; do
    for policy in default passive active; do
        p=$policy; [ "$p" = default ] && p=runtime-default
        set -- $(rate "$p" "$t"); itg=$1; ipp=$2
        taskset -c 0 yes >/dev/null & busy_pid=$!
        sleep 0.5
        set -- $(rate "$p" "$t"); btg=$1; bpp=$2
        stop_busy
        ratio=$(python3 -c "print('%.2f' % ($btg / $itg if $itg else 0))")
        echo "| $t | $policy | $itg | $btg | $ratio | $ipp | $bpp |"
    done
done
