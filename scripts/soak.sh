#!/usr/bin/env bash
# Fault-injection sync soak and load test (the `soak/` crate, binary
# jiafang-soak) against the real server binary, on loopback only.
#
#   scripts/soak.sh quick   ~60 sync sessions on SQLite with at least one
#                           kill -9 of the server (about a minute)
#   scripts/soak.sh full    1,000 sync sessions on SQLite and on PostgreSQL,
#                           then the load test (200 clients × 20 visits ×
#                           2 photos) on both (about 15-20 minutes on 2 cores)
#
# Needs the release server (target/release/jiafang, from `make build`);
# JIAFANG_SOAK_SERVER_BIN overrides it (target/debug/jiafang works too, slowly).
# SOAK_SEED changes the seed (default 1 for quick, 2026 for full).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-quick}"
SERVER_BIN="${JIAFANG_SOAK_SERVER_BIN:-target/release/jiafang}"
export PATH="$HOME/.cargo/bin:$PATH"

if [ ! -x "$SERVER_BIN" ]; then
  echo "error: $SERVER_BIN not found: build it first (make build)" >&2
  exit 1
fi

# Its own target dir and profile: the harness does not depend on app/server.
echo "==> building jiafang-soak" >&2
CARGO_TARGET_DIR=target/soak cargo build -q -p soak --profile soak
SOAK=target/soak/soak/jiafang-soak

case "$MODE" in
  quick)
    "$SOAK" sync --sessions 60 --seed "${SOAK_SEED:-1}" --server-bin "$SERVER_BIN"
    ;;
  full)
    SEED="${SOAK_SEED:-2026}"
    failed=()
    "$SOAK" sync --sessions 1000 --seed "$SEED" --workers 8 --server-bin "$SERVER_BIN" \
      || failed+=("sync (SQLite)")
    scripts/with-postgres.sh "$SOAK" sync --sessions 1000 --seed "$SEED" --workers 8 \
      --server-bin "$SERVER_BIN" --postgres || failed+=("sync (PostgreSQL)")
    "$SOAK" load --clients 200 --visits 20 --photos 2 --server-bin "$SERVER_BIN" \
      || failed+=("load (SQLite)")
    scripts/with-postgres.sh "$SOAK" load --clients 200 --visits 20 --photos 2 \
      --server-bin "$SERVER_BIN" --postgres || failed+=("load (PostgreSQL)")
    if [ "${#failed[@]}" -gt 0 ]; then
      echo "soak: FAILED: ${failed[*]}" >&2
      exit 1
    fi
    echo "soak: all runs passed" >&2
    ;;
  *)
    echo "usage: $0 [quick|full]" >&2
    exit 2
    ;;
esac
