"""Run the benchmark suite: ``python -m benchmarks [--smoke] [--out FILE]``.

Full run: every figure with its target enforced (exit 1 if one is missed); results in
``benchmarks/results/last.json``. ``--smoke``: fewest repetitions, smallest sizes, an
8 MiB payload, no target enforced (results in ``benchmarks/results/smoke.json``): it only
proves that every figure can still be measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cli_figures import cli_figures, completion_figures
from benchmarks.connect_figures import (
    ConnectRounds,
    api_call_figures,
    cold_figures,
    connect_figure,
    hook_figures,
    throughput_figures,
    wrapper_figure,
)
from benchmarks.editor_figures import EditorRounds, editor_figures
from benchmarks.figures import Figure, markdown_table
from benchmarks.keepalive_figures import keepalive_figures
from benchmarks.timing import BenchmarkError
from benchmarks.workstation import REPO_ROOT, Workstation, cli_command
from sshsetup.connect.settings import DEFAULT_KEEPALIVE_SECONDS
from sshsetup.sandbox import Sandbox

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
MIB = 1 << 20


@dataclass(frozen=True)
class Plan:
    mode: str
    enforce: bool
    connect: ConnectRounds
    cli_rounds: int
    keepalive_seconds: int
    editor: EditorRounds
    default_out: Path


FULL = Plan(
    mode="full",
    enforce=True,
    connect=ConnectRounds(
        hook=31, connect=15, cold=7, throughput=5, payload_bytes=256 * MIB, warmup=1
    ),
    cli_rounds=11,
    keepalive_seconds=DEFAULT_KEEPALIVE_SECONDS,
    editor=EditorRounds(
        sizes=(0, 100, 1_000, 10_000, 50_000),
        rounds={0: 9, 100: 9, 1_000: 7, 10_000: 5, 50_000: 3},
        warmup=0,  # the setup + remove check before each size warms the caches
    ),
    default_out=RESULTS_DIR / "last.json",
)
SMOKE = Plan(
    mode="smoke",
    enforce=False,
    connect=ConnectRounds(hook=3, connect=1, cold=1, throughput=1, payload_bytes=8 * MIB, warmup=0),
    cli_rounds=1,
    keepalive_seconds=1,
    editor=EditorRounds(sizes=(0, 100, 1_000), rounds={0: 1, 100: 1, 1_000: 1}, warmup=0),
    default_out=RESULTS_DIR / "smoke.json",
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run, no targets enforced")
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    out = args.out or plan.default_out
    started = time.monotonic()
    load_before = _load()
    try:
        figures = measure(plan)
    except (BenchmarkError, RuntimeError) as exc:
        print(f"benchmarks: a measured command failed: {exc}", file=sys.stderr)
        return 2
    missed = [figure.id for figure in figures if figure.passed is False]
    results = {
        "mode": plan.mode,
        "targets_enforced": plan.enforce,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 1),
        "machine": _machine(load_before),
        "figures": [figure.to_json() for figure in figures],
        "missed_targets": missed,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown_table(figures, plan.enforce))
    print(f"\n{plan.mode} run, {results['duration_seconds']} s; results in {out}")
    if plan.enforce and missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def measure(plan: Plan) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="sshsetup-bench-") as scratch_name:
        scratch = Path(scratch_name)
        with Sandbox(scratch / "sandbox") as sandbox:
            station = Workstation(scratch / "home", sandbox)
            _progress("hook")
            figures += hook_figures(station, plan.connect)
            _progress("connect")
            figures.append(connect_figure(station, plan.connect))
            _progress("sshsetup ssh")
            figures.append(wrapper_figure(station, plan.connect))
            _progress("cold cache")
            figures += cold_figures(station, plan.connect)
            _progress("API round-trips per host form")
            figures += api_call_figures(station)
            _progress("keepalives")
            figures += keepalive_figures(station, plan.keepalive_seconds)
            _progress("throughput")
            figures += throughput_figures(station, plan.connect, scratch)
            _progress("cli start")
            figures += cli_figures(station, plan.cli_rounds, plan.connect.warmup)
            _progress("shell completion")
            figures += completion_figures(station, plan.cli_rounds, plan.connect.warmup)
        _progress("editor")
        figures += editor_figures(scratch, plan.editor)
    return figures


def _progress(stage: str) -> None:
    print(f"benchmarks: measuring {stage}...", file=sys.stderr, flush=True)


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _machine(load_before: list[float]) -> dict[str, object]:
    ssh_version = subprocess.run(["ssh", "-V"], capture_output=True, text=True, check=False)
    return {
        "python": sys.executable,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "openssh": ssh_version.stderr.strip(),
        "cli_command": cli_command(),
        "load_average_before": load_before,
        "load_average_after": _load(),
    }
