#!/usr/bin/env bash
# Fuzz every parser django-bolt runs on client input (the targets in fuzz/) for a
# bounded time each, with cargo fuzz (libFuzzer). Exits non-zero on a crash, and keeps
# the crashing input in a temporary folder, whose path it prints.
#
#   bash scripts/fuzz.sh [TARGET...]     # builds every target, runs these (default: all)
#
# Environment:
#   FUZZ_SECONDS   time per target (default 5)
#
# Runs on the stable toolchain: `--sanitizer none` needs no nightly flag (the
# sanitizers of cargo fuzz are `-Zsanitizer` on most toolchains). Rust code needs no
# address sanitizer to be memory-safe; what is hunted here are panics (overflow checks
# and debug assertions are on), aborts, and the invariants each target asserts.
#
# Nothing is written into the repository but fuzz/target (ignored by git): the corpus
# entries libFuzzer finds go to a temporary folder, beside the committed seeds of
# fuzz/corpus/<target>, which are only read.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-5}"
SECONDS=0 # bash counts from here: the whole step is timed

step() { printf '\n==> %s\n' "$*"; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    step "Installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# The fuzz targets link the extension's crate, hence libpython: build against the
# interpreter of .venv and let the binaries find the shared library at run time.
[ -x .venv/bin/python ] || bash scripts/setup.sh
export PYO3_PYTHON="${PYO3_PYTHON:-$ROOT/.venv/bin/python}"
pylibdir="$("$PYO3_PYTHON" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")')"
if [ -n "$pylibdir" ]; then
    export LD_LIBRARY_PATH="$pylibdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

work="$(mktemp -d -t bolt-fuzz.XXXXXX)"
step "Building the fuzz targets"
build_start=$SECONDS
if ! cargo fuzz build --fuzz-dir fuzz --sanitizer none >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    echo "error: the fuzz targets do not build (log: $work/build.log)" >&2
    exit 1
fi
echo "    built in $((SECONDS - build_start)) s"
bindir="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"

crashed=()
step "Fuzzing each target for ${SECONDS_PER_TARGET}s (work folder $work)"
for target in "${targets[@]}"; do
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
    log="$work/$target.log"
    if "$bindir/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
        -artifact_prefix="$work/artifacts/$target/" \
        "$work/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1; then
        runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")"
        printf '    %-18s ok (%s runs)\n' "$target" "${runs:-?}"
    else
        printf '    %-18s CRASHED\n' "$target"
        tail -n 30 "$log" | sed 's/^/      /'
        crashed+=("$target")
    fi
done

if [ "${#crashed[@]}" -ne 0 ]; then
    echo >&2
    echo "Fuzzing found crashes in: ${crashed[*]}" >&2
    echo "Inputs and logs are kept in $work/artifacts and $work/*.log; replay one with" >&2
    echo "  cargo fuzz run --fuzz-dir fuzz --sanitizer none TARGET INPUT" >&2
    exit 1
fi
rm -rf "$work"
echo "No crashes (${SECONDS} s in all, with the install and the build)."
