"""Many connections: throughput and tail latency with 1,024 concurrent HTTP/1.1 clients.

    .venv/bin/python benches/crowd.py [--duration S] [--rounds N] [--connections N]

The fast path (`bolt`), bare hyper, and the raw ASGI app through django-bolt, Granian and
Uvicorn, started and pinned as `run.py` starts them (server on CPU 0, one worker; wrk on
CPU 1), each measured with `wrk -t1 -c1024 --latency` after a warm-up, in interleaved
rounds. The report gives the medians of the rounds' RPS, p50, p99 and slowest request,
every round's RPS and p99, and every socket error, timeout and refused answer (a round
with any is marked, not dropped); then p99 and RPS ratios, the target being a p99 of the
fast path and of our raw ASGI no worse than Granian's. All 1,024 connections come from
127.0.0.1, so they are one client to a per-client limit. The open-file limit is raised
to its hard limit for this script and the processes it starts. The figures replace the
"Many connections" section of benches/RESULTS.md; every run's figures go to
benches/results/crowd.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
from datetime import UTC, datetime

import run  # benches/run.py: this script's directory is on sys.path

SECTION = "## Many connections"
CONNECTIONS = 1024
NAMES = ("bolt", "hyper-bare", "ours-raw-asgi", "granian-raw-asgi", "uvicorn-raw-asgi")
# Descriptors beyond the connections: the server's own files, wrk's, the script's.
SPARE_FILES = 256
# (figure, numerator, denominator, the highest acceptable value or None). A lower p99
# and a higher RPS are better.
RATIOS = (
    ("p99_ms", "bolt", "granian-raw-asgi", 1.0),
    ("p99_ms", "ours-raw-asgi", "granian-raw-asgi", 1.0),
    ("p99_ms", "ours-raw-asgi", "uvicorn-raw-asgi", None),
    ("p99_ms", "bolt", "hyper-bare", None),
    ("rps", "bolt", "granian-raw-asgi", None),
    ("rps", "ours-raw-asgi", "granian-raw-asgi", None),
    ("rps", "ours-raw-asgi", "uvicorn-raw-asgi", None),
    ("rps", "bolt", "hyper-bare", None),
)
FIGURE_LABELS = {"p99_ms": "p99", "rps": "RPS"}


def raise_file_limit(connections: int) -> int:
    """Raise this process's open-file limit (inherited by the servers and wrk) to its hard
    limit; exit when even that is too low for `connections`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = connections + SPARE_FILES
    limit = max(soft, needed) if hard == resource.RLIM_INFINITY else hard
    if limit < needed:
        sys.exit(
            f"the open-file hard limit ({hard}) is too low for {connections} connections: "
            f"need at least {needed} (raise it with `ulimit -Hn` as root, or in "
            "/etc/security/limits.conf)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    return limit


def crowd_scenarios(names: list[str]) -> list[run.Scenario]:
    by_name = {s.name: s for s in run.SCENARIOS}
    return [dataclasses.replace(by_name[n], protocols=("h1",)) for n in names]


def measure(opts: run.Options, blocked: dict[str, str]) -> list[run.Run]:
    runs = []
    for round_no in range(1, opts.rounds + 1):
        for scenario in (s for s in opts.scenarios if s.name not in blocked):
            for measured in run.run_scenario(scenario, round_no, opts):
                run.report_progress(measured, opts.rounds)
                if measured.error_kinds:
                    print(f"  errors: {kinds_text(measured.error_kinds)}", flush=True)
                runs.append(measured)
    return runs


def kinds_text(kinds: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n:,}" for kind, n in kinds.items()) or "none"


def summarize(runs: list[run.Run], name: str) -> dict | None:
    """Medians of the scenario's successful rounds, with every error they had."""
    ok = [r for r in runs if r.scenario == name and not r.failure]
    if not ok:
        return None
    kinds: dict[str, int] = {}
    for r in ok:
        for kind, n in r.error_kinds.items():
            kinds[kind] = kinds.get(kind, 0) + n
    return {
        "rps": statistics.median(r.rps for r in ok),
        "p50_ms": run.median_known([r.p50_ms for r in ok]),
        "p99_ms": run.median_known([r.p99_ms for r in ok]),
        "max_ms": run.median_known([r.max_ms for r in ok]),
        "errors": sum(r.errors for r in ok),
        "error_kinds": kinds,
        "rounds_with_errors": sum(1 for r in ok if r.errors),
        "rounds": len(ok),
        "failed": [r.failure for r in runs if r.scenario == name and r.failure],
        "per_round_rps": [r.rps for r in ok],
        "per_round_p99_ms": [r.p99_ms for r in ok],
    }


def errors_text(summary: dict) -> str:
    if not summary["errors"]:
        return "none"
    return (
        f"**{summary['errors']:,}** ({kinds_text(summary['error_kinds'])}; in "
        f"{summary['rounds_with_errors']} of {summary['rounds']} rounds)"
    )


def server_row(name: str, summary: dict | None, blocked: dict[str, str]) -> str:
    if summary is None:
        return run.row(name, f"FAILED: {blocked.get(name, 'not run')}", *[""] * 6)
    failed = summary["failed"]
    per_round_rps = ", ".join(f"{rps:,.0f}" for rps in summary["per_round_rps"])
    if failed:
        per_round_rps += f" ({len(failed)} failed: {failed[0]})"
    return run.row(
        name,
        f"{summary['rps']:,.0f}",
        run.ms_text(summary["p50_ms"]),
        run.ms_text(summary["p99_ms"]),
        run.ms_text(summary["max_ms"]),
        errors_text(summary),
        per_round_rps,
        ", ".join(run.ms_text(p99) for p99 in summary["per_round_p99_ms"]),
    )


def ratios(summaries: dict[str, dict | None]) -> list[dict]:
    """Every ratio of RATIOS whose two sides were measured; `with_errors` names the sides
    whose rounds had errors, which the ratio does not show."""
    found = []
    for figure, top, bottom, target in RATIOS:
        num, den = summaries.get(top), summaries.get(bottom)
        if not (num and den and num[figure] and den[figure]):
            found.append({"figure": figure, "ratio": f"{top} / {bottom}", "value": None})
            continue
        value = num[figure] / den[figure]
        found.append(
            {
                "figure": figure,
                "ratio": f"{top} / {bottom}",
                "value": value,
                "target": target,
                "met": None if target is None else value <= target,
                "with_errors": [name for name in (top, bottom) if summaries[name]["errors"]],
            }
        )
    return found


def ratio_row(ratio: dict) -> str:
    name = f"{FIGURE_LABELS[ratio['figure']]} {ratio['ratio']}"
    if ratio["value"] is None:
        return run.row(name, "n/a", "", "not measured")
    target = ratio["target"]
    status = "-" if target is None else ("met" if ratio["met"] else "**not met**")
    if ratio["with_errors"]:
        status += f" (errors in {', '.join(ratio['with_errors'])})"
    return run.row(
        name,
        f"{ratio['value']:.2f}x",
        "-" if target is None else f"<= {target:.1f}x",
        status,
    )


def write_section(
    opts: run.Options, meta: dict, summaries: dict[str, dict | None], blocked: dict[str, str]
) -> None:
    m = meta["machine"]
    url = "http://127.0.0.1:$PORT/"
    wrk = run.load_command("h1", url, opts.duration, "oha", connections=opts.connections)
    wrk = run.pinned(run.LOADGEN_CPU, wrk)
    lines = [
        "",
        f"{meta['date']}, `benches/crowd.py --duration {opts.duration} --rounds "
        f"{opts.rounds} --warmup {opts.warmup} --connections {opts.connections}`: each "
        f"server (pinned to CPU 0, one worker) with {opts.connections:,} concurrent "
        "HTTP/1.1 keep-alive connections from one wrk thread on CPU 1 "
        f"(`{' '.join(wrk)}`), after a {opts.warmup} s warm-up; {opts.rounds} interleaved "
        "rounds. Figures are medians of the successful rounds; max is wrk's slowest "
        "request. wrk gives up on a request after 2 s (a timeout error, not in the "
        "percentiles). Errors are wrk's socket errors (connect, read, write, timeout) and "
        "answers outside 2xx/3xx (status), summed over the rounds. The servers run as in "
        "the main tables, with their default limits. Machine: "
        f"{m['nproc']} CPUs, {m['cpu']}, Linux {m['kernel']}; open-file "
        f"limit {meta['open_files']:,}; {meta['tools']}.",
        "",
        run.row(
            "server",
            "RPS",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors",
            "RPS per round",
            "p99 ms per round",
        ),
        run.row("---", "---:", "---:", "---:", "---:", "---", "---", "---"),
        *(server_row(s.name, summaries[s.name], blocked) for s in opts.scenarios),
        "",
        run.row("ratio (medians)", "value", "target", "status"),
        run.row("---", "---:", "---:", "---"),
        *(ratio_row(r) for r in meta["ratios"]),
    ]
    run.write_section(SECTION, lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--only", help="comma-separated servers: " + ", ".join(NAMES))
    parser.add_argument("--no-build", action="store_true", help="skip cargo and maturin builds")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(NAMES)
    if unknown := set(names) - set(NAMES):
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if min(args.duration, args.rounds, args.warmup, args.connections) < 1:
        parser.error("--duration, --rounds, --warmup and --connections must be at least 1")
    open_files = raise_file_limit(args.connections)
    opts = run.Options(
        duration=args.duration,
        warmup=args.warmup,
        rounds=args.rounds,
        build=not args.no_build,
        scenarios=crowd_scenarios(names),
        oha="oha",
        connections=args.connections,
    )
    run.check_environment(opts)
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    blocked = run.prepare(opts.scenarios, opts.build)
    for name, reason in blocked.items():
        print(f"{name}: FAILED before start: {reason}", flush=True)
    runs = measure(opts, blocked)
    summaries = {name: summarize(runs, name) for name in names}
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": run.machine(),
        "versions": run.versions(),
        "tools": run.tool_versions(opts),
        "open_files": open_files,
        "settings": {
            "duration": opts.duration,
            "warmup": opts.warmup,
            "rounds": opts.rounds,
            "connections": opts.connections,
        },
        "ratios": ratios(summaries),
    }
    for ratio in meta["ratios"]:
        print(ratio_row(ratio), flush=True)
    write_section(opts, meta, summaries, blocked)
    data = {**meta, "blocked": blocked, "summaries": summaries}
    data["runs"] = [dataclasses.asdict(r) for r in runs]
    run.RESULTS_DIR.joinpath("crowd.json").write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote the {SECTION[3:]} section of benches/RESULTS.md and benches/results/crowd.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
