#!/usr/bin/env bash
# Pictures of each screen for assets/ and the README (`make screenshots`): drives the real app in
# a private tmux server with a real model, captures each screen with its colours
# (`tmux capture-pane -e`) and renders it to SVG with scripts/ansi2svg.py.
#
# Everything the app writes goes to a temporary folder (HOWDAH_*/XDG_* and HOME point there);
# the model folder is only read. Run again whenever a screen changes.
#   BIN=target/release/howdah  MODELS=~/.local/share/howdah/models  OUT=assets
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/target/release/howdah}
MODELS=${MODELS:-$HOME/.local/share/howdah/models}
OUT=${OUT:-$ROOT/assets}
MODEL=$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf
# The replay is run against this one, so that its diff has something to show.
OTHER=$MODELS/gemma-3-270m-q4_k_m.gguf
W=110
H=32
WAIT=${WAIT:-300}

command -v tmux >/dev/null || { echo "screenshots: tmux is needed (apt-get install tmux)"; exit 1; }
[ -x "$BIN" ] || { echo "screenshots: build first (make build): $BIN is missing"; exit 1; }
[ -f "$MODEL" ] || { echo "screenshots: $MODEL is missing (make default-model)"; exit 1; }
[ -f "$OTHER" ] || { echo "screenshots: $OTHER is missing (make models)"; exit 1; }

TMP=$(mktemp -d)
SOCK=howdah-shots-$$
cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/home" "$TMP/data/models" "$TMP/config" "$OUT"
# The picker lists the model through a link; the real folder is never written.
ln -s "$MODEL" "$OTHER" "$TMP/data/models/"
# Greedy, short replies: the pictures come out the same on every run.
cat >"$TMP/config/presets.toml" <<'TOML'
[presets.screenshots]
temperature = 0.0
max_tokens = 180
TOML
printf 'preset = "screenshots"\n' >"$TMP/config/config.toml"

screen() { tmux -L "$SOCK" capture-pane -p -t shots; }
keys() { tmux -L "$SOCK" send-keys -t shots "$@"; }
text() { tmux -L "$SOCK" send-keys -t shots -l "$1"; }

# Waits until the screen shows $1 and has stopped changing (a reply finished, a chart drawn).
wait_for() {
    local want=$1 start=$SECONDS last="" now
    while true; do
        now=$(screen)
        if [[ "$now" == *"$want"* && "$now" == "$last" ]]; then
            return 0
        fi
        if ((SECONDS - start > WAIT)); then
            echo "screenshots: gave up waiting for '$want'; the screen was:" >&2
            echo "$now" >&2
            exit 1
        fi
        last=$now
        sleep 1.5
    done
}

# Waits until $1 shows at least $2 times on a screen that has stopped changing.
wait_count() {
    local want=$1 n=$2 start=$SECONDS last="" now
    while true; do
        now=$(screen)
        if (($(grep -oF -- "$want" <<<"$now" | wc -l) >= n)) && [[ "$now" == "$last" ]]; then
            return 0
        fi
        if ((SECONDS - start > WAIT)); then
            echo "screenshots: gave up waiting for $n × '$want'; the screen was:" >&2
            echo "$now" >&2
            exit 1
        fi
        last=$now
        sleep 1.5
    done
}

# Saves the screen as $OUT/$1.svg, titled $2.
shot() {
    tmux -L "$SOCK" capture-pane -e -p -t shots |
        python3 "$ROOT/scripts/ansi2svg.py" --cols "$W" --rows "$H" --title "howdah: $2" >"$OUT/$1.svg"
    echo "screenshots: $OUT/$1.svg"
}

tmux -L "$SOCK" -f /dev/null new-session -d -s shots -x "$W" -y "$H" \
    env -i PATH="$PATH" HOME="$TMP/home" TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 \
    HOWDAH_DATA_DIR="$TMP/data" HOWDAH_CONFIG_DIR="$TMP/config" \
    XDG_CONFIG_HOME="$TMP/xdg/config" XDG_DATA_HOME="$TMP/xdg/data" XDG_CACHE_HOME="$TMP/xdg/cache" \
    "$BIN" -m "$MODEL"
wait_for "● ready"

# Chat with a code block.
text "Write a Python function that adds two numbers."
keys Enter
wait_for "tok/s"
shot chat "chat with a code block"

# The token heat-map: each token coloured by its probability, one selected with its alternatives.
keys C-t Tab Right Right Right Right Right Right
wait_for "Token"
shot heatmap "token heat-map"
keys C-t Tab Tab

# The template browser on the sentiment template.
keys C-g
wait_for "Template"
for _ in $(seq 1 20); do
    [[ "$(screen)" == *"Classify the sentiment"* ]] && break
    keys Down
    sleep 0.5
done
wait_for "Classify the sentiment"
shot templates "template browser"

# Compare zero-, one- and k-shot with label probabilities, then an evaluation with its chart.
keys Tab
sleep 0.5
text "The food was cold and the waiter was rude."
keys Escape
sleep 0.5
keys c
# The compare view opens with the template's input filled in; enter runs every variant on it.
wait_for "Compare"
keys Enter
wait_for "input: The food"
# Every column done: each says how many tokens it read and wrote.
wait_count "· gen " 3
shot compare "compare view with label probabilities"
keys C-l
sleep 1
text "$ROOT/tests/data/sentiment/sentiment-12.csv"
keys Enter
wait_for "saves predictions"
shot eval "evaluation chart"
keys F3
sleep 1

# Load the other model: the replay then runs the chat against it.
keys C-o
wait_for "gemma-3-270m"
for _ in $(seq 1 6); do
    grep -q "› gemma-3-270m" <<<"$(screen)" && break
    keys Down
    sleep 0.5
done
keys Enter
wait_for "gemma-3-270m-q4_k_m │ ● ready"

# The session browser, then a replay of the chat with its word diff.
keys F2
wait_for "updated"
shot sessions "session browser"
# The compare run and the evaluation are sessions too (newest first): list the chats only, so
# the replay below starts on the chat.
keys f
wait_for "showing chats only"
keys p
wait_for "Replay"
keys s a
wait_for "replayed:"
shot replay "replay with a word diff"

keys C-q
sleep 1
