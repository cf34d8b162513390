"""Figure 5: ``sshsetup setup``, a no-op re-run and ``sshsetup remove`` on large configs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from benchmarks.figures import EXPONENT, SECONDS, Figure, Target
from benchmarks.ssh_configs import generated_config
from benchmarks.timing import BenchmarkError, Command, Samples, interleave
from benchmarks.workstation import cli_command, make_home, python_command, run_cli

TEN_THOUSAND_TARGET = Target("<=", 0.5)
TARGET_SIZE = 10_000
GROWTH_TARGET = Target("<=", 1.2)  # linear, with room for noise
OPERATIONS = ("setup", "no-op setup", "remove")
# Below this the excess over an empty config is timer noise, not growth.
MIN_FITTED_EXCESS_SECONDS = 0.002


@dataclass(frozen=True)
class EditorRounds:
    sizes: tuple[int, ...]  # host entries; the first must be 0 (the fixed cost)
    rounds: dict[int, int]  # size -> timed rounds
    warmup: int


def editor_figures(scratch: Path, plan: EditorRounds) -> list[Figure]:
    if plan.sizes[0] != 0:
        raise ValueError("the first editor size must be 0: the fit subtracts its time")
    medians: dict[str, dict[int, float]] = {operation: {} for operation in OPERATIONS}
    figures = []
    for size in plan.sizes:
        samples = _measure_size(scratch / f"editor-{size}", size, plan)
        for operation in OPERATIONS:
            medians[operation][size] = samples.median(operation)
            figures.append(
                Figure(
                    f"editor_{operation.replace('no-op ', 'noop_')}_{size}",
                    f"{operation}, {size:,} Host entries",
                    samples.median(operation), SECONDS,
                    TEN_THOUSAND_TARGET if size == TARGET_SIZE else None,
                    samples.median(operation), "python -c pass", samples.median("python"),
                    samples.count(operation),
                    {"ratio_to_python": samples.ratio(operation, "python"), "entries": size},
                )
            )  # fmt: skip
    for operation in OPERATIONS:
        exponent, fitted = growth_exponent(medians[operation])
        figures.append(
            Figure(
                f"editor_{operation.replace('no-op ', 'noop_')}_growth",
                f"{operation}: growth exponent (log-log slope)",
                exponent, EXPONENT, GROWTH_TARGET,
                details={"fitted_sizes": fitted, "median_seconds": medians[operation]},
                note="slope of log(time - time at 0 entries) over log(entries); 1.0 is linear",
            )
        )  # fmt: skip
    return figures


def _measure_size(home: Path, size: int, plan: EditorRounds) -> Samples:
    env = make_home(home)
    config = home / ".ssh" / "config"
    original = generated_config(size)
    config.write_bytes(original)
    config.chmod(0o600)
    run_cli(env, "setup", "--yes")  # creates the key: every timed setup below reuses it
    run_cli(env, "remove", "--yes")
    if config.read_bytes() != original:
        raise BenchmarkError(f"setup + remove did not give back the {size}-entry config")
    cli = cli_command()
    # One round is setup, no-op re-run, remove: it leaves the file as it found it.
    return interleave(
        Command("python", [*python_command(), "-c", "pass"], env=env),
        [
            Command("setup", [*cli, "setup", "--yes"], env=env),
            Command("no-op setup", [*cli, "setup", "--yes"], env=env),
            Command("remove", [*cli, "remove", "--yes"], env=env),
        ],
        plan.rounds[size],
        plan.warmup,
    )


def growth_exponent(seconds_by_size: dict[int, float]) -> tuple[float, list[int]]:
    """Least-squares slope of log(excess) over log(size), the excess being the time beyond
    the 0-entry run; sizes whose excess is lost in noise are left out (all but the largest
    two at worst)."""
    fixed = seconds_by_size[0]
    points = sorted((size, t - fixed) for size, t in seconds_by_size.items() if size > 0)
    usable = [(n, excess) for n, excess in points if excess >= MIN_FITTED_EXCESS_SECONDS]
    if len(usable) < 2:
        usable = [(n, max(excess, MIN_FITTED_EXCESS_SECONDS)) for n, excess in points[-2:]]
    xs = [math.log(n) for n, _ in usable]
    ys = [math.log(excess) for _, excess in usable]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    return slope, [n for n, _ in usable]
