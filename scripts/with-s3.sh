#!/usr/bin/env bash
# Runs a command against a throwaway S3-compatible server (moto, from PyPI):
#
#   scripts/with-s3.sh cargo test ...
#
# moto listens on 127.0.0.1 on a free port and is stopped afterwards. The
# command sees JIAFANG_TEST_S3_ENDPOINT=http://127.0.0.1:PORT and
# JIAFANG_TEST_S3_BUCKET (created empty); its exit code is this script's.
# moto is installed into target/s3-venv the first time.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${S3_VENV:-$root/target/s3-venv}"
moto_version=5.2.5

if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/pip" show moto 2>/dev/null | grep -qx "Version: $moto_version"; then
  echo "==> installing moto $moto_version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "moto[server]==$moto_version"
fi

# A request with python's standard library (no curl needed): fails unless 2xx.
http() {
  python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[2], method=sys.argv[1], data=b"" if sys.argv[1] == "PUT" else None), timeout=5)' "$1" "$2"
}

LOG="$(mktemp "${TMPDIR:-/tmp}/jiafang-moto.XXXXXX")"
PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -f "$LOG"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Another process may grab the port between choosing and binding: retry.
PORT=""
for attempt in 1 2 3 4 5; do
  candidate="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$candidate" >"$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    if http GET "http://127.0.0.1:$candidate/moto-api/" 2>/dev/null; then
      PORT="$candidate"
      break
    fi
    if ! kill -0 "$PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  [ -n "$PORT" ] && break
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
  echo "    moto did not start on port $candidate (attempt $attempt)" >&2
done
if [ -z "$PORT" ]; then
  cat "$LOG" >&2 || true
  echo "error: moto did not start" >&2
  exit 1
fi

BUCKET=jiafang-test
# moto accepts unsigned requests: create the bucket with a plain PUT.
http PUT "http://127.0.0.1:$PORT/$BUCKET"
echo "==> S3 (moto) on 127.0.0.1:$PORT, bucket $BUCKET" >&2

export JIAFANG_TEST_S3_ENDPOINT="http://127.0.0.1:$PORT"
export JIAFANG_TEST_S3_BUCKET="$BUCKET"
set +e
"$@"
rc=$?
set -e
exit "$rc"
