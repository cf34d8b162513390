"""Figure 6: how long ``sshsetup --help`` and ``sshsetup status`` take to run, and what shell
completion costs them and a no-op ``setup`` (the same CLI with typer's completion switched
off is the reference)."""

from __future__ import annotations

from benchmarks.figures import RATIO, SECONDS, Figure, Target
from benchmarks.timing import Command, interleave
from benchmarks.workstation import Workstation, cli_command, python_command

START_TARGET = Target("<=", 0.25)
COMPLETION_TARGET = Target("<=", 1.10)  # the same within the noise of repeated runs
COMPLETION_OFF = "import sshsetup.cli as cli; cli.app._add_completion = False; cli.main()"
COMPLETION_ON = "import sshsetup.cli as cli; cli.main()"


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


def completion_figures(station: Workstation, rounds: int, warmup: int) -> list[Figure]:
    """``--help`` and a no-op ``setup`` with shell completion on, against the same with it off
    (both started the same way, ``python -c``, so only the completion setting differs). Twice
    the rounds of the other CLI figures: the difference sought is none, so only noise is left
    to measure, and a short run of it can stray past the target."""
    figures = []
    for args, slug in ((["--help"], "help"), (["setup", "--yes"], "noop_setup")):
        off = Command(
            "completion off", [*python_command(), "-c", COMPLETION_OFF, *args], env=station.env
        )
        on = Command(
            "completion on", [*python_command(), "-c", COMPLETION_ON, *args], env=station.env
        )
        samples = interleave(off, [on], 2 * rounds, warmup)
        figures.append(
            Figure(
                f"completion_{slug}", f"sshsetup {' '.join(args[:1])}: completion on vs off",
                samples.ratio(on.name, off.name), RATIO, COMPLETION_TARGET,
                samples.median(on.name), "completion off", samples.median(off.name),
                samples.count(on.name), {"command": [*on.argv[:2], "…", *args]},
            )
        )  # fmt: skip
    return figures
