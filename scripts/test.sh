#!/usr/bin/env bash
# Set up everything, then run every check and test:
#   rustfmt, clippy, Rust unit tests, a bounded fuzzing run, ruff, pytest.
#
#   bash scripts/test.sh [pytest args...]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROFILE="${BOLT_PROFILE:-dev-fast}"

bash scripts/setup.sh || { echo "error: setup failed" >&2; exit 1; }

# Build the Rust tests against the same interpreter maturin used (no pyo3 rebuilds
# from switching interpreters), and let the test binaries find a shared libpython.
export PYO3_PYTHON="$ROOT/.venv/bin/python"
pylibdir="$("$PYO3_PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')"
if [ -n "$pylibdir" ]; then
    export LD_LIBRARY_PATH="$pylibdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

failed=()
step() { printf '\n==> %s\n' "$*"; }
run() {
    # run NAME CMD...: run a check, remember it if it fails
    local name="$1"
    shift
    step "$name"
    if "$@"; then
        return 0
    fi
    echo "FAILED: $name" >&2
    failed+=("$name")
    return 1
}

before="$(git status --porcelain --untracked-files=all 2>/dev/null)"

run "cargo fmt --check" cargo fmt --all -- --check

if cargo clippy --version >/dev/null 2>&1; then
    # With the fuzz entry points (src/fuzzing), so they are linted too.
    run "cargo clippy" cargo clippy --profile "$PROFILE" --features fuzzing -- -D warnings
else
    step "cargo clippy"
    echo "warning: clippy is not installed (rustup component add clippy); skipping" >&2
fi

run "cargo test" cargo test --profile "$PROFILE"

# About a minute: every parser target of fuzz/ for a few seconds (scripts/fuzz.sh).
run "fuzz" bash scripts/fuzz.sh

lint_paths=()
for p in python tests benches example; do
    [ -e "$p" ] && lint_paths+=("$p")
done
run "ruff check" .venv/bin/ruff check "${lint_paths[@]}"
run "ruff format --check" .venv/bin/ruff format --check "${lint_paths[@]}"

step "pytest"
.venv/bin/python -m pytest tests -q "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "FAILED: pytest collected no tests" >&2
    failed+=("pytest (no tests collected)")
elif [ "$rc" -ne 0 ]; then
    echo "FAILED: pytest (exit $rc)" >&2
    failed+=("pytest")
fi

# Tests write only to temporary directories: anything new or changed in the tree is a
# test that wrote into the repository.
step "the tree is as the tests found it"
if git rev-parse --git-dir >/dev/null 2>&1; then
    after="$(git status --porcelain --untracked-files=all)"
    if [ "$after" != "$before" ]; then
        echo "the tests changed the tree:" >&2
        diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2
        failed+=("tests left files in the tree")
    else
        echo "    clean"
    fi
fi

echo
if [ "${#failed[@]}" -ne 0 ]; then
    echo "Failed checks: ${failed[*]}" >&2
    exit 1
fi
echo "All checks passed."
