#!/usr/bin/env bash
# A private Python environment for howdah's model tools: the GGUF converter of the embedding
# model (numpy, safetensors, gguf) and its reference test (those plus tokenizers). Created once
# with pip in howdah's cache folder, never in the system Python; prints the path of its python.
#
#   scripts/py-env.sh            -> /home/me/.cache/howdah/py/bin/python
set -euo pipefail

PACKAGES=("numpy>=1.24" "safetensors>=0.4" "gguf>=0.10" "tokenizers>=0.15")

cache_dir() {
  if [ -n "${HOWDAH_PY_ENV:-}" ]; then echo "$HOWDAH_PY_ENV"; return; fi
  case "$(uname -s)" in
    Darwin) echo "$HOME/Library/Caches/howdah/py" ;;
    *) echo "${XDG_CACHE_HOME:-$HOME/.cache}/howdah/py" ;;
  esac
}

ENV_DIR=$(cache_dir)
PY="$ENV_DIR/bin/python"
STAMP="$ENV_DIR/.howdah-packages"
want="${PACKAGES[*]}"

if [ -x "$PY" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  echo "$PY"
  exit 0
fi

command -v python3 >/dev/null || { echo "py-env: python3 is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
echo "py-env: setting up $ENV_DIR (${PACKAGES[*]})" >&2
mkdir -p "$(dirname "$ENV_DIR")"
python3 -m venv "$ENV_DIR" >&2 || {
  echo "py-env: python3 cannot create a virtual environment: install python3-venv (scripts/install-deps.sh does)" >&2
  exit 1
}
"$PY" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2
echo "$want" > "$STAMP"
echo "$PY"
