#!/usr/bin/env bash
# Installs the tools needed to build (and with --test, to test) 家访通.
# Idempotent: every step is skipped when it is already satisfied.
#
#   scripts/install-tools.sh          # build tools
#   scripts/install-tools.sh --test   # + Chromium, PostgreSQL, Playwright deps
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
MIN_WASM_OPT_VERSION=116

WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    -h | --help)
      sed -n '2,7p' "$0"
      exit 0
      ;;
    *)
      echo "unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

log() { echo "==> $*"; }
ok() { echo "    ok: $*"; }

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "error: '$1' is required but not installed ($2)" >&2
    exit 1
  fi
}

# Run as root, via sudo when needed.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update
    APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "$@"
}

need cargo "install Rust with rustup: https://rustup.rs"
need rustup "install Rust with rustup: https://rustup.rs"

# --- Rust target for the browser ------------------------------------------
# (rust-toolchain.toml pins the toolchain; rustup installs it on first use.)
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  ok "rust target wasm32-unknown-unknown"
else
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# --- cargo-leptos ----------------------------------------------------------
if cargo leptos --version 2>/dev/null | grep -qw "$CARGO_LEPTOS_VERSION"; then
  ok "cargo-leptos $CARGO_LEPTOS_VERSION"
else
  log "cargo install cargo-leptos --version $CARGO_LEPTOS_VERSION --locked (takes a while)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# --- wasm-bindgen CLI: must match the wasm-bindgen library exactly -----------
if [ ! -f Cargo.lock ]; then
  log "cargo generate-lockfile"
  cargo generate-lockfile
fi
WASM_BINDGEN_VERSION="$(awk '
  $0 == "name = \"wasm-bindgen\"" { found = 1; next }
  found && /^version = / { gsub(/"/, "", $3); print $3; exit }
  /^\[\[package\]\]/ { found = 0 }
' Cargo.lock)"
if [ -z "$WASM_BINDGEN_VERSION" ]; then
  echo "error: no wasm-bindgen package found in Cargo.lock" >&2
  exit 1
fi
if wasm-bindgen --version 2>/dev/null | grep -qw "$WASM_BINDGEN_VERSION"; then
  ok "wasm-bindgen $WASM_BINDGEN_VERSION"
else
  log "cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# --- wasm-opt (binaryen) -----------------------------------------------------
wasm_opt_version() {
  wasm-opt --version 2>/dev/null | sed -nE 's/.*version[ _]([0-9]+).*/\1/p' | head -n1
}
WASM_OPT_VERSION="$(wasm_opt_version || true)"
if [ -n "$WASM_OPT_VERSION" ] && [ "$WASM_OPT_VERSION" -ge "$MIN_WASM_OPT_VERSION" ]; then
  ok "wasm-opt $WASM_OPT_VERSION"
else
  need npm "install Node.js 20+ and npm"
  log "npm install -g binaryen (wasm-opt ${WASM_OPT_VERSION:-missing} < $MIN_WASM_OPT_VERSION)"
  as_root npm install -g binaryen
  hash -r
  WASM_OPT_VERSION="$(wasm_opt_version || true)"
  if [ -z "$WASM_OPT_VERSION" ] || [ "$WASM_OPT_VERSION" -lt "$MIN_WASM_OPT_VERSION" ]; then
    echo "error: wasm-opt >= $MIN_WASM_OPT_VERSION still not on PATH ($(command -v wasm-opt || echo none))" >&2
    exit 1
  fi
fi

if [ "$WITH_TEST" -eq 0 ]; then
  log "build tools ready"
  exit 0
fi

# --- test-only tools -----------------------------------------------------------
if [ -x /usr/bin/chromium ]; then
  ok "chromium"
else
  apt_install chromium chromium-driver
fi

if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  ok "postgresql ($(ls -d /usr/lib/postgresql/*/bin/initdb | head -n1))"
else
  apt_install postgresql
fi

need npm "install Node.js 20+ and npm"
if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules ]; then
  log "npm ci in end2end/ (Playwright; no browser download, we use /usr/bin/chromium)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  touch end2end/node_modules
else
  ok "end2end/node_modules"
fi

log "build and test tools ready"
