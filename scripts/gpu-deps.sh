#!/usr/bin/env bash
# The toolkit a GPU build of llama.cpp needs (called by install-deps.sh).
# Usage: gpu-deps.sh cpu|cuda|metal|vulkan [--install]
#   Without --install: when the toolkit of the backend is missing, says what to install (per
#   package manager) and exits 1. GPU toolkits are big and tied to the driver, so a build never
#   installs one unasked.
#   --install (vulkan only, `make test-vulkan`): installs Mesa's software Vulkan device
#   (lavapipe), the loader and headers, glslc, vulkaninfo and SPIRV-Headers with apt/dnf/pacman.
set -euo pipefail

backend="${1:-cpu}"
install=0
[ "${2:-}" = "--install" ] && install=1

have_vulkan_build_tools() {
  command -v glslc >/dev/null || return 1
  if command -v pkg-config >/dev/null && pkg-config --exists vulkan 2>/dev/null; then
    :
  elif [ -z "${VULKAN_SDK:-}" ] && [ ! -f /usr/include/vulkan/vulkan.hpp ]; then
    return 1
  fi
  # ggml-vulkan asks CMake for SPIRV-Headers' package config.
  [ -n "${VULKAN_SDK:-}" ] && return 0
  for d in /usr/share/cmake/SPIRV-Headers /usr/lib/*/cmake/SPIRV-Headers /usr/lib/cmake/SPIRV-Headers \
     /usr/lib64/cmake/SPIRV-Headers /opt/homebrew/share/cmake/SPIRV-Headers; do
    [ -d "$d" ] && return 0
  done
  return 1
}

have_lavapipe() {
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -q 'PHYSICAL_DEVICE_TYPE_CPU'
}

case "$backend" in
  cpu) exit 0 ;;
  metal)
    [ "$(uname -s)" = Darwin ] && exit 0
    echo "GPU=metal: Metal exists only on macOS; use GPU=cuda, GPU=vulkan or GPU=cpu here" >&2
    exit 1 ;;
  cuda)
    if command -v nvcc >/dev/null || { [ -n "${CUDA_PATH:-}" ] && [ -x "$CUDA_PATH/bin/nvcc" ]; }; then
      exit 0
    fi
    cat >&2 <<'EOF'
GPU=cuda: the CUDA toolkit (nvcc) is not found. Install it from NVIDIA's CUDA downloads for your
driver (Debian/Ubuntu: nvidia-cuda-toolkit, or NVIDIA's cuda-toolkit-12-x package; Fedora:
cuda-toolkit from NVIDIA's repository), then put nvcc on PATH or set CUDA_PATH. Build for your
card only with CMAKE_CUDA_ARCHITECTURES=89 (the compute capability nvidia-smi shows, without the
dot): much faster to compile.
EOF
    exit 1 ;;
  vulkan)
    if have_vulkan_build_tools && { [ $install = 0 ] || have_lavapipe; }; then
      exit 0
    fi
    if [ $install = 0 ]; then
      cat >&2 <<'EOF'
GPU=vulkan: the Vulkan build tools are missing (the loader with its headers, glslc, SPIRV-Headers).
  Debian/Ubuntu: sudo apt-get install libvulkan-dev glslc spirv-headers vulkan-tools
  Fedora:        sudo dnf install vulkan-loader-devel glslc spirv-headers-devel vulkan-tools
  Arch:          sudo pacman -S vulkan-icd-loader vulkan-headers shaderc spirv-headers vulkan-tools
  or LunarG's Vulkan SDK (set VULKAN_SDK). Your GPU's Vulkan driver comes with its graphics driver.
EOF
      exit 1
    fi
    SUDO=""
    [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
    echo "install-deps: installing the Vulkan build tools and Mesa's software Vulkan device (lavapipe)"
    if command -v apt-get >/dev/null; then
      $SUDO apt-get update -qq
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        mesa-vulkan-drivers libvulkan-dev glslc vulkan-tools spirv-headers
    elif command -v dnf >/dev/null; then
      $SUDO dnf install -y mesa-vulkan-drivers vulkan-loader-devel glslc vulkan-tools spirv-headers-devel
    elif command -v pacman >/dev/null; then
      $SUDO pacman -S --noconfirm --needed vulkan-swrast vulkan-icd-loader vulkan-headers shaderc vulkan-tools spirv-headers
    else
      echo "install-deps: please install Mesa's lavapipe Vulkan driver, the Vulkan loader and headers, glslc, vulkaninfo and SPIRV-Headers" >&2
      exit 1
    fi ;;
  *)
    echo "GPU=$backend is not a backend: use cpu, cuda, metal or vulkan" >&2
    exit 1 ;;
esac
