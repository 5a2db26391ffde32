"""Ratio smoke for CI: fail when the fast path or raw ASGI falls behind its peer.

`.venv/bin/python benches/smoke.py` measures, over HTTP/1.1 and pinned as `run.py` pins
(server on CPU 0, wrk on CPU 1), a BoltAPI route against a bare hyper server and a raw
ASGI app through django-bolt against the same app through Granian. Rounds are short and
interleaved; each round's ratio compares two servers measured seconds apart, and the
check takes the median of those ratios, so one noisy round cannot decide. It exits 1
with the figures when a median is below its floor, and writes
`benches/results/smoke.json`; it leaves `RESULTS.md` alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys

import run  # benches/run.py: this script's directory is on sys.path

# (scenario, its peer measured in the same run, the lowest acceptable ratio)
FLOORS = (
    ("bolt", "hyper-bare", 0.6),
    ("ours-raw-asgi", "granian-raw-asgi", 1.0),
)
ROUNDS = 5
DURATION = 2
WARMUP = 1


def smoke_scenarios() -> list[run.Scenario]:
    names = {name for pair in FLOORS for name in pair[:2]}
    return [dataclasses.replace(s, protocols=("h1",)) for s in run.SCENARIOS if s.name in names]


def round_ratios(runs: list[run.Run], name: str, peer: str) -> list[float]:
    """The ratio of `name` to `peer` in each round where both were measured."""
    rps = {(r.scenario, r.round): r.rps for r in runs if not r.failure}
    rounds = sorted({r.round for r in runs})
    return [rps[name, n] / rps[peer, n] for n in rounds if (name, n) in rps and (peer, n) in rps]


def measure(opts: run.Options, rounds: range) -> list[run.Run]:
    runs = []
    for round_no in rounds:
        for scenario in opts.scenarios:
            for measured in run.run_scenario(scenario, round_no, opts):
                run.report_progress(measured, rounds.stop - 1)
                runs.append(measured)
    return runs


def check(runs: list[run.Run]) -> tuple[list[str], list[dict]]:
    """(the ratios below their floor, every ratio's figures), each printed."""
    rounds = len({r.round for r in runs})
    failures, results = [], []
    for name, peer, floor in FLOORS:
        ratios = round_ratios(runs, name, peer)
        # Most rounds must have measured both, or the median means little.
        if len(ratios) <= rounds // 2:
            failures.append(f"{name} / {peer}: measured in {len(ratios)} of {rounds} rounds")
            continue
        median = statistics.median(ratios)
        per_round = ", ".join(f"{r:.2f}" for r in ratios)
        line = f"{name} / {peer}: median {median:.2f}x (rounds: {per_round}), floor {floor:.1f}x"
        print(line, flush=True)
        results.append({"ratio": f"{name} / {peer}", "median": median, "rounds": ratios})
        if median < floor:
            failures.append(line)
    return failures, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-build", action="store_true", help="skip cargo and maturin builds")
    args = parser.parse_args()
    opts = run.Options(
        duration=DURATION,
        warmup=WARMUP,
        rounds=ROUNDS,
        build=not args.no_build,
        scenarios=smoke_scenarios(),
        oha="oha",
    )
    run.check_environment(opts)
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    blocked = run.prepare(opts.scenarios, opts.build)
    if blocked:
        for name, reason in blocked.items():
            print(f"{name}: FAILED before start: {reason}", file=sys.stderr)
        return 1
    runs = measure(opts, range(1, ROUNDS + 1))
    failures, results = check(runs)
    if failures:
        # A busy neighbour can sink a whole attempt: measure as many rounds again and
        # judge the medians of all of them.
        print("below a floor: measuring a second set of rounds", flush=True)
        runs += measure(opts, range(ROUNDS + 1, 2 * ROUNDS + 1))
        failures, results = check(runs)
    run.RESULTS_DIR.joinpath("smoke.json").write_text(
        json.dumps({"results": results, "runs": [dataclasses.asdict(r) for r in runs]}, indent=1)
    )
    for failure in failures:
        print(f"ratio smoke FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
