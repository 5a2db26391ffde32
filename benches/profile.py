"""Flame graphs of a benchmark scenario under load: where the server's CPU goes.

`.venv/bin/python benches/profile.py bolt:h1 ours-raw-asgi:h1 ours-django:h1` starts each
scenario of `run.py` as it is benchmarked (server pinned to CPU 0, load on CPU 1), lets
the load warm up, then samples the server's threads with `perf record` (DWARF call
graphs, so Rust and C frames unwind without frame pointers) and writes
`benches/profiles/SCENARIO-PROTOCOL.svg` with `inferno`. It also prints the heaviest
functions by their own samples, which is what a note about the profile quotes.

Needs `perf` and `inferno` (`cargo install inferno`) and an extension built with line
tables: `maturin develop --profile profiling` (the default `--build` does it). Python
3.11 has no perf trampoline, so Python code shows as the interpreter's C frames
(`_PyEval_EvalFrameDefault`) under the Rust or C function that called it.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import crowd  # benches/crowd.py, for the open-file limit of many connections
import run  # benches/run.py: this script's directory is on sys.path

PROFILES = run.ROOT / "benches" / "profiles"
FREQUENCY = 999  # samples a second: odd, so it does not beat with a timer


def build() -> None:
    """The extension with line tables, installed where the benchmarks import it."""
    maturin = str(run.ROOT / ".venv" / "bin" / "maturin")
    subprocess.run([maturin, "develop", "--profile", "profiling"], cwd=run.ROOT, check=True)


def folded_stacks(pids: list[int], seconds: int, workdir: Path) -> str:
    """`perf record` of `pids` for `seconds`, as inferno's folded stacks."""
    data = workdir / "perf.data"
    record = [
        *("perf", "record", "-q", "-F", str(FREQUENCY), "--call-graph", "dwarf,16384"),
        *("-o", str(data), "-p", ",".join(map(str, pids)), "--", "sleep", str(seconds)),
    ]
    subprocess.run(run.pinned(run.LOADGEN_CPU, record), check=True, capture_output=True)
    script = subprocess.run(
        ["perf", "script", "-i", str(data)], check=True, capture_output=True
    ).stdout
    return subprocess.run(
        ["inferno-collapse-perf", "--all", "--tid"], input=script, check=True, capture_output=True
    ).stdout.decode()


def heaviest(folded: str, count: int = 25) -> list[tuple[float, str]]:
    """The functions with the most samples of their own, as shares of all samples."""
    own: collections.Counter[str] = collections.Counter()
    for line in folded.splitlines():
        stack, _, samples = line.rpartition(" ")
        own[stack.rsplit(";", 1)[-1]] += int(samples)
    total = sum(own.values()) or 1
    return [(n / total, name) for name, n in own.most_common(count)]


def profile(scenario: run.Scenario, protocol: str, opts: run.Options, seconds: int) -> Path:
    log = run.LOG_DIR / f"profile-{scenario.name}.log"
    server = run.Server(scenario, run.free_port(), log, {})
    try:
        if reason := server.wait_ready(scenario):
            raise SystemExit(f"{scenario.name}: {reason}")
        url = f"{run.PROTOCOLS[protocol].scheme}://127.0.0.1:{server.port}{scenario.path}"
        total = opts.warmup + seconds + 2
        argv = run.load_command(
            protocol,
            url,
            total,
            opts.oha,
            None,
            scenario.headers,
            scenario.body,
            scenario.method,
            opts.connections,
        )
        load = threading.Thread(target=run.run_load, args=(argv, total), daemon=True)
        load.start()
        time.sleep(opts.warmup)
        with tempfile.TemporaryDirectory() as workdir:
            folded = folded_stacks(run.process_tree(server.proc.pid), seconds, Path(workdir))
        load.join()
    finally:
        server.stop()
    name = f"{scenario.name}-{protocol}"
    if opts.connections != run.CONNECTIONS:
        name += f"-c{opts.connections}"
    (run.LOG_DIR / f"profile-{name}.folded").write_text(folded)
    svg = PROFILES / f"{name}.svg"
    title = f"{scenario.description} ({run.PROTOCOLS[protocol].label}, server CPU only)"
    with svg.open("wb") as out:
        subprocess.run(
            ["inferno-flamegraph", "--title", title, "--minwidth", "0.2"],
            input=folded.encode(),
            stdout=out,
            check=True,
        )
    print(f"\n{name}: {svg.relative_to(run.ROOT)}")
    for share, function in heaviest(folded):
        print(f"  {share:6.1%}  {function}")
    return svg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="SCENARIO:PROTOCOL, e.g. bolt:h1")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=run.CONNECTIONS)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--oha", default="oha")
    args = parser.parse_args()
    for tool in ("perf", "inferno-flamegraph", "inferno-collapse-perf", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (see this script's docstring)")
    by_name = {s.name: s for s in run.SCENARIOS}
    targets = []
    for target in args.targets:
        name, _, protocol = target.partition(":")
        if name not in by_name or protocol not in run.PROTOCOLS:
            sys.exit(f"unknown target {target!r}: SCENARIO:PROTOCOL of run.py")
        targets.append((by_name[name], protocol))
    if not args.no_build:
        build()
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    PROFILES.mkdir(exist_ok=True)
    if args.connections > run.CONNECTIONS:
        crowd.raise_file_limit(args.connections)
    opts = run.Options(2, 2, 1, False, [t[0] for t in targets], args.oha)
    opts.connections = args.connections
    for scenario, protocol in targets:
        profile(scenario, protocol, opts, args.seconds)


if __name__ == "__main__":
    main()
