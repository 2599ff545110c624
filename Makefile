# howdah: `make run` builds, fetches the default model if missing and starts the chat;
# `make test` runs the whole suite against real models.
CARGO ?= cargo
BIN := target/release/howdah

# llama.cpp is built for this CPU's vector extensions (AVX-512/VNNI where present, never AMX):
# see scripts/cpu-flags.sh. The marker records them in llama.cpp's CMake cache, where
# scripts/llama-build-check.sh compares them before each build (HOWDAH_PORTABLE=1: baseline).
CPU_FLAGS := $(shell sh scripts/cpu-flags.sh)
$(foreach f,$(CPU_FLAGS),$(eval export $(f)))
CPU_MARKER := $(strip make $(or $(CPU_FLAGS),portable))

# The GPU backend (scripts/gpu-backend.sh: Metal on Apple Silicon, CUDA with nvcc/CUDA_PATH,
# Vulkan with its tools and a hardware GPU, else CPU); GPU=cpu|cuda|metal|vulkan overrides. It
# joins the marker, so switching backends rebuilds llama.cpp (CUDA: so does the architecture
# list, CMAKE_CUDA_ARCHITECTURES). The test suite and lint always build for the CPU.
GPU ?= $(shell sh scripts/gpu-backend.sh)
ifeq ($(filter $(GPU),cpu cuda metal vulkan),)
$(error GPU=$(GPU) is not a backend: use cpu, cuda, metal or vulkan)
endif
GPU_FEATURES := $(if $(filter-out cpu,$(GPU)),--features $(GPU))
GPU_MARKER := $(strip $(CPU_MARKER) $(if $(filter-out cpu,$(GPU)),gpu=$(GPU) $(CMAKE_CUDA_ARCHITECTURES)))
export GGML_HOWDAH_BUILD := $(GPU_MARKER)
VULKAN_MARKER := $(CPU_MARKER) gpu=vulkan
test test-deps lint: export GGML_HOWDAH_BUILD := $(CPU_MARKER)
test-vulkan: export GGML_HOWDAH_BUILD := $(VULKAN_MARKER)
# Vulkan-Hpp from before 1.3.261 (Debian 12) lacks types llama.cpp names: see the header there.
VULKAN_CPATH := $(CURDIR)/scripts/vulkan-compat$(if $(CPATH),:$(CPATH))
test-vulkan: export CPATH := $(VULKAN_CPATH)
ifeq ($(GPU),vulkan)
export CPATH := $(VULKAN_CPATH)
endif

.PHONY: run build test test-vulkan deps test-deps models default-model lint fmt bench clean-models cpu-flags gpu-backend screenshots

run: deps default-model build
	$(BIN)

build: deps
	$(CARGO) build --release $(GPU_FEATURES)

# HOWDAH_TEST_VULKAN=1 adds the Vulkan test set (make test-vulkan) after the main suite.
test: test-deps
	$(CARGO) fmt --check
	$(CARGO) test --release -- --test-threads=1
	@if [ "$(HOWDAH_TEST_VULKAN)" = 1 ]; then $(MAKE) --no-print-directory test-vulkan; fi

# GPU offload on a real Vulkan device without a GPU: Mesa's lavapipe (installed here when
# missing), llama.cpp's Vulkan backend in the same target folder as the CPU build (cargo gives
# it its own llama.cpp build folder; only llama.cpp, the bindings and howdah are built again,
# and neither build makes the other stale), one test binary. The tests name lavapipe to
# llama.cpp themselves (GGML_VK_VISIBLE_DEVICES) and keep Mesa's pipeline cache in target/tmp.
test-vulkan: models
	@scripts/install-deps.sh --vulkan-test
	@scripts/llama-build-check.sh "$(VULKAN_MARKER)"
	$(CARGO) test --release --features vulkan --test gpu_vulkan -- --test-threads=1

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings

# Pictures of each screen in assets/ (the README shows them), from the real app in tmux; not part
# of `make test`.
screenshots: build models
	scripts/screenshots.sh

bench: deps default-model
	$(CARGO) run --release $(GPU_FEATURES) -- bench -r 3 --variants 3
	$(CARGO) bench $(GPU_FEATURES) --bench render

deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
	@echo "llama.cpp backend: $(if $(filter command line environment,$(origin GPU)),$(GPU) (GPU=$(GPU) asked for),$(shell sh scripts/gpu-backend.sh --why))"
	@scripts/install-deps.sh --gpu $(GPU)
	@scripts/llama-build-check.sh "$(GGML_HOWDAH_BUILD)"

# The models, the converter's Python env and llama-server's source download while cargo builds
# the tests (scripts/test-prep.sh says why); llama-server is built after.
test-deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
	@scripts/install-deps.sh --test
	@scripts/llama-build-check.sh "$(GGML_HOWDAH_BUILD)"
	@CARGO="$(CARGO)" scripts/test-prep.sh

default-model:
	@scripts/fetch-models.sh smollm2

models:
	@scripts/fetch-models.sh

cpu-flags:
	@echo "$(CPU_FLAGS)"

gpu-backend:
	@echo "$(GPU)"
