# howdah: `make run` builds, fetches the default model if missing and starts the chat;
# `make test` runs the whole suite against real models.
CARGO ?= cargo
BIN := target/release/howdah

# llama.cpp is built for this CPU's vector extensions (AVX-512/VNNI where present, never AMX):
# see scripts/cpu-flags.sh. The marker records them in llama.cpp's CMake cache, where
# scripts/llama-build-check.sh compares them before each build (HOWDAH_PORTABLE=1: baseline).
CPU_FLAGS := $(shell sh scripts/cpu-flags.sh)
$(foreach f,$(CPU_FLAGS),$(eval export $(f)))
export GGML_HOWDAH_BUILD := $(strip make $(or $(CPU_FLAGS),portable))

.PHONY: run build test deps test-deps models default-model lint fmt bench clean-models cpu-flags screenshots

run: deps default-model build
	$(BIN)

build: deps
	$(CARGO) build --release

test: test-deps
	$(CARGO) fmt --check
	$(CARGO) test --release -- --test-threads=1

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings

# Pictures of each screen in assets/ (the README shows them), from the real app in tmux; not part
# of `make test`.
screenshots: build models
	scripts/screenshots.sh

bench: deps default-model
	$(CARGO) run --release -- bench -r 3 --variants 3
	$(CARGO) bench --bench render

deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
	@scripts/install-deps.sh
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
