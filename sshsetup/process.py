"""Running a command the way every check does: no stdin, bounded in time, never raising."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from typing import NamedTuple

COMMAND_TIMEOUT_SECONDS = 10.0


class CommandResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def first_error(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[0] if lines else f"exited with status {self.returncode}"


def run_command(
    argv: Sequence[str],
    timeout: float = COMMAND_TIMEOUT_SECONDS,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """``argv``'s exit status and output; a timeout or a missing program is a result too."""
    try:
        completed = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            env=None if env is None else dict(env),
        )
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]} did not finish in {timeout:g} s")
    except OSError as exc:
        return CommandResult(127, "", f"cannot run {argv[0]}: {exc.strerror or exc}")
    return CommandResult(completed.returncode, completed.stdout, completed.stderr)
