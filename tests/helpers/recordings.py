"""Outputs of macOS and Windows commands recorded in fixtures/platforms (see its SOURCES.md),
and a command runner that answers from them, for the platform branches on any OS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from helpers import FIXTURES_DIR
from sshsetup.process import CommandResult

RECORDINGS = FIXTURES_DIR / "platforms"


def recorded(name: str) -> str:
    return (RECORDINGS / name).read_text(encoding="utf-8")


class RecordedRunner:
    """Answers each argv from a table of recorded outputs; an unexpected argv is a test bug."""

    def __init__(self, answers: Mapping[tuple[str, ...], CommandResult]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, argv: Sequence[str], timeout: float = 10.0) -> CommandResult:
        key = tuple(argv)
        self.calls.append(key)
        if key not in self.answers:
            raise AssertionError(f"no recorded output for {key}")
        return self.answers[key]


def ok(stdout: str = "", stderr: str = "") -> CommandResult:
    """A command that exited 0 with this output."""
    return CommandResult(0, stdout, stderr)
