#!/bin/sh
# Prints the GPU backend `make build` / `make run` compile llama.cpp for: cpu, cuda, metal or
# vulkan. GPU=... overrides (checked by the Makefile); otherwise, in this order:
#   metal  on Apple Silicon macOS;
#   cuda   when nvcc is on PATH or CUDA_PATH is set;
#   vulkan when the Vulkan loader, its headers and glslc are installed AND vulkaninfo lists a real
#          GPU. A software device (Mesa's llvmpipe/lavapipe, deviceType CPU) does not count:
#          running the layers on it is slower than llama.cpp's own CPU code, and llama.cpp's
#          Vulkan backend skips such devices anyway unless GGML_VK_VISIBLE_DEVICES names them;
#   cpu    otherwise.
# With --why it prints one line saying why, for the Makefile to show before the build.
set -eu

why=0
[ "${1:-}" = "--why" ] && why=1
say() { # backend reason
    if [ $why = 1 ]; then echo "$1 ($2)"; else echo "$1"; fi
    exit 0
}

if [ -n "${GPU:-}" ]; then
    say "$GPU" "GPU=$GPU asked for"
fi

os=$(uname -s 2>/dev/null || echo unknown)
arch=$(uname -m 2>/dev/null || echo unknown)
if [ "$os" = Darwin ] && [ "$arch" = arm64 ]; then
    say metal "Apple Silicon"
fi

if command -v nvcc >/dev/null 2>&1; then
    say cuda "nvcc found: $(command -v nvcc)"
fi
if [ -n "${CUDA_PATH:-}" ]; then
    say cuda "CUDA_PATH=$CUDA_PATH"
fi

vulkan_tools() {
    command -v glslc >/dev/null 2>&1 || return 1
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists vulkan 2>/dev/null; then
        return 0
    fi
    [ -f /usr/include/vulkan/vulkan.h ] || [ -n "${VULKAN_SDK:-}" ]
}

# The first hardware device vulkaninfo lists ("NVIDIA GeForce RTX 4090"), or nothing.
vulkan_gpu() {
    command -v vulkaninfo >/dev/null 2>&1 || return 0
    vulkaninfo --summary 2>/dev/null | awk '
        /deviceType/ { type = $3 }
        /deviceName/ {
            sub(/^[^=]*= */, "")
            if (type != "PHYSICAL_DEVICE_TYPE_CPU" && !found) { print; found = 1 }
        }'
}

if vulkan_tools; then
    gpu=$(vulkan_gpu)
    if [ -n "$gpu" ]; then
        say vulkan "Vulkan loader, glslc and a GPU: $gpu"
    fi
    if command -v vulkaninfo >/dev/null 2>&1; then
        say cpu "Vulkan is installed but lists no hardware GPU (a software device only); GPU=vulkan builds for it anyway"
    fi
    say cpu "Vulkan is installed but vulkaninfo (vulkan-tools) is not, so no GPU can be seen; GPU=vulkan builds for Vulkan"
fi
say cpu "no Metal, CUDA or Vulkan GPU found; GPU=cuda|metal|vulkan overrides"
