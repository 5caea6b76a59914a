# Veza Live developer entry points. `make` lists the targets.
# Extra arguments: make test ARGS='-p veza-live-catalog -- --nocapture'
SHELL := bash
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test web-test e2e fuzz bench deps infra-up infra-down infra-status check fmt fmt-imports lint openapi token clean-dev

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

run: ## Build and run all services locally (Ctrl-C stops everything)
	@bash $(ROOT)scripts/run.sh

test: ## Run every test (workspace, web client, end to end) against throw-away PostgreSQL and NATS
	@bash $(ROOT)scripts/test.sh $(ARGS)

web-test: ## Web client: Vitest units and the Storybook build
	@TEST_STAGES="npm-ci vitest storybook" bash $(ROOT)scripts/test.sh

e2e: ## End-to-end browser test on the real stack (Chromium, ffmpeg, nginx-rtmp)
	@TEST_STAGES="npm-ci web-build bins e2e" bash $(ROOT)scripts/test.sh

fuzz: ## API fuzzing (schemathesis) and a JWT/WebSocket abuse matrix on the real stack; FUZZ_SECONDS=300
	@bash $(ROOT)scripts/fuzz.sh

bench: ## Release builds against Node.js peers and pgbench; writes docs/PERFORMANCE.md (~6 min, not in CI)
	@bash $(ROOT)bench/run.sh

deps: ## Install missing system packages (PostgreSQL, NATS, nginx-rtmp, ffmpeg, Node.js, ...)
	@bash $(ROOT)scripts/deps.sh $(ARGS)

infra-up: ## Start PostgreSQL and NATS for `make run`
	@bash $(ROOT)scripts/infra.sh up run

infra-down: ## Stop PostgreSQL and NATS for `make run`
	@bash $(ROOT)scripts/infra.sh down run

infra-status: ## Show whether the local infrastructure is running
	@bash $(ROOT)scripts/infra.sh status run; bash $(ROOT)scripts/infra.sh status test; true

check: ## Type-check every crate and target
	cargo check --workspace --all-targets $(ARGS)

fmt: ## Format all code
	cargo fmt --all $(ARGS)

fmt-imports: ## Regroup imports (one `use` per crate; std, external, crate) with a nightly rustfmt
	cargo +nightly fmt --all -- --config imports_granularity=Crate,group_imports=StdExternalCrate

lint: ## Clippy with warnings as errors
	cargo clippy --workspace --all-targets $(ARGS) -- -D warnings

openapi: ## Regenerate docs/openapi/*.json from the code
	UPDATE_OPENAPI=1 cargo test --workspace --lib openapi

token: ## Mint a dev JWT: make token NAME=alice
	@bash $(ROOT)scripts/dev-token.sh $(or $(NAME),dev)

clean-dev: ## Stop local infrastructure (both profiles) and delete .dev/
	@bash $(ROOT)scripts/infra.sh down run
	@bash $(ROOT)scripts/infra.sh down test
	rm -rf $(ROOT).dev
