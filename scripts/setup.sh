#!/usr/bin/env bash
# Set up everything needed to build, test and benchmark django-bolt.
# Idempotent: safe to run again; it rebuilds the Rust extension when sources changed.
#
#   bash scripts/setup.sh              # everything: tests, benchmarks, their tools
#   bash scripts/setup.sh --example    # only what the example project needs:
#                                      # .venv and the package (Django, msgspec)
#
# Environment:
#   PYTHON          python interpreter used to create .venv (default: python3)
#   BOLT_PROFILE    cargo profile for the extension build (default: dev-fast)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

EXAMPLE_ONLY=0
case "${1:-}" in
    --example) EXAMPLE_ONLY=1 ;;
    "") ;;
    *) echo "usage: bash scripts/setup.sh [--example]" >&2; exit 2 ;;
esac

PYTHON="${PYTHON:-python3}"
BOLT_PROFILE="${BOLT_PROFILE:-dev-fast}"
VENV="$ROOT/.venv"

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }

# --- 1. System packages (Debian) -------------------------------------------
step "System packages (wrk, h2load, curl, openssl; chromium, postgresql, redis, nginx and haproxy for tests)"
missing=()
if [ "$EXAMPLE_ONLY" -eq 1 ]; then
    info "not needed by the example"
else
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    # Browser tests drive a headless Chromium; database tests start their own PostgreSQL,
    # the shared-state tests their own Redis, and the deployment tests their own nginx and
    # HAProxy in front of two servers.
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
    [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
    if [ "${#missing[@]}" -eq 0 ]; then
        info "all present"
    elif ! command -v apt-get >/dev/null 2>&1; then
        info "missing: ${missing[*]} (no apt-get here; install them yourself, benches need them)"
    elif [ "$(id -u)" -ne 0 ]; then
        info "missing: ${missing[*]} (not root; run: sudo apt-get install ${missing[*]})"
    else
        info "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# --- 2. Rust toolchain -------------------------------------------------------
step "Rust toolchain"
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install a Rust toolchain (rustup) first" >&2
    exit 1
fi
info "$(cargo --version)"

# --- 3. Python virtualenv ----------------------------------------------------
step "Python virtualenv (.venv)"
if [ ! -x "$VENV/bin/python" ]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "error: $PYTHON not found; install Python >= 3.11" >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "error: $PYTHON is $("$PYTHON" --version 2>&1); Python >= 3.11 is required" >&2
        exit 1
    fi
    info "creating with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
else
    if ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "error: .venv uses $("$VENV/bin/python" --version 2>&1); Python >= 3.11 is required" >&2
        echo "       remove .venv and run this script again" >&2
        exit 1
    fi
    info "exists ($("$VENV/bin/python" --version 2>&1))"
fi

# --- 4. pip and maturin ------------------------------------------------------
step "pip and maturin"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.7,<2"
info "$("$VENV/bin/maturin" --version)"

# --- 5. django-bolt (editable) with test and bench extras --------------------
# The example needs the package alone; tests and benchmarks need their extras.
target='.[test,bench]'
[ "$EXAMPLE_ONLY" -eq 1 ] && target='.'
step "django-bolt (editable, profile $BOLT_PROFILE): pip install -e '$target'"
export MATURIN_PEP517_ARGS="--profile $BOLT_PROFILE"
export PATH="$VENV/bin:$PATH" # the maturin build hook runs `maturin` from PATH
# maturin is already in .venv, so build without an isolated build env (faster, offline).
# Keep cargo's output visible on failure only: the build log goes to a file.
info "building the Rust extension (first build takes a few minutes)"
log="$ROOT/target/setup-build.log"
mkdir -p "$ROOT/target"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-build-isolation -e "$target" >"$log" 2>&1; then
    tail -n 80 "$log" >&2
    echo "error: building/installing django-bolt failed (full log: target/setup-build.log)" >&2
    exit 1
fi
info "installed; build log in target/setup-build.log"

# --- 6. Docs UIs --------------------------------------------------------------
# Swagger UI, Redoc, Scalar, RapiDoc and Stoplight Elements, from their npm packages at
# the versions (and sha512) pinned in python/django_bolt/openapi/assets.json, so /docs
# works offline. Skipped when already in place.
step "Docs UIs (npm packages pinned in python/django_bolt/openapi/assets.json)"
if ! command -v npm >/dev/null 2>&1; then
    info "npm not found: /docs will load its UIs from a CDN, and the docs UI tests skip"
    info "install Node.js and npm (Debian: apt-get install npm), then run this again"
elif ! "$VENV/bin/python" scripts/vendor_docs_ui.py | sed 's/^/    /'; then
    echo "error: fetching the docs UIs failed (see above)" >&2
    exit 1
fi

step "Setup done"
info "activate with: source .venv/bin/activate"
