"""`sshsetup cert fetch HOST`: sign a new certificate for HOST now, even if one is valid."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sshsetup.baseten import parse_host
from sshsetup.certs.info import CertificateInfo, duration
from sshsetup.certs.installed import current_installation
from sshsetup.connect.fetch import ensure_host
from sshsetup.context import Context
from sshsetup.results import Outcome, Result, jsonable


@dataclass(frozen=True)
class Request:
    host: str


@dataclass(frozen=True)
class FetchResult(Result):
    certificate: CertificateInfo
    deployment: str | None  # an environment host's: the deployment the certificate reaches

    def to_json(self) -> dict[str, Any]:
        return {**jsonable(self.certificate), "deployment": self.deployment}

    def text(self, colour: bool) -> str:
        info = self.certificate
        reaches = f" (deployment {self.deployment})" if self.deployment else ""
        return (
            f"fetched a certificate for {info.host}{reaches}: valid until {info.valid_before} "
            f"({duration(info.seconds_left)} left)"
        )


def run(ctx: Context, request: Request) -> Outcome[FetchResult]:
    installation = current_installation(ctx.paths)
    host = parse_host(request.host)
    outcome = ensure_host(installation, host, ctx.env, force=True)
    info = CertificateInfo.of(host.name, outcome.certificate, time.time())
    return Outcome(FetchResult(info, outcome.deployment))
