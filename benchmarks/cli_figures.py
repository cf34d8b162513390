"""Figure 6: how long ``sshsetup --help`` and ``sshsetup status`` take to run."""

from __future__ import annotations

from benchmarks.figures import RATIO, SECONDS, Figure, Target
from benchmarks.timing import Command, interleave
from benchmarks.workstation import Workstation, cli_command, python_command

START_TARGET = Target("<=", 0.25)


def cli_figures(station: Workstation, rounds: int, warmup: int) -> list[Figure]:
    python = Command("python -c pass", [*python_command(), "-c", "pass"], env=station.env)
    subjects = [
        Command(f"sshsetup {args}", [*cli_command(), *args.split()], env=station.env)
        for args in ("--help", "status")
    ]
    samples = interleave(python, subjects, rounds, warmup)
    figures = []
    for subject in subjects:
        slug = subject.name.split()[1].lstrip("-")
        seconds = samples.median(subject.name)
        for figure_id, title, value, unit, target in (
            (f"cli_{slug}_seconds", subject.name, seconds, SECONDS, START_TARGET),
            (
                f"cli_{slug}_vs_python", f"{subject.name} vs python -c pass",
                samples.ratio(subject.name, python.name), RATIO, None,
            ),
        ):  # fmt: skip
            figures.append(
                Figure(
                    figure_id, title, value, unit, target,
                    seconds, python.name, samples.median(python.name),
                    samples.count(subject.name), {"command": list(subject.argv)},
                )
            )  # fmt: skip
    return figures
