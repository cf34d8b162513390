"""`sshsetup cert prune`: drop expired or unreadable certificates with their sessions, and
sessions left without a certificate."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sshsetup.certs.cache import cached_hosts, orphan_sessions, remove_host
from sshsetup.certs.installed import current_installation
from sshsetup.connect.certfile import CertificateError, format_time, parse_certificate
from sshsetup.connect.freshness import EXPIRED, validity
from sshsetup.connect.installation import Installation
from sshsetup.connect.session import read_session
from sshsetup.context import Context
from sshsetup.results import Outcome, Result


@dataclass(frozen=True)
class Request:
    pass


@dataclass(frozen=True)
class Pruned:
    host: str
    reason: str
    removed: list[str]


@dataclass(frozen=True)
class PruneResult(Result):
    pruned: list[Pruned]

    def text(self, colour: bool) -> str:
        lines = [f"removed {item.host} ({item.reason})" for item in self.pruned]
        return "\n".join(lines) or "nothing to prune"


def run(ctx: Context, request: Request) -> Outcome[PruneResult]:
    installation = current_installation(ctx.paths)
    now = time.time()
    pruned: list[Pruned] = []
    for name in cached_hosts(installation):
        why = _prune_reason(installation, name, now)
        if why:
            pruned.append(Pruned(name, why, remove_host(installation, name)))
    for name in orphan_sessions(installation):
        try:
            session = read_session(installation.session_file(name))
        except (OSError, ValueError):
            session = None
        if session is None or session.problem(now, 0) is not None:
            reason = "session without a certificate"
            pruned.append(Pruned(name, reason, remove_host(installation, name)))
    return Outcome(PruneResult(pruned))


def _prune_reason(installation: Installation, name: str, now: float) -> str | None:
    try:
        certificate = parse_certificate(Path(installation.cert_file(name)).read_bytes())
    except CertificateError as exc:
        return f"unreadable: {exc}"
    except OSError:
        return None
    try:
        session = read_session(installation.session_file(name))
    except (OSError, ValueError):
        session = None
    if session is not None:
        now = session.signer_time(now)  # as the server will judge it
    if validity(certificate, now) == EXPIRED:
        return f"expired at {format_time(certificate.valid_before)}"
    return None
