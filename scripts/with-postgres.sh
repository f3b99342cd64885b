#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#
#   scripts/with-postgres.sh cargo test ...
#
# The cluster lives in a temp dir, listens on 127.0.0.1 on a free port, trusts
# local connections, and is always stopped and deleted afterwards. The command
# sees JIAFANG_TEST_PG_URL=postgres://postgres@127.0.0.1:PORT/postgres and its
# exit code is this script's exit code.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

# --- find the server binaries ------------------------------------------------
PG_BIN="${PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
fi
if [ -z "$PG_BIN" ] && command -v pg_config >/dev/null 2>&1; then
  PG_BIN="$(pg_config --bindir)"
fi
if [ -z "$PG_BIN" ] && command -v initdb >/dev/null 2>&1; then
  PG_BIN="$(dirname "$(command -v initdb)")"
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "error: PostgreSQL server binaries not found (run scripts/install-tools.sh --test)" >&2
  exit 1
fi

# --- initdb refuses to run as root: run the server as 'postgres' then ---------
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "error: running as root but there is no 'postgres' user to run the server" >&2
    exit 1
  fi
  # (from / so the postgres user never needs access to the current directory)
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
  # A directory the postgres user can reach whatever root's TMPDIR is.
  PG_TMP="$(mktemp -d /tmp/jiafang-pg.XXXXXX)"
  chown postgres: "$PG_TMP"
else
  as_pg() { "$@"; }
  PG_TMP="$(mktemp -d "${TMPDIR:-/tmp}/jiafang-pg.XXXXXX")"
fi

PG_DATA="$PG_TMP/data"
PG_SOCK="$PG_TMP/sock"
PG_LOG="$PG_TMP/postgres.log"
STARTED=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$STARTED" -eq 1 ]; then
    echo "==> stopping throwaway PostgreSQL" >&2
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for port in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "error: no free port in 55432..55532" >&2
  return 1
}

echo "==> initdb ($PG_BIN) in $PG_TMP" >&2
as_pg mkdir -p "$PG_SOCK"
as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth=trust -U postgres --encoding=UTF8 --locale=C >"$PG_TMP/initdb.log" 2>&1 || {
  cat "$PG_TMP/initdb.log" >&2
  exit 1
}

# Another process may grab the port between choosing and binding: retry.
PORT=""
for attempt in 1 2 3 4 5; do
  candidate="$(free_port)"
  # fsync etc. off: the data is thrown away anyway, and tests run faster.
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $candidate -k $PG_SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null; then
    STARTED=1
    PORT="$candidate"
    break
  fi
  echo "    could not start on port $candidate (attempt $attempt)" >&2
done
if [ -z "$PORT" ]; then
  cat "$PG_LOG" >&2 || true
  echo "error: PostgreSQL did not start" >&2
  exit 1
fi

for _ in $(seq 1 60); do
  if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; then
    break
  fi
  sleep 0.5
done
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; then
  cat "$PG_LOG" >&2 || true
  echo "error: PostgreSQL is not accepting connections" >&2
  exit 1
fi

export JIAFANG_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "==> PostgreSQL ready: JIAFANG_TEST_PG_URL=$JIAFANG_TEST_PG_URL" >&2

set +e
"$@"
rc=$?
set -e
exit "$rc"
