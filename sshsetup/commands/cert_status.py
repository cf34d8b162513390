"""`sshsetup cert status`: every cached certificate, its validity and whether it is usable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sshsetup.certs.cache import cached_hosts
from sshsetup.certs.info import CertificateInfo, duration
from sshsetup.certs.installed import current_installation
from sshsetup.connect.certfile import CertificateError, parse_certificate
from sshsetup.connect.installation import Installation
from sshsetup.connect.session import cached_certificate_problem, read_session
from sshsetup.context import Context
from sshsetup.results import Outcome, Result, jsonable


@dataclass(frozen=True)
class Request:
    pass


@dataclass(frozen=True)
class HostStatus:
    host: str
    path: str
    state: str  # valid, needs refresh, unreadable
    problem: str | None
    certificate: CertificateInfo | None
    session: bool  # a usable session (JWT) is cached
    deployment: str | None  # an environment host's: the deployment it was signed for

    def to_json(self) -> dict[str, Any]:
        flat = dict(jsonable(self.certificate)) if self.certificate else {"host": self.host}
        flat.update(
            state=self.state,
            problem=self.problem,
            path=self.path,
            session=self.session,
            deployment=self.deployment,
        )
        return flat

    def text(self) -> str:
        info = self.certificate
        if info is None:
            return f"{self.host}\n  unreadable: {self.problem}"
        critical = ", ".join(f"{k}={v}" for k, v in info.critical_options.items())
        lines = [
            f"{self.host}  [{self.state}]",
            f"  key id:     {info.key_id}",
            f"  principals: {', '.join(info.principals) or '(any)'}",
            f"  valid:      {info.valid_after} to {info.valid_before}"
            f" ({duration(info.seconds_left)} left)",
            f"  extensions: {', '.join(info.extensions) or '(none)'}",
        ]
        if critical:
            lines.append(f"  critical:   {critical}")
        if self.deployment:
            lines.append(
                f"  deployment: {self.deployment} (the environment served it when signed; the "
                "next connection checks it still does)"
            )
        if self.problem:
            lines.append(f"  problem:    {self.problem}")
        if not self.session:
            lines.append("  session:    none cached (the next connection fetches one)")
        return "\n".join(lines)


@dataclass(frozen=True)
class CertStatusResult(Result):
    refresh_margin_seconds: int
    hosts: list[HostStatus]

    def text(self, colour: bool) -> str:
        return "\n".join(entry.text() for entry in self.hosts) or "no cached certificates"


def run(ctx: Context, request: Request) -> Outcome[CertStatusResult]:
    installation = current_installation(ctx.paths)
    now = time.time()
    entries = [_status(installation, name, now) for name in cached_hosts(installation)]
    return Outcome(CertStatusResult(installation.refresh_margin_seconds, entries))


def _status(installation: Installation, name: str, now: float) -> HostStatus:
    path = installation.cert_file(name)
    try:
        certificate = parse_certificate(Path(path).read_bytes())
    except (OSError, CertificateError) as exc:
        return HostStatus(name, path, "unreadable", str(exc), None, False, None)
    try:
        session = read_session(installation.session_file(name))
    except (OSError, ValueError):
        session = None
    problem = cached_certificate_problem(installation, name, now, session)
    return HostStatus(
        name,
        path,
        "valid" if problem is None else "needs refresh",
        problem,
        CertificateInfo.of(name, certificate, now),
        session is not None and session.problem(now, 0) is None,
        session.deployment if session is not None else None,
    )
