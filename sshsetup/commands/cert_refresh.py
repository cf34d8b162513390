"""`sshsetup cert refresh [HOST...]`: renew what is expiring, expired or for another key.

Every host is tried; the command exits with the first failure's code.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshsetup.certs.cache import cached_hosts
from sshsetup.certs.installed import current_installation, parse_hosts
from sshsetup.connect.certfile import format_time
from sshsetup.connect.fetch import ensure_host
from sshsetup.context import Context
from sshsetup.errors import SshsetupError
from sshsetup.exit_codes import ExitCode
from sshsetup.results import Outcome, Result


@dataclass(frozen=True)
class Request:
    hosts: tuple[str, ...] = ()
    force: bool = False


@dataclass(frozen=True)
class HostRefresh:
    host: str
    refreshed: bool
    reason: str | None = None
    valid_before: str | None = None
    error: str | None = None
    deployment: str | None = None  # an environment host's: the deployment it reaches


@dataclass(frozen=True)
class RefreshResult(Result):
    hosts: list[HostRefresh]

    def text(self, colour: bool) -> str:
        return "" if self.hosts else "no cached certificates to refresh"


def run(ctx: Context, request: Request) -> Outcome[RefreshResult]:
    installation = current_installation(ctx.paths)
    parsed = parse_hosts(request.hosts or cached_hosts(installation))
    results: list[HostRefresh] = []
    exit_code = ExitCode.OK
    for host in parsed:
        try:
            outcome = ensure_host(installation, host, ctx.env, force=request.force)
        except SshsetupError as exc:
            ctx.say(f"{host.name}: {exc.render()}")
            results.append(HostRefresh(host.name, False, error=exc.message))
            if exit_code == ExitCode.OK:
                exit_code = exc.exit_code
            continue
        action = "refreshed" if outcome.fetched else "still valid"
        ctx.say(f"{host.name}: {action}" + (f" ({outcome.reason})" if outcome.reason else ""))
        results.append(
            HostRefresh(
                host.name,
                outcome.fetched,
                reason=outcome.reason,
                valid_before=format_time(outcome.certificate.valid_before),
                deployment=outcome.deployment,
            )
        )
    return Outcome(RefreshResult(results), exit_code)
