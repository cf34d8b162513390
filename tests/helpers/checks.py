"""Running the agent checks (sshsetup.checks.agent) directly, as doctor and agent check do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sshsetup.check_result import CheckResult
from sshsetup.checks.agent import collect_agent_checks
from sshsetup.checks.git_keys import GitKey
from sshsetup.checks.graph import CheckRun
from sshsetup.paths import Paths
from sshsetup.platforms.base import Platform


def agent_results(
    platform: Platform,
    paths: Paths,
    effective: Mapping[str, list[str]] | None = None,
    git: Sequence[GitKey] = (),
    timeout: float = 1.0,
) -> dict[str, CheckResult]:
    """Every agent check's result by id (skipped ones included)."""
    run = CheckRun()
    collect_agent_checks(run, platform, paths, effective or {}, git, timeout)
    return {result.id.value: result for result in run.results()}
