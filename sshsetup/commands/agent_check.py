"""`sshsetup agent check [HOST]`: find the agent as ssh does, list its keys, say what to fix."""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.baseten import EXAMPLE_HOSTS
from sshsetup.check_ids import CheckId
from sshsetup.check_result import CheckResult, ChecksReport, Status, report
from sshsetup.checks.agent import collect_agent_checks
from sshsetup.checks.git_keys import git_keys
from sshsetup.checks.graph import CheckRun
from sshsetup.context import Context
from sshsetup.openssh import config_arguments, effective_settings
from sshsetup.results import Outcome


@dataclass(frozen=True)
class Request:
    host: str | None = None


def run(ctx: Context, request: Request) -> Outcome[ChecksReport]:
    host = request.host or EXAMPLE_HOSTS[0]
    effective, warning = _evaluate_config(ctx, host)
    checks = CheckRun()
    if warning is not None:
        checks.add(warning)
    git = git_keys(ctx.openssh, ctx.paths)
    collect_agent_checks(checks, ctx.platform, ctx.paths, effective, git)
    return report(host, ctx.platform.name, checks.results())


def _evaluate_config(ctx: Context, host: str) -> tuple[dict[str, list[str]], CheckResult | None]:
    """``ssh -G host`` as keyword -> values, or a warning saying why it is not known."""
    openssh = ctx.openssh
    if openssh is None:
        warning = CheckResult(
            CheckId.AGENT_SSH_CONFIG,
            Status.WARN,
            "no ssh on PATH: IdentityAgent and IdentitiesOnly from the config are unknown",
            "install the OpenSSH client",
        )
        return {}, warning
    result = openssh.run("-G", *config_arguments(ctx.paths), host)
    if not result.ok:
        warning = CheckResult(
            CheckId.AGENT_SSH_CONFIG,
            Status.WARN,
            f"ssh -G {host} failed ({result.first_error}): "
            "IdentityAgent from the config is unknown",
            "run `sshsetup doctor` to see why ssh rejects the config",
        )
        return {}, warning
    return effective_settings(result.stdout), None
