# 家访通 — common tasks. `make run` to try it, `make test` to run every test.
SHELL := /bin/bash
.DEFAULT_GOAL := run
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Settings for `make run`; anything set in your environment wins.
JIAFANG_DEMO          ?= 1
JIAFANG_BIND          ?= 127.0.0.1:3000
JIAFANG_DATABASE_URL  ?= sqlite://data/jiafang.sqlite?mode=rwc
JIAFANG_STORAGE_DIR   ?= data/photos
JIAFANG_SITE_ROOT     ?= target/site

.PHONY: run test lint e2e bench build tools test-tools fuzz soak
# Steps depend on each other (tools before builds, builds before tests).
.NOTPARALLEL:

## run: install missing tools, build (release), migrate + seed, serve on $(JIAFANG_BIND)
run: tools build
	mkdir -p data
	@# Demo mode also records past visits once, so the dashboards have figures.
	if [ '$(JIAFANG_DEMO)' = 1 ]; then \
	JIAFANG_DATABASE_URL='$(JIAFANG_DATABASE_URL)' JIAFANG_STORAGE_DIR='$(JIAFANG_STORAGE_DIR)' \
	./target/release/jiafang seed-demo-visits; fi
	JIAFANG_DEMO='$(JIAFANG_DEMO)' \
	JIAFANG_BIND='$(JIAFANG_BIND)' \
	JIAFANG_DATABASE_URL='$(JIAFANG_DATABASE_URL)' \
	JIAFANG_STORAGE_DIR='$(JIAFANG_STORAGE_DIR)' \
	JIAFANG_SITE_ROOT='$(JIAFANG_SITE_ROOT)' \
	./target/release/jiafang

## test: Rust tests (SQLite + a throwaway PostgreSQL and S3 server), then Playwright end-to-end tests
test: test-tools
	scripts/with-postgres.sh scripts/with-s3.sh cargo test -p migrations -p app -p server --features app/ssr --no-fail-fast
	$(MAKE) --no-print-directory e2e
	@# Quick API fuzz (~1,300 requests) against the release binary e2e just built.
	scripts/fuzz-api.sh quick target/release/jiafang
	@# Quick fault-injection sync soak (60 sessions, kill -9 included, ~30 s).
	scripts/soak.sh quick

## e2e: release build + Playwright in headless Chromium
e2e: build
	cd end2end && npx playwright test

## bench: county-scale quota figures and sync/photo ingest against raw writes (SQLite + a
## throwaway PostgreSQL), then client figures
## (bundle size, 12 MP photo on the phone); prints, never fails on a number
bench: test-tools build
	scripts/with-postgres.sh cargo bench -p server --bench county
	scripts/with-postgres.sh cargo bench -p server --bench ingest
	cd end2end && npx playwright test -c bench.config.ts

## fuzz: schemathesis over every /api/v1 operation as 6 accounts (> 10,000 requests, ~10 min)
fuzz: test-tools build
	scripts/fuzz-api.sh full target/release/jiafang

## soak: 1,000 fault-injected sync sessions and the 200-client load test, on SQLite and
## PostgreSQL (~15-20 min)
soak: test-tools build
	scripts/soak.sh full

## lint: formatting and clippy (server and wasm client)
lint:
	cargo fmt --all -- --check
	cargo clippy -p app -p server -p migrations --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

## build: release server and client; the client also gzip/brotli-compressed once, so
## browsers download the smallest form (served by Leptos' file handler)
build:
	cargo leptos build --release --precompress
	@# cargo-leptos' own gzip is weaker than gzip -9 (wasm: 1.05 MB against 0.89 MB),
	@# and gzip is what browsers without brotli (any plain-HTTP site) get.
	for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do \
	  gzip -9 -n -c "$$f" > "$$f.gz"; done

tools:
	scripts/install-tools.sh

test-tools:
	scripts/install-tools.sh --test
