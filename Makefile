# howdah: `make run` builds, fetches the default model if missing and starts the chat;
# `make test` runs the whole suite against real models.
CARGO ?= cargo
BIN := target/release/howdah

.PHONY: run build test deps test-deps models default-model lint fmt bench clean-models

run: deps default-model build
	$(BIN)

build: deps
	$(CARGO) build --release

test: test-deps models
	$(CARGO) fmt --check
	$(CARGO) test --release -- --test-threads=1

lint: deps
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings

bench: deps default-model
	$(CARGO) run --release -- bench -r 3 --variants 3
	$(CARGO) bench --bench render

deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
	@scripts/install-deps.sh

test-deps:
	@command -v $(CARGO) >/dev/null || { echo "Rust is needed: install it with rustup (https://rustup.rs)"; exit 1; }
	@scripts/install-deps.sh --test

default-model:
	@scripts/fetch-models.sh smollm2

models:
	@scripts/fetch-models.sh
