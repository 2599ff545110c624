#!/usr/bin/env bash
# Installs what building howdah needs when it is missing: cmake and clang/libclang (llama.cpp
# and its bindings), python3 with pip and venv (model downloads, the embedding model's converter:
# scripts/py-env.sh) and, with --test, tmux (end-to-end tests).
# Uses apt-get, dnf, pacman or brew; otherwise says what to install.
#
# --gpu cpu|cuda|metal|vulkan: checks that the GPU toolkit of a GPU build is there and, if not,
# says what to install and stops. A GPU toolkit is never installed for a build.
# --vulkan-test: installs Mesa's software Vulkan device (lavapipe) and the Vulkan build tools,
# for `make test-vulkan` on machines without a GPU (asked for by running that target).
set -euo pipefail

want_test=0
gpu=cpu
vulkan_test=0
while [ $# -gt 0 ]; do
  case "$1" in
    --test) want_test=1 ;;
    --gpu) gpu="${2:-cpu}"; shift ;;
    --vulkan-test) vulkan_test=1; gpu=vulkan ;;
  esac
  shift
done

have_libclang() {
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  ldconfig -p 2>/dev/null | grep -q 'libclang' && return 0
  ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib64/libclang*.so* /usr/lib/libclang*.so* \
     /opt/homebrew/opt/llvm/lib/libclang.dylib /usr/local/opt/llvm/lib/libclang.dylib \
     /Library/Developer/CommandLineTools/usr/lib/libclang.dylib >/dev/null 2>&1
}

missing=()
command -v cmake >/dev/null || missing+=(cmake)
{ command -v clang >/dev/null && have_libclang; } || missing+=(clang)
python3 -m pip --version >/dev/null 2>&1 || missing+=(pip)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(venv)
[ $want_test = 1 ] && ! command -v tmux >/dev/null && missing+=(tmux)
"$(dirname "$0")/gpu-deps.sh" "$gpu" $([ $vulkan_test = 1 ] && echo --install)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo

pkgs_for() { # manager -> package names
  local m=$1 out=()
  for x in "${missing[@]}"; do
    case "$m:$x" in
      apt:cmake|dnf:cmake|pacman:cmake|brew:cmake) out+=(cmake) ;;
      apt:clang) out+=(clang libclang-dev) ;;
      dnf:clang) out+=(clang clang-devel) ;;
      pacman:clang) out+=(clang) ;;
      brew:clang) out+=(llvm) ;;
      apt:pip) out+=(python3-pip) ;;
      dnf:pip) out+=(python3-pip) ;;
      pacman:pip) out+=(python-pip) ;;
      brew:pip) out+=(python) ;;
      apt:venv) out+=(python3-venv) ;;
      dnf:venv) out+=(python3) ;;
      pacman:venv) out+=(python) ;;
      brew:venv) out+=(python) ;;
      *:tmux) out+=(tmux) ;;
    esac
  done
  echo "${out[@]}"
}

if command -v apt-get >/dev/null; then
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(pkgs_for apt)
elif command -v dnf >/dev/null; then
  $SUDO dnf install -y $(pkgs_for dnf)
elif command -v pacman >/dev/null; then
  $SUDO pacman -S --noconfirm --needed $(pkgs_for pacman)
elif command -v brew >/dev/null; then
  brew install $(pkgs_for brew)
else
  echo "install-deps: please install: ${missing[*]} (cmake, clang with libclang, python3-pip, python3-venv, tmux)" >&2
  exit 1
fi
