"""One check's outcome, and a list of them as `doctor` and `agent check` report it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sshsetup.check_ids import CheckId
from sshsetup.exit_codes import ExitCode
from sshsetup.results import Outcome, Result, jsonable


class Status(str, Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"  # not run: a check it needs failed (``needs`` names that one)


@dataclass(frozen=True)
class CheckResult:
    """``id`` is stable (scripts key on it); ``seen`` is what was found; ``fix`` the remedy;
    ``needs``: for a skipped check, the failed check it needs (sshsetup.checks.graph)."""

    id: CheckId
    status: Status
    seen: str
    fix: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    needs: CheckId | None = None


def skipped(check_id: CheckId, failed: CheckId) -> CheckResult:
    """``check_id`` was not run: ``failed``, which it needs, failed."""
    return CheckResult(check_id, Status.SKIP, f"needs {failed.value}", needs=failed)


def exit_code_for(results: Iterable[CheckResult]) -> ExitCode:
    statuses = {result.status for result in results}
    if Status.FAIL in statuses:
        return ExitCode.CHECK_FAIL
    if Status.WARN in statuses:
        return ExitCode.CHECK_WARN
    return ExitCode.OK


def render_text(results: Iterable[CheckResult], colour: bool) -> str:
    """Plain text that reads well in a terminal and pasted into a support ticket."""
    paint = {Status.PASS: "32", Status.WARN: "33", Status.FAIL: "31", Status.SKIP: "2"}
    lines: list[str] = []
    for result in results:
        label = result.status.value.upper().ljust(4)
        if colour:
            label = f"\033[{paint[result.status]}m{label}\033[0m"
        seen_lines = result.seen.splitlines() or [""]
        lines.append(f"{label}  {result.id.value}: {seen_lines[0]}")
        lines.extend(f"      {line}" for line in seen_lines[1:])
        if result.fix and result.status in (Status.WARN, Status.FAIL):
            fix_lines = result.fix.splitlines()
            lines.append(f"      fix: {fix_lines[0]}")
            lines.extend(f"           {line}" for line in fix_lines[1:])
    return "\n".join(lines)


def counts(results: Sequence[CheckResult]) -> dict[str, int]:
    return {status.value: sum(1 for r in results if r.status is status) for status in Status}


@dataclass(frozen=True)
class ChecksReport(Result):
    """What `doctor` and `agent check` print: every check, and the overall status."""

    host: str
    platform: str
    status: str  # pass, warn or fail: the worst of the checks
    checks: list[CheckResult]
    summary: dict[str, int] | None = None  # doctor: how many passed, warned, failed, skipped
    remote: bool | None = None  # doctor: whether it connected (--connect)

    def to_json(self) -> dict[str, Any]:
        data = {
            "host": self.host,
            "platform": self.platform,
            "status": self.status,
            "checks": jsonable(self.checks),
        }
        if self.summary is not None:
            data.update(summary=self.summary, remote=self.remote)
        return data

    def text(self, colour: bool) -> str:
        text = render_text(self.checks, colour)
        if self.summary is None:
            return text
        return (
            f"{text}\n\ndoctor for {self.host}: {self.summary['pass']} passed, "
            f"{self.summary['warn']} warning(s), {self.summary['fail']} failed, "
            f"{self.summary['skip']} skipped"
        )


def report(
    host: str, platform: str, checks: list[CheckResult], doctor: bool = False, remote: bool = False
) -> Outcome[ChecksReport]:
    code = exit_code_for(checks)
    status = {ExitCode.OK: "pass", ExitCode.CHECK_WARN: "warn"}.get(code, "fail")
    if doctor:
        return Outcome(ChecksReport(host, platform, status, checks, counts(checks), remote), code)
    return Outcome(ChecksReport(host, platform, status, checks), code)
