"""One diagnostic check's outcome, shared by `agent check` and `doctor`: data first, text last."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sshsetup.exit_codes import ExitCode


class Status(str, Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CheckResult:
    """``id`` is stable (scripts key on it); ``seen`` is what was found; ``fix`` the remedy."""

    id: str
    status: Status
    seen: str
    fix: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "seen": self.seen,
            "fix": self.fix,
            "details": dict(self.details),
        }


def exit_code_for(results: Iterable[CheckResult]) -> ExitCode:
    statuses = {result.status for result in results}
    if Status.FAIL in statuses:
        return ExitCode.CHECK_FAIL
    if Status.WARN in statuses:
        return ExitCode.CHECK_WARN
    return ExitCode.OK


def render_text(results: Iterable[CheckResult], colour: bool) -> str:
    """Plain text that reads well in a terminal and pasted into a support ticket."""
    paint = {Status.PASS: "32", Status.WARN: "33", Status.FAIL: "31"}
    lines: list[str] = []
    for result in results:
        label = result.status.value.upper().ljust(4)
        if colour:
            label = f"\033[{paint[result.status]}m{label}\033[0m"
        lines.append(f"{label}  {result.id}: {result.seen}")
        if result.fix and result.status is not Status.PASS:
            fix_lines = result.fix.splitlines()
            lines.append(f"      fix: {fix_lines[0]}")
            lines.extend(f"           {line}" for line in fix_lines[1:])
    return "\n".join(lines)
