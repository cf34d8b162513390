"""Whole-process timing: run commands, interleave them with their reference, take medians."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class BenchmarkError(Exception):
    """A measured command failed: the figure would be meaningless."""


@dataclass(frozen=True)
class Command:
    """One process to time; ``prepare`` runs before each run and is not timed."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    stdin_file: Path | None = None
    cwd: Path | None = None
    prepare: Callable[[], None] | None = None

    def run(self) -> Run:
        """Time one run; raises BenchmarkError on a non-zero exit."""
        if self.prepare is not None:
            self.prepare()
        stdin_path = self.stdin_file if self.stdin_file is not None else os.devnull
        with open(stdin_path, "rb") as stdin:
            children_before, own_before = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
            started = time.perf_counter()
            completed = subprocess.run(
                list(self.argv),
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=None if self.env is None else dict(self.env),
                cwd=self.cwd,
                check=False,
            )
            elapsed = time.perf_counter() - started
            children_cpu = _cpu(resource.RUSAGE_CHILDREN) - children_before
            own_cpu = _cpu(resource.RUSAGE_SELF) - own_before
        if completed.returncode != 0:
            stderr = completed.stderr.decode(errors="replace").strip()
            raise BenchmarkError(
                f"{self.name} exited {completed.returncode}: {' '.join(self.argv)}\n{stderr}"
            )
        return Run(elapsed, children_cpu, own_cpu)


@dataclass(frozen=True)
class Run:
    seconds: float  # wall clock, spawn to exit
    process_cpu_seconds: float  # CPU of the process and the children it waited for
    suite_cpu_seconds: float  # CPU of this process meanwhile: the in-process sandbox's threads


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Samples:
    """Per command name, each timed run."""

    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, name: str, run: Run) -> None:
        self.runs.setdefault(name, []).append(run)

    def median(self, name: str) -> float:
        return statistics.median(run.seconds for run in self.runs[name])

    def median_cpu(self, name: str) -> dict[str, float]:
        """Median CPU seconds of the measured process tree and of the in-process sandbox."""
        return {
            "process_tree": statistics.median(run.process_cpu_seconds for run in self.runs[name]),
            "sandbox_in_suite": statistics.median(run.suite_cpu_seconds for run in self.runs[name]),
        }

    def count(self, name: str) -> int:
        return len(self.runs[name])

    def ratio(self, subject: str, reference: str) -> float:
        return self.median(subject) / self.median(reference)


def interleave(
    reference: Command, subjects: Sequence[Command], rounds: int, warmup: int = 1
) -> Samples:
    """``rounds`` rounds of the reference and every subject, in the same run.

    The subjects keep their order within a round (a round may be a sequence such as
    setup, no-op re-run, remove); the reference runs first in even rounds and last in odd
    ones, so a drift of the machine's speed affects both sides alike. ``warmup`` untimed
    rounds first fill the page cache and the interpreter's bytecode caches.
    """
    for _ in range(warmup):
        for command in (reference, *subjects):
            command.run()
    samples = Samples()
    for round_number in range(rounds):
        order = [reference, *subjects] if round_number % 2 == 0 else [*subjects, reference]
        for command in order:
            samples.add(command.name, command.run())
    return samples
